using System.Net;
using System.Text;
using Otherix.Testing;

namespace Otherix.Cli.Tests;

/// <summary><c>create -f</c> / <c>delete -f</c>: checked before anything is sent, applied in kind order.</summary>
public sealed class ManifestTests
{
    private const string Manifest = """
        apiVersion: otherix/v1
        kind: VM
        metadata:
          name: demo-vm
        spec:
          imageURL: http://127.0.0.1:9/x.qcow2
          arch: amd64
          memoryMB: 512
          userData: |
            #cloud-config
            runcmd: [echo hi]
        ---
        apiVersion: otherix/v1
        kind: StoragePool
        metadata:
          name: fast
        spec:
          path: /srv/fast
          nodeList: [node-a, node-b, node-a]
        """;

    /// <summary>Accepts everything, remembering method, path and body.</summary>
    private sealed class Recorder : HttpMessageHandler
    {
        public List<string> Seen { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Seen.Add($"{request.Method} {request.RequestUri!.PathAndQuery} {(request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken))}".TrimEnd());
            var vm = """{"id":"01a2424c-0000-7000-8000-000000000001","name":"demo-vm","owner_id":"01a2424c-0000-7000-8000-0000000000aa","image_url":"http://127.0.0.1:9/x.qcow2","image_format":null,"image_sha256":null,"pool":"default","node":"node-a","architecture":"amd64","vcpus":2,"memory_mb":512,"disk_gib":null,"status":{"phase":"pending","reason":null,"message":null},"desired_phase":"running","last_task_id":null,"created_at":"2026-12-04T18:00:00Z","updated_at":"2026-12-04T18:00:00Z"}""";
            var json = request.RequestUri.AbsolutePath == "/v1/vms"
                ? $$"""{"task_id":"01a2424c-0000-7000-8000-0000000000cc","status":"pending","links":{"self":"/v1/tasks/01a2424c-0000-7000-8000-0000000000cc"},"vm":{{vm}}}"""
                : """{"id":"01a2424c-0000-7000-8000-0000000000b1","name":"fast","node":"NODE","type":"local_dir","path":"/srv/fast","reconciliation_status":"pending","reconciliation_error":null,"capacity_bytes":null,"available_bytes":null,"reported_at":null,"is_cluster_default":false,"images":[],"created_at":"2026-12-04T18:00:00Z","updated_at":"2026-12-04T18:00:00Z"}""";
            var body = json.Replace("NODE", request.Content is null ? "" : (await request.Content.ReadAsStringAsync(cancellationToken)).Contains("node-b", StringComparison.Ordinal) ? "node-b" : "node-a", StringComparison.Ordinal);
            return new HttpResponseMessage(HttpStatusCode.Created) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        }
    }

    private static (int Exit, string Out, string Err) Run(HttpMessageHandler handler, params string[] args) => CliRunner.Run(CliRunner.Env(), handler, args);

    [Test]
    public async Task Create_SendsPoolsFirst_OneRequestPerNode_ThenVms_WithTheirUserData()
    {
        using var dir = new TempDirectory("otx-manifest-");
        var file = Path.Combine(dir.Path, "cluster.yaml");
        await File.WriteAllTextAsync(file, Manifest);
        var recorder = new Recorder();

        var (exit, output, error) = Run(recorder, "create", "-f", file);

        Assert.That(exit, Is.Zero, error);
        Assert.That(output, Is.EqualTo("""
            storagepool/fast created on node-a
            storagepool/fast created on node-b
            vm/demo-vm created task=01a2424c-0000-7000-8000-0000000000cc status=pending

            """));
        Assert.That(recorder.Seen[0], Does.StartWith("POST /v1/storage-pools {\"name\":\"fast\",\"node\":\"node-a\",\"path\":\"/srv/fast\""));
        Assert.That(recorder.Seen[2], Does.StartWith("POST /v1/vms {\"name\":\"demo-vm\"").And.Contain("\"memory_mb\":512").And.Contain("\"user_data\":\"#cloud-config\\nruncmd: [echo hi]\\n\""));
        Assert.That(recorder.Seen, Has.Count.EqualTo(3));
    }

    [Test]
    public async Task ABadDocument_SendsNothing_AndNamesEveryProblem()
    {
        using var dir = new TempDirectory("otx-manifest-");
        var file = Path.Combine(dir.Path, "bad.yaml");
        await File.WriteAllTextAsync(file, Manifest + """

            ---
            apiVersion: otherix/v1
            kind: VM
            metadata: {name: typo}
            spec: {imageUrl: http://x, arch: amd64}
            ---
            apiVersion: otherix/v1
            kind: Network
            metadata: {name: net}
            spec: {type: bridge}
            """);
        var recorder = new Recorder();

        var (exit, _, error) = Run(recorder, "create", "-f", file);

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(recorder.Seen, Is.Empty, "nothing was sent");
        Assert.That(error, Does.Contain("VM/typo: spec: unknown field imageUrl").And.Contain("Network/net: networks are not available"));
    }

    [Test]
    public async Task Delete_GoesInReverseOrder_AndNeedsForceWithoutATerminal()
    {
        using var dir = new TempDirectory("otx-manifest-");
        var file = Path.Combine(dir.Path, "cluster.yaml");
        await File.WriteAllTextAsync(file, Manifest);

        var (refused, _, why) = Run(new Recorder(), "delete", "-f", file);
        var (exit, output, _) = Run(new Recorder(), "delete", "-f", file, "--dry-run");

        Assert.That(refused, Is.EqualTo(1));
        Assert.That(why, Does.Contain("--force"));
        Assert.That(exit, Is.Zero);
        Assert.That(output, Is.EqualTo("vm/demo-vm would be deleted (dry run)\nstoragepool/fast would be deleted (dry run)\n"));
    }
}
