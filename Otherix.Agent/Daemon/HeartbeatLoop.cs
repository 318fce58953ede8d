using Grpc.Core;
using Grpc.Net.Client;
using Otherix.Api.Grpc;

namespace Otherix.Agent.Daemon;

/// <summary>
/// Heartbeats to the control plane every interval over mutual TLS (the node certificate from bootstrap),
/// each a full snapshot. Failures are logged when the state changes (not every beat) and retried.
/// </summary>
public sealed partial class HeartbeatLoop(
    ClusterIdentity identity, Uri controlPlane, TimeSpan interval, Func<HeartbeatRequest> snapshot, Action<HeartbeatResponse> onResponse,
    TimeProvider time, ILogger<HeartbeatLoop> log) : BackgroundService
{
    private bool? _lastOk;

    /// <summary>Heartbeats acknowledged so far.</summary>
    public int Acknowledged { get; private set; }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var channel = GrpcChannel.ForAddress(controlPlane, new GrpcChannelOptions { HttpHandler = identity.CreateHandler(), DisposeHttpClient = true });
        var client = new ControlPlane.ControlPlaneClient(channel);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var request = snapshot();
                request.NodeName = identity.NodeName;
                var response = await client.HeartbeatAsync(request, deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: stoppingToken);
                Acknowledged++;
                onResponse(response);
                if (_lastOk != true)
                {
                    LogAccepted(log, controlPlane, identity.NodeName);
                }

                _lastOk = true;
            }
            catch (RpcException e) when (!stoppingToken.IsCancellationRequested)
            {
                if (_lastOk != false)
                {
                    LogRefused(log, controlPlane, e.StatusCode, e.Status.Detail);
                }

                _lastOk = false;
            }
            catch (Exception e) when (e is HttpRequestException or IOException && !stoppingToken.IsCancellationRequested)
            {
                if (_lastOk != false)
                {
                    LogUnreachable(log, controlPlane, e.Message);
                }

                _lastOk = false;
            }

            try
            {
                await Task.Delay(interval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "agent: heartbeat accepted by {ControlPlane} as node {Node}")]
    private static partial void LogAccepted(ILogger logger, Uri controlPlane, string node);

    [LoggerMessage(Level = LogLevel.Warning, Message = "agent: heartbeat refused by {ControlPlane}: {Code} {Detail}")]
    private static partial void LogRefused(ILogger logger, Uri controlPlane, StatusCode code, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "agent: control plane {ControlPlane} unreachable: {Error}; retrying every interval")]
    private static partial void LogUnreachable(ILogger logger, Uri controlPlane, string error);
}
