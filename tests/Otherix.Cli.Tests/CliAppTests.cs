using System.CommandLine;

namespace Otherix.Cli.Tests;

public sealed class CliAppTests
{
    [Test]
    public void Help_NamesTheCommandAndExitsZero()
    {
        var output = new StringWriter();

        var exit = CliApp.Build().Parse(["--help"]).Invoke(new InvocationConfiguration { Output = output });

        Assert.That(exit, Is.Zero);
        Assert.That(output.ToString(), Does.Contain("otherix"));
        Assert.That(output.ToString(), Does.Contain("Usage:"));
    }

    [Test]
    public void UnknownCommand_FailsWithAnError()
    {
        var error = new StringWriter();

        var exit = CliApp.Build().Parse(["frobnicate"]).Invoke(new InvocationConfiguration { Output = new StringWriter(), Error = error });

        Assert.That(exit, Is.Not.Zero);
        Assert.That(error.ToString(), Does.Contain("frobnicate"));
    }
}
