using System.Globalization;
using Otherix.Api.Grpc;
using Otherix.Native;

namespace Otherix.Agent.Daemon;

/// <summary>What a heartbeat says about this host, read from /proc, the root file system and libvirtd.</summary>
public static class HostFacts
{
    /// <summary>Capabilities and free resources; libvirt facts are left empty when libvirtd does not answer.</summary>
    public static (Capabilities Capabilities, Resources Resources) Collect(string libvirtUri, string? acceleration)
    {
        var meminfo = ReadMeminfo();
        var root = new DriveInfo("/");
        var capabilities = new Capabilities
        {
            CpuCoresTotal = Environment.ProcessorCount,
            MemoryTotalMib = meminfo.GetValueOrDefault("MemTotal") / 1024,
            CpuModel = CpuModel(),
            KernelVersion = ReadTrimmed("/proc/sys/kernel/osrelease"),
            Acceleration = acceleration switch { "kvm" => "kvm", "qemu" => "tcg", _ => "" },
        };
        try
        {
            using var connection = Connection.OpenReadOnly(libvirtUri);
            capabilities.LibvirtVersion = connection.GetLibraryVersion().ToString();
            capabilities.QemuVersion = connection.GetDriverVersion().ToString();
        }
        catch (LibvirtException)
        {
            // Reported as unknown; the node still heartbeats.
        }

        var resources = new Resources
        {
            CpuCoresAvailable = Environment.ProcessorCount,
            MemoryAvailableMib = meminfo.GetValueOrDefault("MemAvailable") / 1024,
            SystemDiskTotalBytes = root.TotalSize,
            SystemDiskAvailableBytes = root.AvailableFreeSpace,
        };
        return (capabilities, resources);
    }

    private static Dictionary<string, long> ReadMeminfo()
    {
        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        if (!File.Exists("/proc/meminfo"))
        {
            return values;
        }

        foreach (var line in File.ReadLines("/proc/meminfo"))
        {
            var parts = line.Split(':', 2);
            if (parts.Length == 2 && long.TryParse(parts[1].Trim().Split(' ')[0], NumberStyles.None, CultureInfo.InvariantCulture, out var kib))
            {
                values[parts[0]] = kib;
            }
        }

        return values;
    }

    private static string CpuModel() =>
        File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? ""
            : "";

    private static string ReadTrimmed(string path) => File.Exists(path) ? File.ReadAllText(path).Trim() : "";
}
