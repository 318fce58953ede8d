using System.Text;
using System.Text.RegularExpressions;

namespace Otherix.Agent.CloudInit;

/// <summary>
/// The NoCloud seed of a VM: an ISO labelled <c>cidata</c> with <c>meta-data</c> (instance-id =
/// the Otherix VM id, local-hostname = the VM name), <c>user-data</c> (given, or a minimal
/// <c>#cloud-config</c>) and, when given, <c>network-config</c>.
/// </summary>
public static partial class NoCloudSeed
{
    /// <summary>The volume label cloud-init looks for.</summary>
    public const string VolumeLabel = "cidata";

    /// <summary>What a VM without user-data gets.</summary>
    public const string DefaultUserData = "#cloud-config\n";

    /// <summary>Builds the seed ISO.</summary>
    /// <exception cref="ArgumentException">The hostname is not a DNS label (1-63 letters, digits, hyphens).</exception>
    public static byte[] Build(Guid instanceId, string hostname, string? userData, string? networkConfig, DateTimeOffset timestamp)
    {
        ArgumentNullException.ThrowIfNull(hostname);
        if (!HostnameLabel().IsMatch(hostname))
        {
            throw new ArgumentException($"'{hostname}' is not a valid hostname (1-63 letters, digits and inner hyphens)", nameof(hostname));
        }

        // Both values are plain scalars by construction (a UUID, a DNS label): no YAML quoting needed.
        var metaData = $"instance-id: {instanceId:D}\nlocal-hostname: {hostname}\n";
        var files = new List<IsoFile>
        {
            new("meta-data", Encoding.UTF8.GetBytes(metaData)),
            new("user-data", Encoding.UTF8.GetBytes(userData ?? DefaultUserData)),
        };
        if (networkConfig is not null)
        {
            files.Add(new IsoFile("network-config", Encoding.UTF8.GetBytes(networkConfig)));
        }

        return IsoImageWriter.Build(VolumeLabel, files, timestamp);
    }

    [GeneratedRegex("^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")]
    private static partial Regex HostnameLabel();
}
