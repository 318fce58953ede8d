using System.Diagnostics;
using LiteDB;
using Otherix.Control.Store;

namespace Otherix.Control.Tests.Store;

public sealed class StateDatabaseTests
{
    private string _dir = null!;

    [SetUp]
    public void MakeDirectory() => _dir = Directory.CreateTempSubdirectory("otx-store-").FullName;

    [TearDown]
    public void RemoveDirectory() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void Commit_SyncsTheLogToDiskBeforeReturning()
    {
        using var db = StateDatabase.Open(Path.Combine(_dir, "state.db"));
        var before = db.LogSyncs;

        db.Write(d => d.GetCollection("probe").Insert(new BsonDocument { ["_id"] = 1 }));
        var afterOne = db.LogSyncs;
        db.Write(d => d.GetCollection("probe").Insert(new BsonDocument { ["_id"] = 2 }));

        Assert.That(afterOne, Is.GreaterThan(before), "the first commit reached the disk");
        Assert.That(db.LogSyncs, Is.GreaterThan(afterOne), "and so did the second");
    }

    [Test]
    public void Open_CreatesItsDirectoryPrivate()
    {
        var path = Path.Combine(_dir, "control", "state.db");

        using (StateDatabase.Open(path))
        {
            Assert.That(File.GetUnixFileMode(Path.GetDirectoryName(path)!), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
        }
    }

    [Test]
    public void WriterKilledWithSigkill_HundredTimes_LosesNoAcknowledgedWrite()
    {
        var path = Path.Combine(_dir, "state.db");
        var acknowledged = new HashSet<long>();
        long next = 1;
        for (var round = 0; round < 100; round++)
        {
            var wanted = 1 + (round % 25);
            foreach (var id in RunWriterAndKill(path, next, wanted))
            {
                acknowledged.Add(id);
            }

            using var db = StateDatabase.Open(path);
            var present = db.Database.GetCollection("durability_probe").FindAll().Select(d => d["_id"].AsInt64).ToHashSet();
            Assert.That(acknowledged.Except(present), Is.Empty, $"round {round}: acknowledged writes missing after kill -9");
            next = present.Count == 0 ? 1 : present.Max() + 1;
        }

        Assert.That(acknowledged, Has.Count.GreaterThanOrEqualTo(1300));
    }

    [Test]
    public void SixteenConcurrentWriters_LeaveAConsistentFile()
    {
        var path = Path.Combine(_dir, "state.db");
        using (var db = StateDatabase.Open(path))
        {
            db.Write(d => d.GetCollection("probe").EnsureIndex("writer"));
            Parallel.For(0, 16, new ParallelOptions { MaxDegreeOfParallelism = 16 }, writer =>
            {
                for (var i = 0; i < 100; i++)
                {
                    var doc = new BsonDocument { ["_id"] = (writer * 1000) + i, ["writer"] = writer };
                    db.Write(d => d.GetCollection("probe").Insert(doc));
                }
            });
        }

        using var reopened = StateDatabase.Open(path);
        var all = reopened.Database.GetCollection("probe");
        Assert.That(all.Count(), Is.EqualTo(1600));
        Assert.That(Enumerable.Range(0, 16).Select(w => all.Count(Query.EQ("writer", w))), Is.All.EqualTo(100));
    }

    /// <summary>Starts the store writer in a child process, lets it acknowledge <paramref name="wanted"/> writes, SIGKILLs it, returns every id it acknowledged.</summary>
    private static List<long> RunWriterAndKill(string path, long first, int wanted)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "Otherix.TestHelper.dll"), "store-write", path, first.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            info.ArgumentList.Add(arg);
        }

        using var writer = Process.Start(info)!;
        var acks = new List<long>();
        var stderr = writer.StandardError.ReadToEndAsync();
        try
        {
            while (acks.Count < wanted && writer.StandardOutput.ReadLine() is { } line)
            {
                acks.Add(long.Parse(line["ack ".Length..], System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        finally
        {
            writer.Kill(entireProcessTree: true); // SIGKILL: no chance to checkpoint or close
            writer.WaitForExit();
        }

        // Lines already printed were acknowledged too.
        while (writer.StandardOutput.ReadLine() is { } rest)
        {
            if (rest.StartsWith("ack ", StringComparison.Ordinal))
            {
                acks.Add(long.Parse(rest["ack ".Length..], System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        Assert.That(acks, Is.Not.Empty, $"the writer acknowledged nothing; stderr: {stderr.Result}");
        return acks;
    }
}
