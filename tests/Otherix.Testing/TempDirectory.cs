namespace Otherix.Testing;

/// <summary>A fresh directory under the system temp dir, deleted with everything in it on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    /// <summary>Creates <c>/tmp/&lt;prefix&gt;XXXXXX</c>.</summary>
    public TempDirectory(string prefix) => Path = Directory.CreateTempSubdirectory(prefix).FullName;

    /// <summary>Creates <c>&lt;parent&gt;/&lt;prefix&gt;XXXXXXXX</c> with <paramref name="mode"/> (e.g. one qemu can traverse).</summary>
    public TempDirectory(string parent, string prefix, UnixFileMode mode)
    {
        Path = System.IO.Path.Combine(parent, prefix + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path, mode);
    }

    /// <summary>The directory.</summary>
    public string Path { get; }

    /// <summary>Deletes it (if it is still there).</summary>
    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}
