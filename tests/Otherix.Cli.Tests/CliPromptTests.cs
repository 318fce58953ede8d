using Otherix.Control.Tests;
using Otherix.Testing;

namespace Otherix.Cli.Tests;

/// <summary>
/// Questions on a terminal: the real <c>otherix</c> under a pseudo-terminal (<c>script</c>) against an
/// in-process control plane. Values not given are asked for, the password without echo; destructive verbs
/// ask y/N.
/// </summary>
[NonParallelizable]
public sealed class CliPromptTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static ChildProcess Otherix(string configPath, string arguments) => ChildProcess.StartProgram(
        "script",
        ["-qfec", $"dotnet {Path.Combine(AppContext.BaseDirectory, "otherix.dll")} --config {configPath} {arguments}", "/dev/null"],
        new Dictionary<string, string>(),
        keepInput: true,
        rawOutput: true);

    private static async Task AnswerAsync(ChildProcess cli, string question, string answer)
    {
        await Poll.UntilAsync(() => Task.FromResult(cli.Output), o => o.TrimEnd().EndsWith(question.TrimEnd(), StringComparison.Ordinal) || cli.HasExited, Patience, $"the question \"{question}\"");
        await cli.WriteInputAsync(answer + "\r");
    }

    [Test]
    public async Task ConfigAddCluster_AsksForWhatIsMissing_WithoutEchoingThePassword_AndRemoveAsksYesNo()
    {
        await using var api = await TestApi.StartAsync(kestrel: true);
        using var dir = new TempDirectory("otx-cli-prompt-");
        var config = Path.Combine(dir.Path, "config");

        using (var add = Otherix(config, "config add cluster"))
        {
            await AnswerAsync(add, "Name for this cluster: ", "dev");
            await AnswerAsync(add, "Control plane URL (e.g. http://localhost:8080): ", api.Client.BaseAddress!.ToString());
            await AnswerAsync(add, "Email: ", TestApi.AdminEmail);
            await AnswerAsync(add, "Password: ", TestApi.AdminPassword);
            Assert.That(await add.WaitAsync(Patience), Is.Zero, add.Output);
            Assert.That(add.Output, Does.Contain("cluster dev added"));
            Assert.That(add.Output, Does.Not.Contain(TestApi.AdminPassword), "the password is not echoed");
            Assert.That(add.Output, Does.Contain(TestApi.AdminEmail), "other answers are echoed as typed");
        }

        Assert.That(CliConfigFile.Load(config).Find("dev")?.Token, Does.StartWith("otx_"));

        using (var keep = Otherix(config, "config remove dev"))
        {
            await AnswerAsync(keep, "remove cluster dev? (y/N) ", "n");
            Assert.That(await keep.WaitAsync(Patience), Is.EqualTo(1), keep.Output);
            Assert.That(keep.Output, Does.Contain("error: cancelled: nothing was changed"));
        }

        Assert.That(CliConfigFile.Load(config).Find("dev"), Is.Not.Null);

        using (var remove = Otherix(config, "config remove dev"))
        {
            await AnswerAsync(remove, "remove cluster dev? (y/N) ", "y");
            Assert.That(await remove.WaitAsync(Patience), Is.Zero, remove.Output);
        }

        Assert.That(CliConfigFile.Load(config).Find("dev"), Is.Null);
    }
}
