using System.Collections;

namespace Otherix.Agent.Tests;

public sealed class AgentCommandLineTests
{
    [Test]
    public async Task Help_ShowsConfigBootstrapAndStatePaths()
    {
        var stdout = new StringWriter();

        var exit = await AgentCommandLine.RunAsync(["--help"], new Hashtable(), stdout, new StringWriter());

        Assert.That(exit, Is.Zero);
        Assert.That(stdout.ToString(), Does.Contain("/etc/otherix/agent.yaml").And.Contain("bootstrap.env").And.Contain("/var/lib/otherix/certs/"));
    }

    [Test]
    public async Task Version_PrintsTheProductVersion()
    {
        var stdout = new StringWriter();

        var exit = await AgentCommandLine.RunAsync(["--version"], new Hashtable(), stdout, new StringWriter());

        Assert.That(exit, Is.Zero);
        Assert.That(stdout.ToString().Trim(), Does.StartWith("0.1.0"));
    }

    [Test]
    public async Task UnknownArgument_IsAUsageError()
    {
        var stderr = new StringWriter();

        var exit = await AgentCommandLine.RunAsync(["--bogus"], new Hashtable(), new StringWriter(), stderr);

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(stderr.ToString(), Does.Contain("unknown argument"));
    }

    [Test]
    public async Task NotBootstrappedAndNothingConfigured_SaysWhatIsMissing()
    {
        using var dir = new Otherix.Testing.TempDirectory("otx-agent-");
        // Its own state directory: the host's default (/var/lib/otherix as root) may hold a dev agent's certificate.
        await File.WriteAllTextAsync(Path.Combine(dir.Path, "agent.yaml"), $"state_dir: {dir.Path}/state\n");
        var stderr = new StringWriter();

        var exit = await AgentCommandLine.RunAsync(["--config", Path.Combine(dir.Path, "agent.yaml")], new Hashtable(), new StringWriter(), stderr);

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(stderr.ToString(), Does.Contain("OTHERIX_BOOTSTRAP__CP_URL").And.Contain("OTHERIX_BOOTSTRAP__CA_FINGERPRINT").And.Contain("join token"));
    }

    [Test]
    public async Task HalfWrittenCertificates_AreFatalAndNameTheOrphan()
    {
        using var dir = new Otherix.Testing.TempDirectory("otx-agent-");
        await File.WriteAllTextAsync(Path.Combine(dir.Path, "agent.yaml"), $"state_dir: {dir.Path}/state\n");
        Directory.CreateDirectory(Path.Combine(dir.Path, "state", "certs"));
        await File.WriteAllTextAsync(Path.Combine(dir.Path, "state", "certs", "agent.crt"), "x");
        var stderr = new StringWriter();

        var exit = await AgentCommandLine.RunAsync(["--config", Path.Combine(dir.Path, "agent.yaml")], new Hashtable(), new StringWriter(), stderr);

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(stderr.ToString(), Does.Contain("partial bootstrap state").And.Contain("agent.crt exists but").And.Contain("agent.key is missing"));
    }
}
