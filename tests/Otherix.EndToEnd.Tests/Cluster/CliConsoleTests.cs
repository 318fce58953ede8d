using Otherix.Testing;

namespace Otherix.EndToEnd.Tests.Cluster;

/// <summary>
/// <c>otherix vm console</c> against a real VM: pipe mode (scripts), raw mode under a pseudo-terminal
/// (<c>script</c>) with the terminal's settings compared before and after a detach and a SIGTERM, and the
/// server closing the session when the VM powers off.
/// </summary>
public sealed class CliConsoleTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Test]
    public async Task VmConsole_PipeAndRawMode_RelaysDetachesAndAlwaysRestoresTheTerminal()
    {
        RepoLayout.RequireFixtureImage();
        await using var files = await LoopbackFileServer.StartAsync();
        var image = files.Serve("fixture.qcow2", RepoLayout.FixtureImage);
        await using var cluster = await TestCluster.StartAsync("/var/tmp");
        await using var agent = await LibvirtAgent.StartAsync(cluster, "e2e-console");
        using var work = new TempDirectory("otherix-console");
        var name = "con-" + Guid.NewGuid().ToString("N")[..6];
        agent.Domains.Add(name);
        var env = new Dictionary<string, string> { ["OTHERIX_SERVER"] = cluster.Http.BaseAddress!.ToString(), ["OTHERIX_API_TOKEN"] = cluster.AdminToken };
        var cli = Path.Combine(AppContext.BaseDirectory, "otherix.dll");

        using (var create = ChildProcess.Start("otherix.dll", ["vm", "create", name, "--image-url", image.ToString(), "--arch", "amd64", "--vcpus", "1", "--memory-mb", "256", "--wait"], env))
        {
            Assert.That(await create.WaitAsync(TimeSpan.FromMinutes(3)), Is.Zero, create.Output);
        }

        var id = (await TestCluster.JsonAsync(await cluster.Http.GetAsync(new Uri($"/v1/vms/{name}", UriKind.Relative)))).GetProperty("id").GetString()!;
        await ConsoleLogFile.WaitForAsync(agent.ConsoleLogOf(id), t => t.Contains($"{name} login:", StringComparison.Ordinal), TimeSpan.FromSeconds(120), "login prompt");

        // Pipe mode: what a script does. Arithmetic in the command tells the shell's answer from the echo.
        using (var pipe = ChildProcess.Start("otherix.dll", ["vm", "console", name], env, keepInput: true))
        {
            await pipe.WaitForOutputAsync("pipe mode", Patience);
            await pipe.WriteInputAsync("root\r");
            await pipe.WaitForOutputAsync("built-in shell", Patience);
            await pipe.WriteInputAsync("echo OTX-$((6*7))-PIPE\r");
            await pipe.WaitForOutputAsync("OTX-42-PIPE", Patience);
            await pipe.WriteInputAsync(0x1D);
            Assert.That(await pipe.WaitAsync(Patience), Is.Zero, pipe.Output);
            Assert.That(pipe.Output, Does.Contain($"Detached from {name}'s console."));
        }

        // Raw mode under a pseudo-terminal: the settings saved before, after a detach and after a SIGTERM.
        var shell = $"""
            stty -g > {work.Path}/before
            dotnet {cli} vm console {name}; echo "first-exit=$?"
            stty -g > {work.Path}/after-detach
            dotnet {cli} vm console {name}; echo "second-exit=$?"
            stty -g > {work.Path}/after-term
            """;
        using (var tty = ChildProcess.StartProgram("script", ["-qfec", shell, "/dev/null"], env, keepInput: true, rawOutput: true))
        {
            await tty.WaitForOutputAsync("Detach with Ctrl+]", Patience);

            // Ctrl+C reaches the VM instead of ending the CLI, and Ctrl+] works without a newline: no signals
            // from keys and no line buffering, i.e. the terminal is raw.
            await tty.WriteInputAsync(0x03);
            await tty.WriteInputAsync("echo OTX-$((6*8))-RAW\r");
            await tty.WaitForOutputAsync("OTX-48-RAW", Patience);
            await tty.WriteInputAsync(0x1D);
            await tty.WaitForOutputAsync("first-exit=", Patience);
            Assert.That(tty.Output, Does.Contain("first-exit=0"));

            await Poll.UntilAsync(() => Task.FromResult(tty.Output), o => o.Split("Detach with Ctrl+]").Length == 3, Patience, "the second attach");
            var pid = (await CommandRunner.RunAsync("pgrep", ["-n", "-f", $"^dotnet {cli} vm console {name}$"], TimeSpan.FromSeconds(10))).StandardOutput.Trim();
            Assert.That(pid, Is.Not.Empty, tty.Output);
            await CommandRunner.RunAsync("kill", ["-TERM", pid], TimeSpan.FromSeconds(10));
            Assert.That(await tty.WaitAsync(Patience), Is.Zero, tty.Output);
            Assert.That(tty.Output, Does.Contain("second-exit=130"));
        }

        var before = await File.ReadAllTextAsync(Path.Combine(work.Path, "before"));
        Assert.That(await File.ReadAllTextAsync(Path.Combine(work.Path, "after-detach")), Is.EqualTo(before), "terminal restored after Ctrl+]");
        Assert.That(await File.ReadAllTextAsync(Path.Combine(work.Path, "after-term")), Is.EqualTo(before), "terminal restored after SIGTERM");

        // The server ends the session when the VM powers off.
        using (var attached = ChildProcess.Start("otherix.dll", ["vm", "console", name], env, keepInput: true))
        {
            await attached.WaitForOutputAsync("pipe mode", Patience);
            using var poweroff = ChildProcess.Start("otherix.dll", ["vm", "poweroff", name, "--wait"], env);
            Assert.That(await poweroff.WaitAsync(TimeSpan.FromMinutes(2)), Is.Zero, poweroff.Output);
            Assert.That(await attached.WaitAsync(Patience), Is.Zero, attached.Output);
            Assert.That(attached.Output, Does.Contain($"The console of {name} was closed by the server"));
        }

        // A stopped VM has no console: a clear error, not a hang.
        using var refused = ChildProcess.Start("otherix.dll", ["vm", "console", name], env, keepInput: true);
        Assert.That(await refused.WaitAsync(Patience), Is.EqualTo(1), refused.Output);
        Assert.That(refused.Output, Does.Contain("error: api_error: vm_not_running"));
    }
}
