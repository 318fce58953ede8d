using Otherix.Api.Configuration;
using System.Collections;
using System.Net;
using System.Reflection;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Carter;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging.Console;
using Otherix.Api.Json;
using Otherix.Control.Auth;
using Otherix.Control.Configuration;
using Otherix.Api.Security;
using Otherix.Control.Http;
using Otherix.Control.Nodes;
using Otherix.Control.Pki;
using Otherix.Control.Store;
using Otherix.Control.Tasks;

namespace Otherix.Control;

/// <summary>Composes and runs the control plane.</summary>
public static class ControlPlane
{
    /// <summary>The state file's name inside <c>store.data_dir</c>.</summary>
    public const string StateFileName = "state.db";

    private static string Version =>
        typeof(ControlPlane).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    /// <summary>The <c>otherix-api</c> command line; returns the exit code (2 for bad usage or configuration).</summary>
    public static async Task<int> MainAsync(string[] args, IDictionary environment, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        string? configPath = null;
        var checkOnly = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--check-config":
                    checkOnly = true;
                    break;
                case "-h" or "--help":
                    await stdout.WriteLineAsync(Help);
                    return 0;
                case "--version":
                    await stdout.WriteLineAsync(Version);
                    return 0;
                case "--config" when i + 1 < args.Length:
                    configPath = args[++i];
                    break;
                default:
                    await stderr.WriteLineAsync($"otherix-api: unknown argument \"{args[i]}\" (see --help)");
                    return 2;
            }
        }

        ApiConfig config;
        BootstrapAdmin? admin;
        try
        {
            config = ConfigLoader.Load(configPath, environment);
            var errors = new List<string>();
            admin = BootstrapAdmin.FromEnvironment(environment, errors);
            if (errors.Count > 0)
            {
                throw new ConfigException(errors);
            }
        }
        catch (ConfigException e)
        {
            await stderr.WriteLineAsync($"otherix-api: {e.Message}");
            return 2;
        }

        if (checkOnly)
        {
            await stdout.WriteLineAsync($"otherix-api: configuration {configPath ?? "(defaults)"} is valid");
            return 0;
        }

        WebApplication app;
        try
        {
            app = Build(config, admin);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException or ConfigException)
        {
            await stderr.WriteLineAsync($"otherix-api: cannot start: {e.Message}");
            return 1;
        }

        await using (app)
        {
            await app.RunAsync();
        }

        return 0;
    }

    /// <summary>
    /// Builds the application: store opened (and migrated), services registered, routes mapped.
    /// <paramref name="customize"/> runs last on the builder (tests swap the server and the clock).
    /// </summary>
    public static WebApplication Build(ApiConfig config, BootstrapAdmin? admin, Action<WebApplicationBuilder>? customize = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(ControlPlane).Assembly.GetName().Name });
        ConfigureLogging(builder.Logging, config.Logger);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = config.Server.ShutdownGrace);
        builder.Services.ConfigureHttpJsonOptions(o => ApiJson.Configure(o.SerializerOptions));

        var store = LiteDbStateStore.Open(Path.Combine(config.Store.DataDir, StateFileName));
        builder.Services.AddSingleton<IStateStore>(_ => store);
        ClusterCa ca;
        X509Certificate2? replica;
        try
        {
            ca = ClusterCa.LoadOrCreate(Path.Combine(config.Store.DataDir, "ca"), store, TimeProvider.System);
            var issuer = new CertificateIssuer(ca, TimeProvider.System); // certificates carry real time, whatever clock tests inject
            builder.Services.AddSingleton(ca);
            builder.Services.AddSingleton(issuer);
            replica = config.AgentServer.Enabled ? ReplicaCertificate.LoadOrIssue(config, ca, issuer, TimeProvider.System) : null;
        }
        catch
        {
            store.Dispose();
            throw;
        }

        builder.Services.AddSingleton(ConfigureListeners(builder, config, ca, replica));
        if (replica is not null)
        {
            builder.Services.AddSingleton(new Agents.AgentConnections(ca.Certificate, replica));
        }

        builder.Services.AddGrpc();
        builder.Services.AddHostedService<NodeLivenessWorker>();
        builder.Services.AddSingleton(config);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<PasswordHasher>();
        builder.Services.AddSingleton(sp => new AccessTokens(AccessTokens.LoadSecret(config), config.Auth.JwtAccessTtl, sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<LoginThrottle>();
        builder.Services.AddSingleton<TaskSubmitter>();
        builder.Services.AddSingleton<TaskEngine>();
        builder.Services.AddSingleton<ITaskHandler, Pools.PoolScanHandler>();
        foreach (var type in Vms.VmTaskHandler.Types)
        {
            builder.Services.AddSingleton<ITaskHandler>(sp => new Vms.VmTaskHandler(type, sp.GetRequiredService<IStateStore>(), sp.GetRequiredService<TimeProvider>(), sp));
        }

        if (config.StoragePools.DefaultPoolName.Length > 0 && store.Settings.Find("default_pool_seeded") is null)
        {
            // First start: the configured default pool is the cluster default until an admin changes it.
            store.Settings.Put(Pools.PoolsModule.DefaultPoolSetting, config.StoragePools.DefaultPoolName);
            store.Settings.Put("default_pool_seeded", "true");
        }

        if (config.Workers.Enabled)
        {
            builder.Services.AddHostedService(sp => sp.GetRequiredService<TaskEngine>());
        }

        if (admin is not null)
        {
            builder.Services.AddSingleton(admin);
        }

        builder.Services.AddHostedService<BootstrapAdminService>();
        builder.Services.AddCarter();
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Otherix control plane";
            document.Info.Version = Version;
            return Task.CompletedTask;
        }));
        customize?.Invoke(builder);

        var app = builder.Build();
        _ = app.Services.GetRequiredService<IStateStore>(); // owned by the container from here on: disposed with the app
        app.UseErrorEnvelope();
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(15), KeepAliveTimeout = TimeSpan.FromSeconds(45) });
        app.UseRouting();
        app.UseOtherixAuth();
        app.MapCarter();
        app.MapGrpcService<HeartbeatService>().OnAgentListener().ExcludeFromDescription();
        app.MapOpenApi("/v1/openapi.json").AllowAnonymousAccess();
        return app;
    }

    private static void ConfigureLogging(ILoggingBuilder logging, LoggerConfig config)
    {
        logging.ClearProviders();
        var level = config.Level switch
        {
            LogLevelName.Debug => LogLevel.Debug,
            LogLevelName.Warn => LogLevel.Warning,
            LogLevelName.Error => LogLevel.Error,
            _ => LogLevel.Information,
        };
        logging.SetMinimumLevel(level);
        if (level > LogLevel.Debug)
        {
            logging.AddFilter("Microsoft", LogLevel.Warning);
            logging.AddFilter("Microsoft.Hosting.Lifetime", level);
        }

        if (config.Format == LogFormat.Json)
        {
            logging.AddJsonConsole(o =>
            {
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z' ";
            });
        }
        else
        {
            logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "HH:mm:ss ";
                o.ColorBehavior = LoggerColorBehavior.Disabled;
            });
        }
    }

    private static Listeners ConfigureListeners(WebApplicationBuilder builder, ApiConfig config, ClusterCa ca, X509Certificate2? replica)
    {
        var (publicIp, publicPort) = Endpoint("server.listen", config.Server.Listen);
        var agent = replica is null ? ((IPAddress?)null, 0) : Endpoint("agent_server.listen", config.AgentServer.Listen);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = RequestBody.MaxBytes;
            kestrel.AddServerHeader = false;
            Listen(kestrel, publicIp, publicPort, _ => { });
            if (replica is not null)
            {
                // Agents: TLS with our replica certificate; a client certificate is optional at the TLS level
                // (join and /v1/ca come without one) but must chain to the cluster CA when presented.
                Listen(kestrel, agent.Item1, agent.Item2, listen =>
                {
                    listen.Protocols = HttpProtocols.Http1AndHttp2;
                    listen.UseHttps(https =>
                    {
                        https.ServerCertificate = replica;
                        https.SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;
                        https.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
                        https.ClientCertificateValidation = (certificate, _, _) =>
                            ClusterTrust.CheckChain(certificate, ca.Certificate, ClusterTrust.ClientAuth) is null;
                    });
                });
            }
        });
        return new Listeners(publicPort, replica is null ? null : agent.Item2);
    }

    private static (IPAddress? Ip, int Port) Endpoint(string key, string text)
    {
        IPAddress? ip = null;
        if (!ListenAddress.TryParse(text, out var address) || (address!.Host != "localhost" && !IPAddress.TryParse(address.Host, out ip)))
        {
            throw new ConfigException([$"{key}: \"{text}\": the host must be an IP address or localhost"]);
        }

        return (ip, address.Port);
    }

    private static void Listen(KestrelServerOptions kestrel, IPAddress? ip, int port, Action<ListenOptions> configure)
    {
        if (ip is null)
        {
            kestrel.ListenLocalhost(port, configure);
        }
        else
        {
            kestrel.Listen(ip, port, configure);
        }
    }

    private static string Help => $"""
        otherix-api {Version}: the Otherix control plane (REST API, state, task workers).

        Usage: otherix-api [--config <api.yaml>] [--check-config] [--version | --help]

        --config <file>   YAML configuration (see docs/api.md, "Configuration"); without it, defaults.
                          Any key can be overridden with OTHERIX_<SECTION>__<KEY>, e.g.
                          OTHERIX_AUTH__JWT_ACCESS_TTL=30m, OTHERIX_SERVER__LISTEN=127.0.0.1:8080.
        --check-config    load and check the configuration (and the environment), print the verdict, exit.

        First start only: OTHERIX_BOOTSTRAP_ADMIN_EMAIL and OTHERIX_BOOTSTRAP_ADMIN_PASSWORD (both or neither)
        create the first admin user.

        Probes: GET /healthz (alive), GET /readyz (store readable). API: /v1, described at /v1/openapi.json.
        Exit codes: 0 stopped cleanly, 1 could not start, 2 bad arguments or configuration (every problem listed).
        """;
}
