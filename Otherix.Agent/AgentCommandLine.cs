using System.Reflection;

namespace Otherix.Agent;

/// <summary>The agent's command line. The daemon itself (bootstrap, heartbeat, libvirt driver) is not built yet.</summary>
public static class AgentCommandLine
{
    /// <summary>Where the agent reads its operator-provided configuration.</summary>
    public const string DefaultConfigPath = "/etc/otherix/agent.yaml";

    /// <summary>Where the agent keeps its runtime state (certificates, pools, VMs).</summary>
    public const string DefaultStateDirectory = "/var/lib/otherix";

    /// <summary>Runs the command line and returns the process exit code.</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);

        if (args.Count == 1 && args[0] is "--version")
        {
            stdout.WriteLine(Version);
            return 0;
        }

        if (args.Count == 1 && args[0] is "-h" or "--help")
        {
            stdout.WriteLine($"""
                otherix-agent {Version}: the Otherix host daemon. It drives this host's libvirtd for the control plane.

                Usage: otherix-agent [--version | --help]

                Configuration: {DefaultConfigPath} (override any key with OTHERIX_AGENT__* variables)
                State:         {DefaultStateDirectory}/ (certs/, pools/, vms/)
                """);
            return 0;
        }

        stderr.WriteLine("otherix-agent: the agent daemon is not built yet (bootstrap, heartbeat and the libvirt driver are open issues); see README.md");
        return 1;
    }

    private static string Version =>
        typeof(AgentCommandLine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
}
