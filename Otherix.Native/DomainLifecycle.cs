using System.Runtime.InteropServices;
using System.Threading.Channels;
using Otherix.Native.Generated;
using Otherix.Native.Internal;
using static Otherix.Native.Generated.LibvirtNative;

namespace Otherix.Native;

/// <summary>A domain lifecycle event: started, suspended, resumed, stopped, shutdown, defined, ... with libvirt's detail code.</summary>
public sealed record DomainLifecycleEvent(string DomainName, Guid DomainUuid, virDomainEventType Event, int Detail);

/// <summary>A subscription to lifecycle events of every domain on a connection; dispose to unsubscribe.</summary>
public sealed class DomainLifecycleWatch : IDisposable
{
    private readonly Channel<DomainLifecycleEvent> _events = Channel.CreateUnbounded<DomainLifecycleEvent>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly ConnectionHandle _connection;
    private readonly int _callbackId;
    private int _disposed;

    internal unsafe DomainLifecycleWatch(ConnectionHandle connection)
    {
        _connection = connection;
        var gcHandle = GCHandle.Alloc(_events.Writer);
        using var lease = connection.Acquire();
        var callback = (delegate* unmanaged<nint, nint, int, int, void*, int>)&OnLifecycle;
        _callbackId = virConnectDomainEventRegisterAny(
            lease.Pointer, 0, (int)virDomainEventID.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
            (delegate* unmanaged<nint, nint, void*, void>)callback, (void*)GCHandle.ToIntPtr(gcHandle), &Connection.FreeGcHandle);
        if (_callbackId < 0)
        {
            gcHandle.Free();
            throw NativeCall.LastError(nameof(virConnectDomainEventRegisterAny));
        }
    }

    /// <summary>The events, in the order libvirt delivered them; completes when the watch is disposed.</summary>
    public ChannelReader<DomainLifecycleEvent> Events => _events.Reader;

    /// <summary>Waits for the first event that matches <paramref name="match"/>.</summary>
    public async Task<DomainLifecycleEvent> WaitForAsync(Func<DomainLifecycleEvent, bool> match, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(match);
        await foreach (var e in _events.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (match(e))
            {
                return e;
            }
        }

        throw new ObjectDisposedException(nameof(DomainLifecycleWatch));
    }

    /// <summary>Unsubscribes; libvirt frees the callback's state on its event loop.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (!_connection.IsClosed)
        {
            using var lease = _connection.Acquire();
            if (virConnectDomainEventDeregisterAny(lease.Pointer, _callbackId) < 0)
            {
                virResetLastError();
            }
        }

        _events.Writer.TryComplete();
    }

    [UnmanagedCallersOnly]
    private static unsafe int OnLifecycle(nint connection, nint domain, int eventType, int detail, void* opaque)
    {
        var writer = (ChannelWriter<DomainLifecycleEvent>)GCHandle.FromIntPtr((nint)opaque).Target!;
        var name = Marshal.PtrToStringUTF8((nint)virDomainGetName(domain)) ?? "";
        const int UuidStringLength = 37;
        var uuid = stackalloc byte[UuidStringLength];
        var id = virDomainGetUUIDString(domain, uuid) == 0 && Guid.TryParse(Marshal.PtrToStringUTF8((nint)uuid), out var parsed) ? parsed : Guid.Empty;
        writer.TryWrite(new DomainLifecycleEvent(name, id, (virDomainEventType)eventType, detail));
        return 0;
    }
}
