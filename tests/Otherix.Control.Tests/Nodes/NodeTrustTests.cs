using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Otherix.Api.Auth;
using Otherix.Api.Json;
using Otherix.Api.Nodes;
using Otherix.Api.Security;
using Otherix.Control.Nodes;

namespace Otherix.Control.Tests.Nodes;

/// <summary>Join, certificates and heartbeats over the real TLS listener.</summary>
public sealed class NodeTrustTests
{
    private static readonly DateTimeOffset Start = DateTimeOffset.UtcNow;

    [Test]
    public async Task Ca_IsServedOnBothListeners_AndTheReplicaCertificateChainsToIt()
    {
        await using var api = await TestApi.StartAsync(c => c with { CpCert = c.CpCert with { AdditionalSans = ["host.lima.internal", "10.9.8.7"] } }, kestrel: true);
        using var agent = NodeTestKit.AgentClient(api);

        var onPublic = await TestApi.ReadAsync<CaInfo>(await api.GetAsync("/v1/ca", null));
        var onAgent = await agent.GetFromJsonAsync<CaInfo>("/v1/ca", ApiJson.Options);
        using var ca = X509Certificate2.CreateFromPem(onPublic.CertPem);
        var replica = Path.Combine(api.DataDir, "certs", "cp-cert.crt");
        var caFile = Path.Combine(api.DataDir, "ca", "cluster-ca.crt");
        var verify = await Otherix.Testing.CommandRunner.RunAsync("openssl", ["verify", "-CAfile", caFile, replica], TimeSpan.FromSeconds(10));
        var text = await Otherix.Testing.CommandRunner.RunAsync("openssl", ["x509", "-in", replica, "-noout", "-subject", "-ext", "subjectAltName,extendedKeyUsage"], TimeSpan.FromSeconds(10));

        Assert.That(onAgent, Is.EqualTo(onPublic));
        Assert.That(onPublic.Fingerprint, Does.Match("^sha256:[0-9a-f]{64}$"));
        Assert.That(onPublic.Fingerprint, Is.EqualTo("sha256:" + Convert.ToHexStringLower(SHA256.HashData(ca.RawData))));
        Assert.That(ca.Subject, Is.EqualTo("CN=otherix-cluster-ca"));
        Assert.That(ca.PublicKey.GetECDsaPublicKey()!.KeySize, Is.EqualTo(384));
        Assert.That(ca.NotAfter - ca.NotBefore, Is.GreaterThan(TimeSpan.FromDays(3640)));
        Assert.That(verify.ExitCode, Is.Zero, verify.StandardError + verify.StandardOutput);
        Assert.That(text.StandardOutput, Does.Contain("CN = otherix-cp-replica").And.Contain("DNS:localhost").And.Contain("IP Address:127.0.0.1")
            .And.Contain("IP Address:0:0:0:0:0:0:0:1").And.Contain($"DNS:{Dns.GetHostName()}").And.Contain("DNS:host.lima.internal").And.Contain("IP Address:10.9.8.7")
            .And.Contain("TLS Web Server Authentication").And.Contain("TLS Web Client Authentication"));
        Assert.That(File.GetUnixFileMode(Path.Combine(api.DataDir, "ca", "cluster-ca.key")), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        Assert.That(File.GetUnixFileMode(Path.Combine(api.DataDir, "certs", "cp-cert.key")), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
    }

    [Test]
    public async Task Restart_ReusesTheCaAndReplicaCertificate_AndAForeignCaStopsStartUp()
    {
        using var dir = new Otherix.Testing.TempDirectory("otx-api-");
        string caBefore;
        string replicaBefore;
        await using (var first = await TestApi.StartAsync(dataDir: dir.Path))
        {
            caBefore = await File.ReadAllTextAsync(Path.Combine(dir.Path, "ca", "cluster-ca.crt"));
            replicaBefore = await File.ReadAllTextAsync(Path.Combine(dir.Path, "certs", "cp-cert.crt"));
        }

        await using (var second = await TestApi.StartAsync(dataDir: dir.Path))
        {
            Assert.That(await File.ReadAllTextAsync(Path.Combine(dir.Path, "ca", "cluster-ca.crt")), Is.EqualTo(caBefore));
            Assert.That(await File.ReadAllTextAsync(Path.Combine(dir.Path, "certs", "cp-cert.crt")), Is.EqualTo(replicaBefore));
        }

        // Another cluster's CA files put in place of ours.
        using var other = new Otherix.Testing.TempDirectory("otx-api-");
        await using (await TestApi.StartAsync(dataDir: other.Path))
        {
        }

        File.Copy(Path.Combine(other.Path, "ca", "cluster-ca.crt"), Path.Combine(dir.Path, "ca", "cluster-ca.crt"), overwrite: true);
        File.Copy(Path.Combine(other.Path, "ca", "cluster-ca.key"), Path.Combine(dir.Path, "ca", "cluster-ca.key"), overwrite: true);
        var e = Assert.ThrowsAsync<InvalidOperationException>(async () => await TestApi.StartAsync(dataDir: dir.Path))!;
        Assert.That(e.Message, Does.Contain("is not the one this cluster's store recorded"));
    }

    [Test]
    public async Task Join_IssuesOurSubjectNotTheCsrs_AndTheCertificateVerifiesWithOpenssl()
    {
        await using var api = await TestApi.StartAsync(kestrel: true);
        var token = await NodeTestKit.MintAsync(api, new { node_name = "node-a" });
        using var agent = NodeTestKit.AgentClient(api);
        var (_, csr) = NodeTestKit.NewCsr("CN=otherix-cp-replica, O=evil");

        using var response = await NodeTestKit.JoinAsync(agent, token.Token, csr, "node-a");
        var joined = await TestApi.ReadAsync<JoinNodeResponse>(response);
        var certPath = Path.Combine(api.DataDir, "node-a.crt");
        await File.WriteAllTextAsync(certPath, joined.CertPem);
        var verify = await Otherix.Testing.CommandRunner.RunAsync("openssl", ["verify", "-CAfile", Path.Combine(api.DataDir, "ca", "cluster-ca.crt"), certPath], TimeSpan.FromSeconds(10));
        using var certificate = X509Certificate2.CreateFromPem(joined.CertPem);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(token.Token, Does.StartWith("otx_join_"));
        Assert.That(token.CaFingerprint, Does.Match("^sha256:[0-9a-f]{64}$"));
        Assert.That(verify.ExitCode, Is.Zero, verify.StandardError);
        Assert.That(certificate.Subject, Is.EqualTo("CN=node-node-a"));
        Assert.That(certificate.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority, Is.False);
        Assert.That(joined.CaCertPem.Trim(), Is.EqualTo(api.App.Services.GetRequiredService<Pki.ClusterCa>().Pem.Trim()));
    }

    [Test]
    public async Task SingleUseToken_RacedByEightAgents_JoinsExactlyOne()
    {
        await using var api = await TestApi.StartAsync(kestrel: true);
        var token = await NodeTestKit.MintAsync(api, new { node_name = "racer" });
        using var agent = NodeTestKit.AgentClient(api);

        var statuses = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            using var response = await NodeTestKit.JoinAsync(agent, token.Token, NodeTestKit.NewCsr().Csr, "racer");
            return response.StatusCode;
        }));

