using System.Runtime.InteropServices;
using Otherix.Native.Generated;
using static Otherix.Native.Generated.LibvirtNative;

namespace Otherix.Native.Internal;

/// <summary>Turns libvirt's return conventions into values or <see cref="LibvirtException"/>s.</summary>
internal static unsafe class NativeCall
{
    /// <summary>
    /// The exception for the call that just failed on this thread. libvirt's last error is
    /// thread-local, so this must run before any other libvirt call on the thread.
    /// </summary>
    public static LibvirtException LastError(string operation)
    {
        var error = virGetLastError();
        if (error is null)
        {
            return new LibvirtException(operation, (int)virErrorNumber.VIR_ERR_INTERNAL_ERROR, 0, "failed without an error report");
        }

        var exception = new LibvirtException(
            operation, error->code, error->domain, Marshal.PtrToStringUTF8((nint)error->message) ?? "unknown error");
        virResetLastError();
        return exception;
    }

    /// <summary>Throws for a negative result (libvirt's -1 convention), otherwise returns it.</summary>
    public static int Check(int result, string operation) => result < 0 ? throw LastError(operation) : result;

    /// <summary>Throws for a null object pointer, otherwise returns it.</summary>
    public static nint Check(nint pointer, string operation) => pointer == 0 ? throw LastError(operation) : pointer;

    /// <summary>Copies a string the caller owns and frees it; a null result is a failure.</summary>
    public static string TakeString(byte* text, string operation)
    {
        if (text is null)
        {
            throw LastError(operation);
        }

        try
        {
            return Marshal.PtrToStringUTF8((nint)text)!;
        }
        finally
        {
            NativeMemory.Free(text);
        }
    }

    /// <summary>Copies a string libvirt keeps ownership of; a null result is a failure.</summary>
    public static string BorrowString(byte* text, string operation) =>
        text is null ? throw LastError(operation) : Marshal.PtrToStringUTF8((nint)text)!;

    /// <summary>Wraps an array of object pointers that libvirt allocated (a <c>virConnectListAll*</c> result) and frees the array.</summary>
    public static List<T> TakeArray<T>(nint* items, int count, Func<nint, T> wrap)
    {
        var list = new List<T>(count);
        try
        {
            for (var i = 0; i < count; i++)
            {
                list.Add(wrap(items[i]));
            }
        }
        finally
        {
            NativeMemory.Free(items);
        }

        return list;
    }

    /// <summary>The canonical UUID text from a <c>virXxxGetUUIDString</c>-style call.</summary>
    public static string UuidString(Func<nint, int> call, string operation)
    {
        const int VirUuidStringBuflen = 37;
        var buffer = stackalloc byte[VirUuidStringBuflen];
        Check(call((nint)buffer), operation);
        return Marshal.PtrToStringUTF8((nint)buffer)!;
    }
}
