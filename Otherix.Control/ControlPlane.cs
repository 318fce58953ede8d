using System.Collections;
using System.Net;
using System.Reflection;
using Carter;
using Microsoft.Extensions.Logging.Console;
using Otherix.Api.Json;
using Otherix.Control.Auth;
using Otherix.Control.Configuration;
using Otherix.Control.Http;
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
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
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
        ConfigureListener(builder, config.Server);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = config.Server.ShutdownGrace);
        builder.Services.ConfigureHttpJsonOptions(o => ApiJson.Configure(o.SerializerOptions));

        var store = LiteDbStateStore.Open(Path.Combine(config.Store.DataDir, StateFileName));
        builder.Services.AddSingleton<IStateStore>(_ => store);
        builder.Services.AddSingleton(config);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<PasswordHasher>();
        builder.Services.AddSingleton(sp => new AccessTokens(AccessTokens.LoadSecret(config), config.Auth.JwtAccessTtl, sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<LoginThrottle>();
        builder.Services.AddSingleton<TaskSubmitter>();
        builder.Services.AddSingleton<TaskEngine>();
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
        app.UseRouting();
        app.UseOtherixAuth();
        app.MapCarter();
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

    private static void ConfigureListener(WebApplicationBuilder builder, ServerConfig server)
    {
        IPAddress? ip = null;
        if (!ListenAddress.TryParse(server.Listen, out var address) || (address!.Host != "localhost" && !IPAddress.TryParse(address.Host, out ip)))
        {
            throw new ConfigException([$"server.listen: \"{server.Listen}\": the host must be an IP address or localhost"]);
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = RequestBody.MaxBytes;
            kestrel.AddServerHeader = false;
            if (ip is null)
            {
                kestrel.ListenLocalhost(address.Port);
            }
            else
            {
                kestrel.Listen(ip, address.Port);
            }
        });
    }

    private static string Help => $"""
        otherix-api {Version}: the Otherix control plane (REST API, state, task workers).

        Usage: otherix-api [--config <api.yaml>] [--version | --help]

        --config <file>   YAML configuration (see docs/api.md, "Configuration"); without it, defaults.
                          Any key can be overridden with OTHERIX_<SECTION>__<KEY>, e.g.
                          OTHERIX_AUTH__JWT_ACCESS_TTL=30m, OTHERIX_SERVER__LISTEN=127.0.0.1:8080.

        First start only: OTHERIX_BOOTSTRAP_ADMIN_EMAIL and OTHERIX_BOOTSTRAP_ADMIN_PASSWORD (both or neither)
        create the first admin user.

        Probes: GET /healthz (alive), GET /readyz (store readable). API: /v1, described at /v1/openapi.json.
        Exit codes: 0 stopped cleanly, 1 could not start, 2 bad arguments or configuration (every problem listed).
        """;
}
