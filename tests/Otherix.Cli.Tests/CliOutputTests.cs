using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Otherix.Api.Common;
using Otherix.Api.Json;
using Otherix.Api.Pools;
using Otherix.Api.Vms;

namespace Otherix.Cli.Tests;

/// <summary>Every output format of the VM and pool commands, exact text; and every class of transport error.</summary>
public sealed class CliOutputTests
{
    private static readonly Guid VmId = Guid.Parse("01a2424c-0000-7000-8000-000000000001");
    private static readonly DateTimeOffset Created = new(2026, 12, 4, 18, 0, 0, TimeSpan.Zero);

    private static readonly Vm DemoVm = new(
        VmId, "demo-vm", Guid.Parse("01a2424c-0000-7000-8000-0000000000aa"), "http://127.0.0.1:9/images/debian-12.qcow2", "qcow2", null, "default", "node-a", "amd64",
        2, 2048, null, new VmStatusView("running", null, null), "running", null, Created, Created);

    private static StoragePool Pool(string node, string path, string suffix) => new(
        Guid.Parse($"01a2424c-0000-7000-8000-0000000000{suffix}"), "fast", node, "local_dir", path, "ready", null, 100L << 30, 80L << 30, node == "node-a" ? 70L << 30 : 80L << 30, Created, false,
        [new PoolImage("debian-12.qcow2", "ab12", 300L << 20)], Created, Created);

