using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Otherix.Api.Auth;
using Otherix.Api.Grpc;
using Otherix.Api.Json;
using Otherix.Api.Nodes;
using Otherix.Api.Security;

namespace Otherix.Control.Tests.Nodes;

/// <summary>Playing an agent against an in-process control plane on real TLS: join, heartbeat.</summary>
internal static class NodeTestKit
{
    /// <summary>An HTTP client for the agent listener, trusting the cluster CA, presenting <paramref name="clientCertificate"/> if given.</summary>
    internal static HttpClient AgentClient(TestApi api, X509Certificate2? clientCertificate = null) =>
        new(AgentHandler(api, clientCertificate)) { BaseAddress = api.AgentUrl };

    internal static SocketsHttpHandler AgentHandler(TestApi api, X509Certificate2? clientCertificate)
    {
        var ca = api.App.Services.GetRequiredService<Pki.ClusterCa>().Certificate;
        return new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = clientCertificate is null ? null : [clientCertificate],
                RemoteCertificateValidationCallback = (_, cert, _, _) => cert is X509Certificate2 c && ClusterTrust.CheckChain(c, ca, ClusterTrust.ServerAuth) is null,
            },
        };
    }

    internal static async Task<CreatedJoinToken> MintAsync(TestApi api, object body)
    {
        using var response = await api.PostAsync("/v1/nodes/join-tokens", body, await api.TokenForAsync(Role.Admin));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
        return await TestApi.ReadAsync<CreatedJoinToken>(response);
    }

    internal static (ECDsa Key, string Csr) NewCsr(string subject = "CN=whatever")
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        return (key, new CertificateRequest(subject, key, HashAlgorithmName.SHA384).CreateSigningRequestPem());
    }

    internal static Task<HttpResponseMessage> JoinAsync(HttpClient agent, string token, string csr, string node) =>
        agent.PostAsJsonAsync("/v1/nodes/join", new { token, csr_pem = csr, node_name = node, architecture = "amd64", advertised_endpoint = "127.0.0.1:9443" }, ApiJson.Options);

    /// <summary>Joins <paramref name="node"/> and returns its certificate with key.</summary>
    internal static async Task<X509Certificate2> JoinNodeAsync(TestApi api, string node)
    {
        var token = await MintAsync(api, new { node_name = node });
        var (key, csr) = NewCsr();
        using var agent = AgentClient(api);
        using var response = await JoinAsync(agent, token.Token, csr, node);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
        var joined = await TestApi.ReadAsync<JoinNodeResponse>(response);
        using var certificate = X509Certificate2.CreateFromPem(joined.CertPem);
        using var withKey = certificate.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    internal static async Task<HeartbeatResponse> HeartbeatAsync(TestApi api, X509Certificate2? certificate, string node, params PoolReport[] pools)
    {
        using var channel = GrpcChannel.ForAddress(api.AgentUrl, new GrpcChannelOptions { HttpHandler = AgentHandler(api, certificate) });
        return await new Otherix.Api.Grpc.ControlPlane.ControlPlaneClient(channel).HeartbeatAsync(new HeartbeatRequest
        {
            NodeName = node,
            AgentVersion = "test",
            Architecture = "amd64",
            Capabilities = new Capabilities { CpuCoresTotal = 8, MemoryTotalMib = 16384, Acceleration = "tcg" },
            Resources = new Resources { CpuCoresAvailable = 6, MemoryAvailableMib = 8000 },
            Pools = { pools },
            Migration = new Migration { Host = "10.0.0.7", PortRangeStart = 49152, PortRangeEnd = 49251 },
        });
    }
}
