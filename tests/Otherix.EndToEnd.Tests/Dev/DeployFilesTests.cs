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

    private static void RequireTool(string tool) =>
        HostRequirement.Require($"{tool} not installed", File.Exists($"/usr/bin/{tool}") ? null : $"/usr/bin/{tool} is missing (tools/host/setup.sh installs it)");

    [Test]
    public async Task ShellScripts_PassShellcheck()
    {
        RequireTool("shellcheck");
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
        RequireTool("systemd-analyze");
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
}
