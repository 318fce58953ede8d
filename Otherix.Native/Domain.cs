using Otherix.Native.Generated;
using Otherix.Native.Internal;
using static Otherix.Native.Generated.LibvirtNative;

namespace Otherix.Native;

/// <summary>What <c>virDomainGetInfo</c> reports.</summary>
public sealed record DomainInfo(virDomainState State, ulong MaxMemoryKiB, ulong MemoryKiB, ushort VirtualCpus, ulong CpuTimeNs);

/// <summary>A domain's state and libvirt's reason for it (a <c>virDomain*Reason</c> value matching the state).</summary>
public readonly record struct DomainStateWithReason(virDomainState State, int Reason);

/// <summary>A libvirt domain (a VM), defined or running.</summary>
public sealed unsafe class Domain : IDisposable
{
    private readonly DomainHandle _handle;

    internal Domain(DomainHandle handle) => _handle = handle;

    /// <summary>The domain's name.</summary>
    public string Name
    {
        get
        {
            using var lease = _handle.Acquire();
            return NativeCall.BorrowString(virDomainGetName(lease.Pointer), nameof(virDomainGetName));
        }
    }

    /// <summary>The domain's UUID.</summary>
    public Guid Uuid
    {
        get
        {
            using var lease = _handle.Acquire();
            var pointer = lease.Pointer;
            return Guid.Parse(NativeCall.UuidString(buffer => virDomainGetUUIDString(pointer, (byte*)buffer), nameof(virDomainGetUUIDString)));
        }
    }

    /// <summary>Whether the domain is running (or paused).</summary>
    public bool IsActive => _handle.Call(virDomainIsActive, nameof(virDomainIsActive)) == 1;

    /// <summary>Whether libvirt starts the domain when libvirtd starts.</summary>
    public bool Autostart
    {
        get
        {
            using var lease = _handle.Acquire();
            int value;
            NativeCall.Check(virDomainGetAutostart(lease.Pointer, &value), nameof(virDomainGetAutostart));
            return value != 0;
        }

        set
        {
            _handle.Call(p => virDomainSetAutostart(p, value ? 1 : 0), nameof(virDomainSetAutostart));
        }
    }

    /// <summary>Starts a defined domain (<c>virDomainCreateWithFlags</c>).</summary>
    public void Start(virDomainCreateFlags flags = 0) => _handle.Call(p => virDomainCreateWithFlags(p, (uint)flags), nameof(virDomainCreateWithFlags));

    /// <summary>Stops the domain at once, like pulling the plug.</summary>
    public void Destroy(virDomainDestroyFlagsValues flags = 0) => _handle.Call(p => virDomainDestroyFlags(p, (uint)flags), nameof(virDomainDestroyFlags));

    /// <summary>Asks the guest to shut down (ACPI power button by default); returns before it has.</summary>
    public void Shutdown(virDomainShutdownFlagValues flags = 0) => _handle.Call(p => virDomainShutdownFlags(p, (uint)flags), nameof(virDomainShutdownFlags));

    /// <summary>Asks the guest to reboot.</summary>
    public void Reboot(virDomainRebootFlagValues flags = 0) => _handle.Call(p => virDomainReboot(p, (uint)flags), nameof(virDomainReboot));

    /// <summary>Resets the virtual hardware without telling the guest.</summary>
    public void Reset() => _handle.Call(p => virDomainReset(p, 0), nameof(virDomainReset));

    /// <summary>Pauses the domain's vCPUs.</summary>
    public void Suspend() => _handle.Call(virDomainSuspend, nameof(virDomainSuspend));

    /// <summary>Resumes a paused domain.</summary>
    public void Resume() => _handle.Call(virDomainResume, nameof(virDomainResume));

    /// <summary>Removes the domain's persistent definition (a running domain becomes transient).</summary>
    public void Undefine(virDomainUndefineFlagsValues flags = 0) => _handle.Call(p => virDomainUndefineFlags(p, (uint)flags), nameof(virDomainUndefineFlags));

    /// <summary>The state and the reason for it.</summary>
    public DomainStateWithReason GetState()
    {
        using var lease = _handle.Acquire();
        int state, reason;
        NativeCall.Check(virDomainGetState(lease.Pointer, &state, &reason, 0), nameof(virDomainGetState));
        return new DomainStateWithReason((virDomainState)state, reason);
    }

    /// <summary>State, memory, vCPUs and CPU time.</summary>
    public DomainInfo GetInfo()
    {
        using var lease = _handle.Acquire();
        virDomainInfo info;
        NativeCall.Check(virDomainGetInfo(lease.Pointer, &info), nameof(virDomainGetInfo));
        return new DomainInfo((virDomainState)info.state, info.maxMem, info.memory, info.nrVirtCpu, info.cpuTime);
    }

