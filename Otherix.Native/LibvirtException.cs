using Otherix.Native.Generated;

namespace Otherix.Native;

/// <summary>The failures callers act on, from libvirt's error codes; everything else is <see cref="Other"/>.</summary>
public enum LibvirtErrorKind
{
    /// <summary>Any code not listed here; see <see cref="LibvirtException.Code"/>.</summary>
    Other,

    /// <summary>No domain with that name or UUID.</summary>
    NoSuchDomain,

    /// <summary>No storage pool with that name or UUID.</summary>
    NoSuchStoragePool,

    /// <summary>No storage volume with that name, key or path.</summary>
    NoSuchStorageVolume,

    /// <summary>No network with that name or UUID.</summary>
    NoSuchNetwork,

    /// <summary>No snapshot with that name.</summary>
    NoSuchSnapshot,

    /// <summary>The object exists already (domain, pool, volume, network).</summary>
    AlreadyExists,

    /// <summary>The operation is not valid in the object's current state (e.g. starting a running domain).</summary>
    OperationInvalid,

    /// <summary>The connection to libvirtd is broken or closed; reopen it.</summary>
    ConnectionBroken,

    /// <summary>The driver or hypervisor does not support the operation.</summary>
    NotSupported,

    /// <summary>An argument was rejected (bad XML, bad flags, bad value).</summary>
    InvalidArgument,
}

/// <summary>A failed libvirt call: libvirt's error code, domain and message, read on the calling thread right after the failure.</summary>
public sealed class LibvirtException : Exception
{
    /// <summary>Creates an exception from libvirt's error fields.</summary>
    public LibvirtException(string operation, int code, int domain, string message)
        : base($"{operation}: {message}")
    {
        Operation = operation;
        Code = code;
        Domain = domain;
        LibvirtMessage = message;
        Kind = IsConnectionFailure((virErrorNumber)code, (virErrorDomain)domain, message)
            ? LibvirtErrorKind.ConnectionBroken
            : KindOf((virErrorNumber)code, message);
    }

    /// <summary>The libvirt function that failed, e.g. <c>virDomainLookupByName</c>.</summary>
    public string Operation { get; }

    /// <summary>libvirt's <c>virErrorNumber</c>.</summary>
    public int Code { get; }

    /// <summary>libvirt's <c>virErrorDomain</c>: which part of libvirt raised it.</summary>
    public int Domain { get; }

    /// <summary>libvirt's own message, without the operation prefix.</summary>
    public string LibvirtMessage { get; }

    /// <summary>The code, classified for callers to switch on.</summary>
    public LibvirtErrorKind Kind { get; }

    /// <summary>The code as libvirt's enum.</summary>
    public virErrorNumber ErrorNumber => (virErrorNumber)Code;

    private static LibvirtErrorKind KindOf(virErrorNumber code, string message) => code switch
    {
        virErrorNumber.VIR_ERR_NO_DOMAIN => LibvirtErrorKind.NoSuchDomain,
        virErrorNumber.VIR_ERR_NO_STORAGE_POOL => LibvirtErrorKind.NoSuchStoragePool,
        virErrorNumber.VIR_ERR_NO_STORAGE_VOL => LibvirtErrorKind.NoSuchStorageVolume,
        virErrorNumber.VIR_ERR_NO_NETWORK => LibvirtErrorKind.NoSuchNetwork,
        virErrorNumber.VIR_ERR_NO_DOMAIN_SNAPSHOT => LibvirtErrorKind.NoSuchSnapshot,
        virErrorNumber.VIR_ERR_DOM_EXIST or virErrorNumber.VIR_ERR_NETWORK_EXIST or virErrorNumber.VIR_ERR_STORAGE_VOL_EXIST => LibvirtErrorKind.AlreadyExists,
        // Several drivers report duplicates as a generic failure; the message is the only signal.
        virErrorNumber.VIR_ERR_OPERATION_FAILED when message.Contains("already exists", StringComparison.Ordinal) => LibvirtErrorKind.AlreadyExists,
        virErrorNumber.VIR_ERR_OPERATION_INVALID => LibvirtErrorKind.OperationInvalid,
        virErrorNumber.VIR_ERR_NO_SUPPORT or virErrorNumber.VIR_ERR_OPERATION_UNSUPPORTED => LibvirtErrorKind.NotSupported,
        virErrorNumber.VIR_ERR_INVALID_ARG or virErrorNumber.VIR_ERR_XML_ERROR or virErrorNumber.VIR_ERR_XML_DETAIL => LibvirtErrorKind.InvalidArgument,
        _ => LibvirtErrorKind.Other,
    };

    /// <summary>
    /// The RPC layer reports a dropped client as an internal error ("client socket is closed")
    /// and I/O failures as system errors; both mean the connection is gone.
    /// </summary>
    private static bool IsConnectionFailure(virErrorNumber code, virErrorDomain domain, string message) => code switch
    {
        virErrorNumber.VIR_ERR_NO_CONNECT or virErrorNumber.VIR_ERR_INVALID_CONN or virErrorNumber.VIR_ERR_RPC => true,
        virErrorNumber.VIR_ERR_INTERNAL_ERROR => domain is virErrorDomain.VIR_FROM_RPC or virErrorDomain.VIR_FROM_REMOTE,
        virErrorNumber.VIR_ERR_SYSTEM_ERROR => domain is virErrorDomain.VIR_FROM_RPC or virErrorDomain.VIR_FROM_REMOTE
            || message.Contains("Cannot recv data", StringComparison.Ordinal)
            || message.Contains("Cannot write data", StringComparison.Ordinal),
        _ => false,
    };
}
