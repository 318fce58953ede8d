using System.Text.RegularExpressions;

namespace Otherix.Control.Http;

/// <summary>Rules for the names people give resources.</summary>
public static partial class Names
{
    /// <summary>
    /// A resource name (VMs, nodes, pools): a DNS label, 1..63 lower-case letters, digits and '-',
    /// starting and ending with a letter or digit, and never a UUID (names and ids must not be confusable).
    /// </summary>
    /// <returns>Null when valid, else the problem.</returns>
    public static string? CheckResourceName(string? name) => name switch
    {
        null or "" => "is required",
        { Length: > 63 } => "must be at most 63 characters",
        _ when Guid.TryParse(name, out _) => "is a UUID; resources are addressed by name here",
        _ when !DnsLabel().IsMatch(name) => "must be a DNS label: lower-case letters, digits and '-', starting and ending with a letter or digit",
        _ => null,
    };

    /// <summary>A label for a token or similar: 1..<paramref name="max"/> letters, digits, space, '.', '_', '-', starting with a letter or digit.</summary>
    public static string? CheckLabel(string? label, int max) => label switch
    {
        null or "" => "is required",
        _ when label.Length > max => $"must be at most {max} characters",
        _ when !Label().IsMatch(label) => "may contain letters, digits, space, '.', '_' and '-', and must start with a letter or digit",
        _ => null,
    };

    /// <summary>Free text: at most <paramref name="max"/> characters, no control characters.</summary>
    public static string? CheckText(string? text, int max) => text switch
    {
        null => null,
        _ when text.Length > max => $"must be at most {max} characters",
        _ when !IsClean(text) => "must not contain control characters or broken Unicode",
        _ => null,
    };

    /// <summary>No control characters, no unpaired surrogates.</summary>
    public static bool IsClean(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsControl(c))
            {
                return false;
            }

            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return false;
            }
        }

        return true;
    }

    [GeneratedRegex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex DnsLabel();

    [GeneratedRegex(@"^[\p{L}\p{Nd}][\p{L}\p{Nd} ._-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex Label();
}
