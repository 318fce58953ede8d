using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Otherix.Bindgen;

/// <summary>One-paragraph summaries from libvirt's <c>libvirt-api.xml</c>, for doc comments on the generated code.</summary>
internal sealed partial class ApiDocs
{
    private readonly Dictionary<string, string> _functions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _enumValues = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _types = new(StringComparer.Ordinal);

    /// <summary>Empty when <paramref name="path"/> does not exist: docs are an enrichment, not a requirement.</summary>
    public static ApiDocs Load(string? path)
    {
        var docs = new ApiDocs();
        if (path is null || !File.Exists(path))
        {
            return docs;
        }

        var symbols = XDocument.Load(path).Root?.Element("symbols");
        foreach (var element in symbols?.Elements() ?? [])
        {
            var name = (string?)element.Attribute("name");
            if (name is null)
            {
                continue;
            }

            var info = (string?)element.Element("info") ?? (string?)element.Attribute("info");
            if (FirstParagraph(info) is not { } summary)
            {
                continue;
            }

            var target = element.Name.LocalName switch
            {
                "function" => docs._functions,
                "enum" => docs._enumValues,
                "typedef" or "struct" => docs._types,
                _ => null,
            };
            target?.TryAdd(name, summary);
        }

        return docs;
    }

    public string? Function(string name) => _functions.GetValueOrDefault(name);

    public string? EnumValue(string name) => _enumValues.GetValueOrDefault(name);

    public string? Enum(string name) => _types.GetValueOrDefault(name);

    public string? Struct(string name) => _types.GetValueOrDefault(name);

    private static string? FirstParagraph(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var paragraph = ParagraphBreak().Split(text.Trim())[0];
        return Whitespace().Replace(paragraph, " ").Trim();
    }

    [GeneratedRegex(@"\n\s*\n")]
    private static partial Regex ParagraphBreak();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
