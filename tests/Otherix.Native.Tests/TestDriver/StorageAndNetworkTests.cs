using Otherix.Native.Generated;

namespace Otherix.Native.Tests.TestDriver;

public sealed class StorageAndNetworkTests
{
    private Connection _connection = null!;

    [SetUp]
    public void Open() => _connection = TestDriverFixture.Open();

    [TearDown]
    public void Close() => _connection?.Dispose();

    [Test]
    public void DirPool_DefineBuildStartVolumesDestroyUndefine()
    {
        var name = TestDriverFixture.UniqueName("pool");
        using var pool = _connection.DefineStoragePool($"<pool type='dir'><name>{name}</name><target><path>/var/tmp/{name}</path></target></pool>");
        try
        {
            Assert.That(pool.IsActive, Is.False);
            pool.Build();
            pool.Start();
            pool.Autostart = true;
            Assert.That(pool.Autostart, Is.True);
            Assert.That(pool.IsActive, Is.True);
            Assert.That(pool.GetInfo().State, Is.EqualTo(virStoragePoolState.VIR_STORAGE_POOL_RUNNING));
            Assert.That(pool.GetXml(), Does.Contain($"<name>{name}</name>"));

            using (var volume = pool.CreateVolume("<volume><name>disk.img</name><capacity unit='MiB'>8</capacity></volume>"))
            {
                Assert.That(volume.Name, Is.EqualTo("disk.img"));
                Assert.That(volume.Path, Is.EqualTo($"/var/tmp/{name}/disk.img"));
                Assert.That(volume.GetInfo().Capacity, Is.EqualTo(8UL * 1024 * 1024));
                Assert.That(volume.GetXml(), Does.Contain("<name>disk.img</name>"));
            }

            pool.Refresh();
            var volumes = pool.ListAllVolumes();
            Assert.That(volumes.Select(v => v.Name).ToList(), Is.EqualTo(new List<string> { "disk.img" }));
            foreach (var v in volumes)
            {
                v.Dispose();
            }

            using (var found = pool.LookupVolumeByName("disk.img"))
            {
                found.Delete();
            }

            Assert.That(() => pool.LookupVolumeByName("disk.img"),
                Throws.InstanceOf<LibvirtException>().With.Property(nameof(LibvirtException.Kind)).EqualTo(LibvirtErrorKind.NoSuchStorageVolume));
            pool.Destroy();
            Assert.That(pool.IsActive, Is.False);
        }
        finally
        {
            pool.Undefine();
        }

        Assert.That(() => _connection.LookupStoragePoolByName(name),
            Throws.InstanceOf<LibvirtException>().With.Property(nameof(LibvirtException.Kind)).EqualTo(LibvirtErrorKind.NoSuchStoragePool));
    }

    [Test]
    public void Network_DefineStartDestroyUndefine()
    {
        var name = TestDriverFixture.UniqueName("net");
        using var network = _connection.DefineNetwork($"""
            <network>
              <name>{name}</name>
              <ip address='10.77.0.1' netmask='255.255.255.0'/>
            </network>
            """);
        try
        {
            network.Start();
            Assert.That(network.IsActive, Is.True);
            using (var found = _connection.LookupNetworkByName(name))
            {
                Assert.That(found.GetXml(), Does.Contain("10.77.0.1"));
            }

            // The test driver has no dnsmasq; the call still reaches libvirt and fails typed.
            Assert.That(() => network.GetDhcpLeases(),
                Throws.InstanceOf<LibvirtException>().With.Property(nameof(LibvirtException.Kind)).EqualTo(LibvirtErrorKind.NotSupported));
            network.Destroy();
            Assert.That(network.IsActive, Is.False);
        }
        finally
        {
            if (network.IsActive)
            {
                network.Destroy();
            }

            network.Undefine();
        }

        Assert.That(() => _connection.LookupNetworkByName(name),
            Throws.InstanceOf<LibvirtException>().With.Property(nameof(LibvirtException.Kind)).EqualTo(LibvirtErrorKind.NoSuchNetwork));
    }

    [Test]
    public void SharedConnection_ConcurrentCallers_AllSucceed()
    {
        var names = new System.Collections.Concurrent.ConcurrentBag<string>();

        Parallel.For(0, 2_000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, _ =>
        {
            using var domain = _connection.LookupDomainByName("test");
            names.Add(domain.Name);
            Assert.That(domain.GetState().State, Is.EqualTo(virDomainState.VIR_DOMAIN_RUNNING));
        });

        Assert.That(names, Has.Count.EqualTo(2_000).And.All.EqualTo("test"));
    }

    [Test]
    public void SharedConnection_ConcurrentErrors_StayOnTheirThreads()
    {
        // libvirt's last error is thread-local: each failing caller must see its own.
        var messages = new System.Collections.Concurrent.ConcurrentBag<(int I, LibvirtErrorKind Kind)>();

        Parallel.For(0, 500, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            try
            {
                if (i % 2 == 0)
                {
                    using var missing = _connection.LookupDomainByName($"missing-{i}");
                }
                else
                {
                    using var missing = _connection.LookupStoragePoolByName($"missing-{i}");
                }
            }
            catch (LibvirtException e)
            {
                messages.Add((i, e.Kind));
            }
        });

        Assert.That(messages, Has.Count.EqualTo(500));
        Assert.That(messages.All(m => m.Kind == (m.I % 2 == 0 ? LibvirtErrorKind.NoSuchDomain : LibvirtErrorKind.NoSuchStoragePool)), Is.True);
    }
}
