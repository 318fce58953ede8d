using Otherix.Testing;

namespace Otherix.Agent.Tests.Driver;

/// <summary>
/// The deep test: real cloud-init (Debian 12, <c>make fixture-cloud</c>) consumes the seed ISO our
/// writer made. Runs when OTHERIX_DEEP_TESTS=1 (CI sets it and builds the image); otherwise it is
/// ignored with the reason, since building the image takes about two minutes.
/// </summary>
[NonParallelizable]
public sealed class CloudInitDeepTests
{
    [Test]
    public async Task RealCloudInit_AppliesOurSeed()
    {
        if (Environment.GetEnvironmentVariable("OTHERIX_DEEP_TESTS") != "1")
        {
            Assert.Ignore("opt-in deep test: set OTHERIX_DEEP_TESTS=1 and build the image with make fixture-cloud (CI does both)");
        }

        var image = Path.Combine(RepoLayout.Root, ".cache", "fixture-cloud", "otherix-cloud.qcow2");
        HostRequirement.Require("cloud-init image missing", File.Exists(image) ? null : $"{image} does not exist (make fixture-cloud)");
        await using var h = await DriverHarness.StartAsync();
        h.Server.Serve("otherix-cloud.qcow2", image);
        var marker = $"OTHERIX-DEEP-{Guid.NewGuid():N}";
        var spec = h.Spec("deep-1", $"#cloud-config\nruncmd:\n  - echo {marker} > /dev/ttyS0\n") with
        {
            ImageUrl = new Uri(h.Server.BaseAddress, "otherix-cloud.qcow2").ToString(),
            MemoryMib = 512,
        };

        await h.Driver.CreateVmAsync(spec, "task-deep");
        var console = await h.ConsoleLogAsync(spec.Id, t => t.Contains("Cloud-init v.", StringComparison.Ordinal) && t.Contains(" finished at ", StringComparison.Ordinal), TimeSpan.FromSeconds(300));

        Assert.That(console, Does.Contain(marker), "runcmd from our user-data ran");
        Assert.That(console, Does.Contain("deep-1 login:"), "the hostname from our meta-data was applied");
        Assert.That(console, Does.Contain("DataSourceNoCloud"));
    }
}
