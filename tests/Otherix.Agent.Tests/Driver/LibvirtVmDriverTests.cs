using System.Text;
using Otherix.Agent.Driver;
using Otherix.Agent.Images;
using Otherix.Testing;

namespace Otherix.Agent.Tests.Driver;

[NonParallelizable]
public sealed class LibvirtVmDriverTests
{
    [Test]
    public async Task Create_BootsTheFixtureWithOurSeed_AndEveryActionChangesTheDomainState()
    {
        await using var h = await DriverHarness.StartAsync();
        var pool = h.Pool;
        Assert.That(pool.LibvirtName, Is.EqualTo($"otx-{h.PoolName}"));
        Assert.That(pool.Images, Is.Empty);
        Assert.That(await DriverHarness.Virsh("pool-info", pool.LibvirtName), Does.Contain("Autostart:      yes").And.Contain("running"));

        var marker = $"#marker: driver-{Guid.NewGuid():N}";
        const string Owner = "alice' <x> & \"co\"";
        var spec = h.Spec("web-1", $"#cloud-config\n{marker}\n", Owner);
        var progress = new List<ImageProgress>();
        var created = await h.Driver.CreateVmAsync(spec, "task-1", new Collect(progress));

        Assert.That(created, Is.EqualTo(new VmStatus(spec.Id, "web-1", "otx-web-1", VmState.Running, "booted", h.PoolName, "qemu")));
        Assert.That(progress[^1].Downloaded, Is.EqualTo(new FileInfo(RepoLayout.FixtureImage).Length));
        var console = await h.ConsoleLogAsync(spec.Id, t => t.Contains("web-1 login:", StringComparison.Ordinal));
        Assert.That(console, Does.Contain($"otherix-fixture: instance-id={spec.Id:D}"));
        Assert.That(console, Does.Contain("otherix-fixture: local-hostname=web-1"));
        Assert.That(console, Does.Contain(marker));
        var dumpxml = await DriverHarness.Virsh("dumpxml", "otx-web-1");
        Assert.That(dumpxml, Does.Contain($"<uuid>{spec.Id:D}</uuid>"));
        Assert.That(System.Xml.Linq.XDocument.Parse(dumpxml).Descendants(System.Xml.Linq.XName.Get("owner", LibvirtVmDriver.MetadataNamespace)).Single().Value, Is.EqualTo(Owner));

        // The same task again: nothing redone, nothing downloaded twice.
        var again = await h.Driver.CreateVmAsync(spec, "task-1");
        Assert.That(again.State, Is.EqualTo(VmState.Running));
        Assert.That(h.Server.GetCount("fixture.qcow2"), Is.EqualTo(1));

        await Act(h, spec.Id, VmAction.Pause, "paused");
        await ExpectInvalidState(h, spec.Id, VmAction.Pause, "paused");
        await Act(h, spec.Id, VmAction.Resume, "running");
        // A task that paused the VM, retried with the same id, succeeds without acting again.
        await h.Driver.ActAsync(spec.Id, VmAction.Pause, "task-pause-once");
        Assert.That((await h.Driver.ActAsync(spec.Id, VmAction.Pause, "task-pause-once")).State, Is.EqualTo(VmState.Paused));
        await Act(h, spec.Id, VmAction.Resume, "running");
        await Act(h, spec.Id, VmAction.Reset, "running");
        await Act(h, spec.Id, VmAction.Reboot, "running");
        await ExpectInvalidState(h, spec.Id, VmAction.Start, "running");
        await h.ConsoleLogAsync(spec.Id, t => t.Split("otherix-fixture: kernel").Length > 2 && t.EndsWith("web-1 login: ", StringComparison.Ordinal));
        await Act(h, spec.Id, VmAction.Stop, "shut off");
        await ExpectInvalidState(h, spec.Id, VmAction.Pause, "stopped");
        await ExpectInvalidState(h, spec.Id, VmAction.Stop, "stopped");
        await Act(h, spec.Id, VmAction.Start, "running");
        await Act(h, spec.Id, VmAction.Poweroff, "shut off");
        await Act(h, spec.Id, VmAction.Start, "running");

        Assert.That(h.Driver.ScanPool(h.PoolName).Images.Select(i => i.Name), Is.EqualTo(new[] { "fixture.qcow2" }));
        var inUse = Assert.Throws<VmDriverException>(() => h.Driver.DeletePool(h.PoolName));
        Assert.That(inUse!.Code, Is.EqualTo(DriverErrorCodes.PoolInUse));

        h.Driver.DeleteVm(spec.Id);
        Assert.That(await DriverHarness.Virsh("list", "--all", "--name"), Does.Not.Contain("otx-web-1"));
        Assert.That(await DriverHarness.Virsh("vol-list", pool.LibvirtName), Does.Not.Contain(spec.Id.ToString("D")));
        Assert.That(Directory.Exists(h.Paths.VmDirectory(spec.Id)), Is.False);
        Assert.That(() => h.Driver.DeleteVm(spec.Id), Throws.Nothing, "deleting a deleted VM succeeds");
        Assert.That(() => h.Driver.GetVm(spec.Id), Throws.InstanceOf<VmDriverException>().With.Property("Code").EqualTo(DriverErrorCodes.VmNotFound));

        h.Driver.DeletePool(h.PoolName);
        Assert.That(await DriverHarness.Virsh("pool-list", "--all", "--name"), Does.Not.Contain(pool.LibvirtName));
    }

