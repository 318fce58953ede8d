using Microsoft.Extensions.Logging.Abstractions;
using Otherix.Api.Tasks;
using Otherix.Control.Configuration;
using Otherix.Control.Store;
using Otherix.Control.Tasks;

/// <summary>The task engine in a process of its own, for the kill -9 resume test.</summary>
internal static class TaskWorker
{
    public static async Task<int> RunAsync(string dataDir, string effectsFile, int count)
    {
        using var store = LiteDbStateStore.Open(Path.Combine(dataDir, "state.db"));
        var config = new ApiConfig { Workers = new WorkersConfig { MaxWorkers = 4, PollInterval = TimeSpan.FromMilliseconds(20), Lease = TimeSpan.FromSeconds(3) } };
        var submitter = new TaskSubmitter(store, TimeProvider.System, config);
        if (store.Tasks.List(new TaskFilter(), null, 1).Items.Count == 0)
        {
            for (var i = 0; i < count; i++)
            {
                submitter.Enqueue(EffectHandler.TypeName, "test", $"effect-{i}", null, null);
            }
        }

        var engine = new TaskEngine(store, submitter, TimeProvider.System, config, [new EffectHandler(effectsFile)], NullLogger<TaskEngine>.Instance);
        await engine.StartAsync(CancellationToken.None);
        while (store.Tasks.List(new TaskFilter(TaskState.Pending), null, 1).Items.Count + store.Tasks.List(new TaskFilter(TaskState.Running), null, 1).Items.Count > 0)
        {
            await Task.Delay(20);
        }

        await engine.StopAsync(CancellationToken.None);
        Console.WriteLine("all-done");
        return 0;
    }

    /// <summary>Idempotent by task id: the effect (a line in a file) happens once however often the task runs.</summary>
    private sealed class EffectHandler(string effectsFile) : ITaskHandler
    {
        public const string TypeName = "test.effect";
        private readonly Lock _file = new();

        public string Type => TypeName;

        public async Task RunAsync(TaskContext context, CancellationToken cancellationToken)
        {
            await Task.Delay(Random.Shared.Next(20, 120), cancellationToken);
            lock (_file)
            {
                var line = context.Id.ToString();
                if (!File.Exists(effectsFile) || !File.ReadLines(effectsFile).Contains(line))
                {
                    using var stream = new FileStream(effectsFile, FileMode.Append, FileAccess.Write);
                    stream.Write(System.Text.Encoding.ASCII.GetBytes(line + "\n"));
                    stream.Flush(flushToDisk: true);
                }
            }

            await Task.Delay(Random.Shared.Next(0, 60), cancellationToken); // a kill here finds the effect done on resume
        }
    }
}
