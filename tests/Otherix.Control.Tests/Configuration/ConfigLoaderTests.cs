using Otherix.Api.Configuration;
using System.Collections;
using Otherix.Control.Configuration;

namespace Otherix.Control.Tests.Configuration;

public sealed class ConfigLoaderTests
{
    private string _dir = null!;

    [SetUp]
    public void MakeDirectory() => _dir = Directory.CreateTempSubdirectory("otx-config-").FullName;

    [TearDown]
    public void RemoveDirectory() => Directory.Delete(_dir, recursive: true);

    private string Write(string yaml)
    {
        var path = Path.Combine(_dir, "api.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    private static Hashtable Env(params (string Name, string Value)[] variables)
    {
        var env = new Hashtable();
        foreach (var (name, value) in variables)
        {
            env[name] = value;
        }

        return env;
    }

    [Test]
    public void NoFile_GivesTheDocumentedDefaults()
    {
        var config = ConfigLoader.Load(null, Env());

        Assert.That(config.Server.Listen, Is.EqualTo("0.0.0.0:8080"));
        Assert.That(config.Auth.JwtAccessTtl, Is.EqualTo(TimeSpan.FromMinutes(15)));
        Assert.That(config.Store.DataDir, Is.EqualTo("/var/lib/otherix/control"));
        Assert.That(config.Workers.MaxWorkers, Is.EqualTo(10));
        Assert.That(config.Workers.Tasks.Retention.Completed, Is.EqualTo(TimeSpan.FromDays(7)));
        Assert.That(config.Workers.Tasks.Retention.Failed, Is.EqualTo(TimeSpan.FromDays(30)));
        Assert.That(config.Logger.Format, Is.EqualTo(LogFormat.Json));
    }

    [Test]
    public void Yaml_IsBoundWithDurationsEnumsAndNesting()
    {
        var config = ConfigLoader.Load(Write("""
            server:
              listen: 127.0.0.1:9090
            logger: { level: debug, format: text }
            auth:
              jwt_access_ttl: 1h30m
              login_throttle:
                max_failures: 3
            workers:
              tasks:
                retention:
                  completed: 48h
            """), Env());

        Assert.That(config.Server.Listen, Is.EqualTo("127.0.0.1:9090"));
        Assert.That(config.Logger.Level, Is.EqualTo(LogLevelName.Debug));
        Assert.That(config.Auth.JwtAccessTtl, Is.EqualTo(TimeSpan.FromMinutes(90)));
        Assert.That(config.Auth.LoginThrottle.MaxFailures, Is.EqualTo(3));
        Assert.That(config.Auth.LoginThrottle.Window, Is.EqualTo(TimeSpan.FromMinutes(5)), "unset keys keep defaults");
        Assert.That(config.Workers.Tasks.Retention.Completed, Is.EqualTo(TimeSpan.FromHours(48)));
    }

    [Test]
    public void Environment_OverridesTheFile_WithDoubleUnderscoreNesting()
    {
        var config = ConfigLoader.Load(
            Write("auth:\n  jwt_access_ttl: 1h\n"),
            Env(("OTHERIX_AUTH__JWT_ACCESS_TTL", "30m"), ("OTHERIX_WORKERS__TASKS__RETENTION__FAILED", "240h"), ("OTHERIX_SERVER__LISTEN", "[::1]:8081")));

        Assert.That(config.Auth.JwtAccessTtl, Is.EqualTo(TimeSpan.FromMinutes(30)));
        Assert.That(config.Workers.Tasks.Retention.Failed, Is.EqualTo(TimeSpan.FromHours(240)));
        Assert.That(config.Server.Listen, Is.EqualTo("[::1]:8081"));
    }

    [Test]
    public void OtherProgramsVariables_AreLeftAlone()
    {
        Assert.DoesNotThrow(() => ConfigLoader.Load(null, Env(
            ("OTHERIX_BOOTSTRAP__TOKEN", "x"), ("OTHERIX_API_TOKEN", "otx_x"), ("OTHERIX_SERVER", "http://127.0.0.1:8080"), ("OTHERIX_BOOTSTRAP_ADMIN_EMAIL", "a@b.c"))));
    }

    [Test]
    public void EveryProblem_IsReportedAtOnce_WithWhereItCameFrom()
    {
        var path = Write("""
            server:
              listen: nowhere
              listne: 127.0.0.1:1
            auth:
              jwt_access_ttl: 15x
              jwt_secret: short
            logger:
              level: loud
            workers:
              max_workers: many
            bogus_section: {}
            """);

        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(path, Env(("OTHERIX_WORKERS__LEASE", "soon"))))!;

        Assert.That(e.Errors, Has.Count.EqualTo(8), string.Join("\n", e.Errors));
        Assert.That(e.Errors, Has.Some.Contains($"{path}:2: server.listen: \"nowhere\" is not host:port"));
        Assert.That(e.Errors, Has.Some.Contains($"{path}:6: auth.jwt_secret: must be at least 32 bytes"));
        Assert.That(e.Errors, Has.Some.Contains($"{path}:3: server.listne: unknown key"));
        Assert.That(e.Errors, Has.Some.Contains($"{path}:5: auth.jwt_access_ttl: \"15x\" is not a duration"));
        Assert.That(e.Errors, Has.Some.Contains("logger.level: \"loud\" must be one of debug, info, warn, error"));
        Assert.That(e.Errors, Has.Some.Contains("workers.max_workers: \"many\" is not a whole number"));
        Assert.That(e.Errors, Has.Some.Contains("bogus_section: unknown key"));
        Assert.That(e.Errors, Has.Some.Contains("OTHERIX_WORKERS__LEASE: workers.lease: \"soon\" is not a duration"));
    }

    [Test]
    public void RangeProblems_AreReportedTogether()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(Write("""
            server: { listen: "127.0.0.1:99999" }
            auth: { jwt_secret: short, jwt_access_ttl: 30s }
            workers: { max_workers: 0 }
            """), Env()))!;

