namespace Otherix.Control.Configuration;

/// <summary>
/// <c>api.yaml</c>: every key the control plane reads, with its default. Keys are the
/// <c>snake_case</c> of the property names; <see cref="ConfigLoader"/> binds and checks them.
/// </summary>
public sealed record ApiConfig
{
    /// <summary>The public REST listener.</summary>
    public ServerConfig Server { get; init; } = new();

    /// <summary>Log level and format.</summary>
    public LoggerConfig Logger { get; init; } = new();

    /// <summary>Where the state lives.</summary>
    public StoreConfig Store { get; init; } = new();

    /// <summary>Login tokens and throttling.</summary>
    public AuthConfig Auth { get; init; } = new();

    /// <summary>Background task workers.</summary>
    public WorkersConfig Workers { get; init; } = new();

    /// <summary>The TLS listener agents talk to.</summary>
    public AgentServerConfig AgentServer { get; init; } = new();

    /// <summary>This replica's certificate.</summary>
    public CpCertConfig CpCert { get; init; } = new();

    /// <summary>Storage pools.</summary>
    public StoragePoolsConfig StoragePools { get; init; } = new();
}

/// <summary><c>storage_pools.*</c>.</summary>
public sealed record StoragePoolsConfig
{
    /// <summary>Pool paths must be under one of these.</summary>
    public IReadOnlyList<string> AllowedPathPrefixes { get; init; } = ["/var/lib/otherix/pools/"];

    /// <summary>Pool created on every node as it becomes ready, and the cluster default at first; empty turns this off.</summary>
    public string DefaultPoolName { get; init; } = "default";

    /// <summary>Where that pool lives on each node (<c>&lt;dir&gt;/&lt;name&gt;</c>).</summary>
    public string DefaultPoolDir { get; init; } = "/var/lib/otherix/pools";
}

/// <summary><c>agent_server.*</c>.</summary>
public sealed record AgentServerConfig
{
    /// <summary>Open the agent listener (join, CA, heartbeats).</summary>
    public bool Enabled { get; init; } = true;

    /// <summary><c>host:port</c> of the TLS listener for agents.</summary>
    public string Listen { get; init; } = "0.0.0.0:8443";
}

/// <summary><c>cp_cert.*</c>.</summary>
public sealed record CpCertConfig
{
    /// <summary>Extra DNS names or IP addresses agents use to reach this replica.</summary>
    public IReadOnlyList<string> AdditionalSans { get; init; } = [];

    /// <summary>Lifetime of an issued replica certificate (at least 24h).</summary>
    public TimeSpan Validity { get; init; } = TimeSpan.FromHours(8760);
}

/// <summary><c>server.*</c>.</summary>
public sealed record ServerConfig
{
    /// <summary><c>host:port</c> of the REST listener.</summary>
    public string Listen { get; init; } = "0.0.0.0:8080";

    /// <summary>How long in-flight requests and workers get to finish on shutdown.</summary>
    public TimeSpan ShutdownGrace { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>How much to log.</summary>
public enum LogLevelName
{
    /// <summary>Everything.</summary>
    Debug,

    /// <summary>Normal operation.</summary>
    Info,

    /// <summary>Only what needs a look.</summary>
    Warn,

    /// <summary>Only failures.</summary>
    Error,
}

/// <summary>How logs are written to stdout.</summary>
public enum LogFormat
{
    /// <summary>One JSON object per line (production).</summary>
    Json,

    /// <summary>One readable line per event (development).</summary>
    Text,
}

/// <summary><c>logger.*</c>.</summary>
public sealed record LoggerConfig
{
    /// <summary>debug, info, warn or error.</summary>
    public LogLevelName Level { get; init; } = LogLevelName.Info;

    /// <summary>json or text.</summary>
    public LogFormat Format { get; init; } = LogFormat.Json;
}

/// <summary><c>store.*</c>.</summary>
public sealed record StoreConfig
{
    /// <summary>Directory of <c>state.db</c> and the generated JWT secret (created 0700).</summary>
    public string DataDir { get; init; } = "/var/lib/otherix/control";
}

/// <summary><c>auth.*</c>.</summary>
public sealed record AuthConfig
{
    /// <summary>HS256 signing secret (at least 32 bytes); empty: generated once into <c>&lt;data_dir&gt;/jwt-secret</c> (0600).</summary>
    public string JwtSecret { get; init; } = "";

    /// <summary>Lifetime of a login's access token.</summary>
    public TimeSpan JwtAccessTtl { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Failed-login throttling per client address.</summary>
    public LoginThrottleConfig LoginThrottle { get; init; } = new();
}

/// <summary><c>auth.login_throttle.*</c>.</summary>
public sealed record LoginThrottleConfig
{
    /// <summary>Failed logins allowed from one address within <see cref="Window"/>.</summary>
    public int MaxFailures { get; init; } = 5;

    /// <summary>The window the failures are counted in; the block lasts until the oldest leaves it.</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromMinutes(5);
}

/// <summary><c>workers.*</c>.</summary>
public sealed record WorkersConfig
{
    /// <summary>Run task workers in this process.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>Tasks run at the same time.</summary>
    public int MaxWorkers { get; init; } = 10;

    /// <summary>How long a worker's claim on a task lasts without renewal (renewed every third of it).</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often idle workers look for work they were not told about.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Task bookkeeping.</summary>
    public TasksConfig Tasks { get; init; } = new();

    /// <summary>Node liveness.</summary>
    public HeartbeatConfig Heartbeat { get; init; } = new();
}

/// <summary><c>workers.heartbeat.*</c>.</summary>
public sealed record HeartbeatConfig
{
    /// <summary>How often agents are told to heartbeat.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A node with no heartbeat for this long is <c>unreachable</c>.</summary>
    public TimeSpan StaleThreshold { get; init; } = TimeSpan.FromSeconds(90);
}

/// <summary><c>workers.tasks.*</c>.</summary>
public sealed record TasksConfig
{
    /// <summary>Attempts (first run plus resumptions) before a task is failed for good.</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>How long finished tasks are kept.</summary>
    public RetentionConfig Retention { get; init; } = new();
}

/// <summary><c>workers.tasks.retention.*</c>.</summary>
public sealed record RetentionConfig
{
    /// <summary>Successful tasks.</summary>
    public TimeSpan Completed { get; init; } = TimeSpan.FromDays(7);

    /// <summary>Failed and cancelled tasks.</summary>
    public TimeSpan Failed { get; init; } = TimeSpan.FromDays(30);

    /// <summary>How often the janitor sweeps.</summary>
    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromHours(1);
}
