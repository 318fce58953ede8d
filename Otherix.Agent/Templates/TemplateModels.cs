namespace Otherix.Agent.Templates;

/// <summary>
/// Per-architecture domain details, kept as data so another architecture is a new entry, not new code.
/// The Debian cloud kernel has no AHCI, so x86_64 uses machine <c>pc</c> with an IDE CD-ROM.
/// </summary>
public sealed record ArchProfile(string Arch, string Machine, string CdromBus, string CdromTarget)
{
    /// <summary>x86_64 guests: i440fx machine, IDE CD-ROM.</summary>
    public static readonly ArchProfile X8664 = new("x86_64", "pc", "ide", "hdc");

    /// <summary>aarch64 guests: virt machine, CD-ROM on virtio-scsi.</summary>
    public static readonly ArchProfile Aarch64 = new("aarch64", "virt", "scsi", "sda");

    /// <summary>The profile for an architecture name, or null when Otherix has none.</summary>
    public static ArchProfile? For(string arch) => arch switch
    {
        "x86_64" => X8664,
        "aarch64" => Aarch64,
        _ => null,
    };
}

/// <summary>What <c>templates/domain.xml.sbn</c> is rendered from.</summary>
public sealed record DomainTemplateModel(
    string Name,
    Guid Uuid,
    string VmName,
    string Owner,
    string Pool,
    string ImageUrl,
    string TaskId,
    string DomainType,
    string Arch,
    string Machine,
    string CpuMode,
    int MemoryMib,
    int Vcpus,
    string DiskPath,
    string SeedPath,
    string CdromBus,
    string CdromTarget,
    string ConsoleLog);

/// <summary>What <c>templates/pool.xml.sbn</c> is rendered from.</summary>
public sealed record PoolTemplateModel(string Name, string Path);

/// <summary>What <c>templates/volume-overlay.xml.sbn</c> is rendered from.</summary>
public sealed record OverlayVolumeTemplateModel(string Name, ulong CapacityBytes, string BackingPath, string BackingFormat);

/// <summary>What <c>templates/volume-raw.xml.sbn</c> is rendered from.</summary>
public sealed record RawVolumeTemplateModel(string Name, ulong CapacityBytes);
