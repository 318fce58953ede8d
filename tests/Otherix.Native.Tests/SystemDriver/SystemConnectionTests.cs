using Otherix.Testing;

namespace Otherix.Native.Tests.SystemDriver;

public sealed class SystemConnectionTests
{
    [Test]
    public void SystemConnection_ReportsCapabilitiesVersionsAndHost()
    {
        LibvirtHost.RequireSystem();
        using var connection = Connection.Open(LibvirtHost.SystemUri);

        Assert.That(connection.GetDomainCapabilities(virtType: "qemu"), Does.Contain("<domainCapabilities>").And.Contain("<domain>qemu</domain>"));
        Assert.That(connection.GetCapabilities(), Does.Contain("<arch>x86_64</arch>"));
        Assert.That(connection.GetDriverVersion().Major, Is.GreaterThanOrEqualTo(7), "QEMU version");
        Assert.That(connection.GetLibraryVersion(), Is.EqualTo(Libvirt.LibraryVersion));
        Assert.That(connection.GetNodeInfo().Cpus, Is.GreaterThanOrEqualTo((uint)Environment.ProcessorCount));
        Assert.That(connection.GetFreeMemory(), Is.GreaterThan(0UL));
        Assert.That(connection.Hostname, Is.EqualTo(Environment.MachineName).IgnoreCase.Or.StartsWith(Environment.MachineName));
    }
}
