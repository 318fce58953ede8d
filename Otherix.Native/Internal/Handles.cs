using System.Runtime.InteropServices;
using static Otherix.Native.Generated.LibvirtNative;

namespace Otherix.Native.Internal;

/// <summary>A reference to a libvirt object, released exactly once.</summary>
internal abstract class LibvirtHandle : SafeHandle
{
    protected LibvirtHandle(nint pointer)
        : base(0, ownsHandle: true) => SetHandle(pointer);

    public override bool IsInvalid => handle == 0;

    /// <summary>Calls libvirt with this object's pointer, held for the call, and throws on a negative result.</summary>
    public int Call(Func<nint, int> call, string operation)
    {
        using var lease = Acquire();
        return NativeCall.Check(call(lease.Pointer), operation);
    }

    /// <summary>Keeps the object alive (and its pointer valid) for one call, even if another thread disposes it meanwhile.</summary>
    public Lease Acquire()
    {
        var added = false;
        DangerousAddRef(ref added);
        return new Lease(this);
    }

    /// <summary>A reference held for the duration of a call.</summary>
    internal readonly ref struct Lease(LibvirtHandle owner)
    {
        public nint Pointer => owner.DangerousGetHandle();

        public void Dispose() => owner.DangerousRelease();
    }
}

/// <summary>
/// A connection. Closing can wait on libvirtd, so a connection reached by the finalizer is
/// closed on the event-loop thread instead of blocking the finalizer thread.
/// </summary>
internal sealed unsafe class ConnectionHandle(nint pointer) : LibvirtHandle(pointer)
{
    private bool _finalizing;

    /// <summary>The close callback registered on this connection and the GCHandle it was given, both released before closing.</summary>
    public delegate* unmanaged<nint, int, void*, void> CloseCallback { get; set; }

    public GCHandle CloseCallbackState { get; set; }

    protected override void Dispose(bool disposing)
    {
        _finalizing = !disposing;
        base.Dispose(disposing);
    }

    protected override bool ReleaseHandle()
    {
        var pointer = handle;
        var callback = CloseCallback;
        var state = CloseCallbackState;
        if (_finalizing)
        {
            EventLoop.Post(() => Close(pointer, callback, state));
            return true;
        }

        return Close(pointer, callback, state);
    }

    private static bool Close(nint pointer, delegate* unmanaged<nint, int, void*, void> callback, GCHandle state)
    {
        // The registered close callback holds a reference on the connection: drop it first.
        if (callback != null && virConnectUnregisterCloseCallback(pointer, callback) < 0)
        {
            virResetLastError();
        }

        // Drivers without close notification accept the registration and never call a free
        // callback, so we free the state ourselves, on the event-loop thread where a callback
        // already under way would run: it cannot be freed under it.
        if (state.IsAllocated)
        {
            EventLoop.Post(state.Free);
        }

        return virConnectClose(pointer) >= 0;
    }
}

internal sealed class DomainHandle(nint pointer) : LibvirtHandle(pointer)
{
    protected override bool ReleaseHandle() => virDomainFree(handle) == 0;
}

internal sealed class StoragePoolHandle(nint pointer) : LibvirtHandle(pointer)
{
    protected override bool ReleaseHandle() => virStoragePoolFree(handle) == 0;
}

internal sealed class StorageVolumeHandle(nint pointer) : LibvirtHandle(pointer)
{
    protected override bool ReleaseHandle() => virStorageVolFree(handle) == 0;
}

internal sealed class NetworkHandle(nint pointer) : LibvirtHandle(pointer)
{
    protected override bool ReleaseHandle() => virNetworkFree(handle) == 0;
}

internal sealed class StreamHandle(nint pointer) : LibvirtHandle(pointer)
{
    protected override bool ReleaseHandle() => virStreamFree(handle) == 0;
}

internal sealed class SnapshotHandle(nint pointer) : LibvirtHandle(pointer)
{
    protected override bool ReleaseHandle() => virDomainSnapshotFree(handle) == 0;
}
