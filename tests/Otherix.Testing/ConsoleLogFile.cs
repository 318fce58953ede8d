namespace Otherix.Testing;

/// <summary>A guest's serial console log as virtlogd writes it (read while it grows, line ends without \r).</summary>
public static class ConsoleLogFile
{
    /// <summary>The log's text so far; empty while it does not exist yet.</summary>
    public static async Task<string> ReadAsync(string path)
    {
        if (!File.Exists(path))
        {
            return "";
        }

        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return (await reader.ReadToEndAsync().ConfigureAwait(false)).Replace("\r", "", StringComparison.Ordinal);
    }

    /// <summary>Waits until the log satisfies <paramref name="done"/>; fails with the text seen when <paramref name="deadline"/> passes.</summary>
    public static Task<string> WaitForAsync(string path, Func<string, bool> done, TimeSpan deadline, string what) =>
        Poll.UntilAsync(() => ReadAsync(path), done, deadline, what);
}
