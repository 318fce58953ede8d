using Otherix.Agent.CloudInit;
using Otherix.Testing;

namespace Otherix.Agent.Tests.CloudInit;

/// <summary>The fixture guest boots with a seed ISO from our writer and prints what it read from it.</summary>
[NonParallelizable]
public sealed class NoCloudSeedBootTests
{
    [Test]
    public async Task FixtureGuest_ReadsOurSeed()
    {
        await using var vm = FixtureVm.Create("otx-seedtest");
        var id = Guid.NewGuid();
        var marker = $"#marker: our-iso-{Guid.NewGuid():N}";
        var seed = Path.Combine(vm.WorkDir, "cidata.iso");
        await File.WriteAllBytesAsync(seed, NoCloudSeed.Build(id, vm.Name, $"#cloud-config\n{marker}\n", "version: 2\n", TimeProvider.System.GetUtcNow()));

        await vm.DefineAsync(seed);
        var (console, _) = await vm.StartToLoginAsync(TimeSpan.FromSeconds(120));

        Assert.That(console, Does.Contain("otherix-fixture: seed found on /dev/sr0"));
        Assert.That(console, Does.Contain($"otherix-fixture: instance-id={id:D}"));
        Assert.That(console, Does.Contain($"otherix-fixture: local-hostname={vm.Name}"));
        Assert.That(console, Does.Contain(marker));
        Assert.That(console, Does.Contain("otherix-fixture: network-config present"));
        Assert.That(console, Does.Contain($"{vm.Name} login:"));
    }
}
