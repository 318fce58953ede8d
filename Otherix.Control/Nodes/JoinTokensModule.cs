using Otherix.Api.Configuration;
using Carter;
using Otherix.Api.Common;
using Otherix.Api.Errors;
using Otherix.Api.Nodes;
using Otherix.Control.Auth;
using Otherix.Control.Http;
using Otherix.Control.Pki;
using Otherix.Control.Store;
using Otherix.Control.Users;

namespace Otherix.Control.Nodes;

/// <summary>
/// Join tokens (<c>/v1/nodes/join-tokens</c>, admins) and their redemption (<c>POST /v1/nodes/join</c>,
/// agent listener only): a token plus a CSR buys a node certificate signed by the cluster CA.
/// </summary>
public sealed class JoinTokensModule : ICarterModule
{
    /// <summary>The prefix of join token secrets.</summary>
    public const string TokenPrefix = "otx_join_";

    /// <inheritdoc />
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        var tokens = app.MapGroup("/v1/nodes/join-tokens").WithTags("nodes").RequirePermission(Permission.NodeManage);
        tokens.MapPost("/", CreateAsync).Accepts<CreateJoinTokenRequest>("application/json").Produces<CreatedJoinToken>(StatusCodes.Status201Created)
            .WithSummary("Mint a join token; the secret is shown only in this answer, with the CA fingerprint agents must pin.");
        tokens.MapGet("/", List).Produces<ListResponse<JoinToken>>().WithSummary("List join tokens (include_expired=true for expired and revoked ones).");
        tokens.MapDelete("/{id}", Revoke).Produces(StatusCodes.Status204NoContent).WithSummary("Revoke a join token.");
        tokens.MapGet("/{id}/consumptions", Consumptions).Produces<ListResponse<JoinConsumption>>().WithSummary("Which nodes used a join token.");

