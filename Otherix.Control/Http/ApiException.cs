using Otherix.Api.Errors;

namespace Otherix.Control.Http;

/// <summary>An error answer: thrown anywhere in request handling, written as the error envelope.</summary>
public sealed class ApiException(int status, string code, string message, IReadOnlyDictionary<string, object?>? details = null)
    : Exception(message)
{
    /// <summary>HTTP status.</summary>
    public int Status { get; } = status;

    /// <summary>Stable error code.</summary>
    public string Code { get; } = code;

    /// <summary>Optional structured details.</summary>
    public IReadOnlyDictionary<string, object?>? Details { get; } = details;

    /// <summary>The envelope's payload.</summary>
    public ApiError ToError() => new(Code, Message, Details);

    /// <summary>400 validation_failed.</summary>
    public static ApiException Validation(string message, IReadOnlyDictionary<string, object?>? details = null) =>
        new(StatusCodes.Status400BadRequest, ErrorCodes.ValidationFailed, message, details);

    /// <summary>400 validation_failed naming the offending fields (<c>details.fields</c>: field → problem).</summary>
    public static ApiException InvalidFields(IReadOnlyDictionary<string, string> problems) =>
        Validation(
            problems.Count == 1 ? $"{problems.First().Key}: {problems.First().Value}" : $"{problems.Count} fields are invalid: " + string.Join("; ", problems.Select(p => $"{p.Key}: {p.Value}")),
            new Dictionary<string, object?> { ["fields"] = problems });

    /// <summary>404 not_found.</summary>
    public static ApiException NotFound(string what) => new(StatusCodes.Status404NotFound, ErrorCodes.NotFound, $"{what} not found");

    /// <summary>409 conflict with <c>details.reason</c>.</summary>
    public static ApiException Conflict(string reason, string message) =>
        new(StatusCodes.Status409Conflict, ErrorCodes.Conflict, message, new Dictionary<string, object?> { ["reason"] = reason });
}
