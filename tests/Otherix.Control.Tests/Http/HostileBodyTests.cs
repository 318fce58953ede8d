using System.Net;
using System.Text;
using System.Text.Json;
using Otherix.Api.Auth;
using Otherix.Control.Auth;
using Otherix.Control.Tests.Auth;

namespace Otherix.Control.Tests.Http;

/// <summary>A corpus of hostile bodies sent to every POST/PATCH route: each gets a 4xx with the error envelope, never a 500.</summary>
public sealed class HostileBodyTests
{
    private static readonly string[] Injections =
    [
        "'; DROP TABLE users; --", "\" OR \"1\"=\"1", "admin' --", "{\"$gt\": \"\"}", "$where: '1 == 1'", "1; SELECT * FROM users",
        "../../etc/passwd", "<script>alert(1)</script>", "${jndi:ldap://127.0.0.1/x}", "{{7*7}}", "%00", "\\u0000",
    ];

    // Invalid as a name, a label, an email, a role and a time alike.
    private static readonly string[] HostileStrings =
    [
        "\u0000", "a\u0000b", "\u001b[31mred", "line\nbreak", "tab\tname", "\u202Eevil", "\ud800", "x\udfff", "", " ",
        new string('a', 300), "💥", "-leading", ".dot", "a/b", "a\\b", "a:b", "a@", "@b", "\u00a0nbsp",
    ];

    private static readonly string[] WrongTypes = ["1", "-1.5", "true", "[]", "{}", "[1,2]", "{\"$ne\":null}"];

    private static readonly string[] Fields = ["email", "password", "role", "name", "description", "expires_at", "display_name"];

    /// <summary>Bodies that are structurally wrong for any route.</summary>
    private static IEnumerable<string> Structural()
    {
        yield return "";
        yield return " ";
        yield return "{";
        yield return "}";
        yield return "[]";
        yield return "[{}]";
        yield return "null";
        yield return "true";
        yield return "42";
        yield return "\"string\"";
        yield return "{\"a\":}";
        yield return "{'single':'quotes'}";
        yield return "{\"trailing\":1,}";
        yield return "{\"dup\":1,\"dup\":2}";
        yield return "{\"name\":\"a\",\"name\":\"b\"}";
        yield return "{\"email\":\"a@b.c\",\"email\":\"d@e.f\"}";
        yield return "{\"unknown_field\":1}";
        yield return "{\"__proto__\":{\"admin\":true}}";
        yield return "{\"constructor\":{\"prototype\":{}}}";
        yield return "{\"$where\":\"1==1\"}";
        yield return "{\"_id\":1}";
        yield return new string('[', 5000) + new string(']', 5000);
        yield return "{\"a\":" + new string('[', 100) + new string(']', 100) + "}";
        yield return "{\"big\":\"" + new string('x', (1024 * 1024) + 10) + "\"}";
        yield return "{\"display_name\":\"" + new string('x', 2 * 1024 * 1024) + "\"}";
        yield return "\u00ef\u00bb\u00bf{}garbage";
        yield return "{\"a\":1}{\"b\":2}";
        yield return "{\"password\":NaN}";
        yield return "{\"role\":Infinity}";
        yield return "/* comment */ {}";
        yield return "{\"email\":\"\\ud800\"}";
        yield return "{\"display_name\":1e999}";
        yield return "{\"role\":1}";
        yield return "{\"role\":\"ADMIN\"}";
        yield return "{\"role\":\"root\"}";
        yield return "{\"role\":null,\"x\":1}";
        yield return "{\"password\":12345678901234}";
        yield return "{\"password\":[\"a\"]}";
        yield return "{\"password\":{\"$ne\":null}}";
        yield return "{\"email\":{\"$ne\":null},\"password\":{\"$ne\":null}}";
        yield return "{\"expires_at\":\"yesterday\"}";
        yield return "{\"expires_at\":12}";
        yield return "{\"expires_at\":\"2000-01-01T00:00:00Z\",\"name\":\"x\"}";
        yield return "{\"name\":[]}";
        yield return "{\"name\":{}}";
        yield return "{\"name\":true}";
        yield return "{\"description\":5}";
        yield return "{\"display_name\":false,\"unknown\":1}";
    }

