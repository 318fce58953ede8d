namespace Otherix.Control.Store;

/// <summary>
/// A file stream whose every flush reaches the disk. LiteDB 5 flushes its log after each commit,
/// but only as far as the OS page cache (<c>Flush(false)</c>): a power cut could lose a commit the
/// API already acknowledged. Handing LiteDB these streams makes each commit an fsync.
/// </summary>
internal sealed class DurableFileStream(string path) : FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 8192, FileOptions.RandomAccess)
{
    private long _syncs;

    /// <summary>How many times this stream was synced to disk (for tests).</summary>
    public long Syncs => Interlocked.Read(ref _syncs);

    public override void Flush() => Flush(flushToDisk: true);

    public override void Flush(bool flushToDisk)
    {
        base.Flush(flushToDisk: true);
        Interlocked.Increment(ref _syncs);
    }

    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        Flush();
        return Task.CompletedTask;
    }
}
