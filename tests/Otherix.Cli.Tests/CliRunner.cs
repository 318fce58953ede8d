using System.Collections;
using System.CommandLine;

namespace Otherix.Cli.Tests;

/// <summary>Runs the CLI in-process with a given environment and HTTP handler, capturing stdout and stderr.</summary>
internal static class CliRunner
{
    /// <summary>A config path that never exists: never the developer's own ~/.otherix/config.</summary>
    public static readonly string NoConfig = Path.Combine(Path.GetTempPath(), "otx-no-such-dir", "config");

    /// <summary>Endpoint and token from the environment, no config file.</summary>
    public static Hashtable Env() => new() { ["OTHERIX_SERVER"] = "http://127.0.0.1:8080", ["OTHERIX_API_TOKEN"] = "otx_test", ["OTHERIX_CONFIG"] = NoConfig };

    public static (int Exit, string Out, string Err) Run(IDictionary env, HttpMessageHandler? handler, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = CliApp.Build(env, handler).Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }
}
