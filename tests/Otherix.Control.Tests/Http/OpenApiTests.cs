using System.Net;
using System.Text.Json;
using Otherix.Control.Tests.Auth;

namespace Otherix.Control.Tests.Http;

public sealed class OpenApiTests
{
    [Test]
    public async Task Document_DescribesExactlyTheRoutesTheAppServes()
    {
        await using var api = await TestApi.StartAsync();

        using var response = await api.GetAsync("/v1/openapi.json", null);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var documented = document.RootElement.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(m => $"{m.Name.ToUpperInvariant()} {p.Name.TrimEnd('/')}"))
            .ToHashSet();
        var served = RbacMatrixTests.Routes(api)
            .Where(r => r.Endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.IExcludeFromDescriptionMetadata>() is not { ExcludeFromDescription: true })
            .Where(r => r.Endpoint.RoutePattern.RawText != "/v1/openapi.json")
            .Select(r => $"{r.Method} {r.Endpoint.RoutePattern.RawText!.TrimEnd('/')}")
            .ToHashSet();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(documented, Is.EquivalentTo(served));
        Assert.That(documented, Does.Contain("POST /v1/auth/login").And.Contain("GET /v1/tasks/{id}"));
    }

    [Test]
    public async Task Document_NamesRequestBodiesAndUsesSnakeCase()
    {
        await using var api = await TestApi.StartAsync();

        using var document = JsonDocument.Parse(await (await api.GetAsync("/v1/openapi.json", null)).Content.ReadAsStringAsync());
        var paths = document.RootElement.GetProperty("paths");
        var schemas = document.RootElement.GetProperty("components").GetProperty("schemas");

        foreach (var (path, method) in new[] { ("/v1/auth/login", "post"), ("/v1/users", "post"), ("/v1/users/{id}", "patch"), ("/v1/users/me/api-tokens", "post") })
        {
            var operation = paths.EnumerateObject().First(p => p.Name.TrimEnd('/') == path).Value.GetProperty(method);
            Assert.That(operation.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/json", out _), Is.True, $"{method} {path} body");
        }

        Assert.That(schemas.GetProperty("CreateApiTokenRequest").GetProperty("properties").EnumerateObject().Select(p => p.Name), Is.EquivalentTo(new[] { "name", "description", "expires_at" }));
        Assert.That(schemas.GetProperty("CreatedApiToken").GetProperty("properties").TryGetProperty("plaintext_token", out _), Is.True);
        Assert.That(schemas.GetProperty("LoginResponse").GetProperty("properties").TryGetProperty("access_token", out _), Is.True);
    }
}
