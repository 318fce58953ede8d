namespace Otherix.Agent.Daemon;

/// <summary>
/// Where the agent's files are. As root: <c>/etc/otherix/{agent.yaml,bootstrap.env,bootstrap-token}</c> and
/// <c>/var/lib/otherix/certs/</c>. Otherwise (user mode) all under <c>~/.config/otherix/</c>.
/// </summary>
public sealed record AgentLayout(string ConfigDirectory, string StateDirectory)
{
    /// <summary>The layout for this user.</summary>
    public static AgentLayout ForCurrentUser()
    {
        if (Environment.UserName == "root")
        {
            return new AgentLayout("/etc/otherix", "/var/lib/otherix");
        }

        var home = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config", "otherix");
        return new AgentLayout(home, home);
    }

    /// <summary>agent.yaml.</summary>
    public string ConfigFile => Path.Combine(ConfigDirectory, "agent.yaml");

    /// <summary>bootstrap.env.</summary>
    public string BootstrapEnvFile => Path.Combine(ConfigDirectory, "bootstrap.env");

    /// <summary>The default join token file.</summary>
    public string DefaultTokenFile => Path.Combine(ConfigDirectory, "bootstrap-token");

    /// <summary>certs/.</summary>
    public string CertDirectory => Path.Combine(StateDirectory, "certs");

    /// <summary>certs/agent.key (0600).</summary>
    public string KeyFile => Path.Combine(CertDirectory, "agent.key");

    /// <summary>certs/agent.crt.</summary>
    public string CertFile => Path.Combine(CertDirectory, "agent.crt");

    /// <summary>certs/ca.crt: the pinned cluster CA.</summary>
    public string CaFile => Path.Combine(CertDirectory, "ca.crt");
}
