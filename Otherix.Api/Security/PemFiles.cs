using System.Text;

namespace Otherix.Api.Security;

/// <summary>Writes key and certificate files atomically (temp file, fsync, rename) with the right mode from the start.</summary>
public static class PemFiles
{
    /// <summary>Private keys: owner read/write only.</summary>
    public const UnixFileMode KeyMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Certificates: world-readable.</summary>
    public const UnixFileMode CertificateMode = KeyMode | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>Writes <paramref name="text"/> to <paramref name="path"/> atomically with <paramref name="mode"/>, creating the directory 0700.</summary>
    public static void Write(string path, string text, UnixFileMode mode)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        using (var file = new FileStream(temp, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = mode }))
        {
            file.Write(Encoding.ASCII.GetBytes(text));
            file.Flush(flushToDisk: true);
        }

        File.SetUnixFileMode(temp, mode);
        File.Move(temp, path, overwrite: true);
    }
}
