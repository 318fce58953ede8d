using Otherix.Testing;

namespace Otherix.Native.Tests.TestDriver;

/// <summary>Opens libvirt's built-in test driver (no daemon), shared by every connection in the process.</summary>
internal static class TestDriverFixture
{
    public const string Uri = "test:///default";

    public static Connection Open()
    {
        HostRequirement.Require("libvirt library missing", File.Exists("/usr/lib/x86_64-linux-gnu/libvirt.so.0") ? null : "install libvirt-clients (tools/host/setup.sh)");
        return Connection.Open(Uri);
    }

    public static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    public static string DomainXml(string name, Guid uuid) => $"""
        <domain type='test'>
          <name>{name}</name>
          <uuid>{uuid}</uuid>
          <memory unit='MiB'>64</memory>
          <vcpu>1</vcpu>
          <os><type arch='x86_64'>hvm</type></os>
        </domain>
        """;
}
