using Carter;
using Otherix.Api.Nodes;
using Otherix.Control.Auth;
using Otherix.Control.Users;

namespace Otherix.Control.Pki;

/// <summary><c>GET /v1/ca</c>: the cluster CA certificate and its fingerprint, on both listeners, to anyone.</summary>
public sealed class CaModule : ICarterModule
{
    /// <inheritdoc />
    public void AddRoutes(IEndpointRouteBuilder app) =>
        app.MapGet("/v1/ca", (ClusterCa ca) => Results.Ok(new CaInfo(
                ca.Pem, ca.Fingerprint, UserMapping.Utc(ca.Certificate.NotBefore.ToUniversalTime())!.Value, UserMapping.Utc(ca.Certificate.NotAfter.ToUniversalTime())!.Value)))
            .AllowAnonymousAccess().OnBothListeners().WithTags("cluster").Produces<CaInfo>()
            .WithSummary("The cluster CA (PEM) and its fingerprint sha256:<hex of the DER>, which agents pin when they join.");
}
