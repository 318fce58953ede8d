using System.Runtime.InteropServices;
using Otherix.Native.Generated;
using Otherix.Native.Internal;
using static Otherix.Native.Generated.LibvirtNative;

namespace Otherix.Native;

/// <summary>What <c>virNodeGetInfo</c> reports about the host.</summary>
public sealed record NodeInfo(string Model, ulong MemoryKiB, uint Cpus, uint MhZ, uint Nodes, uint Sockets, uint Cores, uint Threads);

/// <summary>Why libvirt closed a connection.</summary>
public sealed class ConnectionClosedEventArgs(virConnectCloseReason reason) : EventArgs
{
    /// <summary>libvirt's reason: error, end of file, keepalive timeout, or client request.</summary>
    public virConnectCloseReason Reason { get; } = reason;
}

/// <summary>
/// A connection to a libvirt driver (<c>qemu:///system</c>, <c>test:///default</c>, ...).
/// Safe to share between threads. A broken connection is reported by <see cref="Closed"/>
/// and by <see cref="LibvirtErrorKind.ConnectionBroken"/> errors; reopening is the caller's policy.
/// </summary>
public sealed unsafe partial class Connection : IDisposable
{
    private readonly ConnectionHandle _handle;

    private Connection(ConnectionHandle handle, string uri)
    {
        _handle = handle;
        Uri = uri;
        using var lease = _handle.Acquire();

        // Keepalive detects a dead libvirtd on remote-protocol connections; local drivers have none.
        if (virConnectSetKeepAlive(lease.Pointer, 5, 3) < 0)
        {
            virResetLastError();
        }

        var relayHandle = GCHandle.Alloc(new CloseRelay(this));
        if (virConnectRegisterCloseCallback(lease.Pointer, &OnClosed, (void*)GCHandle.ToIntPtr(relayHandle), null) == 0)
        {
            _handle.CloseCallback = &OnClosed;
            _handle.CloseCallbackState = relayHandle;
        }
        else
        {
            relayHandle.Free();
            virResetLastError();
        }
    }

    /// <summary>Raised on the event-loop thread when libvirt closes the connection (libvirtd died, keepalive timed out, ...).</summary>
    public event EventHandler<ConnectionClosedEventArgs>? Closed;

    /// <summary>The URI the connection was opened with.</summary>
    public string Uri { get; }

    /// <summary>Opens a read-write connection.</summary>
    public static Connection Open(string uri) => OpenCore(uri, readOnly: false);

    /// <summary>Opens a read-only connection.</summary>
    public static Connection OpenReadOnly(string uri) => OpenCore(uri, readOnly: true);

    /// <summary>Whether libvirt still considers the connection usable.</summary>
    public bool IsAlive
    {
        get
        {
            using var lease = _handle.Acquire();
            return NativeCall.Check(virConnectIsAlive(lease.Pointer), nameof(virConnectIsAlive)) == 1;
        }
    }

    /// <summary>The host's name as the driver reports it.</summary>
    public string Hostname
    {
        get
        {
            using var lease = _handle.Acquire();
            return NativeCall.TakeString(virConnectGetHostname(lease.Pointer), nameof(virConnectGetHostname));
        }
    }

    /// <summary>The driver's capabilities XML.</summary>
    public string GetCapabilities()
    {
        using var lease = _handle.Acquire();
        return NativeCall.TakeString(virConnectGetCapabilities(lease.Pointer), nameof(virConnectGetCapabilities));
    }

    /// <summary>The domain capabilities XML for an emulator/arch/machine/virt type (null: the driver's default).</summary>
    public string GetDomainCapabilities(string? emulator = null, string? arch = null, string? machine = null, string? virtType = null)
    {
        using var lease = _handle.Acquire();
        return NativeCall.TakeString(
            virConnectGetDomainCapabilities(lease.Pointer, emulator, arch, machine, virtType, 0), nameof(virConnectGetDomainCapabilities));
    }

    /// <summary>CPU and memory of the host.</summary>
    public NodeInfo GetNodeInfo()
    {
        using var lease = _handle.Acquire();
        virNodeInfo info;
        NativeCall.Check(virNodeGetInfo(lease.Pointer, &info), nameof(virNodeGetInfo));
        return new NodeInfo(
            Marshal.PtrToStringUTF8((nint)info.model) ?? "", info.memory, info.cpus, info.mhz, info.nodes, info.sockets, info.cores, info.threads);
    }

