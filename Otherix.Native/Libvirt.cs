using System.Runtime.InteropServices;
using Otherix.Native.Generated;
using Otherix.Native.Internal;
using static Otherix.Native.Generated.LibvirtNative;

namespace Otherix.Native;

/// <summary>Process-wide libvirt set-up: library init, a silent error handler, the event-loop thread.</summary>
public static unsafe class Libvirt
{
    // libvirt's error handler and event loop are global to the process, so is this.
    private static readonly Lazy<bool> Initialized = new(Initialize, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Initializes libvirt once per process; every <see cref="Connection"/> calls it before opening.</summary>
    public static void EnsureInitialized() => _ = Initialized.Value;

    /// <summary>The version of the loaded libvirt library.</summary>
    public static Version LibraryVersion
    {
        get
        {
            EnsureInitialized();
            nuint version;
            NativeCall.Check(virGetVersion(&version, null, null), nameof(virGetVersion));
            return ToVersion(version);
        }
    }

    internal static Version ToVersion(nuint number) =>
        new((int)(number / 1_000_000), (int)(number / 1_000 % 1_000), (int)(number % 1_000));

    private static bool Initialize()
    {
        NativeCall.Check(virInitialize(), nameof(virInitialize));
        // Without a handler libvirt prints every error to stderr; we read errors from virGetLastError instead.
        virSetErrorFunc(null, &IgnoreError);
        EventLoop.Start();
        return true;
    }

    [UnmanagedCallersOnly]
    private static void IgnoreError(void* userData, virError* error)
    {
    }
}
