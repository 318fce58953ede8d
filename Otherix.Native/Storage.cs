using Otherix.Native.Generated;
using Otherix.Native.Internal;
using static Otherix.Native.Generated.LibvirtNative;

namespace Otherix.Native;

/// <summary>What <c>virStoragePoolGetInfo</c> reports, in bytes.</summary>
public sealed record StoragePoolInfo(virStoragePoolState State, ulong Capacity, ulong Allocation, ulong Available);

/// <summary>What <c>virStorageVolGetInfo</c> reports, in bytes.</summary>
public sealed record StorageVolumeInfo(virStorageVolType Type, ulong Capacity, ulong Allocation);

/// <summary>A libvirt storage pool.</summary>
public sealed unsafe class StoragePool : IDisposable
{
    private readonly StoragePoolHandle _handle;

    internal StoragePool(StoragePoolHandle handle) => _handle = handle;

    /// <summary>The pool's name.</summary>
    public string Name
    {
        get
        {
            using var lease = _handle.Acquire();
            return NativeCall.BorrowString(virStoragePoolGetName(lease.Pointer), nameof(virStoragePoolGetName));
        }
    }

    /// <summary>Whether the pool is started.</summary>
    public bool IsActive => _handle.Call(virStoragePoolIsActive, nameof(virStoragePoolIsActive)) == 1;

    /// <summary>Whether libvirt starts the pool when libvirtd starts.</summary>
    public bool Autostart
    {
        get
        {
            using var lease = _handle.Acquire();
            int value;
            NativeCall.Check(virStoragePoolGetAutostart(lease.Pointer, &value), nameof(virStoragePoolGetAutostart));
            return value != 0;
        }

        set => _handle.Call(p => virStoragePoolSetAutostart(p, value ? 1 : 0), nameof(virStoragePoolSetAutostart));
    }

    /// <summary>Builds the pool's backing storage (for a <c>dir</c> pool: creates the directory).</summary>
    public void Build(virStoragePoolBuildFlags flags = 0) => _handle.Call(p => virStoragePoolBuild(p, (uint)flags), nameof(virStoragePoolBuild));

    /// <summary>Starts the pool.</summary>
    public void Start(virStoragePoolCreateFlags flags = 0) => _handle.Call(p => virStoragePoolCreate(p, (uint)flags), nameof(virStoragePoolCreate));

    /// <summary>Rescans the pool's volumes.</summary>
    public void Refresh() => _handle.Call(p => virStoragePoolRefresh(p, 0), nameof(virStoragePoolRefresh));

    /// <summary>Stops the pool (its data stays).</summary>
    public void Destroy() => _handle.Call(virStoragePoolDestroy, nameof(virStoragePoolDestroy));

    /// <summary>Deletes the pool's backing storage (for a <c>dir</c> pool: removes the empty directory).</summary>
    public void Delete(virStoragePoolDeleteFlags flags = 0) => _handle.Call(p => virStoragePoolDelete(p, (uint)flags), nameof(virStoragePoolDelete));

    /// <summary>Removes the pool's persistent definition.</summary>
    public void Undefine() => _handle.Call(virStoragePoolUndefine, nameof(virStoragePoolUndefine));

    /// <summary>State and sizes.</summary>
    public StoragePoolInfo GetInfo()
    {
        using var lease = _handle.Acquire();
        virStoragePoolInfo info;
        NativeCall.Check(virStoragePoolGetInfo(lease.Pointer, &info), nameof(virStoragePoolGetInfo));
        return new StoragePoolInfo((virStoragePoolState)info.state, info.capacity, info.allocation, info.available);
    }

    /// <summary>The pool XML.</summary>
    public string GetXml()
    {
        using var lease = _handle.Acquire();
        return NativeCall.TakeString(virStoragePoolGetXMLDesc(lease.Pointer, 0), nameof(virStoragePoolGetXMLDesc));
    }

    /// <summary>All volumes in the pool.</summary>
    public IReadOnlyList<StorageVolume> ListAllVolumes()
    {
        using var lease = _handle.Acquire();
        nint* items;
        var count = NativeCall.Check(virStoragePoolListAllVolumes(lease.Pointer, &items, 0), nameof(virStoragePoolListAllVolumes));
        return NativeCall.TakeArray(items, count, p => new StorageVolume(new StorageVolumeHandle(p)));
    }

