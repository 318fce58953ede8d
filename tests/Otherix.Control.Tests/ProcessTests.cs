using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Otherix.Control.Tests;

/// <summary>The real <c>otherix-api</c> program in a child process: exit codes, bootstrap, shutdown.</summary>
public sealed class ProcessTests
{
    private string _dir = null!;

    [SetUp]
    public void MakeDirectory() => _dir = Directory.CreateTempSubdirectory("otx-proc-").FullName;

    [TearDown]
    public void RemoveDirectory() => Directory.Delete(_dir, recursive: true);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static Process Start(IEnumerable<string> args, IDictionary<string, string> env)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "otherix-api.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("OTHERIX_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(name);
        }

        foreach (var (name, value) in env)
        {
            info.Environment[name] = value;
        }

        return Process.Start(info)!;
    }

    /// <summary>Runs the API until /healthz answers, then SIGTERMs it; returns exit code and output.</summary>
    private async Task<(int ExitCode, string Output)> RunOnceAsync(Dictionary<string, string> env, Func<HttpClient, Task>? whileRunning = null)
    {
        var port = FreePort();
        env["OTHERIX_SERVER__LISTEN"] = $"127.0.0.1:{port}";
        env["OTHERIX_AGENT_SERVER__LISTEN"] = $"127.0.0.1:{FreePort()}";
        env["OTHERIX_STORE__DATA_DIR"] = _dir;
        env["OTHERIX_LOGGER__FORMAT"] = "text";
        using var process = Start([], env);
        var output = new StringBuilder();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        try
        {
            await Otherix.Testing.Poll.UntilAsync(
                async () =>
                {
                    try
                    {
                        return (await http.GetAsync(new Uri("/readyz", UriKind.Relative))).StatusCode;
                    }
                    catch (HttpRequestException)
                    {
                        return HttpStatusCode.ServiceUnavailable;
                    }
                },
                s => s == HttpStatusCode.OK || process.HasExited,
                TimeSpan.FromSeconds(30),
                "otherix-api ready");
            if (whileRunning is not null)
            {
                await whileRunning(http);
            }
        }
        finally
        {
            if (!process.HasExited)
            {
                using var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                await kill.WaitForExitAsync();
            }

            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    [Test]
    public async Task BadConfiguration_ExitsNonZero_ListingEveryProblem()
    {
        var config = Path.Combine(_dir, "api.yaml");
        await File.WriteAllTextAsync(config, "server:\n  listen: nowhere\nauth:\n  jwt_access_ttl: soon\nbogus: 1\n");
        using var process = Start(["--config", config], new Dictionary<string, string> { ["OTHERIX_WORKERS__MAX_WORKERS"] = "lots" });

        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.That(process.ExitCode, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("server.listen").And.Contain("auth.jwt_access_ttl").And.Contain("bogus: unknown key").And.Contain("OTHERIX_WORKERS__MAX_WORKERS"));
    }

    [Test]
    public async Task HalfTheBootstrapPair_ExitsNonZero()
    {
        using var process = Start([], new Dictionary<string, string> { ["OTHERIX_BOOTSTRAP_ADMIN_EMAIL"] = "admin@otherix.test", ["OTHERIX_STORE__DATA_DIR"] = _dir });

        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.That(process.ExitCode, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("OTHERIX_BOOTSTRAP_ADMIN_PASSWORD is not"));
    }

    [Test]
    public async Task Help_DescribesUsageAndExitsZero()
    {
        using var process = Start(["--help"], new Dictionary<string, string>());

        var stdout = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.That(process.ExitCode, Is.Zero);
        Assert.That(stdout, Does.Contain("--config").And.Contain("OTHERIX_BOOTSTRAP_ADMIN_EMAIL").And.Contain("/readyz"));
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
        Assert.That(second.Output, Does.Not.Contain("created"));
    }
}
