using Otherix.Testing;
using YamlDotNet.RepresentationModel;

namespace Otherix.EndToEnd.Tests.Dev;

/// <summary>
/// What cannot run on this machine is still checked here: every shell script passes shellcheck, the
/// systemd units pass systemd-analyze, the example configs load in the real programs, the Lima
/// template has what Lima needs (and not nestedVirtualization), and the macOS-only detection of
/// nested virtualization is run against stubbed <c>sysctl</c>/<c>sw_vers</c>.
/// </summary>
public sealed class DeployFilesTests
{
    private static string Repo(params string[] parts) => Path.Combine([RepoLayout.Root, .. parts]);

    [Test]
    public async Task ShellScripts_PassShellcheck()
    {
        HostRequirement.RequireTools("shellcheck");
        var scripts = new[] { "dev/scripts", "tools" }
            .SelectMany(d => Directory.GetFiles(Repo(d), "*.sh", SearchOption.AllDirectories))
            .Append(Repo(".ci", "run"))
            .Select(p => Path.GetRelativePath(RepoLayout.Root, p))
            .ToList();

        var result = await CommandRunner.RunAsync("bash", ["-c", $"cd {RepoLayout.Root} && shellcheck -x -P SCRIPTDIR/../.. {string.Join(' ', scripts)}"], TimeSpan.FromMinutes(2));

        Assert.That(scripts, Has.Count.GreaterThan(10));
        Assert.That(result.ExitCode, Is.Zero, result.StandardOutput + result.StandardError);
    }

    [TestCase("otherix-api.service", "otherix-api.dll")]
    [TestCase("otherix-agent.service", "otherix-agent.dll")]
    [TestCase("user/otherix-api.service", "otherix-api.dll")]
    [TestCase("user/otherix-agent.service", "otherix-agent.dll")]
    public async Task SystemdUnits_PassSystemdAnalyzeVerify(string unit, string program)
    {
        HostRequirement.RequireTools("systemd-analyze");
        using var dir = new TempDirectory("otx-units-");

        // The binary paths are the installed ones; point them at a real executable so verify checks the rest.
        var text = await File.ReadAllTextAsync(Repo("deploy", "systemd", unit));
        var execStart = text.Split('\n').Single(l => l.StartsWith("ExecStart=", StringComparison.Ordinal));
        var binary = execStart["ExecStart=".Length..].Split(' ')[0];
        var copy = Path.Combine(dir.Path, Path.GetFileName(unit));
        await File.WriteAllTextAsync(copy, text.Replace(binary, "/usr/bin/true", StringComparison.Ordinal).Replace("%h/otherix", dir.Path, StringComparison.Ordinal));

        var result = await CommandRunner.RunAsync("systemd-analyze", ["verify", copy], TimeSpan.FromSeconds(60));

        Assert.That(binary, Does.EndWith(Path.GetFileNameWithoutExtension(program)));
        var complaints = (result.StandardOutput + result.StandardError).Split('\n')
            .Where(l => l.Contains(Path.GetFileName(unit), StringComparison.Ordinal) || l.Contains("Unknown", StringComparison.Ordinal)).ToList();
        Assert.That(complaints, Is.Empty, result.StandardError);
    }

    [Test]
    public async Task ApiExampleConfig_IsAcceptedByTheControlPlane()
    {
        using var check = ChildProcess.Start("otherix-api.dll", ["--config", Repo("deploy", "config", "api.example.yaml"), "--check-config"], new Dictionary<string, string>());

        Assert.That(await check.WaitAsync(TimeSpan.FromSeconds(60)), Is.Zero, check.Output);
    }

    [Test]
    public async Task AgentExampleConfig_IsAcceptedByTheAgent()
    {
        using var check = ChildProcess.Start("otherix-agent.dll", ["--config", Repo("deploy", "config", "agent.example.yaml"), "--check-config"], new Dictionary<string, string>());

        Assert.That(await check.WaitAsync(TimeSpan.FromSeconds(60)), Is.Zero, check.Output);
    }