    /// <summary>Free memory on the host, in bytes.</summary>
    public ulong GetFreeMemory()
    {
        using var lease = _handle.Acquire();
        var free = virNodeGetFreeMemory(lease.Pointer);
        return free == 0 ? throw NativeCall.LastError(nameof(virNodeGetFreeMemory)) : free;
    }

    /// <summary>The libvirt version of the daemon (or library, for local drivers) behind the connection.</summary>
    public Version GetLibraryVersion()
    {
        using var lease = _handle.Acquire();
        nuint version;
        NativeCall.Check(virConnectGetLibVersion(lease.Pointer, &version), nameof(virConnectGetLibVersion));
        return Libvirt.ToVersion(version);
    }

    /// <summary>The hypervisor version (e.g. QEMU's) behind the connection.</summary>
    public Version GetDriverVersion()
    {
        using var lease = _handle.Acquire();
        nuint version;
        NativeCall.Check(virConnectGetVersion(lease.Pointer, &version), nameof(virConnectGetVersion));
        return Libvirt.ToVersion(version);
    }

    /// <summary>All domains matching <paramref name="flags"/> (none: every domain).</summary>
    public IReadOnlyList<Domain> ListAllDomains(virConnectListAllDomainsFlags flags = 0)
    {
        using var lease = _handle.Acquire();
        nint* items;
        var count = NativeCall.Check(virConnectListAllDomains(lease.Pointer, &items, (uint)flags), nameof(virConnectListAllDomains));
        return NativeCall.TakeArray(items, count, p => new Domain(new DomainHandle(p)));
    }

    /// <summary>All storage pools matching <paramref name="flags"/> (none: every pool).</summary>
    public IReadOnlyList<StoragePool> ListAllStoragePools(virConnectListAllStoragePoolsFlags flags = 0)
    {
        using var lease = _handle.Acquire();
        nint* items;
        var count = NativeCall.Check(virConnectListAllStoragePools(lease.Pointer, &items, (uint)flags), nameof(virConnectListAllStoragePools));
        return NativeCall.TakeArray(items, count, p => new StoragePool(new StoragePoolHandle(p)));
    }

    /// <summary>All networks matching <paramref name="flags"/> (none: every network).</summary>
    public IReadOnlyList<Network> ListAllNetworks(virConnectListAllNetworksFlags flags = 0)
    {
        using var lease = _handle.Acquire();
        nint* items;
        var count = NativeCall.Check(virConnectListAllNetworks(lease.Pointer, &items, (uint)flags), nameof(virConnectListAllNetworks));
        return NativeCall.TakeArray(items, count, p => new Network(new NetworkHandle(p)));
    }

    /// <summary>Defines (persistently) a domain from XML.</summary>
    public Domain DefineDomain(string xml, virDomainDefineFlags flags = 0)
    {
        using var lease = _handle.Acquire();
        return new Domain(new DomainHandle(NativeCall.Check(virDomainDefineXMLFlags(lease.Pointer, xml, (uint)flags), nameof(virDomainDefineXMLFlags))));
    }

    /// <summary>The domain named <paramref name="name"/>; <see cref="LibvirtErrorKind.NoSuchDomain"/> when there is none.</summary>
    public Domain LookupDomainByName(string name)
    {
        using var lease = _handle.Acquire();
        return new Domain(new DomainHandle(NativeCall.Check(virDomainLookupByName(lease.Pointer, name), nameof(virDomainLookupByName))));
    }

    /// <summary>The domain with UUID <paramref name="uuid"/>; <see cref="LibvirtErrorKind.NoSuchDomain"/> when there is none.</summary>
    public Domain LookupDomainByUuid(Guid uuid)
    {
        using var lease = _handle.Acquire();
        return new Domain(new DomainHandle(NativeCall.Check(virDomainLookupByUUIDString(lease.Pointer, uuid.ToString("D")), nameof(virDomainLookupByUUIDString))));
    }

