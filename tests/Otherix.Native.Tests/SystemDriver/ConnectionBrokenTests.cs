using Otherix.Native.Generated;
using Otherix.Testing;

namespace Otherix.Native.Tests.SystemDriver;

/// <summary>A connection that libvirtd drops is reported, not silently reused: the Closed event fires and calls fail as ConnectionBroken.</summary>
[NonParallelizable]
public sealed class ConnectionBrokenTests
{
    [Test]
    public async Task DaemonDropsTheClient_ClosedFiresAndCallsFailAsBroken()
    {
        LibvirtHost.RequireSystem();
        using var connection = Connection.Open(LibvirtHost.SystemUri);
        var closed = new TaskCompletionSource<virConnectCloseReason>(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.Closed += (_, e) => closed.TrySetResult(e.Reason);
        Assert.That(connection.IsAlive, Is.True);

        // virt-admin can disconnect one client of the daemon: ours, found by process id.
        var clientId = await FindOurClientAsync();
        await Run("virt-admin", ["client-disconnect", "libvirtd", clientId]);

        var reason = await closed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That(reason, Is.EqualTo(virConnectCloseReason.VIR_CONNECT_CLOSE_REASON_EOF).Or.EqualTo(virConnectCloseReason.VIR_CONNECT_CLOSE_REASON_ERROR));
        var error = Assert.Throws<LibvirtException>(() => _ = connection.Hostname);
        Assert.That(error!.Kind, Is.EqualTo(LibvirtErrorKind.ConnectionBroken), error.ToString());

        // Reopening is the caller's policy; it works.
        using var reopened = Connection.Open(LibvirtHost.SystemUri);
        Assert.That(reopened.Hostname, Is.Not.Empty);
    }

    private static async Task<string> FindOurClientAsync()
    {
        var list = await Run("virt-admin", ["client-list", "libvirtd"]);
        var ids = list.StandardOutput.Split('\n').Skip(2)
            .Select(line => line.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault())
            .Where(id => id is not null && id.All(char.IsAsciiDigit));
        foreach (var id in ids)
        {
            var info = await Run("virt-admin", ["client-info", "libvirtd", id!], check: false);
            if (info.StandardOutput.Split('\n').Any(l => l.Contains("unix_process_id", StringComparison.Ordinal) && l.Trim().EndsWith($": {Environment.ProcessId}", StringComparison.Ordinal)))
            {
                return id!;
            }
        }

        throw new AssertionException($"no libvirtd client with process id {Environment.ProcessId}:\n{list.StandardOutput}");
    }

    private static async Task<CommandResult> Run(string file, string[] args, bool check = true)
    {
        var result = await CommandRunner.RunAsync(file, args, TimeSpan.FromSeconds(30));
        return check ? result.EnsureSuccess($"{file} {string.Join(' ', args)}") : result;
    }
}