    /// <summary>The domain XML (<c>virsh dumpxml</c>).</summary>
    public string GetXml(virDomainXMLFlags flags = 0)
    {
        using var lease = _handle.Acquire();
        return NativeCall.TakeString(virDomainGetXMLDesc(lease.Pointer, (uint)flags), nameof(virDomainGetXMLDesc));
    }

    /// <summary>Sets (or, with null <paramref name="xml"/>, removes) a custom metadata element in namespace <paramref name="uri"/>.</summary>
    public void SetMetadata(string? xml, string key, string uri, virDomainModificationImpact impact = virDomainModificationImpact.VIR_DOMAIN_AFFECT_CURRENT)
    {
        using var lease = _handle.Acquire();
        NativeCall.Check(
            virDomainSetMetadata(lease.Pointer, (int)virDomainMetadataType.VIR_DOMAIN_METADATA_ELEMENT, xml, key, uri, (uint)impact),
            nameof(virDomainSetMetadata));
    }

    /// <summary>The custom metadata element in namespace <paramref name="uri"/>; libvirt's "no such metadata" error when absent.</summary>
    public string GetMetadata(string uri, virDomainModificationImpact impact = virDomainModificationImpact.VIR_DOMAIN_AFFECT_CURRENT)
    {
        using var lease = _handle.Acquire();
        return NativeCall.TakeString(
            virDomainGetMetadata(lease.Pointer, (int)virDomainMetadataType.VIR_DOMAIN_METADATA_ELEMENT, uri, (uint)impact),
            nameof(virDomainGetMetadata));
    }

    /// <summary>Connects <paramref name="stream"/> to the domain's console (null <paramref name="device"/>: the first one).</summary>
    public void OpenConsole(LibvirtStream stream, string? device = null, virDomainConsoleFlags flags = 0)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var lease = _handle.Acquire();
        using var streamLease = stream.Handle.Acquire();
        NativeCall.Check(virDomainOpenConsole(lease.Pointer, device, streamLease.Pointer, (uint)flags), nameof(virDomainOpenConsole));
    }

    /// <summary>Creates a snapshot from snapshot XML (<c>&lt;domainsnapshot/&gt;</c> at its simplest).</summary>
    public DomainSnapshot CreateSnapshot(string xml, virDomainSnapshotCreateFlags flags = 0)
    {
        using var lease = _handle.Acquire();
        return new DomainSnapshot(new SnapshotHandle(
            NativeCall.Check(virDomainSnapshotCreateXML(lease.Pointer, xml, (uint)flags), nameof(virDomainSnapshotCreateXML))));
    }

    /// <summary>All snapshots of the domain.</summary>
    public IReadOnlyList<DomainSnapshot> ListAllSnapshots(virDomainSnapshotListFlags flags = 0)
    {
        using var lease = _handle.Acquire();
        nint* items;
        var count = NativeCall.Check(virDomainListAllSnapshots(lease.Pointer, &items, (uint)flags), nameof(virDomainListAllSnapshots));
        return NativeCall.TakeArray(items, count, p => new DomainSnapshot(new SnapshotHandle(p)));
    }

    /// <summary>The snapshot named <paramref name="name"/>; <see cref="LibvirtErrorKind.NoSuchSnapshot"/> when there is none.</summary>
    public DomainSnapshot LookupSnapshotByName(string name)
    {
        using var lease = _handle.Acquire();
        return new DomainSnapshot(new SnapshotHandle(
            NativeCall.Check(virDomainSnapshotLookupByName(lease.Pointer, name, 0), nameof(virDomainSnapshotLookupByName))));
    }

    /// <summary>Releases this reference (the domain itself is untouched).</summary>
    public void Dispose() => _handle.Dispose();
}

/// <summary>A snapshot of a domain.</summary>
public sealed unsafe class DomainSnapshot : IDisposable
{
    private readonly SnapshotHandle _handle;

    internal DomainSnapshot(SnapshotHandle handle) => _handle = handle;

    /// <summary>The snapshot's name.</summary>
    public string Name
    {
        get
        {
            using var lease = _handle.Acquire();
            return NativeCall.BorrowString(virDomainSnapshotGetName(lease.Pointer), nameof(virDomainSnapshotGetName));
        }
    }

    /// <summary>Reverts the domain to this snapshot.</summary>
    public void Revert(virDomainSnapshotRevertFlags flags = 0)
    {
        _handle.Call(p => virDomainRevertToSnapshot(p, (uint)flags), nameof(virDomainRevertToSnapshot));
    }

    /// <summary>Deletes this snapshot.</summary>
    public void Delete(virDomainSnapshotDeleteFlags flags = 0)
    {
        _handle.Call(p => virDomainSnapshotDelete(p, (uint)flags), nameof(virDomainSnapshotDelete));
    }

    /// <summary>Releases this reference (the snapshot itself is untouched).</summary>
    public void Dispose() => _handle.Dispose();
}
