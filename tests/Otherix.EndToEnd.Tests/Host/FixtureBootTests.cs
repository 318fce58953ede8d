using System.Diagnostics;
using Otherix.Testing;

namespace Otherix.EndToEnd.Tests.Host;

/// <summary>
/// Proves the host before any product code depends on it: plain virsh defines a domain from
/// the fixture image with a NoCloud seed ISO made by genisoimage, boots it to its login prompt
/// under TCG, logs in on the serial console, shuts it down over ACPI and undefines it.
/// </summary>
[NonParallelizable]
public sealed class FixtureBootTests
{
    private static readonly TimeSpan BootDeadline = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan ShutdownDeadline = TimeSpan.FromSeconds(60);

    [Test]
    public async Task FixtureGuest_BootsReadsSeedLogsInAndPowersOff()
    {
        HostRequirement.Require("genisoimage missing", File.Exists("/usr/bin/genisoimage") ? null : "install it with tools/host/setup.sh");
        await using var vm = FixtureVm.Create("otx-hosttest");
        var instanceId = $"iid-{Guid.NewGuid():N}";
        var marker = $"#marker: hosttest-{Guid.NewGuid():N}";

        var seedDir = Directory.CreateDirectory(Path.Combine(vm.WorkDir, "seed")).FullName;
        await File.WriteAllTextAsync(Path.Combine(seedDir, "meta-data"), $"instance-id: {instanceId}\nlocal-hostname: {vm.Name}\n");
        await File.WriteAllTextAsync(Path.Combine(seedDir, "user-data"), $"#cloud-config\n{marker}\n");
        var seedIso = Path.Combine(vm.WorkDir, "seed.iso");
        (await CommandRunner.RunAsync("genisoimage", ["-quiet", "-output", seedIso, "-volid", "cidata", "-joliet", "-rock",
            Path.Combine(seedDir, "user-data"), Path.Combine(seedDir, "meta-data")], TimeSpan.FromSeconds(60))).EnsureSuccess("genisoimage");

        await vm.DefineAsync(seedIso);
        var (log, seconds) = await vm.StartToLoginAsync(BootDeadline);
        TestContext.Out.WriteLine($"virsh start -> login prompt: {seconds:F1} s");
        Assert.That(log, Does.Contain($"otherix-fixture: instance-id={instanceId}"));
        Assert.That(log, Does.Contain($"otherix-fixture: local-hostname={vm.Name}"));
        Assert.That(log, Does.Contain($"{vm.Name} login:"));
        Assert.That(log, Does.Contain(marker));

        // Log in on the serial console and have the guest echo what we typed.
        var pty = (await FixtureVm.VirshAsync("ttyconsole", vm.Name)).StandardOutput.Trim();
        Assert.That(pty, Does.StartWith("/dev/pts/"));
        var echo = $"typed-{Guid.NewGuid():N}";
        using (var console = OpenPty(pty))
        {
            // QEMU reads the pty only while a peer holds it open, so the peer stays for the whole exchange.
            await console.StandardInput.WriteAsync("root\r");
            await console.StandardInput.FlushAsync();
            await vm.WaitForConsoleAsync(text => text.Contains("built-in shell", StringComparison.Ordinal), BootDeadline);
            await console.StandardInput.WriteAsync($"echo {echo} | tr a-z A-Z\r");
            await console.StandardInput.FlushAsync();
            await vm.WaitForConsoleAsync(text => text.Contains(echo.ToUpperInvariant(), StringComparison.Ordinal), BootDeadline);
            console.Kill();
        }

        // ACPI power button: the guest's acpid powers it off.
        await FixtureVm.VirshAsync("shutdown", vm.Name, "--mode", "acpi");
        var shutdown = Stopwatch.StartNew();
        await vm.WaitForStateAsync("shut off", ShutdownDeadline);
        TestContext.Out.WriteLine($"ACPI shutdown -> shut off: {shutdown.Elapsed.TotalSeconds:F1} s");
        Assert.That(await File.ReadAllTextAsync(vm.ConsoleLog), Does.Contain("otherix-fixture: power button pressed"));

        await FixtureVm.VirshAsync("undefine", vm.Name);
        var list = await FixtureVm.VirshAsync("list", "--all", "--name");
        Assert.That(list.StandardOutput, Does.Not.Contain(vm.Name));
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
}
