namespace Otherix.Agent.Tests;

public sealed class AgentCommandLineTests
{
    [Test]
    public void Help_ShowsConfigAndStatePaths()
    {
        var stdout = new StringWriter();

        var exit = AgentCommandLine.Run(["--help"], stdout, new StringWriter());

        Assert.That(exit, Is.Zero);
        Assert.That(stdout.ToString(), Does.Contain("/etc/otherix/agent.yaml"));
        Assert.That(stdout.ToString(), Does.Contain("/var/lib/otherix/"));
    }

    [Test]
    public void Version_PrintsTheProductVersion()
    {
        var stdout = new StringWriter();

        var exit = AgentCommandLine.Run(["--version"], stdout, new StringWriter());

        Assert.That(exit, Is.Zero);
        Assert.That(stdout.ToString().Trim(), Does.StartWith("0.1.0"));
    }

    [Test]
    public void NoArguments_SaysTheDaemonIsNotBuiltAndFails()
    {
        var stderr = new StringWriter();

        var exit = AgentCommandLine.Run([], new StringWriter(), stderr);

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(stderr.ToString(), Does.Contain("not built yet"));
    }
}