        Assert.That(e.Errors, Has.Count.EqualTo(4), string.Join("\n", e.Errors));
        Assert.That(e.Errors, Has.Some.Contains("server.listen"));
        Assert.That(e.Errors, Has.Some.Contains("auth.jwt_secret: must be at least 32 bytes"));
        Assert.That(e.Errors, Has.Some.Contains("auth.jwt_access_ttl: must be between 1m and 24h"));
        Assert.That(e.Errors, Has.Some.Contains("workers.max_workers: must be between 1 and 256"));
    }

    [Test]
    public void MalformedYaml_SaysWhere()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(Write("server:\n  listen: [unclosed\n"), Env()))!;

        Assert.That(e.Errors.Single(), Does.Contain("not valid YAML"));
    }

    [Test]
    public void DevConfig_Loads()
    {
        var config = ConfigLoader.Load(Path.Combine(Otherix.Testing.RepoLayout.Root, "dev", "config", "api.yaml"), Env());

        Assert.That(config.Server.Listen, Is.EqualTo("127.0.0.1:8080"));
        Assert.That(config.Store.DataDir, Is.EqualTo(".local/control"));
    }

    [TestCase("500ms", 500)]
    [TestCase("30s", 30_000)]
    [TestCase("1h30m", 5_400_000)]
    [TestCase("7d", 604_800_000)]
    [TestCase("0", 0)]
    public void Durations_ParseGoStyle(string text, long milliseconds)
    {
        Assert.That(ConfigValues.TryParseDuration(text, out var value), Is.True);
        Assert.That(value.TotalMilliseconds, Is.EqualTo(milliseconds));
    }

    [TestCase("")]
    [TestCase("15")]
    [TestCase("15x")]
    [TestCase("m")]
    [TestCase("-5m")]
    public void Durations_RejectNonsense(string text) => Assert.That(ConfigValues.TryParseDuration(text, out _), Is.False);
}
