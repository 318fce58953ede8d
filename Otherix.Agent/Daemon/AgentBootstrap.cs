using System.Collections;
using System.Net.Security;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Otherix.Api.Files;
using Otherix.Api.Errors;
using Otherix.Api.Json;
using Otherix.Api.Nodes;
using Otherix.Api.Security;

namespace Otherix.Agent.Daemon;

/// <summary>What bootstrap needs: from <c>bootstrap.env</c>, overridden by the process environment.</summary>
public sealed record BootstrapSettings(string? CpUrl, string? CaFingerprint, string? NodeName, string? TokenFile, string? Token)
{
    private const string Prefix = "OTHERIX_BOOTSTRAP__";

    /// <summary>Reads <paramref name="envFile"/> (KEY=VALUE lines, # comments, optional quotes) and then <paramref name="environment"/>.</summary>
    public static BootstrapSettings Read(string envFile, IDictionary environment, string defaultTokenFile)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (File.Exists(envFile))
        {
            foreach (var raw in File.ReadAllLines(envFile))
            {
                var line = raw.Trim();
                if (line.Length == 0 || line.StartsWith('#'))
                {
                    continue;
                }

                if (line.StartsWith("export ", StringComparison.Ordinal))
                {
                    line = line[7..].TrimStart();
                }

                var eq = line.IndexOf('=', StringComparison.Ordinal);
                if (eq > 0)
                {
                    values[line[..eq].Trim()] = line[(eq + 1)..].Trim().Trim('"', '\'');
                }
            }
        }

        foreach (DictionaryEntry entry in environment)
        {
            if (entry.Key is string name && name.StartsWith(Prefix, StringComparison.Ordinal) && entry.Value is string value && value.Length > 0)
            {
                values[name] = value;
            }
        }

        string? Get(string key) => values.TryGetValue(Prefix + key, out var v) && v.Length > 0 ? v : null;
        return new BootstrapSettings(Get("CP_URL"), Get("CA_FINGERPRINT"), Get("NODE_NAME"), Get("TOKEN_FILE") ?? defaultTokenFile, Get("TOKEN"));
    }
}

/// <summary>A bootstrap that cannot go on; the message is what the operator needs.</summary>
public sealed class BootstrapException(string message) : Exception(message);

/// <summary>
/// First start of an agent: fetch the cluster CA, check it against the pinned fingerprint, make a key,
/// redeem the join token with a CSR, and write <c>certs/agent.key</c> (0600), <c>agent.crt</c>, <c>ca.crt</c>
/// atomically. Nothing is written unless every step succeeded.
/// </summary>
public static partial class AgentBootstrap
{
    /// <summary>Outcome.</summary>
    public enum Outcome
    {
        /// <summary>Certificates were there already.</summary>
        AlreadyBootstrapped,

        /// <summary>Certificates were obtained now.</summary>
        Bootstrapped,
    }

    /// <summary>Fails on a half-written certificate directory (cert without key or the other way round).</summary>
    /// <returns>Whether all three files are present.</returns>
    public static bool CheckState(AgentLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var cert = File.Exists(layout.CertFile);
        var key = File.Exists(layout.KeyFile);
        if (cert != key || (cert && !File.Exists(layout.CaFile)))
        {
            var present = cert ? layout.CertFile : layout.KeyFile;
            var missing = !File.Exists(layout.CaFile) && cert && key ? layout.CaFile : cert ? layout.KeyFile : layout.CertFile;
            throw new BootstrapException(
                $"partial bootstrap state: {present} exists but {missing} is missing; delete {layout.CertFile}, {layout.KeyFile} and {layout.CaFile}, then bootstrap again with a fresh join token");
        }

        return cert;
    }

