using Otherix.Testing;

namespace Otherix.Native.Tests;

public sealed class LibvirtHostTests
{
    [Test]
    public void Probe_TestDriver_AnswersWithoutADaemon()
    {
        HostRequirement.Require("virsh missing", File.Exists("/usr/bin/virsh") ? null : "install libvirt-clients (tools/host/setup.sh)");

        Assert.That(LibvirtHost.Probe("test:///default"), Is.Null);
    }

    [Test]
    public void Probe_UnknownDriver_SaysWhy()
    {
        HostRequirement.Require("virsh missing", File.Exists("/usr/bin/virsh") ? null : "install libvirt-clients (tools/host/setup.sh)");

        Assert.That(LibvirtHost.Probe("nosuchdriver:///system"), Does.StartWith("virsh -c nosuchdriver:///system version exited 1:"));
    }

    [Test]
    public void SystemConnection_Answers()
    {
        LibvirtHost.RequireSystem();

        Assert.That(LibvirtHost.WhySystemUnreachable, Is.Null);
    }
}
