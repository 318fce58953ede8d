using System.Globalization;

namespace Otherix.Agent.Images;

/// <summary>A validated image URL, its cache name (the URL's basename) and an optional expected SHA-256.</summary>
public sealed record ImageSource(Uri Url, string Name, string? ExpectedSha256)
{
    private const int MaxNameLength = 200;

    /// <summary>
    /// Validates before any I/O: http or https only; a basename that is a plain file name (no
    /// separators, even percent-encoded, no control characters, not <c>.</c>/<c>..</c>, not
    /// hidden); a checksum of the form <c>sha256:&lt;64 hex&gt;</c> when given.
    /// </summary>
    /// <exception cref="ImageException">With <see cref="ImageErrorCodes.ValidationFailed"/>.</exception>
    public static ImageSource Parse(string url, string? checksum = null)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw Invalid($"image URL '{url}' must be an absolute http:// or https:// URL");
        }

        var rawSegment = uri.AbsolutePath[(uri.AbsolutePath.LastIndexOf('/') + 1)..];
        var name = Uri.UnescapeDataString(rawSegment);
        if (name.Length == 0)
        {
            throw Invalid($"image URL '{url}' has no file name at the end of its path");
        }

        if (name is "." or ".." || name.StartsWith('.') || name.Length > MaxNameLength
            || name.Any(c => char.IsControl(c) || c is '/' or '\\' or '\0'))
        {
            throw Invalid($"image URL '{url}' ends in '{name}', which is not a usable file name for the image cache");
        }

        return new ImageSource(uri, name, ParseChecksum(checksum));
    }

    private static string? ParseChecksum(string? checksum)
    {
        if (checksum is null)
        {
            return null;
        }

        const string Prefix = "sha256:";
        var hex = checksum.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) ? checksum[Prefix.Length..] : null;
        if (hex is not { Length: 64 } || !hex.All(char.IsAsciiHexDigit))
        {
            throw Invalid($"checksum '{checksum}' must be sha256: followed by 64 hex digits");
        }

        return hex.ToLower(CultureInfo.InvariantCulture);
    }

    private static ImageException Invalid(string message) => new(ImageErrorCodes.ValidationFailed, message);
}
