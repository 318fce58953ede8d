using System.Collections;
using System.Reflection;
using Microsoft.Extensions.Logging.Console;
using Otherix.Agent.Daemon;
using Otherix.Agent.Driver;
using Otherix.Api.Configuration;
using Otherix.Api.Grpc;

namespace Otherix.Agent;

/// <summary>The agent's command line: <c>serve</c> (default) and <c>bootstrap</c>.</summary>
public static class AgentCommandLine
{
    /// <summary>Where the agent reads its operator-provided configuration (as root).</summary>
    public const string DefaultConfigPath = "/etc/otherix/agent.yaml";

    /// <summary>Runs the command line and returns the process exit code.</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, IDictionary environment, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var command = "serve";
        string? configPath = null;
        var force = false;
        var checkOnly = false;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--check-config":
                    checkOnly = true;
                    break;
                case "--version":
                    await stdout.WriteLineAsync(Version);
                    return 0;
                case "-h" or "--help":
                    await stdout.WriteLineAsync(Help);
                    return 0;
                case "serve" or "bootstrap" when i == 0:
                    command = args[i];
                    break;
                case "--config" when i + 1 < args.Count:
                    configPath = args[++i];
                    break;
                case "--force" when command == "bootstrap":
                    force = true;
                    break;
                default:
                    await stderr.WriteLineAsync($"otherix-agent: unknown argument \"{args[i]}\" (see --help)");
                    return 2;
            }
        }

        var defaults = AgentLayout.ForCurrentUser();
        var configFile = configPath ?? defaults.ConfigFile;
        AgentConfig config;
        try
        {
            config = AgentConfig.Load(configFile, environment);
        }
        catch (ConfigException e)
        {
            await stderr.WriteLineAsync($"otherix-agent: {e.Message}");
            return 2;
        }

        if (checkOnly)
        {
            if (!ListenAddress.TryParse(config.Server.Listen, out var listen) || !System.Net.IPAddress.TryParse(listen!.Host, out _))
            {
                await stderr.WriteLineAsync($"otherix-agent: {configFile}: server.listen \"{config.Server.Listen}\": the host must be an IP address");
                return 2;
            }

            await stdout.WriteLineAsync($"otherix-agent: configuration {configFile} is valid");
            return 0;
        }

        var layout = new AgentLayout(Path.GetDirectoryName(Path.GetFullPath(configFile))!, config.StateDir.Length > 0 ? config.StateDir : defaults.StateDirectory);
        using var loggers = LoggerFactory.Create(b => ConfigureLogging(b));
        var log = loggers.CreateLogger("otherix-agent");
        var settings = BootstrapSettings.Read(layout.BootstrapEnvFile, environment, layout.DefaultTokenFile);
        try
        {
            await AgentBootstrap.RunAsync(layout, settings, AdvertisedEndpoint(config), force, log, CancellationToken.None);
        }
        catch (BootstrapException e)
        {
            await stderr.WriteLineAsync(e.Message);
            return 1;
        }

        if (command == "bootstrap")
        {
            return 0;
        }

        var cpUrl = config.ControlPlane.Url.Length > 0 ? config.ControlPlane.Url : settings.CpUrl;
        if (cpUrl is null)
        {
            await stderr.WriteLineAsync($"otherix-agent: no control plane URL: set control_plane.url in {configFile} or OTHERIX_BOOTSTRAP__CP_URL in {layout.BootstrapEnvFile}");
            return 2;
        }

        using var identity = ClusterIdentity.Load(layout);
        await using var app = BuildServer(config, layout, identity, new Uri(cpUrl));
        await app.RunAsync();
        return 0;
    }

    /// <summary>
    /// The daemon: the gRPC server (mutual TLS: only the control plane's replica certificate from the
    /// cluster CA gets in) over the VM engine, and the heartbeat loop.
    /// </summary>
    public static WebApplication BuildServer(AgentConfig config, AgentLayout layout, ClusterIdentity identity, Uri controlPlane)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(identity);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        ConfigureLogging(builder.Logging);
        builder.Services.AddSystemd();
        if (!ListenAddress.TryParse(config.Server.Listen, out var listen) || !System.Net.IPAddress.TryParse(listen!.Host, out var ip))
        {
            throw new ConfigException([$"server.listen: \"{config.Server.Listen}\": the host must be an IP address"]);
        }

        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(ip, listen.Port, l =>
        {
            l.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http2;
            l.UseHttps(https =>
            {
                https.ServerCertificate = identity.Certificate;
                https.ClientCertificateMode = Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.RequireCertificate;
                https.ClientCertificateValidation = (certificate, _, _) => identity.IsControlPlane(certificate);
            });
        }));
        var paths = new AgentPaths(layout.StateDirectory);
        var probe = new AccelerationProbe(paths, TimeProvider.System) { Forced = config.Acceleration switch { "kvm" => "kvm", "tcg" => "qemu", _ => null } };
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(sp => new LibvirtVmDriver(
            () => Otherix.Native.Connection.Open(config.LibvirtUri), new Otherix.Agent.Templates.XmlTemplateRenderer(Path.Combine(AppContext.BaseDirectory, "templates")),
            paths, new HttpClient { Timeout = Timeout.InfiniteTimeSpan }, TimeProvider.System, probe));
        builder.Services.AddSingleton<AgentTasks>();
        builder.Services.AddSingleton<PoolReconciler>();
        builder.Services.AddGrpc();
        builder.Services.AddHostedService(sp => new HeartbeatLoop(
            identity, controlPlane, config.ControlPlane.HeartbeatInterval,
            () =>
            {
                var (capabilities, resources) = HostFacts.Collect(config.LibvirtUri, probe.Remembered);
                var request = new HeartbeatRequest
                {
                    AgentVersion = Version, Architecture = AgentBootstrap.Architecture, Capabilities = capabilities, Resources = resources,
                    ObservedAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
                    Migration = new Migration
                    {
                        Host = config.Migration.Host.Length > 0 ? config.Migration.Host : AdvertisedEndpoint(config).Split(':')[0],
                        PortRangeStart = config.Migration.PortRangeStart,
                        PortRangeEnd = config.Migration.PortRangeEnd,
                    },
                };
                try
                {
                    request.Vms.AddRange(sp.GetRequiredService<LibvirtVmDriver>().ListVms().Select(AgentService.ToReport));
                    request.Pools.AddRange(sp.GetRequiredService<PoolReconciler>().Report());
                }
                catch (Otherix.Native.LibvirtException)
                {
                    // libvirtd is down: the heartbeat still says the host is alive; VM and pool states come back with it.
                }

                return request;
            },
            response =>
            {
                try
                {
                    sp.GetRequiredService<PoolReconciler>().Converge(response.DeclaredPools);
                }
                catch (Otherix.Native.LibvirtException)
                {
                    // Retried with the next heartbeat's answer.
                }
            },
            TimeProvider.System, sp.GetRequiredService<ILogger<HeartbeatLoop>>()));
        var app = builder.Build();
        app.MapGrpcService<AgentService>();
        return app;
    }

    private static string AdvertisedEndpoint(AgentConfig config)
    {
        if (config.Server.AdvertisedEndpoint.Length > 0)
        {
            return config.Server.AdvertisedEndpoint;
        }

        var port = ListenAddress.TryParse(config.Server.Listen, out var listen) ? listen!.Port : 9443;
        return $"{System.Net.Dns.GetHostName()}:{port}";
    }

    private static void ConfigureLogging(ILoggingBuilder logging) =>
        logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "HH:mm:ss ";
            o.ColorBehavior = LoggerColorBehavior.Disabled;
        }).AddFilter("Microsoft", LogLevel.Warning).AddFilter("System.Net.Http", LogLevel.Warning).AddFilter("Grpc", LogLevel.Warning);

    private static string Version =>
        typeof(AgentCommandLine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    private static string Help => $"""
        otherix-agent {Version}: the Otherix host daemon. It drives this host's libvirtd for the control plane.

        Usage: otherix-agent [serve] [--config <agent.yaml>]       bootstrap if needed, then heartbeat
               otherix-agent bootstrap [--force] [--config <file>] only obtain the node certificate
               otherix-agent --check-config [--config <file>]      check the configuration and exit
               otherix-agent --version | --help

        Files (as root; otherwise everything under ~/.config/otherix/):
          {DefaultConfigPath}         optional settings (state_dir, libvirt_uri, acceleration, control_plane.url,
                                            control_plane.heartbeat_interval, server.listen,
                                            server.advertised_endpoint);
                                            overrides: OTHERIX_AGENT__<SECTION>__<KEY>
          /etc/otherix/bootstrap.env        OTHERIX_BOOTSTRAP__CP_URL (https://<control plane>:8443),
                                            __CA_FINGERPRINT (sha256:<hex>), __NODE_NAME, __TOKEN_FILE
          /etc/otherix/bootstrap-token      the join token (otherix node join-token create)
          /var/lib/otherix/certs/           agent.key (0600), agent.crt, ca.crt after bootstrap

        The first start fetches the cluster CA, checks it against the pinned fingerprint, and redeems
        the join token for a node certificate; later starts reuse it. --force re-bootstraps (needs a
        token minted for this node's name). See docs/security.md.
        Exit codes: 0 stopped cleanly, 1 bootstrap failed, 2 bad arguments or configuration.
        """;
}
