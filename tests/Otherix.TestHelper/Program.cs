using LiteDB;
using Otherix.Agent.Driver;
using Otherix.Agent.Images;
using Otherix.Agent.Templates;
using Otherix.Control.Store;
using Otherix.Native;

// Runs product code in a process of its own, so a test can kill it at a chosen moment.
//   agent-create <state-dir> <templates-dir> <pool> <image-url> <vm-id> <vm-name> <task-id>
//   store-write <db-path> <first-id>     inserts first-id, first-id+1, ... printing "ack <id>" once each is committed
//   task-worker <data-dir> <effects-file> <count>
//                                        runs the task engine over <count> "test.effect" tasks (created on the first run);
//                                        each appends its id to effects-file unless a previous attempt did; prints "all-done"
//   cli-config-write <path>              adds clusters c0, c1, ... to the CLI config one update at a time, printing "ack <n>" after each
return args.FirstOrDefault() switch
{
    "task-worker" when args.Length == 4 => await TaskWorker.RunAsync(args[1], args[2], int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture)),
    "agent-create" when args.Length == 8 => await AgentCreateAsync(args[1..]),
    "cli-config-write" when args.Length == 2 => CliConfigWrite(args[1]),
    "store-write" when args.Length == 3 => StoreWrite(args[1], long.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture)),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Otherix.TestHelper agent-create <state-dir> <templates-dir> <pool> <image-url> <vm-id> <vm-name> <task-id>");
    Console.Error.WriteLine("       Otherix.TestHelper store-write <db-path> <first-id>");
    Console.Error.WriteLine("       Otherix.TestHelper task-worker <data-dir> <effects-file> <count>");
    Console.Error.WriteLine("       Otherix.TestHelper cli-config-write <path>");
    return 2;
}

static async Task<int> AgentCreateAsync(string[] a)
{
    var paths = new AgentPaths(a[0]);
    using var driver = new LibvirtVmDriver(
        () => Connection.Open("qemu:///system"), new XmlTemplateRenderer(a[1]), paths, new HttpClient { Timeout = Timeout.InfiniteTimeSpan },
        TimeProvider.System, new AccelerationProbe(paths, TimeProvider.System) { Forced = "qemu" });
    var progress = new Progress<ImageProgress>(p => Console.WriteLine($"progress {p.Downloaded}"));
    await driver.CreateVmAsync(new VmSpec(Guid.Parse(a[4]), a[5], a[2], a[3], MemoryMib: 256), a[6], progress);
    Console.WriteLine("created");
    return 0;
}

static int StoreWrite(string path, long first)
{
    using var store = StateDatabase.Open(path);
    using var stdout = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
    for (var id = first; ; id++)
    {
        var doc = new BsonDocument { ["_id"] = id, ["payload"] = new string('x', 200 + (int)(id % 700)) };
        store.Write(db => db.GetCollection("durability_probe").Insert(doc));
        stdout.WriteLine($"ack {id}");
    }
}

static int CliConfigWrite(string path)
{
    for (var n = 0; ; n++)
    {
        Otherix.Cli.CliConfigFile.Update(path, null, config =>
        {
            // A long value makes each write take a little while, so kills land mid-write too.
            config.Clusters.Add(new Otherix.Cli.ClusterEntry { Name = $"c{n}", Server = "http://127.0.0.1:8080", Token = new string('t', 4096) });
            return config.CurrentCluster = $"c{n}";
        });
        Console.WriteLine($"ack {n}");
    }
}
