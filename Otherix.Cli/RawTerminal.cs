using System.Runtime.InteropServices;

namespace Otherix.Cli;

/// <summary>
/// Standard input's terminal in raw mode (no echo, no line editing, no signals from keys, bytes as typed)
/// until disposed. The saved settings are restored on dispose and, as a safety net, when the process exits;
/// restoring twice is harmless. <c>termios</c> is kept opaque (saved bytes, <c>cfmakeraw</c>), so its
/// layout, which differs between Linux and macOS, never matters.
/// </summary>
internal sealed unsafe partial class RawTerminal : IDisposable
{
    private const int StandardInput = 0;
    private const int TcsaNow = 0; // TCSANOW on Linux and macOS
    private const int TermiosBytes = 256; // larger than struct termios anywhere (Linux 60, macOS 72)

    private readonly byte[] _saved;
    private int _restored;

    private RawTerminal(byte[] saved)
    {
        _saved = saved;
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    /// <summary>Whether standard input is a terminal.</summary>
    public static bool IsInputTerminal => isatty(StandardInput) == 1;

    /// <summary>Puts standard input's terminal in raw mode.</summary>
    /// <exception cref="CliException">Standard input is not a terminal, or the terminal refused.</exception>
    public static RawTerminal Enter()
    {
        var saved = new byte[TermiosBytes];
        var raw = new byte[TermiosBytes];
        fixed (byte* savedPointer = saved)
        fixed (byte* rawPointer = raw)
        {
            if (tcgetattr(StandardInput, savedPointer) != 0)
            {
                throw new CliException($"request_failed: cannot read the terminal's settings (errno {Marshal.GetLastPInvokeError()})");
            }

            saved.CopyTo(raw, 0);
            cfmakeraw(rawPointer);
            if (tcsetattr(StandardInput, TcsaNow, rawPointer) != 0)
            {
                throw new CliException($"request_failed: cannot put the terminal in raw mode (errno {Marshal.GetLastPInvokeError()})");
            }
        }

        return new RawTerminal(saved);
    }

    /// <summary>Restores the settings found at <see cref="Enter"/>.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _restored, 1) == 0)
        {
            fixed (byte* savedPointer = _saved)
            {
                _ = tcsetattr(StandardInput, TcsaNow, savedPointer);
            }

            AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        }
    }

    private void OnProcessExit(object? sender, EventArgs e) => Dispose();

    [LibraryImport("libc", SetLastError = true)]
    private static partial int isatty(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int tcgetattr(int fd, byte* termios);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int tcsetattr(int fd, int optionalActions, byte* termios);

    [LibraryImport("libc")]
    private static partial void cfmakeraw(byte* termios);
}