    /// <summary>Bootstraps unless already done (or <paramref name="force"/>).</summary>
    public static async Task<Outcome> RunAsync(
        AgentLayout layout, BootstrapSettings settings, string advertisedEndpoint, bool force, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(logger);
        if (!force && CheckState(layout))
        {
            LogExisting(logger, layout.CertDirectory);
            return Outcome.AlreadyBootstrapped;
        }

        var missing = new List<string>();
        if (settings.CpUrl is null)
        {
            missing.Add("OTHERIX_BOOTSTRAP__CP_URL");
        }

        if (settings.CaFingerprint is null)
        {
            missing.Add("OTHERIX_BOOTSTRAP__CA_FINGERPRINT");
        }

        if (settings.NodeName is null)
        {
            missing.Add("OTHERIX_BOOTSTRAP__NODE_NAME");
        }

        var token = settings.Token ?? (settings.TokenFile is { } file && File.Exists(file) ? (await File.ReadAllTextAsync(file, cancellationToken)).Trim() : null);
        if (token is null or "")
        {
            missing.Add($"the join token (file {settings.TokenFile} or OTHERIX_BOOTSTRAP__TOKEN)");
        }

        if (missing.Count > 0)
        {
            throw new BootstrapException($"bootstrap: not bootstrapped yet and missing {string.Join(", ", missing)} (set them in {layout.BootstrapEnvFile})");
        }

        var pin = ClusterTrust.NormalizeFingerprint(settings.CaFingerprint)
            ?? throw new BootstrapException($"bootstrap: OTHERIX_BOOTSTRAP__CA_FINGERPRINT \"{settings.CaFingerprint}\" is not sha256:<64 hex digits>");
        if (!Uri.TryCreate(settings.CpUrl, UriKind.Absolute, out var cpUrl) || cpUrl.Scheme != "https")
        {
            throw new BootstrapException($"bootstrap: OTHERIX_BOOTSTRAP__CP_URL \"{settings.CpUrl}\" must be https://host:port (the control plane's agent listener)");
        }

        using var ca = await FetchCaAsync(cpUrl, pin, cancellationToken);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var csr = new CertificateRequest($"CN={ClusterTrust.NodeCommonName(settings.NodeName!)}", key, HashAlgorithmName.SHA384).CreateSigningRequestPem();
        var joined = await RedeemAsync(cpUrl, ca, new JoinNodeRequest
        {
            Token = token,
            CsrPem = csr,
            NodeName = settings.NodeName,
            Architecture = Architecture,
            AdvertisedEndpoint = advertisedEndpoint,
        }, cancellationToken);

        using var issued = X509Certificate2.CreateFromPem(joined.CertPem);
        var problem = ClusterTrust.CheckChain(issued, ca, ClusterTrust.ClientAuth)
            ?? (ClusterTrust.CommonName(issued) == ClusterTrust.NodeCommonName(settings.NodeName!) ? null : $"CN={ClusterTrust.CommonName(issued)}");
        if (problem is not null)
        {
            throw new BootstrapException($"bootstrap protocol: the control plane returned a certificate that is not this node's from the pinned CA ({problem})");
        }

        AtomicFile.Write(layout.CaFile, ca.ExportCertificatePem(), AtomicFile.WorldReadable);
        AtomicFile.Write(layout.KeyFile, key.ExportPkcs8PrivateKeyPem(), AtomicFile.OwnerOnly);
        AtomicFile.Write(layout.CertFile, issued.ExportCertificatePem(), AtomicFile.WorldReadable);
        LogComplete(logger, settings.NodeName!, joined.NodeId);
        return Outcome.Bootstrapped;
    }

    /// <summary><c>amd64</c> or <c>arm64</c>, from this process.</summary>
    public static string Architecture => RuntimeInformation.OSArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
        _ => "amd64",
    };

    private static async Task<X509Certificate2> FetchCaAsync(Uri cpUrl, string pin, CancellationToken cancellationToken)
    {
        // Trust on first use: any server certificate will do here, because what we fetch is checked against the pin.
#pragma warning disable CA5359 // deliberate: the CA fetched over this connection is checked against the operator's pin
        using var handler = new SocketsHttpHandler { SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, _, _, _) => true } };
#pragma warning restore CA5359
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        CaInfo info;
        try
        {
            info = await http.GetFromJsonAsync<CaInfo>(new Uri(cpUrl, "/v1/ca"), ApiJson.Options, cancellationToken)
                ?? throw new BootstrapException("bootstrap: fetch /v1/ca: empty answer");
        }
        catch (HttpRequestException e)
        {
            throw new BootstrapException($"bootstrap: fetch /v1/ca: {e.Message}");
        }
        catch (JsonException e)
        {
            throw new BootstrapException($"bootstrap: fetch /v1/ca: not the control plane's answer: {e.Message}");
        }

        var ca = X509CertificateLoader.LoadCertificate(X509Certificate2.CreateFromPem(info.CertPem).RawData);
        var got = ClusterTrust.Fingerprint(ca);
        if (got != pin)
        {
            ca.Dispose();
            throw new BootstrapException($"bootstrap: CA fingerprint mismatch (expected {pin} got {got})");
        }

        return ca;
    }

    private static async Task<JoinNodeResponse> RedeemAsync(Uri cpUrl, X509Certificate2 ca, JoinNodeRequest request, CancellationToken cancellationToken)
    {
        using var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is X509Certificate2 server
                    && ClusterTrust.CheckChain(server, ca, ClusterTrust.ServerAuth) is null
                    && ClusterTrust.CommonName(server) == ClusterTrust.ControlPlaneCommonName,
            },
        };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        HttpResponseMessage response;
        try
        {
            response = await http.PostAsJsonAsync(new Uri(cpUrl, "/v1/nodes/join"), request, ApiJson.Options, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new BootstrapException($"bootstrap protocol: CSR submission failed: {e.Message}");
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                var error = TryError(body);
                throw new BootstrapException(
                    $"bootstrap protocol: CSR submission rejected by CP: HTTP {(int)response.StatusCode} {error?.Code ?? "unknown"}: {error?.Message ?? body}");
            }

            return JsonSerializer.Deserialize<JoinNodeResponse>(body, ApiJson.Options) ?? throw new BootstrapException("bootstrap protocol: empty join answer");
        }
    }

    private static ApiError? TryError(string body)
    {
        try
        {
            return JsonSerializer.Deserialize<ErrorEnvelope>(body, ApiJson.Options)?.Error;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "agent: bootstrap complete: node {Node} ({NodeId})")]
    private static partial void LogComplete(ILogger logger, string node, Guid nodeId);

    [LoggerMessage(Level = LogLevel.Information, Message = "agent: using existing cert material in {Directory}")]
    private static partial void LogExisting(ILogger logger, string directory);
}
