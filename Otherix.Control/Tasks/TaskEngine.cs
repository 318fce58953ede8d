using System.Collections.Concurrent;
using System.Text.Json;
using Otherix.Api.Json;
using Otherix.Api.Tasks;
using Otherix.Control.Configuration;
using Otherix.Control.Store;

namespace Otherix.Control.Tasks;

/// <summary>
/// The workers: claim tasks with a lease (renewed every third of it), run their handler with at most
/// <c>workers.max_workers</c> at a time, record the outcome. On start every lease left by the previous
/// process is ended, so its running tasks are resumed. On shutdown handlers are cancelled and their
/// tasks stay leased-but-abandoned until the next start: nothing is marked failed for a restart.
/// A janitor deletes finished tasks past their retention.
/// </summary>
public sealed partial class TaskEngine : BackgroundService
{
    private readonly IStateStore _store;
    private readonly TaskSubmitter _queue;
    private readonly TimeProvider _time;
    private readonly WorkersConfig _config;
    private readonly ILogger<TaskEngine> _log;
    private readonly Dictionary<string, ITaskHandler> _handlers;
    private readonly ConcurrentDictionary<Guid, CancellationTokenSource> _cancels = new();
    private readonly string _owner = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";

    /// <summary>Creates the engine with every registered handler.</summary>
    public TaskEngine(IStateStore store, TaskSubmitter queue, TimeProvider time, ApiConfig config, IEnumerable<ITaskHandler> handlers, ILogger<TaskEngine> log)
    {
        ArgumentNullException.ThrowIfNull(config);
        _store = store;
        _queue = queue;
        _time = time;
        _config = config.Workers;
        _log = log;
        _handlers = handlers.ToDictionary(h => h.Type, StringComparer.Ordinal);
    }

    /// <summary>Asks a running task's handler to stop (after the store recorded the request).</summary>
    public void SignalCancel(Guid taskId)
    {
        if (_cancels.TryGetValue(taskId, out var cancel))
        {
            cancel.Cancel();
        }
    }

    /// <summary>Deletes finished tasks past their retention; returns how many.</summary>
    public int SweepFinished()
    {
        var now = _time.GetUtcNow().UtcDateTime;
        var removed = _store.Tasks.DeleteFinished([TaskState.Success], now - _config.Tasks.Retention.Completed)
            + _store.Tasks.DeleteFinished([TaskState.Failed, TaskState.Cancelled], now - _config.Tasks.Retention.Failed);
        if (removed > 0)
        {
            LogSwept(_log, removed);
        }

        return removed;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var resumed = _store.Tasks.ExpireAllLeases(_time.GetUtcNow().UtcDateTime);
        if (resumed > 0)
        {
            LogResuming(_log, resumed);
        }

        var janitor = RunJanitorAsync(stoppingToken);
        var running = new ConcurrentDictionary<Guid, Task>();
        using var slots = new SemaphoreSlim(_config.MaxWorkers);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await slots.WaitAsync(stoppingToken);
                var now = _time.GetUtcNow();
                TaskRecord? task;
                try
                {
                    task = _store.Tasks.Claim(_owner, now.UtcDateTime, (now + _config.Lease).UtcDateTime);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogClaimFailed(_log, e); // the store is unwell: keep trying, slowly, rather than stop the process
                    slots.Release();
                    await Task.Delay(_config.PollInterval * 5, _time, stoppingToken);
                    continue;
                }

                if (task is null)
                {
                    slots.Release();
                    await _queue.WaitAsync(_config.PollInterval, stoppingToken);
                    continue;
                }

                running[task.Id] = Task.Run(
                    async () =>
                    {
                        try
                        {
                            await RunAsync(task, stoppingToken);
                        }
                        finally
                        {
                            running.TryRemove(task.Id, out _);
                            slots.Release();
                        }
                    },
                    CancellationToken.None);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        await Task.WhenAll(running.Values.Append(janitor));
    }

