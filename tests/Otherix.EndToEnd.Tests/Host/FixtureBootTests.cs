using System.Diagnostics;
using Otherix.Testing;

namespace Otherix.EndToEnd.Tests.Host;

/// <summary>
/// Proves the host before any product code depends on it: plain virsh defines a domain from
/// the fixture image with a NoCloud seed ISO, boots it to its login prompt under TCG, logs in
/// on the serial console, shuts it down over ACPI and undefines it.
/// </summary>
[NonParallelizable]
public sealed class FixtureBootTests
{
    private static readonly TimeSpan BootDeadline = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan ShutdownDeadline = TimeSpan.FromSeconds(60);

    private string _work = null!;
    private string _domain = null!;

    [SetUp]
    public void SetUp()
    {
        LibvirtHost.RequireSystem();
        RepoLayout.RequireFixtureImage();
        HostRequirement.Require("genisoimage missing", File.Exists("/usr/bin/genisoimage") ? null : "install it with tools/host/setup.sh");

        _domain = $"otx-hosttest-{Guid.NewGuid():N}"[..24];
        // QEMU runs as libvirt-qemu: every directory on the way to the disks must be traversable.
        _work = Path.Combine("/var/tmp", _domain);
        Directory.CreateDirectory(_work, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                                          UnixFileMode.GroupRead | UnixFileMode.GroupExecute |
                                          UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
    }

    [TearDown]
    public async Task TearDownAsync()
    {
        if (_domain is null || _work is null)
        {
            return;
        }

        // Leave nothing behind, whatever the test did.
        await Virsh(["destroy", _domain], check: false);
        await Virsh(["undefine", _domain], check: false);
        if (Directory.Exists(_work))
        {
            Directory.Delete(_work, recursive: true);
        }
    }

    [Test]
    public async Task FixtureGuest_BootsReadsSeedLogsInAndPowersOff()
    {
        var instanceId = $"iid-{Guid.NewGuid():N}";
        var marker = $"#marker: hosttest-{Guid.NewGuid():N}";

        // A qcow2 overlay on a private copy of the fixture, as the agent will lay out disks.
        var baseImage = Path.Combine(_work, "base.qcow2");
        File.Copy(RepoLayout.FixtureImage, baseImage);
        var overlay = Path.Combine(_work, "root.qcow2");
        await Run("qemu-img", ["create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", baseImage, overlay]);

        var seedDir = Directory.CreateDirectory(Path.Combine(_work, "seed")).FullName;
        await File.WriteAllTextAsync(Path.Combine(seedDir, "meta-data"), $"instance-id: {instanceId}\nlocal-hostname: {_domain}\n");
        await File.WriteAllTextAsync(Path.Combine(seedDir, "user-data"), $"#cloud-config\n{marker}\n");
        var seedIso = Path.Combine(_work, "seed.iso");
        await Run("genisoimage", ["-quiet", "-output", seedIso, "-volid", "cidata", "-joliet", "-rock",
                                  Path.Combine(seedDir, "user-data"), Path.Combine(seedDir, "meta-data")]);

        var consoleLog = Path.Combine(_work, "console.log");
        var xml = Path.Combine(_work, "domain.xml");
        await File.WriteAllTextAsync(xml, FixtureDomain.Xml(_domain, overlay, seedIso: seedIso, consoleLog: consoleLog));

        await Virsh(["define", xml]);
        var started = Stopwatch.StartNew();
        await Virsh(["start", _domain]);

        var log = await WaitForConsoleAsync(consoleLog, text => text.Contains($"{_domain} login:", StringComparison.Ordinal), BootDeadline);
        TestContext.Out.WriteLine($"virsh start -> login prompt: {started.Elapsed.TotalSeconds:F1} s");
        Assert.That(log, Does.Contain($"otherix-fixture: instance-id={instanceId}"));
        Assert.That(log, Does.Contain($"otherix-fixture: local-hostname={_domain}"));
        Assert.That(log, Does.Contain(marker));

        // Log in on the serial console and have the guest echo what we typed.
        var pty = (await Virsh(["ttyconsole", _domain])).StandardOutput.Trim();
        Assert.That(pty, Does.StartWith("/dev/pts/"));
        var echo = $"typed-{Guid.NewGuid():N}";
        using (var console = OpenPty(pty))
        {
            // QEMU reads the pty only while a peer holds it open, so the peer stays for the whole exchange.
            await console.StandardInput.WriteAsync("root\r");
            await console.StandardInput.FlushAsync();
            await WaitForConsoleAsync(consoleLog, text => text.Contains("built-in shell", StringComparison.Ordinal), BootDeadline);
            await console.StandardInput.WriteAsync($"echo {echo} | tr a-z A-Z\r");
            await console.StandardInput.FlushAsync();
            await WaitForConsoleAsync(consoleLog, text => text.Contains(echo.ToUpperInvariant(), StringComparison.Ordinal), BootDeadline);
            console.Kill();
        }

        TestContext.Out.WriteLine($"login + echo on the serial console: {started.Elapsed.TotalSeconds:F1} s after start");

        // ACPI power button: the guest's acpid powers it off.
        await Virsh(["shutdown", _domain, "--mode", "acpi"]);
        var shutdown = Stopwatch.StartNew();
        await WaitForStateAsync("shut off", ShutdownDeadline);
        TestContext.Out.WriteLine($"ACPI shutdown -> shut off: {shutdown.Elapsed.TotalSeconds:F1} s");
        Assert.That(await File.ReadAllTextAsync(consoleLog), Does.Contain("otherix-fixture: power button pressed"));

        await Virsh(["undefine", _domain]);
        var list = await Virsh(["list", "--all", "--name"]);
        Assert.That(list.StandardOutput, Does.Not.Contain(_domain));
    }

    private static Process OpenPty(string pty)
    {
        var info = new ProcessStartInfo("socat") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add("-");
        info.ArgumentList.Add($"{pty},raw,echo=0");
        var process = Process.Start(info) ?? throw new InvalidOperationException("socat did not start");
        // What the guest prints is read from the serial log; drain socat's copy so it never blocks.
        _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
        return process;
    }

    private static Task<string> WaitForConsoleAsync(string path, Func<string, bool> done, TimeSpan deadline) =>
        Poll.UntilAsync(() => ReadConsoleAsync(path), done, deadline, $"expected text on the serial console ({path})");

    private static async Task<string> ReadConsoleAsync(string path)
    {
        if (!File.Exists(path))
        {
            return "";
        }

        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return (await reader.ReadToEndAsync()).Replace("\r", "", StringComparison.Ordinal);
    }

    private Task<string> WaitForStateAsync(string state, TimeSpan deadline) =>
        Poll.UntilAsync(
            async () => (await Virsh(["domstate", _domain])).StandardOutput.Trim(),
            current => current == state,
            deadline,
            $"{_domain} in state '{state}'");

    private static Task<CommandResult> Virsh(string[] args, bool check = true) =>
        Run("virsh", ["-c", LibvirtHost.SystemUri, .. args], check: check);

    private static async Task<CommandResult> Run(string file, string[] args, string? stdin = null, bool check = true)
    {
        var result = await CommandRunner.RunAsync(file, args, TimeSpan.FromSeconds(60), stdin);
        return check ? result.EnsureSuccess($"{file} {string.Join(' ', args)}") : result;
    }
}
