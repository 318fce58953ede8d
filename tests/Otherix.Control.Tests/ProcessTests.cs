using System.Net;
using Otherix.Testing;

namespace Otherix.Control.Tests;

/// <summary>The real <c>otherix-api</c> program in a child process: exit codes, bootstrap, shutdown.</summary>
public sealed class ProcessTests
{
    private TempDirectory _dir = null!;

    [SetUp]
    public void MakeDirectory() => _dir = new TempDirectory("otx-proc-");

    [TearDown]
    public void RemoveDirectory() => _dir.Dispose();

    private static ChildProcess Start(IEnumerable<string> args, IReadOnlyDictionary<string, string> env) => ChildProcess.Start("otherix-api.dll", args, env);

    /// <summary>Runs the API until /readyz answers, then SIGTERMs it; returns exit code and output.</summary>
    private async Task<(int ExitCode, string Output)> RunOnceAsync(Dictionary<string, string> env, Func<HttpClient, Task>? whileRunning = null)
    {
        var port = TestApi.FreePort();
        env["OTHERIX_SERVER__LISTEN"] = $"127.0.0.1:{port}";
        env["OTHERIX_AGENT_SERVER__LISTEN"] = $"127.0.0.1:{TestApi.FreePort()}";
        env["OTHERIX_STORE__DATA_DIR"] = _dir.Path;
        env["OTHERIX_LOGGER__FORMAT"] = "text";
        using var process = Start([], env);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        try
        {
            await Poll.UntilOkAsync(http, "/readyz", () => process.HasExited, TimeSpan.FromSeconds(30), "otherix-api ready");
            if (whileRunning is not null)
            {
                await whileRunning(http);
            }
        }
        finally
        {
            await process.StopAsync(TimeSpan.FromSeconds(30));
        }

        return (process.ExitCode, process.Output);
    }

    [Test]
    public async Task BadConfiguration_ExitsNonZero_ListingEveryProblem()
    {
        var config = Path.Combine(_dir.Path, "api.yaml");
        await File.WriteAllTextAsync(config, "server:\n  listen: nowhere\nauth:\n  jwt_access_ttl: soon\nbogus: 1\n");
        using var process = Start(["--config", config], new Dictionary<string, string> { ["OTHERIX_WORKERS__MAX_WORKERS"] = "lots" });

        Assert.That(await process.WaitAsync(TimeSpan.FromSeconds(30)), Is.EqualTo(2));
        Assert.That(process.Output, Does.Contain("server.listen").And.Contain("auth.jwt_access_ttl").And.Contain("bogus: unknown key").And.Contain("OTHERIX_WORKERS__MAX_WORKERS"));
    }

    [Test]
    public async Task HalfTheBootstrapPair_ExitsNonZero()
    {
        using var process = Start([], new Dictionary<string, string> { ["OTHERIX_BOOTSTRAP_ADMIN_EMAIL"] = "admin@otherix.test", ["OTHERIX_STORE__DATA_DIR"] = _dir.Path });

        Assert.That(await process.WaitAsync(TimeSpan.FromSeconds(30)), Is.EqualTo(2));
        Assert.That(process.Output, Does.Contain("OTHERIX_BOOTSTRAP_ADMIN_PASSWORD is not"));
    }

    [Test]
    public async Task Help_DescribesUsageAndExitsZero()
    {
        using var process = Start(["--help"], new Dictionary<string, string>());

        Assert.That(await process.WaitAsync(TimeSpan.FromSeconds(30)), Is.Zero);
        Assert.That(process.Output, Does.Contain("--config").And.Contain("OTHERIX_BOOTSTRAP_ADMIN_EMAIL").And.Contain("/readyz"));
    }

    [Test]
    public async Task BootstrapAdmin_IsCreatedOnTheFirstStartOnly_AndSigtermStopsCleanly()
    {
        var env = new Dictionary<string, string>
        {
            ["OTHERIX_BOOTSTRAP_ADMIN_EMAIL"] = "admin@otherix.test",
            ["OTHERIX_BOOTSTRAP_ADMIN_PASSWORD"] = "correct-horse-battery-staple",
        };

        HttpResponseMessage? oversized = null;
        var first = await RunOnceAsync(new Dictionary<string, string>(env), async http =>
        {
            // Through real Kestrel: its 1 MiB body limit answers in our envelope, as 400.
            using var body = new StreamContent(new MemoryStream(new byte[2 * 1024 * 1024]));
            body.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            oversized = await http.PostAsync(new Uri("/v1/auth/login", UriKind.Relative), body);
        });
        var second = await RunOnceAsync(new Dictionary<string, string>(env));

        Assert.That(first.ExitCode, Is.Zero, first.Output);
        await TestApi.ExpectErrorAsync(oversized!, HttpStatusCode.BadRequest, "validation_failed");
        Assert.That(first.Output, Does.Contain("bootstrap admin admin@otherix.test created"));
        Assert.That(second.ExitCode, Is.Zero, second.Output);
        Assert.That(second.Output, Does.Contain("ignored: this store was bootstrapped on an earlier start"));
        Assert.That(second.Output, Does.Not.Contain("admin@otherix.test created"));
    }
}
