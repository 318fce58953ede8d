using System.Runtime.InteropServices;
using Otherix.Native.Generated;
using Otherix.Native.Internal;
using static Otherix.Native.Generated.LibvirtNative;

namespace Otherix.Native;

/// <summary>One DHCP lease handed out by a libvirt network's dnsmasq.</summary>
public sealed record DhcpLease(string Interface, DateTimeOffset Expiry, virIPAddrType Type, string? Mac, string IpAddress, uint Prefix, string? Hostname, string? ClientId);

/// <summary>A libvirt virtual network.</summary>
public sealed unsafe class Network : IDisposable
{
    private readonly NetworkHandle _handle;

    internal Network(NetworkHandle handle) => _handle = handle;

    /// <summary>The network's name.</summary>
    public string Name
    {
        get
        {
            using var lease = _handle.Acquire();
            return NativeCall.BorrowString(virNetworkGetName(lease.Pointer), nameof(virNetworkGetName));
        }
    }

    /// <summary>Whether the network is started.</summary>
    public bool IsActive => _handle.Call(virNetworkIsActive, nameof(virNetworkIsActive)) == 1;

    /// <summary>Starts the network.</summary>
    public void Start() => _handle.Call(virNetworkCreate, nameof(virNetworkCreate));

    /// <summary>Stops the network.</summary>
    public void Destroy() => _handle.Call(virNetworkDestroy, nameof(virNetworkDestroy));

    /// <summary>Removes the network's persistent definition.</summary>
    public void Undefine() => _handle.Call(virNetworkUndefine, nameof(virNetworkUndefine));

    /// <summary>The network XML.</summary>
    public string GetXml()
    {
        using var lease = _handle.Acquire();
        return NativeCall.TakeString(virNetworkGetXMLDesc(lease.Pointer, 0), nameof(virNetworkGetXMLDesc));
    }

    /// <summary>The current DHCP leases, optionally only those of one MAC address.</summary>
    public IReadOnlyList<DhcpLease> GetDhcpLeases(string? mac = null)
    {
        using var lease = _handle.Acquire();
        virNetworkDHCPLease** leases;
        var count = NativeCall.Check(virNetworkGetDHCPLeases(lease.Pointer, mac, &leases, 0), nameof(virNetworkGetDHCPLeases));
        var result = new List<DhcpLease>(count);
        try
        {
            for (var i = 0; i < count; i++)
            {
                var l = leases[i];
                result.Add(new DhcpLease(
                    Text(l->iface) ?? "", DateTimeOffset.FromUnixTimeSeconds(l->expirytime), (virIPAddrType)l->type,
                    Text(l->mac), Text(l->ipaddr) ?? "", l->prefix, Text(l->hostname), Text(l->clientid)));
            }
        }
        finally
        {
            for (var i = 0; i < count; i++)
            {
                virNetworkDHCPLeaseFree(leases[i]);
            }

            NativeMemory.Free(leases);
        }

        return result;
    }

    /// <summary>Releases this reference (the network itself is untouched).</summary>
    public void Dispose() => _handle.Dispose();

    private static string? Text(byte* text) => Marshal.PtrToStringUTF8((nint)text);

}
