using System.Collections.Concurrent;
using Otherix.Agent.Driver;
using Otherix.Api.Grpc;
using Otherix.Native;

namespace Otherix.Agent.Daemon;

/// <summary>
/// Makes the pools the control plane declares for this node exist (level-triggered: every heartbeat
/// answer is the whole list, and every missing pool is created again), and reports them back: the
/// ones that exist with their figures and images, the ones that could not be made with the reason.
/// Pools are never deleted here; that is an explicit call.
/// </summary>
public sealed partial class PoolReconciler(LibvirtVmDriver driver, ILogger<PoolReconciler> log)
{
    private readonly ConcurrentDictionary<string, string> _failures = new(StringComparer.Ordinal);

    /// <summary>Ensures every declared pool.</summary>
    public void Converge(IEnumerable<DeclaredPool> declared)
    {
        ArgumentNullException.ThrowIfNull(declared);
        foreach (var pool in declared)
        {
            try
            {
                driver.EnsurePool(new PoolSpec(pool.Name, pool.Path));
                if (_failures.TryRemove(pool.Name, out _))
                {
                    LogRecovered(log, pool.Name);
                }
            }
            catch (Exception e) when (e is VmDriverException or LibvirtException or IOException or UnauthorizedAccessException)
            {
                if (_failures.TryGetValue(pool.Name, out var previous) is false || previous != e.Message)
                {
                    LogFailed(log, pool.Name, pool.Path, e.Message);
                }

                _failures[pool.Name] = e.Message;
            }
        }
    }

    /// <summary>What the next heartbeat says about pools.</summary>
    public IEnumerable<PoolReport> Report()
    {
        var reports = driver.ListPools().Select(AgentService.ToReport).ToList();
        reports.AddRange(_failures.Where(f => reports.All(r => r.Name != f.Key))
            .Select(f => new PoolReport { Name = f.Key, ReconciliationStatus = "failed", ReconciliationError = f.Value }));
        return reports;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "agent: cannot create pool {Pool} at {Path}: {Error}")]
    private static partial void LogFailed(ILogger logger, string pool, string path, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "agent: pool {Pool} is in place again")]
    private static partial void LogRecovered(ILogger logger, string pool);
}
