namespace Otherix.Agent.Images;

/// <summary>The seed's error codes for image work; scripts match on them.</summary>
public static class ImageErrorCodes
{
    /// <summary>HTTP error status, connection refused, truncated body, stall or timeout.</summary>
    public const string DownloadFailed = "download_failed";

    /// <summary>The image's SHA-256 is not the expected one.</summary>
    public const string ChecksumMismatch = "checksum_mismatch";

    /// <summary>The cache could not be written (disk full, permissions).</summary>
    public const string ImageUnavailable = "image_unavailable";

    /// <summary>The URL or checksum was rejected before any I/O.</summary>
    public const string ValidationFailed = "validation_failed";
}

/// <summary>An image could not be provided; <see cref="Code"/> is one of <see cref="ImageErrorCodes"/>.</summary>
public sealed class ImageException(string code, string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The stable error code.</summary>
    public string Code { get; } = code;
}
