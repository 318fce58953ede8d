using Otherix.Control.Configuration;
using Otherix.Control.Store;

namespace Otherix.Control.Nodes;

/// <summary>Marks ready nodes <c>unreachable</c> once their last heartbeat is older than <c>workers.heartbeat.stale_threshold</c>.</summary>
public sealed partial class NodeLivenessWorker(IStateStore store, ApiConfig config, TimeProvider time, ILogger<NodeLivenessWorker> log) : BackgroundService
{
    /// <summary>One check; returns the nodes it marked.</summary>
    public IReadOnlyList<string> Check()
    {
        var now = time.GetUtcNow().UtcDateTime;
        var stale = store.Nodes.MarkStale(now - config.Workers.Heartbeat.StaleThreshold, now);
        foreach (var name in stale)
        {
            LogUnreachable(log, name, config.Workers.Heartbeat.StaleThreshold);
        }

        return stale;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = TimeSpan.FromTicks(Math.Min(config.Workers.Heartbeat.StaleThreshold.Ticks / 5, TimeSpan.FromSeconds(5).Ticks));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                Check();
                await Task.Delay(period, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(log, e);
                await Task.Delay(period, time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "node {Node} is unreachable: no heartbeat for {Threshold}")]
    private static partial void LogUnreachable(ILogger logger, string node, TimeSpan threshold);

    [LoggerMessage(Level = LogLevel.Error, Message = "node liveness check failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
