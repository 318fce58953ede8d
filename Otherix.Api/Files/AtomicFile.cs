using System.Runtime.InteropServices;
using System.Text;

namespace Otherix.Api.Files;

/// <summary>
/// Writes small files (keys, certificates, secrets, the CLI config) so that a crash leaves either the
/// old content or the new one: temp file in the same directory with the final mode from the start,
/// fsync, rename, then fsync of the directory so the rename itself is durable.
/// </summary>
public static partial class AtomicFile
{
    /// <summary>Secrets: owner read/write only.</summary>
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Certificates: world-readable.</summary>
    public const UnixFileMode WorldReadable = OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Writes <paramref name="text"/> (UTF-8) to <paramref name="path"/> with <paramref name="mode"/>, creating the directory 0700.</summary>
    public static void Write(string path, string text, UnixFileMode mode)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory, DirectoryMode);
        var temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        using (var file = new FileStream(temp, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = mode }))
        {
            file.Write(Encoding.UTF8.GetBytes(text));
            file.Flush(flushToDisk: true);
        }

        File.SetUnixFileMode(temp, mode);
        File.Move(temp, full, overwrite: true);
        SyncDirectory(directory);
    }

    private static void SyncDirectory(string directory)
    {
        const int ReadOnly = 0;
        const int OpenDirectory = 0x10000; // O_DIRECTORY on Linux
        var fd = Open(directory, ReadOnly | OpenDirectory);
        if (fd >= 0)
        {
            _ = Fsync(fd);
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync")]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
