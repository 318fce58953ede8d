using System.Collections;
using System.Net;
using System.Text;
using Otherix.Testing;

namespace Otherix.Cli.Tests;

public sealed class ConfigTests
{
    private TempDirectory _dir = null!;

    private string ConfigPath => Path.Combine(_dir.Path, ".otherix", "config");

    [SetUp]
    public void MakeDirectory() => _dir = new TempDirectory("otx-cli-");

    [TearDown]
    public void RemoveDirectory() => _dir.Dispose();

    /// <summary>Answers by path, remembering requests.</summary>
    private sealed class FakeServer : HttpMessageHandler
    {
        public List<(string Method, string Path, string? Authorization, string Body)> Seen { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken);
            Seen.Add((request.Method.Method, request.RequestUri!.AbsolutePath, request.Headers.Authorization?.Parameter, body));
            var (status, json) = (request.Method.Method, request.RequestUri!.AbsolutePath) switch
            {
                ("POST", "/v1/auth/login") => (HttpStatusCode.OK, """{"access_token":"jwt-1","token_type":"Bearer","expires_in":900,"user":{"id":"01a2424c-4430-77b8-9b3e-1b88405b154a","email":"admin@otherix.test","display_name":"","role":"admin","last_login_at":null,"created_at":"2026-12-04T18:00:00Z","updated_at":"2026-12-04T18:00:00Z"}}"""),
                ("POST", "/v1/users/me/api-tokens") => (HttpStatusCode.Created, $$"""{"id":"{{Guid.NewGuid()}}","user_id":"01a2424c-4430-77b8-9b3e-1b88405b154a","name":"x","description":"","prefix":"otx_abcd","expires_at":null,"created_at":"2026-12-04T18:00:00Z","plaintext_token":"otx_secret{{Seen.Count}}"}"""),
                ("DELETE", _) => (HttpStatusCode.NoContent, ""),
                ("POST", "/v1/nodes/join-tokens") => (HttpStatusCode.Created, """{"id":"01a2424c-ec58-730c-9512-3c7687cac0c3","node_name":null,"expires_at":"2026-12-04T19:04:39Z","max_uses":0,"created_at":"2026-12-04T18:54:39Z","token":"otx_join_abc","ca_fingerprint":"sha256:b0a9"}"""),
                _ => (HttpStatusCode.NotFound, """{"error":{"code":"not_found","message":"no route"}}"""),
            };
            return new HttpResponseMessage(status) { Content = new StringContent(json.Length == 0 ? "null" : json, Encoding.UTF8, "application/json") };
        }
    }

    private static (int Exit, string Out, string Err) Run(IDictionary env, HttpMessageHandler? handler, params string[] args) => CliRunner.Run(env, handler, args);

    private Hashtable Env(params (string Key, string Value)[] extra)
    {
        var env = new Hashtable { ["OTHERIX_CONFIG"] = ConfigPath };
        foreach (var (key, value) in extra)
        {
            env[key] = value;
        }

        return env;
    }

    private void AddCluster(FakeServer server, string name, string url, bool current = true) =>
        Assert.That(Run(Env(), server, "config", "add", "cluster", "--name", name, "--server", url, "--login", "admin@otherix.test", "--password", "pw-pw-pw-pw-pw", $"--set-current={current}".ToLowerInvariant()).Exit, Is.Zero);

    [Test]
    public void AddCluster_LogsInMintsAnApiTokenAndStoresIt0600()
    {
        var server = new FakeServer();

        var (exit, output, _) = Run(Env(), server, "config", "add", "cluster", "--name", "dev", "--server", "http://127.0.0.1:8080", "--login", "admin@otherix.test", "--password", "pw-pw-pw-pw-pw");

        Assert.That(exit, Is.Zero);
        Assert.That(output, Does.Contain("cluster dev added").And.Contain("current"));
        Assert.That(server.Seen.Select(s => s.Path), Is.EqualTo(new[] { "/v1/auth/login", "/v1/users/me/api-tokens" }));
        Assert.That(server.Seen[1].Authorization, Is.EqualTo("jwt-1"));
        var text = File.ReadAllText(ConfigPath);
        Assert.That(text, Does.Contain("apiVersion: otherix/v1").And.Contain("current-cluster: dev").And.Contain("token: otx_secret2"));
        Assert.That(text, Does.Not.Contain("pw-pw-pw"), "the password is never stored");
        Assert.That(File.GetUnixFileMode(ConfigPath), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        Assert.That(File.GetUnixFileMode(Path.GetDirectoryName(ConfigPath)!), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
        Assert.That(Directory.GetFiles(Path.GetDirectoryName(ConfigPath)!).Select(Path.GetFileName), Is.EquivalentTo(new[] { "config", "config.lock" }), "no temp file left");
    }

    [Test]
    public void AddCluster_Twice_NeedsForce_AndForceRevokesTheOldToken()
    {
        var server = new FakeServer();
        AddCluster(server, "dev", "http://127.0.0.1:8080");

        var refused = Run(Env(), server, "config", "add", "cluster", "--name", "dev", "--server", "http://127.0.0.1:8080", "--login", "a@b.c", "--password", "pw-pw-pw-pw-pw");
        var forced = Run(Env(), server, "config", "add", "cluster", "--name", "dev", "--server", "http://127.0.0.1:8080", "--login", "a@b.c", "--password", "pw-pw-pw-pw-pw", "--force");

        Assert.That(refused.Exit, Is.EqualTo(1));
        Assert.That(refused.Err, Does.Contain("--force"));
        Assert.That(forced.Exit, Is.Zero);
        Assert.That(server.Seen.Last().Method, Is.EqualTo("DELETE"));
        Assert.That(File.ReadAllText(ConfigPath), Does.Contain("otx_secret4").And.Not.Contain("otx_secret2"));
    }

    [Test]
    public void AddCluster_WithoutItsValues_NamesWhatIsMissing()
    {
        var (exit, _, error) = Run(Env(), new FakeServer(), "config", "add", "cluster", "--name", "dev");

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(error, Does.Contain("OTHERIX_SERVER").And.Contain("OTHERIX_LOGIN").And.Contain("OTHERIX_PASSWORD"));
    }

    [Test]
    public void ListUseShowRemove_ManageTheEntries()
    {
        var server = new FakeServer();
        AddCluster(server, "dev", "http://127.0.0.1:8080");
        AddCluster(server, "prod", "http://127.0.0.1:9090", current: false);

        var list = Run(Env(), null, "config", "list");
        var use = Run(Env(), null, "config", "use", "prod");
        var show = Run(Env(), null, "config", "show");
        var shown = Run(Env(), null, "config", "show", "prod", "--show-token");
        var noForce = Run(Env(), null, "config", "remove", "dev");
        var removed = Run(Env(), null, "config", "remove", "dev", "--force");
        var unknown = Run(Env(), null, "config", "use", "nope");

        Assert.That(list.Out, Does.Match(@"NAME\s+SERVER\s+CURRENT").And.Match(@"dev\s+http://127.0.0.1:8080\s+\*").And.Match(@"prod\s+http://127.0.0.1:9090\s*\n"));
        Assert.That(use.Exit, Is.Zero);
        Assert.That(show.Out, Does.Contain("name:    prod").And.Contain("token:   otx_secr…").And.Not.Contain("otx_secret"));
        Assert.That(shown.Out, Does.Match("token:   otx_secret[0-9]+"));
        Assert.That(noForce.Exit, Is.EqualTo(1), "stdin is not a terminal in tests: --force is required");
        Assert.That(removed.Exit, Is.Zero);
        Assert.That(Run(Env(), null, "config", "list").Out, Does.Not.Contain("dev"));
        Assert.That(unknown.Err, Does.Contain("no cluster named nope"));
    }

    [Test]
    public void EndpointAndToken_ResolveFlagThenEnvironmentThenNamedClusterThenCurrent()
    {
        var server = new FakeServer();
        AddCluster(server, "dev", "http://dev.invalid:8080");
        AddCluster(server, "prod", "http://prod.invalid:9090", current: false);
        var current = new FakeServer();
        Run(Env(), current, "node", "join-token", "create");
        var named = new FakeServer();
        Run(Env(), named, "node", "join-token", "create", "--cluster", "prod");
        var env = new FakeServer();
        Run(Env(("OTHERIX_SERVER", "http://env.invalid:1"), ("OTHERIX_API_TOKEN", "env-token")), env, "node", "join-token", "create", "--cluster", "prod");
        var flags = new FakeServer();
        Run(Env(("OTHERIX_API_TOKEN", "env-token")), flags, "node", "join-token", "create", "--token", "flag-token");

        Assert.That(current.Seen.Single().Authorization, Does.StartWith("otx_secret"));
        Assert.That(named.Seen.Single().Authorization, Is.Not.EqualTo(current.Seen.Single().Authorization), "--cluster picks the other entry's token");
        Assert.That(env.Seen.Single().Authorization, Is.EqualTo("env-token"), "the environment beats --cluster");
        Assert.That(flags.Seen.Single().Authorization, Is.EqualTo("flag-token"), "the flag beats the environment");
    }

    [Test]
    public void NothingConfigured_FailsWithoutGuessingLocalhost()
    {
        var (exit, _, error) = Run(Env(), new FakeServer(), "node", "join-token", "create");

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(error, Does.Contain("no endpoint configured"));
    }

    [Test]
    public void CorruptFile_IsAnErrorWithPathAndLine_AndIsNotOverwritten()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(ConfigPath)!);
        File.WriteAllText(ConfigPath, "apiVersion: otherix/v1\nclusters: [\n  - name: x\n");

        var (exit, _, error) = Run(Env(), null, "config", "use", "x");

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(error, Does.Contain(ConfigPath + ":"));
        Assert.That(File.ReadAllText(ConfigPath), Does.StartWith("apiVersion: otherix/v1\nclusters: [\n"));
    }

    [Test]
    public void LooseFile_IsWarnedAbout_AndTightenedOnTheNextWrite()
    {
        var server = new FakeServer();
        AddCluster(server, "dev", "http://127.0.0.1:8080");
        File.SetUnixFileMode(ConfigPath, (UnixFileMode)0b110_100_100);

        var (exit, _, error) = Run(Env(), null, "config", "use", "dev");

        Assert.That(exit, Is.Zero);
        Assert.That(error, Does.Contain("readable by others"));
        Assert.That(File.GetUnixFileMode(ConfigPath), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
    }
}
