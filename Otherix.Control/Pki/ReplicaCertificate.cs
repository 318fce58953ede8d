using Otherix.Api.Files;
using Otherix.Api.Configuration;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Otherix.Api.Security;
using Otherix.Control.Configuration;

namespace Otherix.Control.Pki;

/// <summary>
/// This replica's certificate (<c>CN=otherix-cp-replica</c>, serverAuth + clientAuth), kept in
/// <c>&lt;data_dir&gt;/certs/cp-cert.{crt,key}</c> and reused on restart while it chains to the cluster
/// CA, covers every wanted SAN and has more than a tenth of its life left; otherwise reissued.
/// </summary>
public static class ReplicaCertificate
{
    /// <summary>The SANs this replica needs: loopback names, the host name, a specific agent listen address, and the configured extras.</summary>
    public static IReadOnlyList<string> WantedSans(ApiConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var sans = new List<string> { "localhost", "127.0.0.1", "::1", Dns.GetHostName() };
        if (ListenAddress.TryParse(config.AgentServer.Listen, out var listen) && listen!.Host is not ("0.0.0.0" or "::" or "localhost"))
        {
            sans.Add(listen.Host);
        }

        sans.AddRange(config.CpCert.AdditionalSans);
        return sans.Where(s => s.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
    }

    /// <summary>Loads the certificate (with its key) or issues a new one.</summary>
    public static X509Certificate2 LoadOrIssue(ApiConfig config, ClusterCa ca, CertificateIssuer issuer, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(ca);
        ArgumentNullException.ThrowIfNull(issuer);
        ArgumentNullException.ThrowIfNull(time);
        var directory = Path.Combine(config.Store.DataDir, "certs");
        var certPath = Path.Combine(directory, "cp-cert.crt");
        var keyPath = Path.Combine(directory, "cp-cert.key");
        var wanted = WantedSans(config);
        if (File.Exists(certPath) && File.Exists(keyPath))
        {
            var existing = X509Certificate2.CreateFromPemFile(certPath, keyPath);
            if (StillGood(existing, ca, wanted, time))
            {
                return Reload(existing);
            }

            existing.Dispose();
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        using var issued = issuer.IssueReplica(key, wanted, config.CpCert.Validity);
        AtomicFile.Write(keyPath, key.ExportPkcs8PrivateKeyPem(), AtomicFile.OwnerOnly);
        AtomicFile.Write(certPath, issued.ExportCertificatePem(), AtomicFile.WorldReadable);
        using var withKey = issued.CopyWithPrivateKey(key);
        return Reload(withKey);
    }

    private static bool StillGood(X509Certificate2 certificate, ClusterCa ca, IReadOnlyList<string> wanted, TimeProvider time)
    {
        if (ClusterTrust.CheckChain(certificate, ca.Certificate, ClusterTrust.ServerAuth) is not null)
        {
            return false;
        }

        var lifetime = certificate.NotAfter - certificate.NotBefore;
        if (certificate.NotAfter.ToUniversalTime() - time.GetUtcNow().UtcDateTime < lifetime / 10)
        {
            return false;
        }

        var present = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>()
            .SelectMany(e => e.EnumerateDnsNames().Concat(e.EnumerateIPAddresses().Select(ip => ip.ToString())))
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        return wanted.All(present.Contains);
    }

    // Kestrel on Linux wants a certificate whose key it can use directly: round-trip through PKCS#12.
    private static X509Certificate2 Reload(X509Certificate2 certificate)
    {
        var pfx = certificate.Export(X509ContentType.Pkcs12);
        return X509CertificateLoader.LoadPkcs12(pfx, null);
    }
}
