using System.CommandLine;
using System.Text;

namespace Otherix.Cli;

/// <summary>
/// docs/cli-reference.md: every command's <c>--help</c>, in tree order, rendered by the CLI itself
/// (<c>otherix help-reference</c>, hidden; <c>make cli-docs</c> writes the file, and a test keeps it current).
/// </summary>
internal static class HelpReference
{
    public static Command Build(Func<RootCommand> tree)
    {
        var command = new Command("help-reference", "Print docs/cli-reference.md (every command's --help).") { Hidden = true };
        command.SetAction(parse => parse.InvocationConfiguration.Output.Write(Render(tree())));
        return command;
    }

    /// <summary>The Markdown page.</summary>
    public static string Render(RootCommand root)
    {
        var page = new StringBuilder("""
            # otherix command reference

            Generated from `otherix <command> --help` by `make cli-docs`; a test fails when it is out of date.
            The guide with examples is [cli.md](cli.md).

            """);
        void Visit(Command command, List<string> path)
        {
            if (command.Hidden)
            {
                return;
            }

            var help = new StringWriter();
            root.Parse([.. path, "--help"]).Invoke(new InvocationConfiguration { Output = help, Error = help });
            // The root's name is the running program's (testhost under a test runner): print the product's.
            var text = help.ToString().TrimEnd().Replace($"  {root.Name} ", "  otherix ", StringComparison.Ordinal);
            page.Append($"\n## otherix{(path.Count == 0 ? "" : " " + string.Join(' ', path))}\n\n```text\n{text}\n```\n");
            foreach (var sub in command.Subcommands)
            {
                Visit(sub, [.. path, sub.Name]);
            }
        }

        Visit(root, []);
        return page.ToString();
    }
}
