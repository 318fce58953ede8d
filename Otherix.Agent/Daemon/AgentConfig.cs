using Otherix.Api.Configuration;

namespace Otherix.Agent.Daemon;

/// <summary><c>agent.yaml</c>; every key optional. Overrides: <c>OTHERIX_AGENT__SECTION__KEY</c>.</summary>
public sealed record AgentConfig
{
    /// <summary>Runtime state (certs/, pools/, vms/); empty: <c>/var/lib/otherix</c> as root, else <c>~/.config/otherix</c>.</summary>
    public string StateDir { get; init; } = "";

    /// <summary>Where libvirtd is.</summary>
    public string LibvirtUri { get; init; } = "qemu:///system";

    /// <summary><c>auto</c> (probe KVM once per boot, fall back to TCG), <c>kvm</c> or <c>tcg</c>.</summary>
    public string Acceleration { get; init; } = "auto";

    /// <summary>The control plane.</summary>
    public ControlPlaneConfig ControlPlane { get; init; } = new();

    /// <summary>The agent's own gRPC listener.</summary>
    public AgentServerSection Server { get; init; } = new();

    /// <summary>Live-migration endpoint other nodes use (reported; migration itself is later work).</summary>
    public MigrationSection Migration { get; init; } = new();

    /// <summary>Loads <paramref name="path"/> (if it exists) with environment overrides.</summary>
    public static AgentConfig Load(string path, System.Collections.IDictionary environment) =>
        ConfigBinder.Load<AgentConfig>(File.Exists(path) ? path : null, environment, "OTHERIX_AGENT__", (c, check) =>
        {
            check(c.ControlPlane.Url.Length == 0 || Uri.TryCreate(c.ControlPlane.Url, UriKind.Absolute, out var u) && u.Scheme == "https", "control_plane.url", "must be an https:// URL");
            check(c.ControlPlane.HeartbeatInterval >= TimeSpan.FromMilliseconds(100), "control_plane.heartbeat_interval", "must be at least 100ms");
            check(ListenAddress.TryParse(c.Server.Listen, out _), "server.listen", $"\"{c.Server.Listen}\" is not host:port");
            check(c.Acceleration is "auto" or "kvm" or "tcg", "acceleration", "must be auto, kvm or tcg");
            check(c.Migration.PortRangeStart is >= 1024 and <= 65535 && c.Migration.PortRangeEnd >= c.Migration.PortRangeStart && c.Migration.PortRangeEnd <= 65535,
                "migration.port_range_end", "the port range must be within 1024..65535, start ≤ end");
        });
}

/// <summary><c>control_plane.*</c>.</summary>
public sealed record ControlPlaneConfig
{
    /// <summary>The control plane's agent listener (<c>https://host:8443</c>); empty: bootstrap.env's CP_URL.</summary>
    public string Url { get; init; } = "";

    /// <summary>How often to heartbeat.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(15);
}

/// <summary><c>migration.*</c>.</summary>
public sealed record MigrationSection
{
    /// <summary>Host other nodes dial; empty: the advertised endpoint's host.</summary>
    public string Host { get; init; } = "";

    /// <summary>First port of the range.</summary>
    public int PortRangeStart { get; init; } = 49152;

    /// <summary>Last port of the range.</summary>
    public int PortRangeEnd { get; init; } = 49251;
}

/// <summary><c>server.*</c>.</summary>
public sealed record AgentServerSection
{
    /// <summary>The agent's gRPC listener.</summary>
    public string Listen { get; init; } = "0.0.0.0:9443";

    /// <summary>host:port the control plane dials; empty: this host's name and the listen port.</summary>
    public string AdvertisedEndpoint { get; init; } = "";
}
