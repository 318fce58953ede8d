using System.Diagnostics;
using Otherix.Agent.Driver;
using Otherix.Testing;

namespace Otherix.Agent.Tests.Driver;

[NonParallelizable]
public sealed class CrashRecoveryTests
{
    [Test]
    public async Task AgentKilledMidDownload_SameTaskAgain_OneDomainOneOverlayNoOrphans()
    {
        await using var h = await DriverHarness.StartAsync();
        var pool = h.Pool;
        h.Server.SetFault("fixture.qcow2", new FileFault.Stall(1 << 20));
        var spec = h.Spec("crash-1");
        var images = Path.Combine(h.PoolPath, "images");

        // The create runs in a process of its own, which is killed half way through the download.
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[]
        {
            Path.Combine(AppContext.BaseDirectory, "Otherix.TestHelper.dll"), "agent-create", h.Paths.StateDirectory, Path.Combine(RepoLayout.Root, "templates"),
            h.PoolName, h.FixtureUrl, spec.Id.ToString("D"), spec.Name, "task-crash",
        })
        {
            info.ArgumentList.Add(arg);
        }

        using (var helper = Process.Start(info)!)
        {
            _ = helper.StandardOutput.ReadToEndAsync();
            _ = helper.StandardError.ReadToEndAsync();
            try
            {
                await Poll.UntilAsync(
                    () => Task.FromResult(Directory.Exists(images) ? Directory.GetFiles(images, ".partial-*").Sum(f => new FileInfo(f).Length) : 0L),
                    bytes => bytes >= 1 << 19, TimeSpan.FromSeconds(60), "part of the image downloaded by the helper");
            }
            finally
            {
                helper.Kill(entireProcessTree: true);
                await helper.WaitForExitAsync();
            }
        }

        Assert.That(Directory.GetFiles(images, ".partial-*"), Is.Not.Empty, "the kill left a half download");
        h.Server.SetFault("fixture.qcow2", null);
        h.Server.ReleaseStalled();

        // The restarted agent runs the same task again.
        using var restarted = DriverHarness.NewDriver(h.Paths);
        var status = await restarted.CreateVmAsync(spec, "task-crash");
        var again = await restarted.CreateVmAsync(spec, "task-crash");

        Assert.That(status.State, Is.EqualTo(VmState.Running));
        Assert.That(again.State, Is.EqualTo(VmState.Running));
        var domains = (await DriverHarness.Virsh("list", "--all", "--name")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(domains.Count(d => d == "otx-crash-1"), Is.EqualTo(1));
        var volumes = await DriverHarness.Virsh("vol-list", pool.LibvirtName);
        Assert.That(volumes.Split('\n').Count(l => l.Contains($"{spec.Id:D}.qcow2", StringComparison.Ordinal)), Is.EqualTo(1));
        Assert.That(volumes.Split('\n').Count(l => l.Contains($"{spec.Id:D}-cidata.iso", StringComparison.Ordinal)), Is.EqualTo(1));
        Assert.That(Directory.GetFiles(images).Select(Path.GetFileName).Order(), Is.EqualTo(new[] { "fixture.qcow2", "fixture.qcow2.sha256" }));
    }
}
