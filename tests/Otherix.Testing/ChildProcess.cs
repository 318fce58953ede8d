using System.Diagnostics;
using System.Text;

namespace Otherix.Testing;

/// <summary>A program of ours (a dll next to the tests) running as a child process, its output collected.</summary>
public sealed class ChildProcess : IDisposable
{
    // A safety net: whatever a failed test forgot is killed when the test process ends.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, Process> Running = new();
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    static ChildProcess() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        foreach (var process in Running.Values)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
        }
    };

    private readonly Task _rawPump = Task.CompletedTask;

    private ChildProcess(Process process, bool rawOutput)
    {
        _process = process;
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginErrorReadLine();
        if (rawOutput)
        {
            // As it comes, not by lines: prompts do not end with a newline.
            _rawPump = Task.Run(async () =>
            {
                var decoder = Encoding.UTF8.GetDecoder();
                var bytes = new byte[4096];
                var chars = new char[4096];
                int read;
                while ((read = await _process.StandardOutput.BaseStream.ReadAsync(bytes)) > 0)
                {
                    var count = decoder.GetChars(bytes, 0, read, chars, 0);
                    lock (_output)
                    {
                        _output.Append(chars, 0, count);
                    }
                }
            });
        }
        else
        {
            _process.OutputDataReceived += (_, e) => Append(e.Data);
            _process.BeginOutputReadLine();
        }
    }

    /// <summary>Everything it printed so far (stdout and stderr interleaved).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Whether it ended.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Its exit code (after it ended).</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Its standard input, when started with <c>keepInput</c>; otherwise closed at start.</summary>
    public Stream Input => _process.StandardInput.BaseStream;

    /// <summary>Its process id.</summary>
    public int Id => _process.Id;

    /// <summary>Starts <c>dotnet &lt;dll&gt; args</c> with only the given OTHERIX_ variables.</summary>
    /// <param name="dll">A program of ours next to the tests.</param>
    /// <param name="args">Its arguments.</param>
    /// <param name="environment">OTHERIX_ variables (others of the test process are removed).</param>
    /// <param name="keepInput">Keep stdin open for <see cref="Input"/>; by default it is an empty pipe, so children never wait for a person.</param>
    /// <param name="rawOutput">Collect stdout as it comes rather than by lines (prompts, terminals).</param>
    public static ChildProcess Start(string dll, IEnumerable<string> args, IReadOnlyDictionary<string, string> environment, bool keepInput = false, bool rawOutput = false) =>
        StartProgram("dotnet", args.Prepend(Path.Combine(AppContext.BaseDirectory, dll)), environment, keepInput, rawOutput);

    /// <summary>Starts any program, as <see cref="Start"/> does.</summary>
    public static ChildProcess StartProgram(string program, IEnumerable<string> args, IReadOnlyDictionary<string, string> environment, bool keepInput = false, bool rawOutput = false)
    {
        // stdin is a pipe: children see "not a terminal".
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("OTHERIX_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        var process = Process.Start(info)!;
        if (!keepInput)
        {
            process.StandardInput.Close();
        }

        Running[process.Id] = process;
        return new ChildProcess(process, rawOutput);
    }

    /// <summary>
    /// Writes an executable <c>&lt;directory&gt;/&lt;name&gt;</c> that runs <c>dotnet &lt;dll&gt;</c> (a program of ours next
    /// to the tests) with its arguments, for scripts that call the program by name; returns its path.
    /// </summary>
    public static string WriteLauncher(string directory, string name, string dll)
    {
        var launcher = Path.Combine(directory, name);
        File.WriteAllText(launcher, $"#!/bin/sh\nexec dotnet {Path.Combine(AppContext.BaseDirectory, dll)} \"$@\"\n");
        File.SetUnixFileMode(launcher, (UnixFileMode)0b111_101_101);
        return launcher;
    }

    /// <summary>Writes <paramref name="bytes"/> to its stdin (see <c>keepInput</c>).</summary>
    public async Task WriteInputAsync(params byte[] bytes)
    {
        await Input.WriteAsync(bytes);
        await Input.FlushAsync();
    }

    /// <summary>Writes <paramref name="text"/> (ASCII) to its stdin.</summary>
    public Task WriteInputAsync(string text) => WriteInputAsync(Encoding.ASCII.GetBytes(text));

    /// <summary>Waits until its output contains <paramref name="text"/> (loggers flush asynchronously); returns the output.</summary>
    public Task<string> WaitForOutputAsync(string text, TimeSpan timeout) =>
        Poll.UntilAsync(() => Task.FromResult(Output), o => o.Contains(text, StringComparison.Ordinal) || _process.HasExited, timeout, $"\"{text}\" in the output");

    /// <summary>Waits for it to end, at most <paramref name="timeout"/>.</summary>
    public async Task<int> WaitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        _process.WaitForExit(); // drains the output readers
        await _rawPump.WaitAsync(timeout);
        return _process.ExitCode;
    }

    /// <summary>SIGTERM (graceful) and wait.</summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        if (!_process.HasExited)
        {
            using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync();
        }

        return await WaitAsync(timeout);
    }

    /// <summary>SIGKILL: no chance to clean up.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    /// <summary>Kills it if still running.</summary>
    public void Dispose()
    {
        Kill();
        Running.TryRemove(_process.Id, out _);
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
