using System.Runtime.InteropServices;
using Otherix.Native.Generated;
using Otherix.Native.Internal;
using static Otherix.Native.Generated.LibvirtNative;

namespace Otherix.Native;

/// <summary>
/// A libvirt data stream (<c>virStream</c>; named so as not to shadow <see cref="System.IO.Stream"/>): volume upload/download or a domain console. Blocking streams use
/// <see cref="SendAll"/> and <see cref="Receive"/>; non-blocking ones (<see cref="Connection.NewStream"/>
/// with <c>nonBlocking</c>) use <see cref="TrySend"/>, <see cref="TryReceive"/> and <see cref="ReceiveAsync"/>,
/// which waits for readiness on libvirt's event loop instead of polling.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "It is libvirt's virStream; a System.IO.Stream adapter can come when a caller needs one.")]
public sealed class LibvirtStream : IDisposable
{
    private const int WouldBlock = -2;
    private const int ReadyEvents = (int)(virStreamEventType.VIR_STREAM_EVENT_READABLE | virStreamEventType.VIR_STREAM_EVENT_ERROR | virStreamEventType.VIR_STREAM_EVENT_HANGUP);

    private readonly Lock _gate = new();
    private Readiness? _readiness;

    internal LibvirtStream(StreamHandle handle) => Handle = handle;

    internal StreamHandle Handle { get; }

    /// <summary>Sends all of <paramref name="data"/> on a blocking stream.</summary>
    public unsafe void SendAll(ReadOnlySpan<byte> data)
    {
        using var lease = Handle.Acquire();
        fixed (byte* start = data)
        {
            var sent = 0;
            while (sent < data.Length)
            {
                var n = virStreamSend(lease.Pointer, start + sent, (nuint)(data.Length - sent));
                sent += n >= 0 ? n : throw NativeCall.LastError(nameof(virStreamSend));
            }
        }
    }

    /// <summary>Sends what the stream takes now, on a non-blocking stream; false when it takes nothing yet.</summary>
    public unsafe bool TrySend(ReadOnlySpan<byte> data, out int sent)
    {
        using var lease = Handle.Acquire();
        fixed (byte* start = data)
        {
            var n = virStreamSend(lease.Pointer, start, (nuint)data.Length);
            sent = Math.Max(n, 0);
            if (n == WouldBlock)
            {
                return false;
            }

            return n >= 0 ? true : throw NativeCall.LastError(nameof(virStreamSend));
        }
    }

    /// <summary>Receives into <paramref name="buffer"/> on a blocking stream; 0 means the stream ended.</summary>
    public unsafe int Receive(Span<byte> buffer)
    {
        using var lease = Handle.Acquire();
        fixed (byte* start = buffer)
        {
            var n = virStreamRecv(lease.Pointer, start, (nuint)buffer.Length);
            return n >= 0 ? n : throw NativeCall.LastError(nameof(virStreamRecv));
        }
    }

    /// <summary>Receives what is there now, on a non-blocking stream; false when nothing is (0 read with true means the end).</summary>
    public unsafe bool TryReceive(Span<byte> buffer, out int read)
    {
        using var lease = Handle.Acquire();
        fixed (byte* start = buffer)
        {
            var n = virStreamRecv(lease.Pointer, start, (nuint)buffer.Length);
            read = Math.Max(n, 0);
            if (n == WouldBlock)
            {
                return false;
            }

            return n >= 0 ? true : throw NativeCall.LastError(nameof(virStreamRecv));
        }
    }

    /// <summary>Waits until data (or the end) arrives on a non-blocking stream and receives it; 0 means the stream ended.</summary>
    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var readiness = EnsureReadiness();
        while (true)
        {
            var signal = readiness.Next;
            if (TryReceive(buffer.Span, out var read))
            {
                return read;
            }

            Arm(ReadyEvents);
            await signal.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Completes the transfer: libvirt checks the other end finished cleanly.</summary>
    public void Finish()
    {
        using var lease = Handle.Acquire();
        NativeCall.Check(virStreamFinish(lease.Pointer), nameof(virStreamFinish));
    }

    /// <summary>Aborts the transfer.</summary>
    public void Abort()
    {
        using var lease = Handle.Acquire();
        NativeCall.Check(virStreamAbort(lease.Pointer), nameof(virStreamAbort));
    }

    /// <summary>Removes the readiness callback, if any, and frees the stream.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_readiness is not null && !Handle.IsClosed)
            {
                using var lease = Handle.Acquire();
                if (virStreamEventRemoveCallback(lease.Pointer) < 0)
                {
                    virResetLastError();
                }

                _readiness.Cancel();
                _readiness = null;
            }
        }

        Handle.Dispose();
    }

    private unsafe Readiness EnsureReadiness()
    {
        lock (_gate)
        {
            if (_readiness is null)
            {
                var readiness = new Readiness();
                var gcHandle = GCHandle.Alloc(readiness);
                using var lease = Handle.Acquire();
                if (virStreamEventAddCallback(lease.Pointer, 0, &OnReady, (void*)GCHandle.ToIntPtr(gcHandle), &Connection.FreeGcHandle) < 0)
                {
                    gcHandle.Free();
                    throw NativeCall.LastError(nameof(virStreamEventAddCallback));
                }

                _readiness = readiness;
            }

            return _readiness;
        }
    }

    private void Arm(int events)
    {
        using var lease = Handle.Acquire();
        NativeCall.Check(virStreamEventUpdateCallback(lease.Pointer, events), nameof(virStreamEventUpdateCallback));
    }

    [UnmanagedCallersOnly]
    private static unsafe void OnReady(nint stream, int events, void* opaque)
    {
        // Level-triggered: stop listening until the reader waits again, or the loop would spin.
        _ = virStreamEventUpdateCallback(stream, 0);
        ((Readiness)GCHandle.FromIntPtr((nint)opaque).Target!).Signal();
    }

    /// <summary>A one-shot signal per wait, renewed each time it fires.</summary>
    private sealed class Readiness
    {
        private TaskCompletionSource _current = New();

        public Task Next => Volatile.Read(ref _current).Task;

        public void Signal() => Interlocked.Exchange(ref _current, New()).TrySetResult();

        public void Cancel() => Volatile.Read(ref _current).TrySetCanceled();

        private static TaskCompletionSource New() => new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
