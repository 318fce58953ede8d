using System.Collections;
using System.Net;
using System.Text;

namespace Otherix.Cli.Tests;

public sealed class NodeJoinTokenTests
{
    /// <summary>Answers every request with one canned response and remembers the requests.</summary>
    private sealed class CannedHandler(HttpStatusCode status, string body) : HttpMessageHandler
    {
        public List<(HttpRequestMessage Request, string Body)> Seen { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Seen.Add((request, request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken)));
            return new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        }
    }

    private const string Created = """
        {"id":"01a2424c-ec58-730c-9512-3c7687cac0c3","node_name":"node-dev","expires_at":"2026-12-04T19:04:39Z","max_uses":1,
         "created_at":"2026-12-04T18:54:39Z","token":"otx_join_abc","ca_fingerprint":"sha256:b0a9"}
        """;

    private static readonly string NoConfig = CliRunner.NoConfig;

    private static (int Exit, string Out, string Err) Run(string[] args, IDictionary env, HttpMessageHandler? handler = null) => CliRunner.Run(env, handler, args);

    private static Hashtable Env() => CliRunner.Env();

    [Test]
    public void Create_SendsTheTtlInSeconds_AndPrintsTokenFingerprintAndWhatToDoWithThem()
    {
        var handler = new CannedHandler(HttpStatusCode.Created, Created);

        var (exit, output, _) = Run(["node", "join-token", "create", "--node-name", "node-dev", "--ttl", "10m"], Env(), handler);

        Assert.That(exit, Is.Zero);
        Assert.That(handler.Seen.Single().Request.RequestUri!.ToString(), Is.EqualTo("http://127.0.0.1:8080/v1/nodes/join-tokens"));
        Assert.That(handler.Seen.Single().Request.Headers.Authorization!.ToString(), Is.EqualTo("Bearer otx_test"));
        Assert.That(handler.Seen.Single().Body, Does.Contain("\"node_name\":\"node-dev\"").And.Contain("\"ttl_seconds\":600"));
        Assert.That(output, Does.Contain("otx_join_abc").And.Contain("sha256:b0a9").And.Contain("OTHERIX_BOOTSTRAP__TOKEN").And.Contain("OTHERIX_BOOTSTRAP__CA_FINGERPRINT"));
    }

    [Test]
    public void Create_WithOutputJson_PrintsTheApiAnswer()
    {
        var (exit, output, _) = Run(["node", "join-token", "create", "-o", "json"], Env(), new CannedHandler(HttpStatusCode.Created, Created));

        Assert.That(exit, Is.Zero);
        Assert.That(output, Does.Contain("\"token\":\"otx_join_abc\"").And.Contain("\"ca_fingerprint\":\"sha256:b0a9\""));
    }

    [Test]
    public void ApiErrors_ArePrintedWithTheirCode_AndExit1()
    {
        var envelope = """{"error":{"code":"permission_denied","message":"role viewer lacks permission node:manage","details":{"required":"node:manage"}}}""";

        var (exit, _, error) = Run(["node", "join-token", "create"], Env(), new CannedHandler(HttpStatusCode.Forbidden, envelope));

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(error.Trim(), Is.EqualTo("error: api_error: permission_denied: role viewer lacks permission node:manage"));
    }

    [TestCase("0s")]
    [TestCase("25h")]
    [TestCase("soon")]
    public void Create_WithATtlOutOfRange_IsAUsageError(string ttl)
    {
        var (exit, _, error) = Run(["node", "join-token", "create", "--ttl", ttl], Env());

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(error, Does.Contain("--ttl"));
    }

    [Test]
    public void NoEndpointOrToken_SaysWhereTheyComeFrom()
    {
        var (noEndpoint, _, endpointError) = Run(["node", "join-token", "create"], new Hashtable { ["OTHERIX_CONFIG"] = NoConfig });
        var (noToken, _, tokenError) = Run(["node", "join-token", "create"], new Hashtable { ["OTHERIX_SERVER"] = "http://127.0.0.1:8080", ["OTHERIX_CONFIG"] = NoConfig });

        Assert.That(noEndpoint, Is.EqualTo(1));
        Assert.That(endpointError, Does.Contain("OTHERIX_SERVER"));
        Assert.That(noToken, Is.EqualTo(1));
        Assert.That(tokenError, Does.Contain("OTHERIX_API_TOKEN"));
    }

    [Test]
    public void NothingListening_IsConnectionRefused()
    {
        var (exit, _, error) = Run(["node", "join-token", "create", "--endpoint", "http://127.0.0.1:1", "--token", "x"], new Hashtable { ["OTHERIX_CONFIG"] = NoConfig });

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(error, Does.StartWith("error: connection_refused:"));
    }
}
