namespace Otherix.Api.Common;

/// <summary>One page of a list: <c>{"data":[…],"meta":{"next_cursor":…}}</c>.</summary>
/// <typeparam name="T">The item type.</typeparam>
public sealed record ListResponse<T>(IReadOnlyList<T> Data, ListMeta Meta);

/// <summary>Paging information; <see cref="NextCursor"/> is <c>null</c> on the last page.</summary>
public sealed record ListMeta(string? NextCursor);

/// <summary>The <c>202</c> answer of an asynchronous operation.</summary>
public sealed record TaskAccepted(Guid TaskId, string Status, TaskLinks Links);

/// <summary>Where to follow a task.</summary>
public sealed record TaskLinks(string Self);