        Assert.That(statuses.Count(s => s == HttpStatusCode.Created), Is.EqualTo(1));
        Assert.That(statuses.Where(s => s != HttpStatusCode.Created), Is.All.EqualTo(HttpStatusCode.Unauthorized));
        var consumptions = await TestApi.ReadAsync<Otherix.Api.Common.ListResponse<JoinConsumption>>(
            await api.GetAsync($"/v1/nodes/join-tokens/{token.Id}/consumptions", await api.TokenForAsync(Role.Admin)));
        Assert.That(consumptions.Data.Single().NodeName, Is.EqualTo("racer"));
    }

    [Test]
    public async Task Join_RefusesExpiredExhaustedRevokedUnknownMismatchedAndDuplicateTokens()
    {
        var time = new FakeTimeProvider(Start);
        await using var api = await TestApi.StartAsync(time: time, kestrel: true);
        using var agent = NodeTestKit.AgentClient(api);
        var admin = await api.TokenForAsync(Role.Admin);

        var expiring = await NodeTestKit.MintAsync(api, new { ttl_seconds = 60 });
        time.Advance(TimeSpan.FromSeconds(61));
        await TestApi.ExpectErrorAsync(await NodeTestKit.JoinAsync(agent, expiring.Token, NodeTestKit.NewCsr().Csr, "n1"), HttpStatusCode.Unauthorized, "token_expired");

        var twice = await NodeTestKit.MintAsync(api, new { max_uses = 1 });
        Assert.That((await NodeTestKit.JoinAsync(agent, twice.Token, NodeTestKit.NewCsr().Csr, "n2")).StatusCode, Is.EqualTo(HttpStatusCode.Created));
        await TestApi.ExpectErrorAsync(await NodeTestKit.JoinAsync(agent, twice.Token, NodeTestKit.NewCsr().Csr, "n3"), HttpStatusCode.Unauthorized, "token_exhausted");

        var revoked = await NodeTestKit.MintAsync(api, new { });
        (await api.SendAsync(HttpMethod.Delete, $"/v1/nodes/join-tokens/{revoked.Id}", admin)).Dispose();
        await TestApi.ExpectErrorAsync(await NodeTestKit.JoinAsync(agent, revoked.Token, NodeTestKit.NewCsr().Csr, "n4"), HttpStatusCode.Unauthorized, "unauthenticated");
        await TestApi.ExpectErrorAsync(await NodeTestKit.JoinAsync(agent, "otx_join_nonsense", NodeTestKit.NewCsr().Csr, "n4"), HttpStatusCode.Unauthorized, "unauthenticated");

        var bound = await NodeTestKit.MintAsync(api, new { node_name = "n5" });
        await TestApi.ExpectErrorAsync(await NodeTestKit.JoinAsync(agent, bound.Token, NodeTestKit.NewCsr().Csr, "n6"), HttpStatusCode.BadRequest, "validation_failed");

        var unbound = await NodeTestKit.MintAsync(api, new { });
        var duplicate = await TestApi.ExpectErrorAsync(await NodeTestKit.JoinAsync(agent, unbound.Token, NodeTestKit.NewCsr().Csr, "n2"), HttpStatusCode.Conflict, "conflict");
        Assert.That(duplicate.GetProperty("details").GetProperty("reason").GetString(), Is.EqualTo("node_exists"));
    }

    [Test]
    public async Task HostileCsrs_AreRefused()
    {
        await using var api = await TestApi.StartAsync(kestrel: true);
        using var agent = NodeTestKit.AgentClient(api);
        var token = await NodeTestKit.MintAsync(api, new { });

        using var rsa = RSA.Create(1024);
        var weak = new CertificateRequest("CN=x", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSigningRequestPem();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var caRequest = new CertificateRequest("CN=x", key, HashAlgorithmName.SHA384);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        var asksForCa = caRequest.CreateSigningRequestPem();
        var signingRequest = new CertificateRequest("CN=x", key, HashAlgorithmName.SHA384);
        signingRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        var asksToSign = signingRequest.CreateSigningRequestPem();
        var good = NodeTestKit.NewCsr().Csr;
        var der = Convert.FromBase64String(string.Concat(good.Split('\n').Where(l => !l.StartsWith("-----", StringComparison.Ordinal))));
        der[^5] ^= 0xFF; // corrupt the signature
        var badSignature = PemEncoding.WriteString("CERTIFICATE REQUEST", der);
        using var p521 = ECDsa.Create(ECCurve.NamedCurves.nistP521);
        var oddCurve = new CertificateRequest("CN=x", p521, HashAlgorithmName.SHA512).CreateSigningRequestPem();

        foreach (var (csr, what) in new[] { (weak, "RSA 1024"), (asksForCa, "CA:TRUE"), (asksToSign, "keyCertSign"), (badSignature, "bad signature"), (oddCurve, "P-521"), ("not a csr", "garbage") })
        {
            using var response = await NodeTestKit.JoinAsync(agent, token.Token, csr, "hostile");
            var error = await TestApi.ExpectErrorAsync(response, HttpStatusCode.BadRequest, "validation_failed");
            Assert.That(error.GetProperty("details").GetProperty("fields").TryGetProperty("csr_pem", out _), Is.True, what);
        }

        Assert.That(api.Store.Nodes.FindByName("hostile"), Is.Null, "nothing was registered");
    }

    [Test]
    public async Task Listeners_ServeOnlyTheirOwnRoutes()
    {
        await using var api = await TestApi.StartAsync(kestrel: true);
        using var agent = NodeTestKit.AgentClient(api);
        var token = await NodeTestKit.MintAsync(api, new { });

        await TestApi.ExpectErrorAsync(await api.PostAsync("/v1/nodes/join", new { token = token.Token }), HttpStatusCode.NotFound, "not_found");
        await TestApi.ExpectErrorAsync(await agent.GetAsync(new Uri("/v1/users/me", UriKind.Relative)), HttpStatusCode.NotFound, "not_found");
        Assert.That((await agent.GetAsync(new Uri("/healthz", UriKind.Relative))).StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Heartbeat_RequiresTheNodesOwnCertificate()
    {
        await using var api = await TestApi.StartAsync(kestrel: true);
        using var a = await NodeTestKit.JoinNodeAsync(api, "node-a");
        using var b = await NodeTestKit.JoinNodeAsync(api, "node-b");
        using var selfKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var selfRequest = new CertificateRequest("CN=node-node-a", selfKey, HashAlgorithmName.SHA384);
        selfRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ClusterTrust.ClientAuth)], false));
        using var selfSigned = selfRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1));

        var none = Assert.ThrowsAsync<RpcException>(() => NodeTestKit.HeartbeatAsync(api, null, "node-a"))!;
        var impersonation = Assert.ThrowsAsync<RpcException>(() => NodeTestKit.HeartbeatAsync(api, b, "node-a"))!;
        Assert.CatchAsync(() => NodeTestKit.HeartbeatAsync(api, selfSigned, "node-a"), "a self-signed certificate fails the TLS handshake");
        var accepted = await NodeTestKit.HeartbeatAsync(api, a, "node-a");

        Assert.That(none.StatusCode, Is.EqualTo(StatusCode.Unauthenticated));
        Assert.That(impersonation.StatusCode, Is.EqualTo(StatusCode.PermissionDenied));
        Assert.That(accepted.HeartbeatIntervalSeconds, Is.EqualTo(30));
        Assert.That(api.Store.Nodes.FindByName("node-a")!.Status, Is.EqualTo(Otherix.Control.Store.NodeStatus.Ready));
        Assert.That(api.Store.Nodes.FindByName("node-b")!.Status, Is.EqualTo(Otherix.Control.Store.NodeStatus.Pending));

        (await api.SendAsync(HttpMethod.Delete, "/v1/nodes/node-a", await api.TokenForAsync(Role.Admin))).Dispose();
        var deleted = Assert.ThrowsAsync<RpcException>(() => NodeTestKit.HeartbeatAsync(api, a, "node-a"))!;
        Assert.That(deleted.StatusCode, Is.EqualTo(StatusCode.Unauthenticated));
    }

    [Test]
    public async Task Node_GoesPendingReadyUnreachableReady_WithTheClock()
    {
        var time = new FakeTimeProvider(Start);
        await using var api = await TestApi.StartAsync(
            c => c with { Workers = c.Workers with { Heartbeat = new() { Interval = TimeSpan.FromSeconds(15), StaleThreshold = TimeSpan.FromSeconds(45) } } }, time, kestrel: true);
        using var cert = await NodeTestKit.JoinNodeAsync(api, "node-a");
        var liveness = api.App.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<NodeLivenessWorker>().Single();
        var admin = await api.TokenForAsync(Role.Admin);
        async Task<string> StatusAsync() => (await TestApi.ReadAsync<Node>(await api.GetAsync("/v1/nodes/node-a", admin))).Status;

        Assert.That(await StatusAsync(), Is.EqualTo("pending"));
        await NodeTestKit.HeartbeatAsync(api, cert, "node-a");
        Assert.That(await StatusAsync(), Is.EqualTo("ready"));
        time.Advance(TimeSpan.FromSeconds(44));
        liveness.Check();
        Assert.That(await StatusAsync(), Is.EqualTo("ready"));
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.That(liveness.Check(), Is.EqualTo(new[] { "node-a" }));
        Assert.That(await StatusAsync(), Is.EqualTo("unreachable"));
        await NodeTestKit.HeartbeatAsync(api, cert, "node-a");
        Assert.That(await StatusAsync(), Is.EqualTo("ready"));
    }

    [Test]
    public async Task NodeViews_AreFullForAdminsAndOperators_AndASummaryForOthers()
    {
        await using var api = await TestApi.StartAsync(kestrel: true);
        using var cert = await NodeTestKit.JoinNodeAsync(api, "node-a");
        await NodeTestKit.HeartbeatAsync(api, cert, "node-a");

        foreach (var role in Enum.GetValues<Role>())
        {
            var text = await (await api.GetAsync("/v1/nodes/node-a", await api.TokenForAsync(role))).Content.ReadAsStringAsync();
            var list = await (await api.GetAsync("/v1/nodes?status=ready", await api.TokenForAsync(role))).Content.ReadAsStringAsync();
            var full = role is Role.Admin or Role.Operator;
            Assert.That(text.Contains("\"cpu_cores_total\":8", StringComparison.Ordinal), Is.EqualTo(full), $"{role}: {text}");
            Assert.That(text.Contains("\"migration\":{\"host\":\"10.0.0.7\",\"port_range_start\":49152,\"port_range_end\":49251}", StringComparison.Ordinal), Is.EqualTo(full), $"{role}: {text}");
            Assert.That(list.Contains("\"memory_total_mib\":16384", StringComparison.Ordinal), Is.EqualTo(full), $"{role}: {list}");
            Assert.That(text, Does.Contain("\"status\":\"ready\""));
        }

        await TestApi.ExpectErrorAsync(await api.GetAsync($"/v1/nodes/{Guid.NewGuid()}", await api.TokenForAsync(Role.Viewer)), HttpStatusCode.BadRequest, "validation_failed");
    }

    [Test]
    public async Task Cordon_IsIdempotent_AndForMaintainersOnly()
    {
        await using var api = await TestApi.StartAsync(kestrel: true);
        using var cert = await NodeTestKit.JoinNodeAsync(api, "node-a");
        var operatorToken = await api.TokenForAsync(Role.Operator);

        var first = await TestApi.ReadAsync<Node>(await api.SendAsync(HttpMethod.Post, "/v1/nodes/node-a/cordon", operatorToken));
        var second = await TestApi.ReadAsync<Node>(await api.SendAsync(HttpMethod.Post, "/v1/nodes/node-a/cordon", operatorToken));
        await TestApi.ExpectErrorAsync(await api.SendAsync(HttpMethod.Post, "/v1/nodes/node-a/cordon", await api.TokenForAsync(Role.Developer)), HttpStatusCode.Forbidden, "permission_denied");
        var uncordoned = await TestApi.ReadAsync<Node>(await api.SendAsync(HttpMethod.Post, "/v1/nodes/node-a/uncordon", operatorToken));

        Assert.That(first.Cordoned && second.Cordoned, Is.True);
        Assert.That(second.CordonedAt, Is.EqualTo(first.CordonedAt));
        Assert.That(uncordoned.Cordoned, Is.False);
    }

    [Test]
    public async Task Rebootstrap_WithATokenBoundToTheNode_ReplacesItsCertificate()
    {
        await using var api = await TestApi.StartAsync(kestrel: true);
        using var first = await NodeTestKit.JoinNodeAsync(api, "node-a");
        await NodeTestKit.HeartbeatAsync(api, first, "node-a");
        var id = api.Store.Nodes.FindByName("node-a")!.Id;

        using var second = await NodeTestKit.JoinNodeAsync(api, "node-a");
        var replaced = Assert.ThrowsAsync<RpcException>(() => NodeTestKit.HeartbeatAsync(api, first, "node-a"))!;
        await NodeTestKit.HeartbeatAsync(api, second, "node-a");

        Assert.That(replaced.StatusCode, Is.EqualTo(StatusCode.Unauthenticated));
        Assert.That(api.Store.Nodes.FindByName("node-a")!.Id, Is.EqualTo(id), "same node, new certificate");
    }
}
