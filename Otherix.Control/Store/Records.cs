using Otherix.Api.Auth;
using Otherix.Api.Tasks;

namespace Otherix.Control.Store;

// Persisted shapes. Plain classes so the store can map them; times are UTC DateTimes
// (the store keeps milliseconds). The REST layer maps them to the Otherix.Api records.

/// <summary>A user; <see cref="DeletedAt"/> set means soft-deleted and invisible.</summary>
public sealed class UserRecord : IKeyed
{
    /// <summary>Stable id (UUIDv7).</summary>
    public Guid Id { get; set; }

    /// <summary>As the user typed it.</summary>
    public string Email { get; set; } = "";

    /// <summary>Lower-cased email, unique among live users.</summary>
    public string EmailKey { get; set; } = "";

    /// <summary>Free text.</summary>
    public string DisplayName { get; set; } = "";

    /// <summary>The user's one role.</summary>
    public Role Role { get; set; }

    /// <summary>PHC-format Argon2id hash.</summary>
    public string PasswordHash { get; set; } = "";

    /// <summary>Last successful login.</summary>
    public DateTime? LastLoginAt { get; set; }

    /// <summary>Creation time.</summary>
    public DateTime CreatedAt { get; set; }

    /// <summary>Last change.</summary>
    public DateTime UpdatedAt { get; set; }

    /// <summary>Soft-deletion time.</summary>
    public DateTime? DeletedAt { get; set; }
}

/// <summary>An API token; only the SHA-256 of the secret is kept.</summary>
public sealed class ApiTokenRecord : IKeyed
{
    /// <summary>Stable id (UUIDv7).</summary>
    public Guid Id { get; set; }

    /// <summary>The owner.</summary>
    public Guid UserId { get; set; }

    /// <summary>Label.</summary>
    public string Name { get; set; } = "";

    /// <summary>Free text.</summary>
    public string Description { get; set; } = "";

    /// <summary>First 8 characters of the secret, to recognise it.</summary>
    public string Prefix { get; set; } = "";

    /// <summary>Lower-case hex SHA-256 of the whole secret; unique.</summary>
    public string Hash { get; set; } = "";

    /// <summary>Last authenticated request (minute precision).</summary>
    public DateTime? LastUsedAt { get; set; }

    /// <summary>When it stops working.</summary>
    public DateTime? ExpiresAt { get; set; }

    /// <summary>When it was revoked.</summary>
    public DateTime? RevokedAt { get; set; }

    /// <summary>Creation time.</summary>
    public DateTime CreatedAt { get; set; }
}

/// <summary>A persisted task, with its lease.</summary>
public sealed class TaskRecord : IKeyed
{
    /// <summary>Stable id (UUIDv7, so ids sort by creation).</summary>
    public Guid Id { get; set; }

    /// <summary><c>&lt;resource&gt;.&lt;action&gt;</c>, e.g. <c>vm.create</c>.</summary>
    public string Type { get; set; } = "";

    /// <summary>Life-cycle state.</summary>
    public TaskState Status { get; set; }

    /// <summary>0..100 when the handler reports it.</summary>
    public int? Progress { get; set; }

    /// <summary>vm, storage_pool, …</summary>
    public string ResourceType { get; set; } = "";

    /// <summary>The resource's name or id.</summary>
    public string? ResourceId { get; set; }

    /// <summary>Handler input (JSON).</summary>
    public string Payload { get; set; } = "{}";

    /// <summary>Failure code.</summary>
    public string? ErrorCode { get; set; }

    /// <summary>Failure message.</summary>
    public string? ErrorMessage { get; set; }

    /// <summary>Failure details (JSON object).</summary>
    public string? ErrorDetails { get; set; }

    /// <summary>Runs started, the first included.</summary>
    public int Attempts { get; set; }

    /// <summary>Runs allowed before giving up.</summary>
    public int MaxAttempts { get; set; }

    /// <summary>Set by a cancel request on a running task.</summary>
    public bool CancelRequested { get; set; }

    /// <summary>The user who caused it (for own-scope reads).</summary>
    public Guid? CreatedBy { get; set; }

    /// <summary>The worker instance holding the lease.</summary>
    public string? LeaseOwner { get; set; }

    /// <summary>When the lease runs out unless renewed.</summary>
    public DateTime? LeaseExpiresAt { get; set; }

    /// <summary>Creation time.</summary>
    public DateTime CreatedAt { get; set; }

    /// <summary>First start.</summary>
    public DateTime? StartedAt { get; set; }

    /// <summary>Terminal time.</summary>
    public DateTime? FinishedAt { get; set; }
}

/// <summary>A record whose id is its storage key and page cursor.</summary>
public interface IKeyed
{
    /// <summary>The id.</summary>
    Guid Id { get; }
}

/// <summary>One page of a keyset-paginated list; <see cref="After"/> is the key to continue after, null on the last page.</summary>
/// <typeparam name="T">The record type.</typeparam>
public sealed record Page<T>(IReadOnlyList<T> Items, Guid? After);

/// <summary>Filters for listing tasks; null means any.</summary>
public sealed record TaskFilter(TaskState? Status = null, string? Type = null, string? ResourceType = null, string? ResourceId = null, Guid? CreatedBy = null);

/// <summary>What a cancel request did.</summary>
public enum CancelOutcome
{
    /// <summary>No such task.</summary>
    NotFound,

    /// <summary>Already finished; nothing to cancel.</summary>
    AlreadyFinished,

    /// <summary>It was pending and is now cancelled.</summary>
    Cancelled,

    /// <summary>It is running; its worker was asked to stop.</summary>
    Requested,
}

/// <summary>A unique key was taken (e.g. an email).</summary>
public sealed class DuplicateKeyException(string message) : Exception(message);
