using System.Security;
using System.Text;

namespace Otherix.Testing;

/// <summary>Domain XML for booting the fixture guest under TCG in tests that drive libvirt themselves.</summary>
public static class FixtureDomain
{
    /// <summary>
    /// A 1-vCPU, 256 MiB <c>qemu</c> (TCG) domain on machine <c>pc</c> with ACPI, booting
    /// <paramref name="disk"/> (qcow2, virtio). Optional: a seed ISO as an IDE CD-ROM (the
    /// fixture kernel has no AHCI) and a serial log file beside the pty console.
    /// </summary>
    public static string Xml(string name, string disk, Guid? uuid = null, string? seedIso = null, string? consoleLog = null)
    {
        static string E(string value) => SecurityElement.Escape(value);
        var xml = new StringBuilder();
        xml.Append($"""
            <domain type='qemu'>
              <name>{E(name)}</name>

            """);
        if (uuid is { } id)
        {
            xml.Append($"  <uuid>{id}</uuid>\n");
        }

        xml.Append($"""
              <memory unit='MiB'>256</memory>
              <vcpu>1</vcpu>
              <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
              <features><acpi/></features>
              <on_poweroff>destroy</on_poweroff>
              <on_reboot>restart</on_reboot>
              <on_crash>destroy</on_crash>
              <devices>
                <disk type='file' device='disk'>
                  <driver name='qemu' type='qcow2'/>
                  <source file='{E(disk)}'/>
                  <target dev='vda' bus='virtio'/>
                </disk>

            """);
        if (seedIso is not null)
        {
            xml.Append($"""
                    <disk type='file' device='cdrom'>
                      <driver name='qemu' type='raw'/>
                      <source file='{E(seedIso)}'/>
                      <target dev='hdc' bus='ide'/>
                      <readonly/>
                    </disk>

                """);
        }

        xml.Append("    <serial type='pty'>\n");
        if (consoleLog is not null)
        {
            xml.Append($"      <log file='{E(consoleLog)}' append='off'/>\n");
        }

        xml.Append("""
                  <target port='0'/>
                </serial>
                <console type='pty'><target type='serial' port='0'/></console>
              </devices>
            </domain>

            """);
        return xml.ToString();
    }
}
