using System.CommandLine;

namespace Otherix.Cli;

/// <summary>Builds the <c>otherix</c> command tree.</summary>
public static class CliApp
{
    /// <summary>The root command with every command group Otherix has so far.</summary>
    public static RootCommand Build()
    {
        var root = new RootCommand(
            "otherix: manage virtual machines on a fleet of Linux hosts through the Otherix control plane.\n" +
            "The command groups (config, node, vm, pool, cluster) arrive as their features land; see README.md.");
        return root;
    }
}
