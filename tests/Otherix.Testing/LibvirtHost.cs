namespace Otherix.Testing;

/// <summary>Whether this machine's libvirtd answers, for tests that need a real hypervisor.</summary>
public static class LibvirtHost
{
    /// <summary>The system connection the agent uses.</summary>
    public const string SystemUri = "qemu:///system";

    private static readonly Lazy<string?> SystemUnreachableReason = new(() => Probe(SystemUri));

    /// <summary>Null when <c>qemu:///system</c> answers; otherwise why not.</summary>
    public static string? WhySystemUnreachable => SystemUnreachableReason.Value;

    /// <summary>Ignores the test outside CI, or fails it in CI, when <c>qemu:///system</c> does not answer.</summary>
    public static void RequireSystem() => HostRequirement.Require("libvirtd not reachable", WhySystemUnreachable);

    /// <summary>
    /// Restarts libvirtd (systemd's unit where systemd runs, else the daemon started by
    /// tools/host/setup.sh) and waits until it answers again. Running domains keep running.
    /// </summary>
    public static async Task RestartDaemonAsync()
    {
        if (Directory.Exists("/run/systemd/system"))
        {
            (await CommandRunner.RunAsync("systemctl", ["restart", "libvirtd"], TimeSpan.FromSeconds(60))).EnsureSuccess("systemctl restart libvirtd");
        }
        else
        {
            await CommandRunner.RunAsync("pkill", ["-TERM", "-x", "libvirtd"], TimeSpan.FromSeconds(10));
            await Poll.UntilAsync(
                async () => (await CommandRunner.RunAsync("pgrep", ["-x", "libvirtd"], TimeSpan.FromSeconds(10))).ExitCode,
                code => code != 0, TimeSpan.FromSeconds(30), "libvirtd exited");
            (await CommandRunner.RunAsync("libvirtd", ["-d"], TimeSpan.FromSeconds(30))).EnsureSuccess("libvirtd -d");
        }

        await Poll.UntilAsync(() => Task.FromResult(Probe(SystemUri)), reason => reason is null, TimeSpan.FromSeconds(30), "libvirtd answering again");
    }

    /// <summary>
    /// Removes with plain virsh, whatever state they are in, the domains and pools Otherix made for the
    /// given names (<c>otx-&lt;name&gt;</c>); what is already gone is no error.
    /// </summary>
    public static async Task RemoveOtherixObjectsAsync(IEnumerable<string> domains, IEnumerable<string> pools)
    {
        var commands = domains.SelectMany(d => new[] { new[] { "destroy", $"otx-{d}" }, ["undefine", $"otx-{d}", "--remove-all-storage"] })
            .Concat(pools.SelectMany(p => new[] { new[] { "pool-destroy", $"otx-{p}" }, ["pool-undefine", $"otx-{p}"] }));
        foreach (var args in commands)
        {
            await CommandRunner.RunAsync("virsh", new[] { "-c", SystemUri }.Concat(args), TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>Null when <paramref name="uri"/> answers <c>virsh version</c>; otherwise the reason.</summary>
    public static string? Probe(string uri)
    {
        CommandResult result;
        try
        {
            result = CommandRunner.RunAsync("virsh", ["-c", uri, "version"], TimeSpan.FromSeconds(15)).GetAwaiter().GetResult();
        }
        catch (TimeoutException e)
        {
            return e.Message;
        }

        if (result.ExitCode == 127)
        {
            return "virsh is not installed (run tools/host/setup.sh)";
        }

        return result.ExitCode == 0
            ? null
            : $"virsh -c {uri} version exited {result.ExitCode}: {result.StandardError.Trim().ReplaceLineEndings(" ")} (start it with tools/host/setup.sh)";
    }
}
