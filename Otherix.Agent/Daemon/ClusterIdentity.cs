using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Otherix.Api.Security;

namespace Otherix.Agent.Daemon;

/// <summary>The agent's certificate material after bootstrap: its certificate (with key) and the pinned cluster CA.</summary>
public sealed class ClusterIdentity : IDisposable
{
    private ClusterIdentity(X509Certificate2 certificate, X509Certificate2 ca, string nodeName)
    {
        Certificate = certificate;
        Ca = ca;
        NodeName = nodeName;
    }

    /// <summary>The node certificate with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The cluster CA.</summary>
    public X509Certificate2 Ca { get; }

    /// <summary>The node's name, from the certificate CN (<c>node-&lt;name&gt;</c>).</summary>
    public string NodeName { get; }

    /// <summary>Loads the material from <paramref name="layout"/>.</summary>
    public static ClusterIdentity Load(AgentLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        using var pem = X509Certificate2.CreateFromPemFile(layout.CertFile, layout.KeyFile);
        var certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        var ca = X509CertificateLoader.LoadCertificate(X509Certificate2.CreateFromPem(File.ReadAllText(layout.CaFile)).RawData);
        var cn = ClusterTrust.CommonName(certificate);
        if (!cn.StartsWith("node-", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"{layout.CertFile} is not a node certificate (CN={cn})");
        }

        return new ClusterIdentity(certificate, ca, cn["node-".Length..]);
    }

    /// <summary>An HTTP handler that presents the node certificate and trusts only a control-plane certificate from the cluster CA.</summary>
    public SocketsHttpHandler CreateHandler() => new()
    {
        SslOptions = new SslClientAuthenticationOptions
        {
            ClientCertificates = [Certificate],
            RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is X509Certificate2 server && IsControlPlane(server),
        },
        EnableMultipleHttp2Connections = true,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
    };

    /// <summary>Whether <paramref name="certificate"/> is a control-plane replica's, issued by our CA.</summary>
    public bool IsControlPlane(X509Certificate2 certificate) =>
        ClusterTrust.CheckChain(certificate, Ca, ClusterTrust.ServerAuth) is null
        && ClusterTrust.CommonName(certificate) == ClusterTrust.ControlPlaneCommonName;

    /// <summary>Frees the certificates.</summary>
    public void Dispose()
    {
        Certificate.Dispose();
        Ca.Dispose();
    }
}