    /// <summary>Defines (persistently) a storage pool from XML.</summary>
    public StoragePool DefineStoragePool(string xml)
    {
        using var lease = _handle.Acquire();
        return new StoragePool(new StoragePoolHandle(NativeCall.Check(virStoragePoolDefineXML(lease.Pointer, xml, 0), nameof(virStoragePoolDefineXML))));
    }

    /// <summary>The storage pool named <paramref name="name"/>; <see cref="LibvirtErrorKind.NoSuchStoragePool"/> when there is none.</summary>
    public StoragePool LookupStoragePoolByName(string name)
    {
        using var lease = _handle.Acquire();
        return new StoragePool(new StoragePoolHandle(NativeCall.Check(virStoragePoolLookupByName(lease.Pointer, name), nameof(virStoragePoolLookupByName))));
    }

    /// <summary>The storage volume at <paramref name="path"/>; <see cref="LibvirtErrorKind.NoSuchStorageVolume"/> when there is none.</summary>
    public StorageVolume LookupStorageVolumeByPath(string path)
    {
        using var lease = _handle.Acquire();
        return new StorageVolume(new StorageVolumeHandle(NativeCall.Check(virStorageVolLookupByPath(lease.Pointer, path), nameof(virStorageVolLookupByPath))));
    }

    /// <summary>Defines (persistently) a network from XML.</summary>
    public Network DefineNetwork(string xml)
    {
        using var lease = _handle.Acquire();
        return new Network(new NetworkHandle(NativeCall.Check(virNetworkDefineXML(lease.Pointer, xml), nameof(virNetworkDefineXML))));
    }

    /// <summary>The network named <paramref name="name"/>; <see cref="LibvirtErrorKind.NoSuchNetwork"/> when there is none.</summary>
    public Network LookupNetworkByName(string name)
    {
        using var lease = _handle.Acquire();
        return new Network(new NetworkHandle(NativeCall.Check(virNetworkLookupByName(lease.Pointer, name), nameof(virNetworkLookupByName))));
    }

    /// <summary>A new stream for volume upload/download or a console; non-blocking streams suit <see cref="LibvirtStream.ReceiveAsync"/>.</summary>
    public LibvirtStream NewStream(bool nonBlocking = false)
    {
        using var lease = _handle.Acquire();
        var flags = nonBlocking ? virStreamFlags.VIR_STREAM_NONBLOCK : 0;
        return new LibvirtStream(new StreamHandle(NativeCall.Check(virStreamNew(lease.Pointer, (uint)flags), nameof(virStreamNew))));
    }

    /// <summary>Subscribes to lifecycle events of every domain on this connection, delivered by the event-loop thread.</summary>
    public DomainLifecycleWatch WatchDomainLifecycle() => new(_handle);

    /// <summary>Closes the connection (unregistering the close callback first).</summary>
    public void Dispose() => _handle.Dispose();

    private static Connection OpenCore(string uri, bool readOnly)
    {
        ArgumentException.ThrowIfNullOrEmpty(uri);
        Libvirt.EnsureInitialized();
        var pointer = readOnly ? virConnectOpenReadOnly(uri) : virConnectOpen(uri);
        var operation = readOnly ? nameof(virConnectOpenReadOnly) : nameof(virConnectOpen);
        return new Connection(new ConnectionHandle(NativeCall.Check(pointer, operation)), uri);
    }

    [UnmanagedCallersOnly]
    private static void OnClosed(nint connection, int reason, void* opaque)
    {
        var relay = (CloseRelay)GCHandle.FromIntPtr((nint)opaque).Target!;
        relay.Raise((virConnectCloseReason)reason);
    }

    [UnmanagedCallersOnly]
    internal static void FreeGcHandle(void* opaque) => GCHandle.FromIntPtr((nint)opaque).Free();

    /// <summary>What libvirt's close callback holds: a weak path back, so the callback does not keep the connection alive.</summary>
    private sealed class CloseRelay(Connection connection)
    {
        private readonly WeakReference<Connection> _connection = new(connection);

        public void Raise(virConnectCloseReason reason)
        {
            if (_connection.TryGetTarget(out var target))
            {
                target.Closed?.Invoke(target, new ConnectionClosedEventArgs(reason));
            }
        }
    }
}
