using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;
using Otherix.Api.Errors;
using Otherix.Api.Security;

namespace Otherix.Control.Agents;

/// <summary>The agent could not be reached or did not answer in time; tasks fail with <c>agent_unreachable</c>.</summary>
public sealed class AgentUnreachableException(string node, string message, Exception? inner = null)
    : Exception($"agent on node {node} unreachable: {message}", inner)
{
    /// <summary>The stable code.</summary>
    public static string Code => ErrorCodes.AgentUnreachable;

    /// <summary>The node.</summary>
    public string Node { get; } = node;
}

/// <summary>
/// gRPC channels to agents: mutual TLS with this replica's certificate; an agent is accepted only if
/// its certificate chains to the cluster CA <b>and</b> names the node we meant to reach.
/// </summary>
public sealed class AgentConnections(X509Certificate2 ca, X509Certificate2 replicaCertificate) : IDisposable
{
    private readonly ConcurrentDictionary<(string Node, string Endpoint), GrpcChannel> _channels = new();

    /// <summary>Deadline for one call.</summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A client for the agent of <paramref name="node"/> at <paramref name="endpoint"/> (host:port).</summary>
    public Api.Grpc.Agent.AgentClient For(string node, string endpoint) =>
        new(_channels.GetOrAdd((node, endpoint), key => GrpcChannel.ForAddress(new Uri($"https://{key.Endpoint}"), new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                SslOptions = new SslClientAuthenticationOptions
                {
                    ClientCertificates = [replicaCertificate],
                    RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is X509Certificate2 agent && IsNode(agent, key.Node),
                },
                ConnectTimeout = TimeSpan.FromSeconds(10),
                EnableMultipleHttp2Connections = true,
            },
            DisposeHttpClient = true,
        })));

    /// <summary>Calls the agent of <paramref name="node"/>, turning transport failures into <see cref="AgentUnreachableException"/>.</summary>
    public async Task<T> CallAsync<T>(string node, string endpoint, Func<Api.Grpc.Agent.AgentClient, CallOptions, AsyncUnaryCall<T>> call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        try
        {
            return await call(For(node, endpoint), new CallOptions(deadline: DateTime.UtcNow + CallTimeout, cancellationToken: cancellationToken));
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded || (e.StatusCode == StatusCode.Internal && e.InnerException is not null))
        {
            throw new AgentUnreachableException(node, $"{e.StatusCode}: {e.Status.Detail}", e);
        }
        catch (HttpRequestException e)
        {
            throw new AgentUnreachableException(node, e.Message, e);
        }
    }

    /// <summary>Whether <paramref name="certificate"/> is the cluster CA's certificate for <paramref name="node"/>.</summary>
    public bool IsNode(X509Certificate2 certificate, string node) =>
        ClusterTrust.CheckChain(certificate, ca, ClusterTrust.ServerAuth) is null
        && ClusterTrust.CommonName(certificate) == ClusterTrust.NodeCommonName(node);

    /// <summary>Closes every channel.</summary>
    public void Dispose()
    {
        foreach (var channel in _channels.Values)
        {
            channel.Dispose();
        }
    }
}
