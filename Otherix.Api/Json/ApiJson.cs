using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Otherix.Api.Json;

/// <summary>The JSON conventions of the REST API, shared by the server, the CLI and the tests.</summary>
public static class ApiJson
{
    /// <summary>
    /// <c>snake_case</c> field names, enums as <c>snake_case</c> strings, duplicate properties rejected.
    /// The server additionally rejects fields a request type does not declare.
    /// </summary>
    public static JsonSerializerOptions Options { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web)
    {
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    });

    /// <summary>Applies the API's conventions to <paramref name="options"/> (e.g. ASP.NET Core's own).</summary>
    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.DictionaryKeyPolicy = null;
        options.PropertyNameCaseInsensitive = false;
        options.AllowDuplicateProperties = false;
        options.NumberHandling = JsonNumberHandling.Strict;
        options.Converters.Add(new StrictEnumConverter());
        options.Converters.Add(new UtcTimeConverter());
        return options;
    }

    /// <summary>Enums as their exact <c>snake_case</c> names: <c>"admin"</c>, never <c>"Admin"</c> or <c>0</c>.</summary>
    private sealed class StrictEnumConverter : JsonConverterFactory
    {
        public override bool CanConvert(Type typeToConvert) => typeToConvert.IsEnum;

        public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
            (JsonConverter)Activator.CreateInstance(typeof(Converter<>).MakeGenericType(typeToConvert))!;

        private sealed class Converter<T> : JsonConverter<T>
            where T : struct, Enum
        {
            private static readonly Dictionary<string, T> ByName = Enum.GetValues<T>().ToDictionary(v => JsonNamingPolicy.SnakeCaseLower.ConvertName(v.ToString()), StringComparer.Ordinal);
            private static readonly Dictionary<T, string> ToName = ByName.ToDictionary(p => p.Value, p => p.Key);

            public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
                reader.TokenType == JsonTokenType.String && ByName.TryGetValue(reader.GetString()!, out var value)
                    ? value
                    : throw new JsonException($"expected one of {string.Join(", ", ByName.Keys)}");

            public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
                writer.WriteStringValue(ToName.TryGetValue(value, out var name) ? name : throw new JsonException($"{value} is not a {typeof(T).Name}"));
        }
    }

    /// <summary>Writes times as RFC 3339 UTC (<c>2026-12-04T18:23:44.176Z</c>); reads any RFC 3339 offset.</summary>
    private sealed class UtcTimeConverter : JsonConverter<DateTimeOffset>
    {
        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out var value)
                ? value
                : throw new JsonException("expected an RFC 3339 time, e.g. 2026-12-31T23:59:59Z");

        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", System.Globalization.CultureInfo.InvariantCulture));
    }
}
