using System.Collections.Concurrent;
using static Otherix.Native.Generated.LibvirtNative;

namespace Otherix.Native.Internal;

/// <summary>
/// libvirt's default event loop, run on one background thread for the whole process (libvirt
/// keeps it in global state). Lifecycle events, close notifications and stream readiness are
/// delivered here; work posted with <see cref="Post"/> runs here too.
/// </summary>
internal static unsafe class EventLoop
{
    private static readonly ConcurrentQueue<Action> Posted = new();
    private static int _wakeTimer = -1;

    /// <summary>Registers the default implementation and starts the thread. Call once, before opening any connection.</summary>
    public static void Start()
    {
        NativeCall.Check(virEventRegisterDefaultImpl(), nameof(virEventRegisterDefaultImpl));
        // A disabled timer (-1) that Post arms with 0 to wake the loop out of poll().
        _wakeTimer = NativeCall.Check(virEventAddTimeout(-1, &OnWake, null, null), nameof(virEventAddTimeout));
        var thread = new Thread(Run) { IsBackground = true, Name = "libvirt-event-loop" };
        thread.Start();
    }

    /// <summary>Runs <paramref name="action"/> on the event-loop thread soon.</summary>
    public static void Post(Action action)
    {
        Posted.Enqueue(action);
        virEventUpdateTimeout(_wakeTimer, 0);
    }

    private static void Run()
    {
        while (true)
        {
            if (virEventRunDefaultImpl() < 0)
            {
                // Nothing to report to: drop the error so it cannot leak into a later call on this thread.
                virResetLastError();
            }
        }
    }

    [System.Runtime.InteropServices.UnmanagedCallersOnly]
    private static void OnWake(int timer, void* opaque)
    {
        virEventUpdateTimeout(timer, -1);
        while (Posted.TryDequeue(out var action))
        {
            try
            {
                action();
            }
#pragma warning disable CA1031 // Posted work is best-effort cleanup; one failure must not stop the loop.
            catch (Exception)
#pragma warning restore CA1031
            {
                virResetLastError();
            }
        }
    }
}