    /// <summary>Bodies with hostile strings in name-like positions (each invalid there).</summary>
    private static IEnumerable<string> InNamePositions()
    {
        foreach (var value in Injections.Concat(HostileStrings))
        {
            var json = JsonSerializer.Serialize(value);
            yield return $"{{\"name\":{json}}}";
            yield return $"{{\"email\":{json},\"password\":\"long-enough-password\",\"role\":\"viewer\"}}";
            yield return $"{{\"email\":\"fuzz@otherix.test\",\"password\":\"long-enough-password\",\"role\":{json}}}";
            yield return $"{{\"name\":\"ok\",\"expires_at\":{json}}}";
            yield return $"{{\"role\":{json}}}";
        }

        foreach (var field in Fields)
        {
            foreach (var value in WrongTypes)
            {
                yield return $"{{\"{field}\":{value}}}";
            }
        }
    }

    [Test]
    public async Task HostileBodies_OnEveryPostAndPatchRoute_Get4xxWithTheEnvelope()
    {
        await using var api = await TestApi.StartAsync(c => c with { Auth = c.Auth with { LoginThrottle = new() { MaxFailures = 100_000 } } });
        var admin = await api.TokenForAsync(Role.Admin);
        var me = await TestApi.ReadAsync<Otherix.Api.Users.User>(await api.GetAsync("/v1/users/me", admin));
        var routes = RbacMatrixTests.Routes(api).Where(r => r.Method is "POST" or "PATCH").ToList();
        var corpus = Structural().Concat(InNamePositions()).ToList();
        Assert.That(corpus, Has.Count.GreaterThanOrEqualTo(200));
        Assert.That(routes.Select(r => r.Endpoint.RoutePattern.RawText), Does.Contain("/v1/users/").And.Contain("/v1/auth/login"));

        var sent = 0;
        var failures = new List<string>();
        foreach (var (method, endpoint, access) in routes)
        {
            // A user route gets a real user id, so bodies reach validation rather than a 404.
            var raw = endpoint.RoutePattern.RawText!;
            var path = raw.StartsWith("/v1/users/{id}", StringComparison.Ordinal) ? raw.Replace("{id}", me.Id.ToString(), StringComparison.Ordinal) : RbacMatrixTests.PathOf(endpoint);

            foreach (var body in corpus)
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative))
                {
                    Content = new StringContent(body, Encoding.UTF8, "application/json"),
                };
                if (access is not EndpointAccess.Anonymous)
                {
                    request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", admin);
                }

                using var response = await api.Client.SendAsync(request);
                var text = await response.Content.ReadAsStringAsync();
                sent++;
                var status = (int)response.StatusCode;
                if (status is < 400 or >= 500 || !IsEnvelope(text))
                {
                    failures.Add($"{method} {path} <- {Shorten(body)}: {status} {Shorten(text)}");
                }
            }
        }

        Assert.That(failures, Is.Empty);
        Assert.That(sent, Is.GreaterThanOrEqualTo(routes.Count * 200));
        using var still = await api.GetAsync("/v1/users/me", admin);
        Assert.That(still.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the server is fine afterwards");
    }

    private static bool IsEnvelope(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.TryGetProperty("error", out var error)
                && error.GetProperty("code").GetString() is { Length: > 0 }
                && error.GetProperty("message").GetString() is { Length: > 0 };
        }
        catch (JsonException)
        {
            return false;
        }
        catch (KeyNotFoundException)
        {
            return false;
        }
    }

    private static string Shorten(string text) => text.Length <= 120 ? text : text[..120] + "…";
}
