using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using YamlDotNet.Serialization;

namespace Otherix.Cli;

/// <summary>
/// What every command shares: running a body with the CLI's error contract, <c>-o json|yaml</c>, prompts
/// and the human formats (ages, byte sizes).
/// </summary>
internal static class CliOutput
{
    /// <summary>The global flag that shows stack traces and HTTP exchanges.</summary>
    public const string DebugFlag = "--debug";

    /// <summary>
    /// Runs a command body: a <see cref="CliException"/> becomes <c>error: …</c> and exit code 1; anything
    /// else too (as <c>request_failed</c>), with the stack trace only under <c>--debug</c>; a signal is 130.
    /// </summary>
    public static async Task<int> RunAsync(ParseResult parse, Func<Task> body)
    {
        var error = parse.InvocationConfiguration.Error;
        var debug = parse.GetValue<bool>(DebugFlag);
        try
        {
            await body();
            return 0;
        }
        catch (CliException e)
        {
            await error.WriteLineAsync($"error: {e.Message}");
            if (debug)
            {
                await error.WriteLineAsync(e.ToString());
            }

            return 1;
        }
        catch (OperationCanceledException)
        {
            await error.WriteLineAsync("error: interrupted");
            return 130;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            await error.WriteLineAsync(debug
                ? $"error: request_failed: {e}"
                : $"error: request_failed: {e.GetType().Name}: {e.Message} (--debug shows the details)");
            return 1;
        }
    }

    /// <summary>
    /// With <c>-o json</c>, prints the server's answer to GET <paramref name="path"/> unchanged; with
    /// <c>-o yaml</c>, <paramref name="manifest"/>'s projection of it (VMs, pools), else the answer as YAML.
    /// Returns false for the text and table formats, which the command renders itself.
    /// </summary>
    public static async Task<bool> FormatAsync(ParseResult parse, CliApp.Globals globals, ApiClient client, string path, CancellationToken ct, Func<string, string>? manifest = null)
    {
        var format = parse.GetValue(globals.Output);
        if (format is not ("json" or "yaml"))
        {
            return false;
        }

        var answer = await client.SendRawAsync(HttpMethod.Get, path, null, ct);
        await parse.InvocationConfiguration.Output.WriteAsync(format == "json" ? answer + "\n" : manifest?.Invoke(answer) ?? Yaml(answer));
        return true;
    }

    /// <summary>A JSON document as YAML, keys in their order.</summary>
    public static string Yaml(string json)
    {
        using var document = JsonDocument.Parse(json);
        return YamlWriter.Serialize(Plain(document.RootElement));
    }

    /// <summary>The YAML serializer the CLI prints with: no nulls, strings quoted when they would read as something else.</summary>
    public static ISerializer YamlWriter { get; } = new SerializerBuilder()
        .ConfigureDefaultValuesHandling(DefaultValuesHandling.OmitNull)
        .WithQuotingNecessaryStrings()
        .DisableAliases()
        .Build();

    /// <summary>Asks y/N on a terminal; without one, <c>--force</c> is required.</summary>
    /// <exception cref="CliException">Not confirmed.</exception>
    public static void Confirm(ParseResult parse, Option<bool> force, string what)
    {
        if (parse.GetValue(force))
        {
            return;
        }

        if (!Prompt.IsInteractive)
        {
            throw new CliException($"usage: to {what}, pass --force (stdin is not a terminal)");
        }

        if (Prompt.Ask($"{what}? (y/N) ", parse.InvocationConfiguration.Error)?.Trim() is not ("y" or "Y" or "yes"))
        {
            throw new CliException("cancelled: nothing was changed");
        }
    }

    /// <summary><c>20s</c>, <c>5m</c>, <c>3h</c>, <c>5d</c>.</summary>
    public static string Age(DateTimeOffset since)
    {
        var age = DateTimeOffset.UtcNow - since;
        return age.TotalSeconds < 60 ? $"{Math.Max(0, (int)age.TotalSeconds)}s"
            : age.TotalMinutes < 60 ? $"{(int)age.TotalMinutes}m"
            : age.TotalHours < 24 ? $"{(int)age.TotalHours}h"
            : $"{(int)age.TotalDays}d";
    }

