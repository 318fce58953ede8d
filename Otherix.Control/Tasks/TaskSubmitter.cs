using System.Text.Json;
using System.Threading.Channels;
using Otherix.Api.Json;
using Otherix.Api.Tasks;
using Otherix.Control.Configuration;
using Otherix.Control.Store;

namespace Otherix.Control.Tasks;

/// <summary>Creates tasks (persisted, pending) and wakes the workers.</summary>
public sealed class TaskSubmitter(IStateStore store, TimeProvider time, ApiConfig config)
{
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>Persists a pending task; it is durable when this returns.</summary>
    public TaskRecord Enqueue(string type, string resourceType, string? resourceId, object? payload, Guid? createdBy)
    {
        var task = Create(type, resourceType, resourceId, payload, createdBy);
        store.Tasks.Insert(task);
        Wake();
        return task;
    }

    /// <summary>A pending task, not stored yet: for stores that save it together with its resource (then call <see cref="Wake"/>).</summary>
    public TaskRecord Create(string type, string resourceType, string? resourceId, object? payload, Guid? createdBy)
    {
        var now = time.GetUtcNow();
        return new TaskRecord
        {
            Id = Ids.New(now),
            Type = type,
            Status = TaskState.Pending,
            ResourceType = resourceType,
            ResourceId = resourceId,
            Payload = payload is null ? "{}" : JsonSerializer.Serialize(payload, ApiJson.Options),
            MaxAttempts = config.Workers.Tasks.MaxAttempts,
            CreatedBy = createdBy,
            CreatedAt = now.UtcDateTime,
        };
    }

    /// <summary>Tells idle workers to look for work now.</summary>
    public void Wake() => _wake.Writer.TryWrite(true);

    /// <summary>Waits for <see cref="Wake"/> or <paramref name="timeout"/>.</summary>
    internal async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(timeout, time, timer.Token);
        var woken = _wake.Reader.WaitToReadAsync(timer.Token).AsTask();
        await Task.WhenAny(delay, woken);
        await timer.CancelAsync();
        _wake.Reader.TryRead(out _);
        cancellationToken.ThrowIfCancellationRequested();
    }
}
