using Otherix.Testing;

namespace Otherix.Cli.Tests;

/// <summary><c>otherix completion bash</c>, loaded into a real bash and asked as bash would ask.</summary>
public sealed class CompletionTests
{
    [TestCase("otherix vm cre", "create")]
    [TestCase("otherix vm list -o ", "json table text yaml")]
    [TestCase("otherix po", "pool")]
    [TestCase("otherix completion z", "zsh")]
    public async Task Bash_CompletesCommandsAndFixedValues(string line, string expected)
    {
        using var dir = new TempDirectory("otx-completion-");
        ChildProcess.WriteLauncher(dir.Path, "otherix", "otherix.dll");
        var words = line.Split(' ');
        var script = $"""
            export PATH="{dir.Path}:$PATH"
            source <(otherix completion bash)
            COMP_LINE='{line}'; COMP_POINT=${"{"}#COMP_LINE{"}"}
            COMP_WORDS=({string.Join(' ', words.Select(w => $"'{w}'"))}); COMP_CWORD={words.Length - 1}
            _otherix_complete
            echo "${"{"}COMPREPLY[*]{"}"}"
            """;

        var result = await CommandRunner.RunAsync("bash", ["-c", script], TimeSpan.FromSeconds(30));

        Assert.That(result.StandardOutput.Trim(), Is.EqualTo(expected), result.StandardError);
    }
}
