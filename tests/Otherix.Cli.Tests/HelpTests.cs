using System.Collections;
using System.CommandLine;
using Otherix.Testing;

namespace Otherix.Cli.Tests;

/// <summary>The help is the documentation: every command shows an example, and docs/cli-reference.md is its copy.</summary>
public sealed class HelpTests
{
    private static IEnumerable<(string Path, Command Command)> Commands(Command command, string path)
    {
        foreach (var sub in command.Subcommands.Where(c => !c.Hidden))
        {
            var subPath = $"{path} {sub.Name}";
            yield return (subPath, sub);
            foreach (var nested in Commands(sub, subPath))
            {
                yield return nested;
            }
        }
    }

    [Test]
    public void EveryCommandThatDoesSomething_HasAnExample()
    {
        var missing = Commands(CliApp.Build(new Hashtable()), "otherix")
            .Where(c => c.Command.Subcommands.Count == 0 && c.Command.Description?.Contains("Example: ", StringComparison.Ordinal) != true)
            .Select(c => c.Path)
            .ToList();

        Assert.That(missing, Is.Empty);
    }

    [Test]
    public void CliReference_IsTheCurrentHelp()
    {
        var output = new StringWriter();
        CliApp.Build(new Hashtable()).Parse(["help-reference"]).Invoke(new InvocationConfiguration { Output = output, Error = output });

        var onDisk = File.ReadAllText(Path.Combine(RepoLayout.Root, "docs", "cli-reference.md"));
        Assert.That(onDisk, Is.EqualTo(output.ToString()), "docs/cli-reference.md is out of date: run make cli-docs");
    }
}
