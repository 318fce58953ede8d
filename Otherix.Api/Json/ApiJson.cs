using System.Text.Json;
using System.Text.Json.Serialization;

namespace Otherix.Api.Json;

/// <summary>The JSON conventions of the REST API, shared by the server, the CLI and the tests.</summary>
public static class ApiJson
{
    /// <summary>
    /// <c>snake_case</c> field names, enums as <c>snake_case</c> strings, duplicate properties rejected.
    /// The server additionally rejects fields a request type does not declare.
    /// </summary>
    public static JsonSerializerOptions Options { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    /// <summary>Applies the API's conventions to <paramref name="options"/> (e.g. ASP.NET Core's own).</summary>
    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.DictionaryKeyPolicy = null;
        options.PropertyNameCaseInsensitive = false;
        options.AllowDuplicateProperties = false;
        options.NumberHandling = JsonNumberHandling.Strict;
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false));
        return options;
    }
}
