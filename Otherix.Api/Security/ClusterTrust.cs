using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Otherix.Api.Security;

/// <summary>
/// Certificate checks shared by the control plane and the agents: chains to the cluster CA (and to
/// nothing else), names, fingerprints. Host-name checks of the system TLS stack are not used between
/// cluster members; identities are certificate names checked here.
/// </summary>
public static class ClusterTrust
{
    /// <summary>Subject CN of the cluster CA.</summary>
    public const string CaCommonName = "otherix-cluster-ca";

    /// <summary>Subject CN of every control-plane replica certificate.</summary>
    public const string ControlPlaneCommonName = "otherix-cp-replica";

    /// <summary>The CN the cluster CA gives a node's certificate.</summary>
    public static string NodeCommonName(string nodeName) => "node-" + nodeName;

    /// <summary>The DNS SAN the cluster CA gives a node's certificate.</summary>
    public static string NodeDnsName(string nodeName) => $"node-{nodeName}.agents.otherix.local";

    /// <summary><c>sha256:</c> + lowercase hex SHA-256 of the certificate's DER bytes.</summary>
    public static string Fingerprint(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));
    }

    /// <summary>Accepts <c>sha256:&lt;hex&gt;</c> or bare hex (any case); returns the canonical form, or null if malformed.</summary>
    public static string? NormalizeFingerprint(string? text)
    {
        var hex = text?.Trim() ?? "";
        if (hex.StartsWith("sha256:", StringComparison.OrdinalIgnoreCase))
        {
            hex = hex[7..];
        }

        hex = hex.Replace(":", "", StringComparison.Ordinal).ToLowerInvariant();
        return hex.Length == 64 && hex.All(Uri.IsHexDigit) ? "sha256:" + hex : null;
    }

    /// <summary>Whether <paramref name="certificate"/> chains to <paramref name="ca"/> alone, is in its validity period and may be used for <paramref name="usageOid"/>.</summary>
    /// <returns>Null when it does, else why not.</returns>
    public static string? CheckChain(X509Certificate2 certificate, X509Certificate2 ca, string usageOid)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(ca);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(usageOid));
        if (chain.Build(certificate))
        {
            return null;
        }

        return string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).DefaultIfEmpty("does not chain to the cluster CA"));
    }

    /// <summary>Server authentication (TLS server) usage OID.</summary>
    public const string ServerAuth = "1.3.6.1.5.5.7.3.1";

    /// <summary>Client authentication (TLS client) usage OID.</summary>
    public const string ClientAuth = "1.3.6.1.5.5.7.3.2";

    /// <summary>The certificate's subject common name.</summary>
    public static string CommonName(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
    }
}
