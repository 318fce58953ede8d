using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Otherix.Api.Files;
using Otherix.Api.Security;
using Otherix.Control.Store;

namespace Otherix.Control.Pki;

/// <summary>
/// The cluster CA: ECDSA P-384, self-signed, ten years, <c>CN=otherix-cluster-ca</c>. Generated on the
/// first start into <c>&lt;data_dir&gt;/ca/cluster-ca.{crt,key}</c> (key 0600) and recorded in the store;
/// later starts load it, and refuse to start if the file and the store disagree.
/// </summary>
public sealed class ClusterCa : IDisposable
{
    private const string SettingKey = "cluster_ca_pem";

    private ClusterCa(X509Certificate2 certificate, ECDsa key)
    {
        Certificate = certificate;
        Key = key;
        Fingerprint = ClusterTrust.Fingerprint(certificate);
        Pem = certificate.ExportCertificatePem();
    }

    /// <summary>The CA certificate (public part only).</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Its signing key.</summary>
    internal ECDsa Key { get; }

    /// <summary><c>sha256:&lt;hex&gt;</c> of the DER.</summary>
    public string Fingerprint { get; }

    /// <summary>PEM of the certificate.</summary>
    public string Pem { get; }

    /// <summary>Loads the CA from <paramref name="directory"/>, or creates it on the first start.</summary>
    /// <exception cref="InvalidOperationException">Files and store disagree, or only half the files exist.</exception>
    public static ClusterCa LoadOrCreate(string directory, IStateStore store, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(time);
        var certPath = Path.Combine(directory, "cluster-ca.crt");
        var keyPath = Path.Combine(directory, "cluster-ca.key");
        var stored = store.Settings.Find(SettingKey);
        if (File.Exists(certPath) != File.Exists(keyPath))
        {
            throw new InvalidOperationException(
                $"partial cluster CA: {(File.Exists(certPath) ? keyPath : certPath)} is missing next to {(File.Exists(certPath) ? certPath : keyPath)}; restore it from a backup");
        }

        if (!File.Exists(certPath))
        {
            if (stored is not null)
            {
                throw new InvalidOperationException(
                    $"the store holds a cluster CA but {certPath} and {keyPath} are gone; restore them from a backup (a new CA would orphan every node)");
            }

            var created = Create(time);
            AtomicFile.Write(keyPath, created.Key.ExportPkcs8PrivateKeyPem(), AtomicFile.OwnerOnly);
            AtomicFile.Write(certPath, created.Pem, AtomicFile.WorldReadable);
            store.Settings.PutIfAbsent(SettingKey, created.Pem);
            return created;
        }

        var certificate = X509CertificateLoader.LoadCertificate(X509Certificate2.CreateFromPem(File.ReadAllText(certPath)).RawData);
        var key = ECDsa.Create();
        key.ImportFromPem(File.ReadAllText(keyPath));
        var ca = new ClusterCa(certificate, key);
        using (var probe = certificate.CopyWithPrivateKey(key))
        {
            // CopyWithPrivateKey throws if the key does not belong to the certificate.
        }

        var recorded = store.Settings.PutIfAbsent(SettingKey, ca.Pem);
        if (!string.Equals(Normalize(recorded), Normalize(ca.Pem), StringComparison.Ordinal))
        {
            using var other = X509Certificate2.CreateFromPem(recorded);
            var message = $"the cluster CA in {certPath} ({ca.Fingerprint}) is not the one this cluster's store recorded ({ClusterTrust.Fingerprint(other)}); put the original CA files back, or reset the control plane state";
            ca.Dispose();
            throw new InvalidOperationException(message);
        }

        return ca;
    }

    /// <summary>Frees the key.</summary>
    public void Dispose()
    {
        Key.Dispose();
        Certificate.Dispose();
    }

    private static ClusterCa Create(TimeProvider time)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var request = new CertificateRequest($"CN={ClusterTrust.CaCommonName}", key, HashAlgorithmName.SHA384);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        var now = time.GetUtcNow();
        using var selfSigned = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(10));
        return new ClusterCa(X509CertificateLoader.LoadCertificate(selfSigned.RawData), key);
    }

    private static string Normalize(string pem) => pem.Replace("\r", "", StringComparison.Ordinal).Trim();
}
