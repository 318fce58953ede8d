using LiteDB;
using LiteDB.Engine;

namespace Otherix.Control.Store;

/// <summary>
/// The control plane's LiteDB file (<c>state.db</c> plus its write-ahead log <c>state-log.db</c>),
/// opened once per process. Writes go through <see cref="Write{T}"/>, one at a time, and return
/// only once the log is synced to disk: LiteDB 5 writes committed pages to the log synchronously
/// but never fsyncs it, so a power cut could lose an acknowledged write. Nothing outside
/// <c>Store/</c> sees LiteDB types.
/// </summary>
public sealed class StateDatabase : IDisposable
{
    private readonly DurableFileStream _data;
    private readonly DurableFileStream _log;
    private readonly Lock _writer = new();

    private StateDatabase(string path, BsonMapper? mapper)
    {
        Path = path;
        _data = new DurableFileStream(path);
        _log = new DurableFileStream(LogPathOf(path));
        Engine = new LiteEngine(new EngineSettings { DataStream = _data, LogStream = _log });
        Database = new LiteDatabase(Engine, mapper, disposeOnClose: true);
    }

    /// <summary>The data file.</summary>
    public string Path { get; }

    /// <summary>How many times the log was synced to disk, for the durability test.</summary>
    internal long LogSyncs => _log.Syncs;

    internal LiteEngine Engine { get; }

    internal LiteDatabase Database { get; }

    /// <summary>Opens (creating if needed) the database at <paramref name="path"/>; its directory is created 0700.</summary>
    public static StateDatabase Open(string path) => Open(path, mapper: null);

    /// <summary>Opens the database with a mapper for typed collections.</summary>
    internal static StateDatabase Open(string path, BsonMapper? mapper)
    {
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return new StateDatabase(path, mapper);
    }

    /// <summary>
    /// Runs one write (one or more LiteDB operations, each its own transaction unless
    /// <paramref name="work"/> makes one) and syncs the log before returning. Keep it synchronous:
    /// no LiteDB transaction may span an await.
    /// </summary>
    internal T Write<T>(Func<LiteDatabase, T> work)
    {
        lock (_writer)
        {
            var result = work(Database);
            _log.Flush(flushToDisk: true);
            return result;
        }
    }

    /// <summary>
    /// Like <see cref="Write{T}"/>, with all of <paramref name="work"/> in one transaction. Materialize
    /// query results (ToList) before changing the collection they come from: LiteDB ends the transaction's
    /// snapshot if a lazy query is still open when the same transaction writes.
    /// </summary>
    internal T WriteAtomically<T>(Func<LiteDatabase, T> work) => Write(db =>
    {
        db.BeginTrans();
        try
        {
            var result = work(db);
            db.Commit();
            return result;
        }
        catch
        {
            try
            {
                db.Rollback();
            }
            catch (LiteException)
            {
                // The transaction is gone already (LiteDB disposed it while failing); the original error matters.
            }

            throw;
        }
    });

    /// <summary>Checkpoints and closes the files.</summary>
    public void Dispose()
    {
        Database.Dispose();
        _data.Dispose();
        _log.Dispose();
    }

    private static string LogPathOf(string path) =>
        System.IO.Path.Combine(System.IO.Path.GetDirectoryName(path) ?? "", System.IO.Path.GetFileNameWithoutExtension(path) + "-log" + System.IO.Path.GetExtension(path));
}
