using System.Globalization;
using System.Net;

namespace Otherix.Api.Configuration;

/// <summary>A parsed <c>host:port</c> listen address (<c>0.0.0.0:8080</c>, <c>[::1]:8080</c>, <c>localhost:8080</c>).</summary>
public sealed record ListenAddress(string Host, int Port)
{
    /// <summary>Parses <paramref name="text"/>; the host may be empty (all addresses).</summary>
    public static bool TryParse(string text, out ListenAddress? address)
    {
        address = null;
        var colon = text.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            return false;
        }

        var host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
            if (!IPAddress.TryParse(host, out _))
            {
                return false;
            }
        }
        else if (host.Contains(':', StringComparison.Ordinal))
        {
            return false;
        }

        address = new ListenAddress(host.Length == 0 ? "0.0.0.0" : host, port);
        return true;
    }

    /// <summary>The Kestrel URL for this address.</summary>
    public string ToUrl(string scheme) =>
        $"{scheme}://{(Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host == "0.0.0.0" ? "0.0.0.0" : Host)}:{Port}";
}