    [Test]
    public async Task Console_ReadsAndTypes_SecondAttachIsRefused()
    {
        await using var h = await DriverHarness.StartAsync();
        var spec = h.Spec("con-1");
        await h.Driver.CreateVmAsync(spec, "task-c");
        await h.ConsoleLogAsync(spec.Id, t => t.Contains("con-1 login:", StringComparison.Ordinal));

        await using var console = h.Driver.OpenConsole(spec.Id);
        var busy = Assert.Throws<VmDriverException>(() => h.Driver.OpenConsole(spec.Id));
        Assert.That(busy!.Code, Is.EqualTo(DriverErrorCodes.ConsoleBusy));

        await console.WriteAsync("root\r"u8.ToArray());
        var text = new StringBuilder();
        var buffer = new byte[4096];
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!text.ToString().Contains("built-in shell", StringComparison.Ordinal))
        {
            var read = await console.ReadAsync(buffer, deadline.Token);
            Assert.That(read, Is.GreaterThan(0), "the console closed");
            text.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }
    }

    [Test]
    public async Task Create_DownloadFailures_LeaveNothingBehind()
    {
        await using var h = await DriverHarness.StartAsync();
        var pool = h.Pool;

        var missing = h.Spec("nf-1") with { ImageUrl = new Uri(h.Server.BaseAddress, "missing.qcow2").ToString() };
        var wrongSum = h.Spec("cs-1") with { ImageChecksum = $"sha256:{new string('a', 64)}" };

        var notFound = Assert.ThrowsAsync<ImageException>(() => h.Driver.CreateVmAsync(missing, "t-nf"));
        var mismatch = Assert.ThrowsAsync<ImageException>(() => h.Driver.CreateVmAsync(wrongSum, "t-cs"));
        var badUrl = Assert.ThrowsAsync<ImageException>(() => h.Driver.CreateVmAsync(h.Spec("bu-1") with { ImageUrl = "http://127.0.0.1/a%2f..%2fb" }, "t-bu"));

        Assert.That(notFound!.Code, Is.EqualTo(ImageErrorCodes.DownloadFailed));
        Assert.That(mismatch!.Code, Is.EqualTo(ImageErrorCodes.ChecksumMismatch));
        Assert.That(badUrl!.Code, Is.EqualTo(ImageErrorCodes.ValidationFailed));
        Assert.That(h.Driver.ScanPool(h.PoolName).Images, Is.Empty);
        Assert.That(await DriverHarness.Virsh("vol-list", pool.LibvirtName), Does.Not.Contain(".qcow2").And.Not.Contain(".iso"));
        Assert.That(h.Driver.ListVms(), Is.Empty);
    }

    [Test]
    public async Task Create_BadSpec_IsRefusedBeforeAnyWork()
    {
        await using var h = await DriverHarness.StartAsync();

        foreach (var bad in new[]
        {
            h.Spec("Upper"), h.Spec("-dash"), h.Spec("x") with { Arch = "sparc" }, h.Spec("x") with { Vcpus = 0 },
            h.Spec("x") with { MemoryMib = 16 }, h.Spec("x") with { Pool = "Bad/Pool" },
        })
        {
            var error = Assert.ThrowsAsync<VmDriverException>(() => h.Driver.CreateVmAsync(bad, "t"));
            Assert.That(error!.Code, Is.EqualTo(DriverErrorCodes.ValidationFailed), bad.ToString());
        }

        var noPool = Assert.ThrowsAsync<VmDriverException>(() => h.Driver.CreateVmAsync(h.Spec("x") with { Pool = "nosuchpool" }, "t"));
        Assert.That(noPool!.Code, Is.EqualTo(DriverErrorCodes.PoolNotFound));
        Assert.That(h.Server.GetCount("fixture.qcow2"), Is.Zero);
    }

    [Test]
    public async Task DomainRemovedBehindOurBack_IsReportedMissing()
    {
        await using var h = await DriverHarness.StartAsync();
        var spec = h.Spec("gone-1");
        await h.Driver.CreateVmAsync(spec, "task-g");

        await DriverHarness.Virsh("destroy", "otx-gone-1");
        await DriverHarness.Virsh("undefine", "otx-gone-1");

        Assert.That(h.Driver.GetVm(spec.Id).State, Is.EqualTo(VmState.Missing));
        Assert.That(h.Driver.ListVms().Single().State, Is.EqualTo(VmState.Missing));
        var error = Assert.ThrowsAsync<VmDriverException>(() => h.Driver.ActAsync(spec.Id, VmAction.Start, "t-start"));
        Assert.That(error!.Code, Is.EqualTo(DriverErrorCodes.VmNotFound));
        h.Driver.DeleteVm(spec.Id);
        Assert.That(h.Driver.ListVms(), Is.Empty);
    }

    [Test]
    public async Task ParallelCreates_OfOneImage_DownloadItOnce()
    {
        await using var h = await DriverHarness.StartAsync();
        h.Server.SetFault("fixture.qcow2", new FileFault.Stall(4096));
        var a = h.Spec("par-a");
        var b = h.Spec("par-b");

        var creates = new[] { h.Driver.CreateVmAsync(a, "t-a"), h.Driver.CreateVmAsync(b, "t-b") };
        await Poll.UntilAsync(() => Task.FromResult(h.Server.GetCount("fixture.qcow2")), n => n >= 1, TimeSpan.FromSeconds(10), "the download started");
        h.Server.ReleaseStalled();
        var results = await Task.WhenAll(creates);

        Assert.That(results.Select(r => r.State), Is.All.EqualTo(VmState.Running));
        Assert.That(h.Server.GetCount("fixture.qcow2"), Is.EqualTo(1));
    }

    [Test]
    public async Task Create_DiskGib_GrowsTheOverlay_AndRefusesLessThanTheImage()
    {
        await using var h = await DriverHarness.StartAsync();
        var pool = h.Pool;
        // A qcow2 header that announces a 2 GiB disk: enough for the size check, which comes before any volume.
        var header = new byte[512];
        new byte[] { (byte)'Q', (byte)'F', (byte)'I', 0xfb }.CopyTo(header, 0);
        header[7] = 3;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(24), 2UL << 30);
        h.Server.Serve("big.qcow2", header);

        var tooSmall = Assert.ThrowsAsync<VmDriverException>(() => h.Driver.CreateVmAsync(
            h.Spec("small-1") with { ImageUrl = new Uri(h.Server.BaseAddress, "big.qcow2").ToString(), DiskGib = 1 }, "t-small"));
        Assert.That(tooSmall!.Code, Is.EqualTo(DriverErrorCodes.DiskTooSmall));
        Assert.That(await DriverHarness.Virsh("vol-list", pool.LibvirtName), Does.Not.Contain(".qcow2"));

        var grown = h.Spec("grown-1") with { DiskGib = 2 };
        await h.Driver.CreateVmAsync(grown, "t-grown");
        var volInfo = await DriverHarness.Virsh("vol-info", "--bytes", "--pool", pool.LibvirtName, $"{grown.Id:D}.qcow2");
        Assert.That(volInfo, Does.Contain($"Capacity:       {2L << 30} bytes"));
        await h.ConsoleLogAsync(grown.Id, t => t.Contains("grown-1 login:", StringComparison.Ordinal));
    }

    private static async Task Act(DriverHarness h, Guid id, VmAction action, string virshState)
    {
        await h.Driver.ActAsync(id, action, $"task-{action}-{Guid.NewGuid():N}");
        var name = h.Driver.GetVm(id).DomainName;
        Assert.That(await DriverHarness.Virsh("domstate", name), Is.EqualTo(virshState), $"after {action}");
    }

    private static Task ExpectInvalidState(DriverHarness h, Guid id, VmAction action, string current)
    {
        var error = Assert.ThrowsAsync<VmDriverException>(() => h.Driver.ActAsync(id, action, $"task-{Guid.NewGuid():N}"));
        Assert.That(error!.Code, Is.EqualTo(DriverErrorCodes.InvalidState));
        Assert.That(error.Message, Does.Contain(current));
        return Task.CompletedTask;
    }

    private sealed class Collect(List<ImageProgress> into) : IProgress<ImageProgress>
    {
        public void Report(ImageProgress value)
        {
            lock (into)
            {
                into.Add(value);
            }
        }
    }
}