    /// <summary>Answers GETs by path and query from a table; remembers nothing else.</summary>
    private sealed class Router(Dictionary<string, object> answers) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var found = answers.TryGetValue(request.RequestUri!.PathAndQuery, out var body);
            return Task.FromResult(new HttpResponseMessage(found ? HttpStatusCode.OK : HttpStatusCode.NotFound)
            {
                Content = new StringContent(found ? body as string ?? Json(body!) : """{"error":{"code":"vm_not_found","message":"VM nope not found"}}""", Encoding.UTF8, "application/json"),
            });
        }
    }

    private static string Json(object value) => JsonSerializer.Serialize(value, value.GetType(), ApiJson.Options);

    private static readonly Dictionary<string, object> Answers = new()
    {
        ["/v1/vms/demo-vm"] = DemoVm,
        ["/v1/vms?limit=20"] = new ListResponse<Vm>([DemoVm], new ListMeta("c-next")),
        ["/v1/storage-pools/fast"] = new PoolConceptView("fast", "local_dir", false, [Pool("node-a", "/srv/pools/fast", "b1"), Pool("node-b", "/srv/pools/fast", "b2")]),
        ["/v1/storage-pools?limit=1&cursor=c-1"] = new ListResponse<StoragePool>([Pool("node-b", "/srv/b", "b2")], new ListMeta("c-2")),
        ["/v1/nodes/node-a"] = """{"name":"node-a","cpu_cores_available":6,"cpu_cores_effective":4,"memory_available_mib":8000,"memory_effective_mib":8000}""",
        ["/v1/storage-pools?limit=20"] = new ListResponse<StoragePool>([Pool("node-a", "/srv/a", "b1"), Pool("node-b", "/srv/b", "b2")], new ListMeta(null)),
    };

    private static (int Exit, string Out, string Err) Run(params string[] args) => RunWith(new Router(Answers), args);

    private static (int Exit, string Out, string Err) RunWith(HttpMessageHandler? handler, params string[] args) => CliRunner.Run(CliRunner.Env(), handler, args);

    [Test]
    public void VmGet_InEveryFormat()
    {
        Assert.That(Run("vm", "get", "demo-vm").Out, Is.EqualTo($"""
            id: {VmId}
            name: demo-vm
            owner_id: 01a2424c-0000-7000-8000-0000000000aa
            image_url: http://127.0.0.1:9/images/debian-12.qcow2
            image_format: qcow2
            pool: default
            node: node-a
            architecture: amd64
            vcpus: 2
            memory_mb: 2048
            status: running
            desired_phase: running
            created_at: 2026-12-04T18:00:00Z
            updated_at: 2026-12-04T18:00:00Z

            """));
        Assert.That(Run("vm", "get", "demo-vm", "-o", "json").Out, Is.EqualTo(Json(DemoVm) + "\n"), "the server's answer, unchanged");
        Assert.That(Run("vm", "get", "demo-vm", "-o", "yaml").Out, Is.EqualTo("""
            apiVersion: otherix/v1
            kind: VM
            metadata:
              name: demo-vm
            spec:
              imageURL: http://127.0.0.1:9/images/debian-12.qcow2
              arch: amd64
              vcpus: 2
              memoryMB: 2048
              pool: default
              node: node-a

            """));
    }

    [Test]
    public void VmList_InEveryFormat()
    {
        var table = """
            NAME     STATUS   POOL     IMAGE
            demo-vm  running  default  debian-12.qcow2
            next_cursor: c-next

            """;
        Assert.That(Run("vm", "list").Out, Is.EqualTo(table));
        Assert.That(Run("vm", "list", "-o", "table").Out, Is.EqualTo(table));
        Assert.That(Run("vm", "list", "--show-ids").Out, Does.StartWith($"ID{new string(' ', 36)}NAME     STATUS   POOL     IMAGE\n{VmId}  demo-vm  running"));
        Assert.That(Run("vm", "list", "-o", "json").Out, Does.StartWith("{\"data\":[{\"id\":").And.EndWith("\"meta\":{\"next_cursor\":\"c-next\"}}\n"));
        Assert.That(Run("vm", "list", "-o", "yaml").Out, Does.StartWith("apiVersion: otherix/v1\nkind: VM\n").And.EndWith("# next_cursor: c-next\n"));
    }

    [Test]
    public void PoolYaml_IsOneNodeListDocumentWhenPathsAgree_ElseOnePerInstance()
    {
        Assert.That(Run("pool", "get", "fast", "-o", "yaml").Out, Is.EqualTo("""
            apiVersion: otherix/v1
            kind: StoragePool
            metadata:
              name: fast
            spec:
              type: local_dir
              path: /srv/pools/fast
              nodeList:
              - node-a
              - node-b

            """));
        Assert.That(Run("pool", "list", "-o", "yaml").Out, Is.EqualTo("""
            apiVersion: otherix/v1
            kind: StoragePool
            metadata:
              name: fast
            spec:
              type: local_dir
              path: /srv/a
              node: node-a
            ---
            apiVersion: otherix/v1
            kind: StoragePool
            metadata:
              name: fast
            spec:
              type: local_dir
              path: /srv/b
              node: node-b

            """));
    }

    [Test]
    public void PoolList_Table_HumanizesSizesAndAges_AndShowsTheEffectiveFreeSpace()
    {
        var output = Run("pool", "list").Out;

        var lines = output.Split('\n');
        Assert.That(lines[0], Does.Match(@"^NAME  NODE    TYPE       PATH    STATUS  AVAILABLE\s+DEFAULT  AGE$"));
        Assert.That(lines[1], Does.StartWith("fast  node-a  local_dir  /srv/a  ready   80.0GiB (effective 70.0GiB free)  "));
        Assert.That(lines[2], Does.Match(@"^fast  node-b  local_dir  /srv/b  ready   80.0GiB\s+\d+[smhd]$"), "no suffix when nothing is pending");
        Assert.That(lines[1], Does.Match(@"\s\d+[smhd]$"), "AGE humanized");
    }

    [Test]
    public void PoolList_Pages_WithIdsOnRequest()
    {
        var output = Run("pool", "list", "--limit", "1", "--cursor", "c-1", "--show-ids").Out;

        Assert.That(output, Does.Match(@"^ID\s+NAME\s+NODE\s+TYPE\s+PATH\s+STATUS\s+AVAILABLE\s+DEFAULT\s+AGE\n01a2424c-0000-7000-8000-0000000000b2  fast  node-b  .*\nnext_cursor: c-2\n$"));
    }

    [Test]
    public void NodeGet_ShowsTheEffectiveFreeFigures_OnlyWhereTheyDiffer()
    {
        Assert.That(Run("node", "get", "node-a").Out, Is.EqualTo("""
            name: node-a
            cpu_cores_available: 6 (effective 4 free)
            memory_available_mib: 8000

            """));
    }

    [Test]
    public void Debug_PrintsEachExchange_NeverTheToken()
    {
        var (exit, _, error) = Run("vm", "get", "demo-vm", "--debug");

        Assert.That(exit, Is.Zero);
        Assert.That(error, Does.Match(@"^debug: GET http://127\.0\.0\.1:8080/v1/vms/demo-vm -> 200 OK in \d+ ms\n$"));
        Assert.That(error, Does.Not.Contain("otx_test"));
    }

    [Test]
    public void ApiError_IsItsCodeAndMessage_Exit1()
    {
        var (exit, output, error) = Run("vm", "get", "nope");

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(output, Is.Empty);
        Assert.That(error, Is.EqualTo("error: api_error: vm_not_found: VM nope not found\n"));
    }

    [Test]
    public void NothingListening_IsConnectionRefused()
    {
        var (exit, _, error) = RunWith(null, "vm", "list", "--endpoint", "http://127.0.0.1:1");

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(error, Does.StartWith("error: connection_refused: http://127.0.0.1:1/: is the control plane running?"));
    }

    [Test]
    public void ABlackHole_IsRequestTimeout_AfterTheRequestTimeout()
    {
        // Accepts connections and never answers.
        using var blackHole = new TcpListener(IPAddress.Loopback, 0);
        blackHole.Start();
        var port = ((IPEndPoint)blackHole.LocalEndpoint).Port;

        var (exit, _, error) = RunWith(null, "vm", "list", "--endpoint", $"http://127.0.0.1:{port}", "--request-timeout", "1s");

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(error, Is.EqualTo($"error: request_timeout: http://127.0.0.1:{port}/ did not answer within 1 s (--request-timeout)\n"));
    }

    [Test]
    public void NotAnApiAnswer_IsRequestFailed_WithoutAStackTrace()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var server = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync();
            var stream = client.GetStream();
            _ = await stream.ReadAsync(new byte[4096]); // the request line is enough
            await stream.WriteAsync("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 5\r\nConnection: close\r\n\r\noops!"u8.ToArray());
        });

        var (exit, _, error) = RunWith(null, "vm", "list", "--endpoint", $"http://127.0.0.1:{port}");
        server.Wait(TimeSpan.FromSeconds(10));

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(error, Is.EqualTo($"error: request_failed: HTTP 502 from http://127.0.0.1:{port}/\n"));
    }

    [Test]
    public void BadOutputFormat_IsAUsageError()
    {
        var (exit, _, error) = Run("vm", "list", "-o", "xml");

        Assert.That(exit, Is.Not.Zero);
        Assert.That(error, Does.Contain("xml"));
    }
}
