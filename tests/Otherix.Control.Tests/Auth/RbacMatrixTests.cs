using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Otherix.Api.Auth;
using Otherix.Control.Auth;

namespace Otherix.Control.Tests.Auth;

/// <summary>Every route × every role, with the route table read from the running app.</summary>
public sealed class RbacMatrixTests
{
    private static readonly string[] AnonymousRoutes = ["GET /healthz", "GET /readyz", "POST /v1/auth/login", "GET /v1/openapi.json", "GET /v1/ca", "GET /v1/vms/{name}/console-stream"];

    /// <summary>Every route of the app with its methods and access rule.</summary>
    internal static IReadOnlyList<(string Method, RouteEndpoint Endpoint, EndpointAccess? Access)> Routes(TestApi api) =>
        api.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (m, e, e.Metadata.GetMetadata<EndpointAccess>())))
            .ToList();

    /// <summary>A concrete path for a route pattern (parameters filled with fresh UUIDs).</summary>
    internal static string PathOf(RouteEndpoint endpoint) =>
        "/" + string.Join('/', endpoint.RoutePattern.PathSegments.Select(s => string.Concat(s.Parts.Select(p => p switch
        {
            Microsoft.AspNetCore.Routing.Patterns.RoutePatternLiteralPart literal => literal.Content,
            Microsoft.AspNetCore.Routing.Patterns.RoutePatternParameterPart => Guid.NewGuid().ToString(),
            _ => "",
        }))));

    [Test]
    public async Task EveryEndpoint_DeclaresExactlyOneAccessRule_AndOnlyTheKnownOnesAreAnonymous()
    {
        await using var api = await TestApi.StartAsync();

        var routes = Routes(api);
        var undeclared = routes.Where(r => r.Endpoint.Metadata.GetOrderedMetadata<EndpointAccess>().Count != 1)
            .Select(r => $"{r.Method} {r.Endpoint.RoutePattern.RawText}").ToList();
        var anonymous = routes.Where(r => r.Access is EndpointAccess.Anonymous).Select(r => $"{r.Method} {r.Endpoint.RoutePattern.RawText}");

        Assert.That(routes, Has.Count.GreaterThan(10));
        Assert.That(undeclared, Is.Empty, "endpoints without exactly one access rule (add RequirePermission / RequireSignIn / AllowAnonymousAccess)");
        Assert.That(anonymous, Is.EquivalentTo(AnonymousRoutes));
    }

    [Test]
    public async Task EveryRoute_ForEveryRole_IsForbiddenExactlyWhenTheMatrixSaysSo()
    {
        await using var api = await TestApi.StartAsync();
        var tokens = new Dictionary<Role, string>();
        foreach (var role in Enum.GetValues<Role>())
        {
            tokens[role] = await api.TokenForAsync(role);
        }

        var checkedCells = 0;
        // Agent-listener routes authenticate by join token or node certificate; NodeTrustTests cover them over real TLS.
        foreach (var (method, endpoint, access) in Routes(api).Where(r => r.Access is not (EndpointAccess.Anonymous or EndpointAccess.AgentListener)))
        {
            var path = PathOf(endpoint);
            var body = method is "POST" or "PATCH" or "PUT" ? "{}" : null;
            using (var anonymous = await api.SendAsync(new HttpMethod(method), path, null, body))
            {
                Assert.That(anonymous.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), $"{method} {path} without a token");
            }

            foreach (var role in Enum.GetValues<Role>())
            {
                using var response = await api.SendAsync(new HttpMethod(method), path, tokens[role], body);
                var text = await response.Content.ReadAsStringAsync();
                var what = $"{method} {endpoint.RoutePattern.RawText} as {role}: {text}";
                if (access is EndpointAccess.Requires { Permission: var permission } && RbacMatrix.ScopeOf(role, permission) == Scope.None)
                {
                    Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), what);
                    using var error = JsonDocument.Parse(text);
                    Assert.That(error.RootElement.GetProperty("error").GetProperty("code").GetString(), Is.EqualTo("permission_denied"), what);
                    Assert.That(error.RootElement.GetProperty("error").GetProperty("details").GetProperty("required").GetString(), Is.EqualTo(RbacMatrix.NameOf(permission)), what);
                }
                else
                {
                    Assert.That(response.StatusCode, Is.Not.EqualTo(HttpStatusCode.Forbidden).And.Not.EqualTo(HttpStatusCode.Unauthorized), what);
                    Assert.That((int)response.StatusCode, Is.LessThan(500), what);
                }

                checkedCells++;
            }
        }

        Assert.That(checkedCells, Is.GreaterThanOrEqualTo(4 * 12));
    }

    [Test]
    public void DocsRbacTable_MatchesTheMatrixInCode()
    {
        var lines = File.ReadAllLines(Path.Combine(Otherix.Testing.RepoLayout.Root, "docs", "api.md"));
        var start = Array.FindIndex(lines, l => l.StartsWith("| Permission | admin | operator | developer | viewer |", StringComparison.Ordinal));
        Assert.That(start, Is.GreaterThanOrEqualTo(0), "docs/api.md has the RBAC table");
        var documented = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var line in lines.Skip(start + 2).TakeWhile(l => l.StartsWith('|')))
        {
            var cells = line.Trim('|').Split('|').Select(c => c.Trim().Trim('`')).ToArray();
            documented[cells[0]] = cells[1..];
        }

        foreach (var permission in RbacMatrix.All)
        {
            var name = RbacMatrix.NameOf(permission);
            Assert.That(documented.ContainsKey(name), Is.True, $"{name} is documented");
            var expected = Enum.GetValues<Role>().Select(r => RbacMatrix.ScopeOf(r, permission) switch { Scope.Any => "any", Scope.Own => "own", _ => "–" });
            Assert.That(documented[name], Is.EqualTo(expected), name);
        }

        Assert.That(documented.Keys, Has.Count.EqualTo(RbacMatrix.All.Count), "no permission is documented that the code lacks");
    }

    [Test]
    public void Matrix_MatchesReferenceCellsThatMatterNow()
    {
        Assert.Multiple(() =>
        {
            Assert.That(RbacMatrix.NameOf(Permission.ApiTokenManage), Is.EqualTo("api_token:manage"));
            Assert.That(RbacMatrix.NameOf(Permission.StoragePoolScan), Is.EqualTo("storage_pool:scan"));
            Assert.That(RbacMatrix.ScopeOf(Role.Viewer, Permission.ApiTokenManage), Is.EqualTo(Scope.Own));
            Assert.That(RbacMatrix.ScopeOf(Role.Operator, Permission.UserRead), Is.EqualTo(Scope.Any));
            Assert.That(RbacMatrix.ScopeOf(Role.Operator, Permission.UserManage), Is.EqualTo(Scope.None));
            Assert.That(RbacMatrix.ScopeOf(Role.Developer, Permission.TaskRead), Is.EqualTo(Scope.Own));
            Assert.That(RbacMatrix.ScopeOf(Role.Viewer, Permission.TaskCancel), Is.EqualTo(Scope.None));
        });
    }
}
