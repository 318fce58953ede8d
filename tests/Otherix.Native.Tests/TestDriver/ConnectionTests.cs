using Otherix.Native.Generated;

namespace Otherix.Native.Tests.TestDriver;

public sealed class ConnectionTests
{
    [Test]
    public void Open_TestDriver_ReportsHostFacts()
    {
        using var connection = TestDriverFixture.Open();

        Assert.That(connection.Uri, Is.EqualTo(TestDriverFixture.Uri));
        Assert.That(connection.IsAlive, Is.True);
        Assert.That(connection.Hostname, Is.Not.Empty);
        Assert.That(connection.GetCapabilities(), Does.Contain("<capabilities>"));
        Assert.That(connection.GetLibraryVersion(), Is.GreaterThanOrEqualTo(new Version(9, 0, 0)));
        Assert.That(connection.GetDriverVersion(), Is.GreaterThan(new Version(0, 0, 0)));
        Assert.That(connection.GetFreeMemory(), Is.GreaterThan(0UL));
    }

    [Test]
    public void GetNodeInfo_TestDriver_ReturnsItsFixedHost()
    {
        using var connection = TestDriverFixture.Open();

        var info = connection.GetNodeInfo();

        // The test driver's built-in host: 16 CPUs at 1400 MHz, 2 nodes x 2 sockets x 2 cores x 2 threads, 3 GiB.
        Assert.That(info, Is.EqualTo(new NodeInfo("i686", 3145728, 16, 1400, 2, 2, 2, 2)));
    }

    [Test]
    public void LibraryVersion_MatchesTheGeneratedHeaders()
    {
        Assert.That(Libvirt.LibraryVersion, Is.EqualTo(Version.Parse(LibvirtNative.HeaderVersion)));
    }

    [Test]
    public void ListAll_TestDriver_SeesItsBuiltInObjects()
    {
        using var connection = TestDriverFixture.Open();

        var domains = connection.ListAllDomains();
        var pools = connection.ListAllStoragePools();
        var networks = connection.ListAllNetworks();
        try
        {
            Assert.That(domains.Select(d => d.Name), Does.Contain("test"));
            Assert.That(pools.Select(p => p.Name), Does.Contain("default-pool"));
            Assert.That(networks.Select(n => n.Name), Does.Contain("default"));
        }
        finally
        {
            foreach (var d in domains)
            {
                d.Dispose();
            }

            foreach (var p in pools)
            {
                p.Dispose();
            }

            foreach (var n in networks)
            {
                n.Dispose();
            }
        }
    }

    [Test]
    public void ListAllDomains_ActiveFlag_FiltersInactive()
    {
        using var connection = TestDriverFixture.Open();
        var name = TestDriverFixture.UniqueName("inactive");
        using var defined = connection.DefineDomain(TestDriverFixture.DomainXml(name, Guid.NewGuid()));
        try
        {
            var active = connection.ListAllDomains(virConnectListAllDomainsFlags.VIR_CONNECT_LIST_DOMAINS_ACTIVE);

            Assert.That(active.Select(d => d.Name), Does.Not.Contain(name));
            foreach (var d in active)
            {
                d.Dispose();
            }
        }
        finally
        {
            defined.Undefine();
        }
    }

    [Test]
    public void Open_UnknownDriver_ThrowsWithLibvirtsCode()
    {
        var error = Assert.Throws<LibvirtException>(() => Connection.Open("nosuchdriver:///x"));

        Assert.That(error!.Operation, Is.EqualTo("virConnectOpen"));
        Assert.That(error.ErrorNumber, Is.EqualTo(virErrorNumber.VIR_ERR_NO_CONNECT));
        Assert.That(error.Message, Does.StartWith("virConnectOpen: "));
    }

    [Test]
    public void Dispose_Twice_ClosesOnce()
    {
        var connection = TestDriverFixture.Open();

        connection.Dispose();

        Assert.That(connection.Dispose, Throws.Nothing);
        Assert.That(() => connection.Hostname, Throws.InstanceOf<ObjectDisposedException>());
    }
}
