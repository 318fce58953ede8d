using Otherix.Control.Tasks;

namespace Otherix.Control.Tests.Tasks;

/// <summary>A handler whose runs the test controls: each run waits for <see cref="Release"/> (or cancellation).</summary>
internal sealed class GatedHandler(string type = "test.gated") : ITaskHandler
{
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Type { get; } = type;

    public TaskCompletionSource<Guid> Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Runs;

    /// <summary>Completes when a run ends: true if it ended because its token was cancelled.</summary>
    public TaskCompletionSource<bool> Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Func<TaskContext, Task>? Body { get; init; }

    public void Release() => _release.TrySetResult();

    public async Task RunAsync(TaskContext context, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Runs);
        Started.TrySetResult(context.Id);
        context.ReportProgress(50);
        try
        {
            await _release.Task.WaitAsync(cancellationToken);
            if (Body is not null)
            {
                await Body(context);
            }
        }
        finally
        {
            Ended.TrySetResult(cancellationToken.IsCancellationRequested);
        }
    }
}
