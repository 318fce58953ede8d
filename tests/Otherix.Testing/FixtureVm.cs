using System.Diagnostics;

namespace Otherix.Testing;

/// <summary>
/// A throw-away fixture guest driven with plain virsh, for tests that check what a guest
/// sees (a seed ISO, the console): a private work directory traversable by QEMU, a qcow2
/// overlay on a copy of the fixture image, a serial log. Disposing destroys, undefines and
/// deletes everything.
/// </summary>
public sealed class FixtureVm : IAsyncDisposable
{
    private FixtureVm(string name, string workDir)
    {
        Name = name;
        WorkDir = workDir;
    }

    /// <summary>The domain name (also the guest's hostname in the seeds tests write).</summary>
    public string Name { get; }

    /// <summary>Where the disks, the seed and the console log live.</summary>
    public string WorkDir { get; }

    /// <summary>The serial console log, written by virtlogd.</summary>
    public string ConsoleLog => Path.Combine(WorkDir, "console.log");

    /// <summary>Requires libvirtd and the fixture image (ignored outside CI, failed in CI), then makes the work directory.</summary>
    public static FixtureVm Create(string prefix)
    {
        LibvirtHost.RequireSystem();
        RepoLayout.RequireFixtureImage();
        var name = $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 12)];
        var dir = Path.Combine("/var/tmp", name);
        // QEMU runs as libvirt-qemu: every directory on the way to the disks must be traversable.
        Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                                       UnixFileMode.GroupRead | UnixFileMode.GroupExecute |
                                       UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        return new FixtureVm(name, dir);
    }

    /// <summary>Defines the domain with an overlay disk and, if given, <paramref name="seedIso"/> as its CD-ROM.</summary>
    public async Task DefineAsync(string? seedIso)
    {
        var baseImage = Path.Combine(WorkDir, "base.qcow2");
        File.Copy(RepoLayout.FixtureImage, baseImage);
        var overlay = Path.Combine(WorkDir, "root.qcow2");
        (await CommandRunner.RunAsync("qemu-img", ["create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", baseImage, overlay], TimeSpan.FromSeconds(60)))
            .EnsureSuccess("qemu-img create");
        var xml = Path.Combine(WorkDir, "domain.xml");
        await File.WriteAllTextAsync(xml, FixtureDomain.Xml(Name, overlay, seedIso: seedIso, consoleLog: ConsoleLog));
        await VirshAsync("define", xml);
    }

    /// <summary>Starts the domain and waits for the login prompt; returns the console text and the seconds it took.</summary>
    public async Task<(string Console, double Seconds)> StartToLoginAsync(TimeSpan deadline)
    {
        var clock = Stopwatch.StartNew();
        await VirshAsync("start", Name);
        var text = await WaitForConsoleAsync(t => t.Contains($"{Name} login:", StringComparison.Ordinal) || t.Contains("otherix-fixture login:", StringComparison.Ordinal), deadline);
        return (text, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Waits until the serial log satisfies <paramref name="done"/>.</summary>
    public Task<string> WaitForConsoleAsync(Func<string, bool> done, TimeSpan deadline) =>
        ConsoleLogFile.WaitForAsync(ConsoleLog, done, deadline, $"expected text on the serial console of {Name}");

    /// <summary>Waits until <c>virsh domstate</c> says <paramref name="state"/>.</summary>
    public Task<string> WaitForStateAsync(string state, TimeSpan deadline) =>
        Poll.UntilAsync(async () => (await VirshAsync("domstate", Name)).StandardOutput.Trim(), s => s == state, deadline, $"{Name} in state '{state}'");

    /// <summary>Runs virsh against <c>qemu:///system</c> and requires success.</summary>
    public static async Task<CommandResult> VirshAsync(params string[] args) =>
        (await VirshUncheckedAsync(args)).EnsureSuccess($"virsh {string.Join(' ', args)}");

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await VirshUncheckedAsync("destroy", Name);
        await VirshUncheckedAsync("undefine", Name);
        if (Directory.Exists(WorkDir))
        {
            Directory.Delete(WorkDir, recursive: true);
        }
    }

    private static Task<CommandResult> VirshUncheckedAsync(params string[] args) =>
        CommandRunner.RunAsync("virsh", ["-c", LibvirtHost.SystemUri, .. args], TimeSpan.FromSeconds(60));
}
