using System.Collections;
using System.Text;
using Otherix.Api.Configuration;

namespace Otherix.Control.Configuration;

/// <summary>Loads and checks <c>api.yaml</c> (see <see cref="ConfigBinder"/>); overrides are <c>OTHERIX_SECTION__KEY</c>.</summary>
public static class ConfigLoader
{
    /// <summary>Loads <paramref name="path"/> (or defaults when null) with overrides from <paramref name="environment"/>.</summary>
    /// <exception cref="ConfigException">Anything is wrong.</exception>
    public static ApiConfig Load(string? path, IDictionary environment) => ConfigBinder.Load<ApiConfig>(path, environment, "OTHERIX_", Validate);

    private static void Validate(ApiConfig c, ConfigCheck Check)
    {
        Check(ListenAddress.TryParse(c.Server.Listen, out _), "server.listen", $"\"{c.Server.Listen}\" is not host:port");
        Check(c.Server.ShutdownGrace >= TimeSpan.Zero, "server.shutdown_grace", "must not be negative");
        Check(c.Store.DataDir.Length > 0, "store.data_dir", "must be set");
        Check(c.Auth.JwtSecret.Length == 0 || Encoding.UTF8.GetByteCount(c.Auth.JwtSecret) >= 32, "auth.jwt_secret", "must be at least 32 bytes (or empty to generate one)");
        Check(c.Auth.JwtAccessTtl >= TimeSpan.FromMinutes(1) && c.Auth.JwtAccessTtl <= TimeSpan.FromHours(24), "auth.jwt_access_ttl", "must be between 1m and 24h");
        Check(c.Auth.LoginThrottle.MaxFailures >= 1, "auth.login_throttle.max_failures", "must be at least 1");
        Check(c.Auth.LoginThrottle.Window > TimeSpan.Zero, "auth.login_throttle.window", "must be positive");
        Check(c.Workers.MaxWorkers is >= 1 and <= 256, "workers.max_workers", "must be between 1 and 256");
        Check(c.Workers.Lease >= TimeSpan.FromSeconds(1), "workers.lease", "must be at least 1s");
        Check(c.Workers.PollInterval > TimeSpan.Zero, "workers.poll_interval", "must be positive");
        Check(c.Workers.Tasks.MaxAttempts >= 1, "workers.tasks.max_attempts", "must be at least 1");
        Check(c.Workers.Tasks.Retention.Completed > TimeSpan.Zero, "workers.tasks.retention.completed", "must be positive");
        Check(c.Workers.Tasks.Retention.Failed > TimeSpan.Zero, "workers.tasks.retention.failed", "must be positive");
        Check(c.Workers.Tasks.Retention.SweepInterval > TimeSpan.Zero, "workers.tasks.retention.sweep_interval", "must be positive");
        Check(c.Workers.Heartbeat.Interval >= TimeSpan.FromSeconds(1), "workers.heartbeat.interval", "must be at least 1s");
        Check(c.Workers.Heartbeat.StaleThreshold > c.Workers.Heartbeat.Interval, "workers.heartbeat.stale_threshold", "must be longer than workers.heartbeat.interval");
        Check(ListenAddress.TryParse(c.AgentServer.Listen, out _), "agent_server.listen", $"\"{c.AgentServer.Listen}\" is not host:port");
        Check(!c.AgentServer.Enabled || c.AgentServer.Listen != c.Server.Listen, "agent_server.listen", "must differ from server.listen");
        Check(c.CpCert.Validity >= TimeSpan.FromHours(24), "cp_cert.validity", "must be at least 24h");
        Check(c.StoragePools.AllowedPathPrefixes.All(p => p.StartsWith('/')), "storage_pools.allowed_path_prefixes", "every prefix must be an absolute path");
        Check(c.StoragePools.DefaultPoolName.Length == 0 || Http.Names.CheckResourceName(c.StoragePools.DefaultPoolName) is null, "storage_pools.default_pool_name", "must be empty or a DNS label");
        Check(c.StoragePools.DefaultPoolDir.StartsWith('/'), "storage_pools.default_pool_dir", "must be an absolute path");
    }

}
