using Otherix.Control.Store;

namespace Otherix.Control.Tasks;

/// <summary>
/// Runs tasks of one <see cref="Type"/>. A task may be run more than once (a control plane killed
/// mid-task resumes it on restart), so handlers must be idempotent by task id: check what a previous
/// attempt already did before doing it.
/// </summary>
public interface ITaskHandler
{
    /// <summary>The task type handled, e.g. <c>vm.create</c>.</summary>
    string Type { get; }

    /// <summary>
    /// Does the work. Return to succeed; throw <see cref="TaskFailedException"/> to fail with a code;
    /// observe <paramref name="cancellationToken"/> (cancel request or shutdown) and stop at a safe point.
    /// </summary>
    Task RunAsync(TaskContext context, CancellationToken cancellationToken);
}

/// <summary>What a handler sees of its task.</summary>
public sealed class TaskContext
{
    private readonly Action<int> _progress;

    internal TaskContext(TaskRecord task, Action<int> progress)
    {
        Task = task;
        _progress = progress;
    }

    /// <summary>The task as claimed (attempt number included).</summary>
    public TaskRecord Task { get; }

    /// <summary>The task id: the idempotency key for everything the handler does.</summary>
    public Guid Id => Task.Id;

    /// <summary>Records progress (0..100) on the task.</summary>
    public void ReportProgress(int percent) => _progress(Math.Clamp(percent, 0, 100));
}

/// <summary>Fails the task with a stable code (shown as <c>task.error</c>).</summary>
public sealed class TaskFailedException(string code, string message, IReadOnlyDictionary<string, object?>? details = null) : Exception(message)
{
    /// <summary>Error code, e.g. <c>image_unavailable</c>.</summary>
    public string Code { get; } = code;

    /// <summary>Structured details.</summary>
    public IReadOnlyDictionary<string, object?>? Details { get; } = details;
}