        app.MapPost("/v1/nodes/join", JoinAsync).OnAgentListener().WithTags("nodes").Accepts<JoinNodeRequest>("application/json").Produces<JoinNodeResponse>(StatusCodes.Status201Created)
            .WithSummary("Agent listener only: redeem a join token and a CSR for a node certificate.");
    }

    private static async Task<IResult> CreateAsync(HttpContext context, IStateStore store, ClusterCa ca, TimeProvider time)
    {
        var request = await RequestBody.ReadAsync<CreateJoinTokenRequest>(context.Request);
        var ttl = request.TtlSeconds ?? 3600;
        var maxUses = request.MaxUses ?? (request.NodeName is null ? 0 : 1);
        UserRules.Require(
            ("node_name", request.NodeName is null ? null : NodeNames.Check(request.NodeName)),
            ("ttl_seconds", ttl is < 60 or > 86400 ? "must be between 60 (1m) and 86400 (24h)" : null),
            ("max_uses", maxUses < 0 ? "must not be negative (0 means unlimited)" : request.NodeName is not null && maxUses != 1 ? "must be 1 for a token bound to a node name" : null));
        var now = time.GetUtcNow();
        var secret = TokenPrefix + Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var record = new JoinTokenRecord
        {
            Id = Ids.New(now),
            Hash = ApiTokenSecrets.HashOf(secret),
            NodeName = request.NodeName,
            ExpiresAt = (now + TimeSpan.FromSeconds(ttl)).UtcDateTime,
            MaxUses = maxUses,
            CreatedBy = context.Caller().UserId,
            CreatedAt = now.UtcDateTime,
        };
        store.JoinTokens.Insert(record);
        return Results.Created(
            $"/v1/nodes/join-tokens/{record.Id}",
            new CreatedJoinToken(record.Id, record.NodeName, UserMapping.Utc(record.ExpiresAt)!.Value, maxUses, now, secret, ca.Fingerprint));
    }

    private static IResult List(HttpContext context, IStateStore store, TimeProvider time)
    {
        var paging = Paging.From(context.Request);
        var includeExpired = context.Request.Query["include_expired"].FirstOrDefault() switch
        {
            null or "false" => false,
            "true" => true,
            _ => throw ApiException.Validation("include_expired must be true or false"),
        };
        return Results.Ok(Paging.Response(store.JoinTokens.List(includeExpired, time.GetUtcNow().UtcDateTime, paging.After, paging.Limit), NodeMapping.ToApi));
    }

    private static IResult Revoke(string id, IStateStore store, TimeProvider time) =>
        store.JoinTokens.Revoke(UsersModule.ParseId(id, "join token"), time.GetUtcNow().UtcDateTime) ? Results.NoContent() : throw ApiException.NotFound($"join token {id}");

    private static IResult Consumptions(string id, HttpContext context, IStateStore store)
    {
        var tokenId = UsersModule.ParseId(id, "join token");
        _ = store.JoinTokens.Find(tokenId) ?? throw ApiException.NotFound($"join token {id}");
        var paging = Paging.From(context.Request);
        return Results.Ok(Paging.Response(store.JoinTokens.Consumptions(tokenId, paging.After, paging.Limit), NodeMapping.ToApi));
    }

    private static async Task<IResult> JoinAsync(HttpContext context, IStateStore store, ClusterCa ca, CertificateIssuer issuer, TimeProvider time)
    {
        var request = await RequestBody.ReadAsync<JoinNodeRequest>(context.Request);
        UserRules.Require(
            ("token", string.IsNullOrEmpty(request.Token) ? "is required" : null),
            ("csr_pem", string.IsNullOrEmpty(request.CsrPem) ? "is required" : request.CsrPem.Length > 16 * 1024 ? "is too long" : null),
            ("node_name", NodeNames.Check(request.NodeName)),
            ("architecture", request.Architecture is "amd64" or "arm64" ? null : "must be amd64 or arm64"),
            ("advertised_endpoint", ListenEndpoint(request.AdvertisedEndpoint)));
        System.Security.Cryptography.X509Certificates.X509Certificate2 certificate;
        try
        {
            certificate = issuer.IssueNode(request.CsrPem!, request.NodeName!);
        }
        catch (CsrRejectedException e)
        {
            throw ApiException.InvalidFields(new Dictionary<string, string> { ["csr_pem"] = e.Message });
        }

        using (certificate)
        {
            var now = time.GetUtcNow().UtcDateTime;
            var node = new NodeRecord
            {
                Id = Ids.New(time.GetUtcNow()),
                Name = request.NodeName!,
                Architecture = request.Architecture!,
                AdvertisedEndpoint = request.AdvertisedEndpoint!,
                Status = NodeStatus.Pending,
                CertFingerprint = Otherix.Api.Security.ClusterTrust.Fingerprint(certificate),
                CertSerial = certificate.SerialNumber,
                CertNotAfter = certificate.NotAfter.ToUniversalTime(),
                CreatedAt = now,
                UpdatedAt = now,
            };
            var outcome = store.JoinTokens.Redeem(new JoinRequest(ApiTokenSecrets.HashOf(request.Token!), node, context.Connection.RemoteIpAddress?.ToString(), now));
            return outcome switch
            {
                RedeemOutcome.Joined => Results.Created($"/v1/nodes/{node.Name}", new JoinNodeResponse(node.Id, certificate.ExportCertificatePem(), ca.Pem)),
                RedeemOutcome.Expired => throw new ApiException(StatusCodes.Status401Unauthorized, ErrorCodes.TokenExpired, "join token expired; mint a new one (otherix node join-token create)"),
                RedeemOutcome.Exhausted => throw new ApiException(StatusCodes.Status401Unauthorized, ErrorCodes.TokenExhausted, "join token has no uses left; mint a new one"),
                RedeemOutcome.NameMismatch => throw ApiException.InvalidFields(new Dictionary<string, string> { ["node_name"] = "this join token is bound to another node name" }),
                RedeemOutcome.NodeExists => throw ApiException.Conflict("node_exists", $"node {node.Name} is already a member; to re-bootstrap it, mint a token bound to its name (--node-name {node.Name})"),
                _ => throw new ApiException(StatusCodes.Status401Unauthorized, ErrorCodes.Unauthenticated, "unknown or revoked join token"),
            };
        }
    }

    private static string? ListenEndpoint(string? endpoint) =>
        endpoint is null or "" ? "is required"
        : endpoint.Length > 2048 ? "is too long"
        : ListenAddress.TryParse(endpoint, out _) ? null
        : "must be host:port";
}

/// <summary>Node name rules: a resource name, and not one of the words the node routes use.</summary>
public static class NodeNames
{
    private static readonly HashSet<string> Reserved = ["join", "join-tokens"];

    /// <summary>Null when <paramref name="name"/> may name a node, else why not.</summary>
    public static string? Check(string? name) =>
        Names.CheckResourceName(name) ?? (Reserved.Contains(name!) ? $"\"{name}\" is reserved" : null);
}
