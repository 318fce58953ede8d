using System.Text.Json.Serialization;

namespace Otherix.Api.Errors;

/// <summary>The body of every error response: <c>{"error":{"code","message","details"}}</c>.</summary>
public sealed record ErrorEnvelope([property: JsonPropertyName("error")] ApiError Error);

/// <summary>A stable, script-facing <see cref="Code"/> plus a message meant for people.</summary>
public sealed record ApiError(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("details"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, object?>? Details = null);