    /// <summary>The volume named <paramref name="name"/>; <see cref="LibvirtErrorKind.NoSuchStorageVolume"/> when there is none.</summary>
    public StorageVolume LookupVolumeByName(string name)
    {
        using var lease = _handle.Acquire();
        return new StorageVolume(new StorageVolumeHandle(NativeCall.Check(virStorageVolLookupByName(lease.Pointer, name), nameof(virStorageVolLookupByName))));
    }

    /// <summary>
    /// Creates a volume from volume XML. A <c>&lt;backingStore&gt;</c> element in the XML makes
    /// it an overlay (e.g. a qcow2 volume backed by a cached image).
    /// </summary>
    public StorageVolume CreateVolume(string xml, virStorageVolCreateFlags flags = 0)
    {
        using var lease = _handle.Acquire();
        return new StorageVolume(new StorageVolumeHandle(NativeCall.Check(virStorageVolCreateXML(lease.Pointer, xml, (uint)flags), nameof(virStorageVolCreateXML))));
    }

    /// <summary>Releases this reference (the pool itself is untouched).</summary>
    public void Dispose() => _handle.Dispose();

}

/// <summary>A libvirt storage volume.</summary>
public sealed unsafe class StorageVolume : IDisposable
{
    private readonly StorageVolumeHandle _handle;

    internal StorageVolume(StorageVolumeHandle handle) => _handle = handle;

    /// <summary>The volume's name within its pool.</summary>
    public string Name
    {
        get
        {
            using var lease = _handle.Acquire();
            return NativeCall.BorrowString(virStorageVolGetName(lease.Pointer), nameof(virStorageVolGetName));
        }
    }

    /// <summary>The volume's path on the host.</summary>
    public string Path
    {
        get
        {
            using var lease = _handle.Acquire();
            return NativeCall.TakeString(virStorageVolGetPath(lease.Pointer), nameof(virStorageVolGetPath));
        }
    }

    /// <summary>Type and sizes.</summary>
    public StorageVolumeInfo GetInfo()
    {
        using var lease = _handle.Acquire();
        virStorageVolInfo info;
        NativeCall.Check(virStorageVolGetInfo(lease.Pointer, &info), nameof(virStorageVolGetInfo));
        return new StorageVolumeInfo((virStorageVolType)info.type, info.capacity, info.allocation);
    }

    /// <summary>The volume XML.</summary>
    public string GetXml()
    {
        using var lease = _handle.Acquire();
        return NativeCall.TakeString(virStorageVolGetXMLDesc(lease.Pointer, 0), nameof(virStorageVolGetXMLDesc));
    }

    /// <summary>Changes the volume's capacity to <paramref name="capacityBytes"/>.</summary>
    public void Resize(ulong capacityBytes, virStorageVolResizeFlags flags = 0)
    {
        _handle.Call(p => virStorageVolResize(p, capacityBytes, (uint)flags), nameof(virStorageVolResize));
    }

    /// <summary>Deletes the volume and its data.</summary>
    public void Delete(virStorageVolDeleteFlags flags = 0)
    {
        _handle.Call(p => virStorageVolDelete(p, (uint)flags), nameof(virStorageVolDelete));
    }

    /// <summary>Starts an upload into the volume: send the bytes on <paramref name="stream"/>, then <see cref="LibvirtStream.Finish"/>.</summary>
    public void BeginUpload(LibvirtStream stream, ulong offset = 0, ulong length = 0, virStorageVolUploadFlags flags = 0)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var lease = _handle.Acquire();
        using var streamLease = stream.Handle.Acquire();
        NativeCall.Check(virStorageVolUpload(lease.Pointer, streamLease.Pointer, offset, length, (uint)flags), nameof(virStorageVolUpload));
    }

    /// <summary>Starts a download from the volume: receive the bytes on <paramref name="stream"/> until it ends, then <see cref="LibvirtStream.Finish"/>.</summary>
    public void BeginDownload(LibvirtStream stream, ulong offset = 0, ulong length = 0, virStorageVolDownloadFlags flags = 0)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var lease = _handle.Acquire();
        using var streamLease = stream.Handle.Acquire();
        NativeCall.Check(virStorageVolDownload(lease.Pointer, streamLease.Pointer, offset, length, (uint)flags), nameof(virStorageVolDownload));
    }

    /// <summary>Releases this reference (the volume itself is untouched).</summary>
    public void Dispose() => _handle.Dispose();
}
