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
