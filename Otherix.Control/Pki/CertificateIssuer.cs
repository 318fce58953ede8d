using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Otherix.Api.Security;

namespace Otherix.Control.Pki;

/// <summary>Signs certificates with the cluster CA: this replica's own, and nodes' from their CSRs.</summary>
public sealed class CertificateIssuer(ClusterCa ca, TimeProvider time)
{
    /// <summary>How long a node certificate lives.</summary>
    public static readonly TimeSpan NodeValidity = TimeSpan.FromDays(365);

    /// <summary>
    /// Issues a node certificate for the public key of <paramref name="csrPem"/>. The subject and SANs
    /// are ours (<c>CN=node-&lt;name&gt;</c>, <c>node-&lt;name&gt;.agents.otherix.local</c>), never the CSR's.
    /// </summary>
    /// <exception cref="CsrRejectedException">Bad signature, weak key, or asks for CA rights.</exception>
    public X509Certificate2 IssueNode(string csrPem, string nodeName)
    {
        CertificateRequest csr;
        try
        {
            csr = CertificateRequest.LoadSigningRequestPem(csrPem, HashAlgorithmName.SHA384, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
        }
        catch (CryptographicException e)
        {
            throw new CsrRejectedException($"csr_pem is not a valid, correctly signed PKCS#10 request: {e.Message}");
        }
        catch (ArgumentException e)
        {
            throw new CsrRejectedException($"csr_pem is not a PEM certificate request: {e.Message}");
        }

        CheckKey(csr.PublicKey);
        foreach (var extension in csr.CertificateExtensions)
        {
            if (extension is X509BasicConstraintsExtension { CertificateAuthority: true })
            {
                throw new CsrRejectedException("the CSR asks for CA rights (basicConstraints CA:TRUE)");
            }

            if (extension is X509KeyUsageExtension usage && (usage.KeyUsages & (X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign)) != 0)
            {
                throw new CsrRejectedException("the CSR asks for certificate or CRL signing");
            }
        }

        var request = new CertificateRequest(new X500DistinguishedName($"CN={ClusterTrust.NodeCommonName(nodeName)}"), csr.PublicKey, HashAlgorithmName.SHA384);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(ClusterTrust.NodeDnsName(nodeName));
        request.CertificateExtensions.Add(names.Build());
        return Sign(request, NodeValidity, X509KeyUsageFlags.DigitalSignature);
    }

    /// <summary>Issues this replica's serverAuth + clientAuth certificate for <paramref name="key"/>.</summary>
    public X509Certificate2 IssueReplica(ECDsa key, IEnumerable<string> sans, TimeSpan validity)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(sans);
        var request = new CertificateRequest($"CN={ClusterTrust.ControlPlaneCommonName}", key, HashAlgorithmName.SHA384);
        var names = new SubjectAlternativeNameBuilder();
        foreach (var san in sans.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (IPAddress.TryParse(san, out var ip))
            {
                names.AddIpAddress(ip);
            }
            else
            {
                names.AddDnsName(san);
            }
        }

        request.CertificateExtensions.Add(names.Build());
        return Sign(request, validity, X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement);
    }

    private X509Certificate2 Sign(CertificateRequest request, TimeSpan validity, X509KeyUsageFlags usage)
    {
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ClusterTrust.ServerAuth), new Oid(ClusterTrust.ClientAuth)], critical: false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca.Certificate, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        var now = time.GetUtcNow();
        var notAfter = now + validity < ca.Certificate.NotAfter ? now + validity : new DateTimeOffset(ca.Certificate.NotAfter.ToUniversalTime());
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f; // positive
        var signer = X509SignatureGenerator.CreateForECDsa(ca.Key);
        return request.Create(ca.Certificate.SubjectName, signer, now.AddMinutes(-5), notAfter, serial);
    }

    private static void CheckKey(PublicKey key)
    {
        if (key.GetRSAPublicKey() is { } rsa)
        {
            using (rsa)
            {
                if (rsa.KeySize < 2048)
                {
                    throw new CsrRejectedException($"RSA keys must have at least 2048 bits, this one has {rsa.KeySize}");
                }
            }

            return;
        }

        if (key.GetECDsaPublicKey() is { } ec)
        {
            using (ec)
            {
                var curve = ec.ExportParameters(false).Curve;
                if (curve.Oid?.Value is not ("1.2.840.10045.3.1.7" or "1.3.132.0.34"))
                {
                    throw new CsrRejectedException($"ECDSA keys must be on P-256 or P-384, not {curve.Oid?.FriendlyName ?? curve.Oid?.Value ?? "an explicit curve"}");
                }
            }

            return;
        }

        throw new CsrRejectedException($"unsupported key algorithm {key.Oid.FriendlyName ?? key.Oid.Value}; use ECDSA P-384, P-256 or RSA ≥ 2048");
    }
}

/// <summary>A CSR the cluster CA will not sign.</summary>
public sealed class CsrRejectedException(string message) : Exception(message);
