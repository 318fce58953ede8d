using System.Buffers;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Otherix.Api.Json;

namespace Otherix.Control.Http;

/// <summary>
/// Reads a JSON request body strictly: at most 1 MiB, well-formed, an object, no duplicate or unknown
/// fields (all named in the answer), values of the declared types. Every failure is a 400 validation_failed.
/// </summary>
public static class RequestBody
{
    /// <summary>The public listener's body cap.</summary>
    public const int MaxBytes = 1024 * 1024;

    /// <summary>Reads the body as <typeparamref name="T"/>.</summary>
    /// <exception cref="ApiException">The body is unusable.</exception>
    public static async Task<T> ReadAsync<T>(HttpRequest request)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ContentLength > MaxBytes)
        {
            throw TooLarge();
        }

        var bytes = await ReadCappedAsync(request.Body, request.HttpContext.RequestAborted);
        if (bytes.Length == 0)
        {
            throw ApiException.Validation("request body is empty; send a JSON object");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes, new JsonDocumentOptions { AllowDuplicateProperties = false, MaxDepth = 32 });
        }
        catch (JsonException e)
        {
            throw ApiException.Validation($"request body is not valid JSON: {e.Message}");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw ApiException.Validation($"request body must be a JSON object, not {document.RootElement.ValueKind.ToString().ToLowerInvariant()}");
            }

            var unknown = new List<string>();
            FindUnknown(document.RootElement, ApiJson.Options.GetTypeInfo(typeof(T)), "", unknown);
            if (unknown.Count > 0)
            {
                throw ApiException.Validation(
                    $"unknown field{(unknown.Count == 1 ? "" : "s")}: {string.Join(", ", unknown)}",
                    new Dictionary<string, object?> { ["unknown_fields"] = unknown });
            }

            try
            {
                return document.RootElement.Deserialize<T>(ApiJson.Options) ?? throw ApiException.Validation("request body must be a JSON object");
            }
            catch (JsonException e)
            {
                var field = e.Path is { Length: > 2 } path ? path[2..] : "body";
                throw ApiException.InvalidFields(new Dictionary<string, string> { [field] = DescribeTypeError(typeof(T), field) });
            }
        }
    }

    private static async Task<byte[]> ReadCappedAsync(Stream body, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > MaxBytes)
                {
                    throw TooLarge();
                }

                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        return buffer.ToArray();
    }

    private static ApiException TooLarge() => ApiException.Validation($"request body exceeds {MaxBytes} bytes (1 MiB)");

    private static void FindUnknown(JsonElement element, JsonTypeInfo type, string prefix, List<string> unknown)
    {
        if (type.Kind != JsonTypeInfoKind.Object)
        {
            return;
        }

        var known = type.Properties.ToDictionary(p => p.Name, StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            if (!known.TryGetValue(property.Name, out var info))
            {
                unknown.Add(prefix + property.Name);
            }
            else if (property.Value.ValueKind == JsonValueKind.Object)
            {
                FindUnknown(property.Value, ApiJson.Options.GetTypeInfo(info.PropertyType), prefix + property.Name + ".", unknown);
            }
        }
    }

    private static string DescribeTypeError(Type type, string field)
    {
        var property = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .FirstOrDefault(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name) == field);
        var target = Nullable.GetUnderlyingType(property?.PropertyType ?? typeof(object)) ?? property?.PropertyType;
        return target switch
        {
            null => "has the wrong type",
            _ when target == typeof(string) => "must be a string",
            _ when target == typeof(int) || target == typeof(long) => "must be a whole number",
            _ when target == typeof(bool) => "must be true or false",
            _ when target == typeof(DateTimeOffset) => "must be an RFC 3339 time, e.g. 2026-12-31T23:59:59Z",
            _ when target.IsEnum => $"must be one of {string.Join(", ", Enum.GetNames(target).Select(JsonNamingPolicy.SnakeCaseLower.ConvertName))}",
            _ => "has the wrong type",
        };
    }
}
