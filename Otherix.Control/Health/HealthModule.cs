using Carter;
using Otherix.Control.Auth;
using Otherix.Control.Store;

namespace Otherix.Control.Health;

/// <summary>Probes, outside <c>/v1</c>: <c>/healthz</c> (the process answers) and <c>/readyz</c> (the store can be read).</summary>
public sealed class HealthModule : ICarterModule
{
    /// <inheritdoc />
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => Results.Text("ok\n")).AllowAnonymousAccess().OnBothListeners().ExcludeFromDescription();
        app.MapGet("/readyz", (IStateStore store) => store.IsReadable()
                ? Results.Json(new ReadyResponse("ready", new Dictionary<string, string> { ["database"] = "ok" }))
                : Results.Json(new ReadyResponse("not_ready", new Dictionary<string, string> { ["database"] = "unreadable" }), statusCode: StatusCodes.Status503ServiceUnavailable))
            .AllowAnonymousAccess().ExcludeFromDescription();
    }

    /// <summary>Readiness with one entry per check.</summary>
    public sealed record ReadyResponse(string Status, IReadOnlyDictionary<string, string> Checks);
}
