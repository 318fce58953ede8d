using System.Collections;
using System.CommandLine;
using System.Net;
using System.Text;
using Otherix.Testing;

namespace Otherix.Cli.Tests;

/// <summary>The config store's contract: the resolution matrix, crash safety and concurrent writers.</summary>
public sealed class ConfigStoreTests
{
    private TempDirectory _dir = null!;

    private string ConfigPath => Path.Combine(_dir.Path, ".otherix", "config");

    [SetUp]
    public void MakeDirectory() => _dir = new TempDirectory("otx-cli-store-");

    [TearDown]
    public void RemoveDirectory() => _dir.Dispose();

    /// <summary>Remembers where each request went and with which token; answers a join token.</summary>
    private sealed class Recorder : HttpMessageHandler
    {
        public (string Host, string? Token)? Last { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Last = (request.RequestUri!.Host, request.Headers.Authorization?.Parameter);
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.Created)
            {
                Content = new StringContent("""{"id":"01a2424c-ec58-730c-9512-3c7687cac0c3","node_name":null,"expires_at":"2026-12-04T19:04:39Z","max_uses":0,"created_at":"2026-12-04T18:54:39Z","token":"otx_join_abc","ca_fingerprint":"sha256:b0a9"}""", Encoding.UTF8, "application/json"),
            });
        }
    }

    /// <summary>Where a value can come from, highest priority first; <c>Config</c> is the chosen entry (named by --cluster, else the current one).</summary>
    [Flags]
    private enum Layers
    {
        None = 0,
        Flag = 1,
        Environment = 2,
        Config = 4,
    }

    [Test]
    public void EndpointAndToken_ResolveIndependently_InEveryCombinationOfLayers([Values] bool namedCluster)
    {
        var failures = new List<string>();
        var all = Enumerable.Range(0, 8).Select(i => (Layers)i).ToList();
        foreach (var endpointLayers in all)
        {
            foreach (var tokenLayers in all)
            {
                // The chosen entry carries only the values its layer provides; the other entry always has both,
                // so a wrong choice of entry shows.
                var chosen = namedCluster ? "picked" : "current";
                CliConfigFile.Save(ConfigPath, new CliConfig
                {
                    CurrentCluster = "current",
                    Clusters =
                    [
                        new ClusterEntry { Name = "current", Server = namedCluster ? "http://wrong-current.invalid" : "", Token = namedCluster ? "wrong-current" : "" },
                        new ClusterEntry { Name = "picked", Server = "", Token = "" },
                    ],
                });
                CliConfigFile.Update(ConfigPath, null, c =>
                {
                    var entry = c.Find(chosen)!;
                    entry.Server = endpointLayers.HasFlag(Layers.Config) ? "http://config.invalid" : "";
                    entry.Token = tokenLayers.HasFlag(Layers.Config) ? "config-token" : "";
                    return 0;
                });
                var env = new Hashtable { ["OTHERIX_CONFIG"] = ConfigPath };
                var args = new List<string> { "node", "join-token", "create" };
                if (namedCluster)
                {
                    args.AddRange(["--cluster", "picked"]);
                }

                if (endpointLayers.HasFlag(Layers.Flag))
                {
                    args.AddRange(["--endpoint", "http://flag.invalid"]);
                }

                if (endpointLayers.HasFlag(Layers.Environment))
                {
                    env["OTHERIX_SERVER"] = "http://env.invalid";
                }

                if (tokenLayers.HasFlag(Layers.Flag))
                {
                    args.AddRange(["--token", "flag-token"]);
                }

                if (tokenLayers.HasFlag(Layers.Environment))
                {
                    env["OTHERIX_API_TOKEN"] = "env-token";
                }

                var recorder = new Recorder();
                var error = new StringWriter();
                var exit = CliApp.Build(env, recorder).Parse(args).Invoke(new InvocationConfiguration { Output = new StringWriter(), Error = error });

                var expectedHost = Winner(endpointLayers, "flag.invalid", "env.invalid", "config.invalid");
                var expectedToken = Winner(tokenLayers, "flag-token", "env-token", "config-token");
                var expected = expectedHost is null ? "error: usage: no endpoint configured"
                    : expectedToken is null ? "error: usage: no token configured"
                    : $"{expectedHost} {expectedToken}";
                var actual = exit == 0 ? $"{recorder.Last?.Host} {recorder.Last?.Token}" : error.ToString().Split(':', 3) is [var a, var b, var c] ? $"{a}:{b}:{c.Split(':')[0]}" : error.ToString();
                if (actual != expected)
                {
                    failures.Add($"endpoint from {endpointLayers}, token from {tokenLayers}: expected \"{expected}\", got \"{actual}\"");
                }
            }
        }

        Assert.That(failures, Is.Empty);
    }

    private static string? Winner(Layers layers, string flag, string environment, string config) =>
        layers.HasFlag(Layers.Flag) ? flag : layers.HasFlag(Layers.Environment) ? environment : layers.HasFlag(Layers.Config) ? config : null;

    [Test]
    public async Task KilledMidWrite_LeavesTheOldOrTheNewFile_NeverAHalfOne_AndNoAcknowledgedEntryIsLost()
    {
        for (var round = 0; round < 8; round++)
        {
            using var writer = ChildProcess.Start("Otherix.TestHelper.dll", ["cli-config-write", ConfigPath], new Dictionary<string, string>());
            await writer.WaitForOutputAsync($"ack {round * 3}", TimeSpan.FromSeconds(30));
            await Task.Delay(Random.Shared.Next(0, 15));
            writer.Kill();

            var config = CliConfigFile.Load(ConfigPath);
            var acknowledged = writer.Output.Split('\n').Count(l => l.StartsWith("ack ", StringComparison.Ordinal));
            Assert.That(config.Clusters.Count, Is.GreaterThanOrEqualTo(acknowledged), $"round {round}: every acknowledged entry is in the file");
            Assert.That(config.Clusters.Select(c => c.Name).Distinct().Count(), Is.EqualTo(config.Clusters.Count));
            Assert.That(config.CurrentCluster, Is.EqualTo(config.Clusters[^1].Name), "the file is one whole write");
            File.Delete(ConfigPath);
        }

        Assert.That(Directory.GetFiles(Path.GetDirectoryName(ConfigPath)!, "*.tmp"), Has.Length.LessThanOrEqualTo(8), "at most one temp file per kill is left behind");
    }

    [Test]
    public async Task ConcurrentWriters_EachGetTheirChangeIn()
    {
        const int Writers = 8;
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(i => Task.Run(() =>
        {
            for (var j = 0; j < 5; j++)
            {
                CliConfigFile.Update(ConfigPath, null, c =>
                {
                    c.Clusters.Add(new ClusterEntry { Name = $"w{i}-{j}", Server = "http://127.0.0.1:8080", Token = "t" });
                    return 0;
                });
            }
        })));

        var config = CliConfigFile.Load(ConfigPath);
        Assert.That(config.Clusters, Has.Count.EqualTo(Writers * 5));
        Assert.That(File.GetUnixFileMode(ConfigPath), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        Assert.That(File.GetUnixFileMode(Path.GetDirectoryName(ConfigPath)!), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
    }

    [Test]
    public async Task ConcurrentAddCluster_FromSeparateCommands_KeepsBoth()
    {
        var server = new FakeLogin();
        var env = new Hashtable { ["OTHERIX_CONFIG"] = ConfigPath };
        var runs = Enumerable.Range(0, 6).Select(i => Task.Run(() => CliApp.Build(env, server)
            .Parse(["config", "add", "cluster", "--name", $"c{i}", "--server", "http://127.0.0.1:8080", "--login", "a@b.c", "--password", "pw-pw-pw-pw-pw"])
            .Invoke(new InvocationConfiguration { Output = new StringWriter(), Error = new StringWriter() })));

        Assert.That(await Task.WhenAll(runs), Is.All.Zero);
        Assert.That(CliConfigFile.Load(ConfigPath).Clusters.Select(c => c.Name), Is.EquivalentTo(Enumerable.Range(0, 6).Select(i => $"c{i}")));
    }

    private sealed class FakeLogin : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var json = request.RequestUri!.AbsolutePath == "/v1/auth/login"
                ? """{"access_token":"jwt-1","token_type":"Bearer","expires_in":900,"user":{"id":"01a2424c-4430-77b8-9b3e-1b88405b154a","email":"a@b.c","display_name":"","role":"admin","last_login_at":null,"created_at":"2026-12-04T18:00:00Z","updated_at":"2026-12-04T18:00:00Z"}}"""
                : $$"""{"id":"{{Guid.NewGuid()}}","user_id":"01a2424c-4430-77b8-9b3e-1b88405b154a","name":"x","description":"","prefix":"otx_abcd","expires_at":null,"created_at":"2026-12-04T18:00:00Z","plaintext_token":"otx_secret"}""";
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(json, Encoding.UTF8, "application/json") });
        }
    }
}
