using Otherix.Api.Errors;

namespace Otherix.Api.Tasks;

/// <summary>Where a task is in its life; success, failed and cancelled are terminal.</summary>
public enum TaskState
{
    /// <summary>Waiting for a worker.</summary>
    Pending,

    /// <summary>A worker holds its lease.</summary>
    Running,

    /// <summary>Done.</summary>
    Success,

    /// <summary>Gave up; see <see cref="TaskInfo.Error"/>.</summary>
    Failed,

    /// <summary>Cancelled on request.</summary>
    Cancelled,
}

/// <summary>A persisted unit of asynchronous work (<c>GET /v1/tasks/{id}</c>).</summary>
public sealed record TaskInfo(
    Guid Id,
    string Type,
    TaskState Status,
    int? Progress,
    string ResourceType,
    string? ResourceId,
    ApiError? Error,
    int Attempts,
    int MaxAttempts,
    bool CancelRequested,
    Guid? CreatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt);
