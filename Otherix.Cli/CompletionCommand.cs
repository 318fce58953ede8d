using System.CommandLine;

namespace Otherix.Cli;

/// <summary>
/// <c>otherix completion bash|zsh</c>: a script that asks <c>otherix</c> itself what can come next
/// (System.CommandLine's <c>[suggest:N]</c> directive), so completion always matches the installed version.
/// </summary>
internal static class CompletionCommand
{
    // The line up to the cursor, without the program's name; the answer is one candidate per line.
    private const string Bash = """
        # otherix completion for bash. Load it now:   source <(otherix completion bash)
        # or for good:   otherix completion bash > /etc/bash_completion.d/otherix
        _otherix_complete() {
            local line="${COMP_LINE:0:COMP_POINT}"
            line="${line#"${COMP_WORDS[0]}"}"
            line="${line#"${line%%[![:space:]]*}"}"
            local IFS=$'\n'
            COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" "[suggest:${#line}]" "$line" 2>/dev/null)" -- "${COMP_WORDS[COMP_CWORD]}"))
        }
        complete -o default -F _otherix_complete otherix

        """;

    private const string Zsh = """
        #compdef otherix
        # otherix completion for zsh. Load it now:   source <(otherix completion zsh)
        # or for good: otherix completion zsh > "${fpath[1]}/_otherix"
        _otherix() {
            local line="${(j: :)words[2,CURRENT]}"
            local -a candidates
            candidates=(${(f)"$("${words[1]}" "[suggest:${#line}]" "$line" 2>/dev/null)"})
            compadd -- $candidates
        }
        compdef _otherix otherix

        """;

    public static Command Build()
    {
        var shell = new Argument<string>("shell") { Description = "bash or zsh" };
        shell.AcceptOnlyFromAmong("bash", "zsh");
        var command = new Command("completion", """
            Print a shell completion script (commands, options and fixed values).
            Example: source <(otherix completion bash)
            Example: otherix completion zsh > "${fpath[1]}/_otherix"
            """) { shell };
        command.SetAction(parse => parse.InvocationConfiguration.Output.Write(parse.GetValue(shell) == "zsh" ? Zsh : Bash));
        return command;
    }
}
