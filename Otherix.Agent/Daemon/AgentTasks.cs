using System.Collections.Concurrent;
using Otherix.Agent.Driver;

namespace Otherix.Agent.Daemon;

/// <summary>
/// The agent's runs of control-plane tasks, keyed by task id: a repeated call joins the run already
/// going (or returns its outcome) instead of starting a second one. Outcomes are kept for an hour.
/// </summary>
public sealed class AgentTasks(TimeProvider time)
{
    private static readonly TimeSpan Keep = TimeSpan.FromHours(1);
    private readonly ConcurrentDictionary<string, Run> _runs = new(StringComparer.Ordinal);

    /// <summary>One run.</summary>
    public sealed class Run
    {
        internal Run(Task<VmStatus?> work) => Work = work;

        /// <summary>The work.</summary>
        public Task<VmStatus?> Work { get; }

        /// <summary>0..100.</summary>
        public int Progress { get; set; }

        /// <summary>When it finished.</summary>
        public DateTimeOffset? FinishedAt { get; set; }
    }

    /// <summary>Starts <paramref name="work"/> under <paramref name="taskId"/> unless a run with that id exists; returns the run.</summary>
    public Run StartOrJoin(string taskId, Func<Run, Task<VmStatus?>> work)
    {
        Sweep();
        return _runs.GetOrAdd(taskId, _ =>
        {
            Run? run = null;
            var started = new TaskCompletionSource<Run>(TaskCreationOptions.RunContinuationsAsynchronously);
            run = new Run(Task.Run(async () =>
            {
                var self = await started.Task;
                try
                {
                    return await work(self);
                }
                finally
                {
                    self.FinishedAt = time.GetUtcNow();
                }
            }));
            started.SetResult(run);
            return run;
        });
    }

    /// <summary>The run for <paramref name="taskId"/>, if this agent has it.</summary>
    public Run? Find(string taskId) => _runs.TryGetValue(taskId, out var run) ? run : null;

    private void Sweep()
    {
        var now = time.GetUtcNow();
        foreach (var (id, run) in _runs)
        {
            if (run.FinishedAt is { } finished && now - finished > Keep)
            {
                _runs.TryRemove(id, out _);
            }
        }
    }
}