    /// <summary><c>80.0GiB</c>.</summary>
    public static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 40 => (bytes / (double)(1L << 40)).ToString("0.0", CultureInfo.InvariantCulture) + "TiB",
        >= 1L << 30 => (bytes / (double)(1L << 30)).ToString("0.0", CultureInfo.InvariantCulture) + "GiB",
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("0.0", CultureInfo.InvariantCulture) + "MiB",
        _ => bytes.ToString(CultureInfo.InvariantCulture) + "B",
    };

    private static object? Plain(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().ToDictionary(p => p.Name, p => Plain(p.Value)),
        JsonValueKind.Array => element.EnumerateArray().Select(Plain).ToList(),
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number => element.TryGetInt64(out var whole) ? whole : element.GetDecimal(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };
}

/// <summary>Questions on a terminal (stderr), never when stdin is not one.</summary>
internal static class Prompt
{
    /// <summary>Whether a person can answer: stdin is a terminal.</summary>
    public static bool IsInteractive => RawTerminal.IsInputTerminal;

    /// <summary>Asks and reads a line; null at end of input.</summary>
    public static string? Ask(string question, TextWriter to)
    {
        to.Write(question);
        to.Flush();
        return Console.ReadLine();
    }

    /// <summary>Asks for a secret: nothing is echoed.</summary>
    public static string AskSecret(string question, TextWriter to)
    {
        to.Write(question);
        to.Flush();
        var secret = new System.Text.StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            switch (key.Key)
            {
                case ConsoleKey.Enter:
                    to.WriteLine();
                    return secret.ToString();
                case ConsoleKey.Backspace when secret.Length > 0:
                    secret.Length--;
                    break;
                default:
                    if (!char.IsControl(key.KeyChar))
                    {
                        secret.Append(key.KeyChar);
                    }

                    break;
            }
        }
    }
}

/// <summary><c>--limit</c>, <c>--cursor</c> and <c>--show-ids</c> of a list command, and its table.</summary>
internal sealed record ListPaging(Option<int> Limit, Option<string?> Cursor, Option<bool> ShowIds)
{
    /// <summary>The three options, added to <paramref name="list"/>.</summary>
    public static ListPaging AddTo(Command list)
    {
        var paging = new ListPaging(
            new Option<int>("--limit") { Description = "Rows per page, 1..200", DefaultValueFactory = _ => 20 },
            new Option<string?>("--cursor") { Description = "Continue after a previous page (its next_cursor)" },
            new Option<bool>("--show-ids") { Description = "Add the ID column" });
        list.Options.Add(paging.Limit);
        list.Options.Add(paging.Cursor);
        list.Options.Add(paging.ShowIds);
        return paging;
    }

    /// <summary><c>limit=…[&amp;cursor=…]</c>.</summary>
    public string Query(ParseResult parse) =>
        $"limit={parse.GetValue(Limit)}{(parse.GetValue(Cursor) is { } cursor ? $"&cursor={Uri.EscapeDataString(cursor)}" : "")}";

    /// <summary>The table (IDs first with <c>--show-ids</c>), then <c>next_cursor: …</c> when there is another page.</summary>
    public async Task WriteAsync(ParseResult parse, string[] headers, IEnumerable<(Guid Id, string[] Cells)> rows, string? nextCursor)
    {
        var output = parse.InvocationConfiguration.Output;
        var ids = parse.GetValue(ShowIds);
        await Table.WriteAsync(output, ids ? ["ID", .. headers] : headers, rows.Select(r => ids ? [r.Id.ToString(), .. r.Cells] : r.Cells).ToList());
        if (nextCursor is not null)
        {
            await output.WriteLineAsync($"next_cursor: {nextCursor}");
        }
    }
}