    [Test]
    public void LimaTemplate_HasWhatLimaNeeds_AndNoNestedVirtualization()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(Repo("dev", "lima", "otherix-dev.yaml"))));
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        string Scalar(string key) => ((YamlScalarNode)root[key]).Value!;

        Assert.That(root.Children.Keys.Select(k => ((YamlScalarNode)k).Value), Does.Not.Contain("nestedVirtualization"), "breaks Lima on M1/M2; lima.sh adds it where it works");
        Assert.That(Scalar("vmType"), Is.EqualTo("vz"));
        var images = ((YamlSequenceNode)root["images"]).Cast<YamlMappingNode>().ToList();
        Assert.That(images.Select(i => ((YamlScalarNode)i["arch"]).Value), Is.EquivalentTo(new[] { "aarch64", "x86_64" }));
        Assert.That(images.Select(i => ((YamlScalarNode)i["location"]).Value), Has.All.Contains("ubuntu-24.04"));
        var forward = ((YamlSequenceNode)root["portForwards"]).Cast<YamlMappingNode>().Single();
        Assert.That(((YamlScalarNode)forward["guestPort"]).Value, Is.EqualTo("9443"));
        var provision = ((YamlScalarNode)((YamlMappingNode)((YamlSequenceNode)root["provision"])[0])["script"]).Value!;
        Assert.That(provision, Does.Contain("libvirt-daemon-system").And.Contain("otherix-agent.service").And.Contain("/dev/kvm").And.Contain("TCG"));
        Assert.That(File.ReadAllText(Repo("dev", "config", "api.yaml")), Does.Contain("host.lima.internal"), "the dev certificate names the host as Lima's VM sees it");
    }

    [TestCase("Apple M1 Pro", "15.1", "")]
    [TestCase("Apple M2", "15.0", "")]
    [TestCase("Apple M3", "14.6.1", "")]
    [TestCase("Apple M3 Max", "15.2", "--set .nestedVirtualization=true")]
    [TestCase("Apple M4 Pro", "26.0", "--set .nestedVirtualization=true")]
    [TestCase("Intel(R) Core(TM) i9-9880H CPU @ 2.30GHz", "15.1", "")]
    public async Task NestedVirtualization_IsRequestedOnlyOnM3OrLaterWithMacOs15OrLater(string chip, string macos, string expected)
    {
        using var dir = new TempDirectory("otx-lima-stub-");
        foreach (var (name, output) in new[] { ("sysctl", chip), ("sw_vers", macos) })
        {
            var stub = Path.Combine(dir.Path, name);
            await File.WriteAllTextAsync(stub, $"#!/bin/sh\necho '{output}'\n");
            File.SetUnixFileMode(stub, (UnixFileMode)0b111_101_101);
        }

        var result = await CommandRunner.RunAsync(
            "bash", ["-c", $"PATH={dir.Path}:$PATH; source {Repo("dev", "scripts", "lima-nested.sh")}; lima_nested_flags"], TimeSpan.FromSeconds(30));

        Assert.That(result.ExitCode, Is.Zero, result.StandardError);
        Assert.That(result.StandardOutput.Trim(), Is.EqualTo(expected));
    }

    /// <summary>dev/scripts/lima.sh with stubbed limactl, sysctl and sw_vers: the calls it makes, in order.</summary>
    private static async Task<string> LimaAsync(string chip, string macos, string status, params string[] args)
    {
        using var dir = new TempDirectory("otx-lima-");
        var log = Path.Combine(dir.Path, "calls.log");
        var stubs = new Dictionary<string, string>
        {
            ["sysctl"] = $"echo '{chip}'",
            ["sw_vers"] = $"echo '{macos}'",
            // Records each call; what a `cat >` in the VM would read is recorded too.
            ["limactl"] = $$"""
                echo "limactl $*" >> {{log}}
                case "$*" in
                  list*) echo '{{status}}' ;;
                  *"cat >"*) sed 's/^/  stdin: /' >> {{log}} ;;
                  *"uname -m"*) echo aarch64 ;;
                esac
                """,
        };
        foreach (var (name, body) in stubs)
        {
            var stub = Path.Combine(dir.Path, name);
            await File.WriteAllTextAsync(stub, $"#!/bin/sh\n{body}\n");
            File.SetUnixFileMode(stub, (UnixFileMode)0b111_101_101);
        }

        var result = await CommandRunner.RunAsync(
            "bash", ["-c", $"PATH={dir.Path}:$PATH {Repo("dev", "scripts", "lima.sh")} {string.Join(' ', args)} </dev/null"], TimeSpan.FromSeconds(30));
        Assert.That(result.ExitCode, Is.Zero, result.StandardOutput + result.StandardError);
        return File.Exists(log) ? await File.ReadAllTextAsync(log) : "";
    }

    [Test]
    public async Task LimaEnsure_CreatesTheVmWithNestedVirtualizationOnlyWhereItWorks_AndStartsAStoppedOne()
    {
        Assert.That(await LimaAsync("Apple M3 Pro", "15.1", "", "ensure"), Is.EqualTo(
            "limactl list --format {{.Status}} otherix-dev\nlimactl create --name otherix-dev --set .nestedVirtualization=true dev/lima/otherix-dev.yaml\nlimactl start otherix-dev\n"));
        Assert.That(await LimaAsync("Apple M1", "15.1", "", "ensure"), Does.Contain("limactl create --name otherix-dev dev/lima/otherix-dev.yaml\n"));
        Assert.That(await LimaAsync("Apple M3 Pro", "15.1", "Stopped", "ensure"), Does.EndWith("limactl start otherix-dev\n").And.Not.Contain("create"));
        Assert.That(await LimaAsync("Apple M3 Pro", "15.1", "Running", "ensure"), Does.Not.Contain("start").And.Not.Contain("create"));
    }

    [Test]
    public async Task LimaSeed_WritesTheTokenOwnerOnly_AndTheEnvFile_ThenRestartsTheAgent()
    {
        var calls = await LimaAsync("Apple M3", "15.0", "Running", "seed", "otx_join_abc", "sha256:b0a9", "node-dev", "https://host.lima.internal:8443");

        Assert.That(calls, Is.EqualTo("""
            limactl shell otherix-dev sudo bash -c umask 077; cat > '/etc/otherix/bootstrap-token' && chmod 0600 '/etc/otherix/bootstrap-token'
              stdin: otx_join_abc
            limactl shell otherix-dev sudo bash -c umask 077; cat > '/etc/otherix/bootstrap.env' && chmod 0644 '/etc/otherix/bootstrap.env'
              stdin: OTHERIX_BOOTSTRAP__CP_URL=https://host.lima.internal:8443
              stdin: OTHERIX_BOOTSTRAP__CA_FINGERPRINT=sha256:b0a9
              stdin: OTHERIX_BOOTSTRAP__NODE_NAME=node-dev
            limactl shell otherix-dev sudo systemctl restart otherix-agent

            """));
    }

    [Test]
    public async Task LimaClean_StopsAndDeletesTheVm_OrSaysThereIsNone()
    {
        Assert.That(await LimaAsync("Apple M2", "14.0", "Running", "clean"), Does.EndWith("limactl stop otherix-dev\nlimactl delete otherix-dev\n"));
        Assert.That(await LimaAsync("Apple M2", "14.0", "", "clean"), Does.Not.Contain("delete"));
    }
}