    private async Task RunAsync(TaskRecord task, CancellationToken stopping)
    {
        if (task.Attempts > task.MaxAttempts)
        {
            Finish(task, TaskState.Failed, "internal", $"gave up after {task.MaxAttempts} attempts: the task never finished", null);
            return;
        }

        if (!_handlers.TryGetValue(task.Type, out var handler))
        {
            Finish(task, TaskState.Failed, "internal", $"this control plane has no handler for task type {task.Type}", null);
            return;
        }

        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        _cancels[task.Id] = cancel;
        if (task.CancelRequested)
        {
            await cancel.CancelAsync();
        }

        using var renewal = CancellationTokenSource.CreateLinkedTokenSource(cancel.Token);
        var renewing = RenewAsync(task, cancel, renewal.Token);
        LogStarting(_log, task.Id, task.Type, task.Attempts);
        try
        {
            var context = new TaskContext(task, percent => _store.Tasks.SetProgress(task.Id, _owner, percent));
            await handler.RunAsync(context, cancel.Token);
            Finish(task, TaskState.Success, null, null, null);
        }
        catch (TaskFailedException e)
        {
            Finish(task, TaskState.Failed, e.Code, e.Message, e.Details);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested && !stopping.IsCancellationRequested)
        {
            // Cancel requested (or the lease was lost, in which case Finish finds another owner and does nothing).
            Finish(task, TaskState.Cancelled, null, null, null);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            LogLeftForRestart(_log, task.Id, task.Type);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogHandlerFailed(_log, task.Id, task.Type, e);
            Finish(task, TaskState.Failed, "internal", $"{task.Type} failed unexpectedly: {e.Message}", null);
        }
        finally
        {
            _cancels.TryRemove(task.Id, out _);
            await renewal.CancelAsync();
            await renewing;
        }
    }

    private async Task RenewAsync(TaskRecord task, CancellationTokenSource cancel, CancellationToken stop)
    {
        try
        {
            while (true)
            {
                await Task.Delay(_config.Lease / 3, _time, stop);
                var current = _store.Tasks.Renew(task.Id, _owner, (_time.GetUtcNow() + _config.Lease).UtcDateTime);
                if (current is null)
                {
                    LogLeaseLost(_log, task.Id);
                    await cancel.CancelAsync();
                    return;
                }

                if (current.CancelRequested)
                {
                    await cancel.CancelAsync();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Finish(TaskRecord task, TaskState status, string? code, string? message, IReadOnlyDictionary<string, object?>? details)
    {
        var detailsJson = details is null ? null : JsonSerializer.Serialize(details, ApiJson.Options);
        try
        {
            if (_store.Tasks.Finish(task.Id, _owner, status, code, message, detailsJson, _time.GetUtcNow().UtcDateTime))
            {
                LogFinished(_log, task.Id, task.Type, status, code);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The lease runs out and the task is run again: handlers are idempotent by task id.
            LogFinishFailed(_log, task.Id, e);
        }
    }

    private async Task RunJanitorAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    SweepFinished();
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogSweepFailed(_log, e);
                }

                await Task.Delay(_config.Tasks.Retention.SweepInterval, _time, stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "resuming {Count} task(s) left running by the previous process")]
    private static partial void LogResuming(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "task {TaskId} {Type} attempt {Attempt} starting")]
    private static partial void LogStarting(ILogger logger, Guid taskId, string type, int attempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "task {TaskId} {Type} finished: {Status} {Code}")]
    private static partial void LogFinished(ILogger logger, Guid taskId, string type, TaskState status, string? code);

    [LoggerMessage(Level = LogLevel.Information, Message = "task {TaskId} {Type} stopped for shutdown; it resumes on the next start")]
    private static partial void LogLeftForRestart(ILogger logger, Guid taskId, string type);

    [LoggerMessage(Level = LogLevel.Warning, Message = "task {TaskId}: lease lost to another worker; stopping this run")]
    private static partial void LogLeaseLost(ILogger logger, Guid taskId);

    [LoggerMessage(Level = LogLevel.Error, Message = "task {TaskId} {Type}: handler failed")]
    private static partial void LogHandlerFailed(ILogger logger, Guid taskId, string type, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "task {TaskId}: could not record the outcome; it runs again when its lease ends")]
    private static partial void LogFinishFailed(ILogger logger, Guid taskId, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "task janitor failed; next sweep at the next interval")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "could not claim a task; retrying")]
    private static partial void LogClaimFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "janitor deleted {Count} finished task(s) past retention")]
    private static partial void LogSwept(ILogger logger, int count);
}
