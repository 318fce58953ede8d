using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Otherix.Agent.Images;

/// <summary>The on-disk format of an image, from its header (never its extension).</summary>
public enum ImageFormat
{
    /// <summary>Anything that is not qcow2.</summary>
    Raw,

    /// <summary>Starts with the qcow2 magic <c>QFI\xfb</c>.</summary>
    Qcow2,
}

/// <summary>An image in the cache.</summary>
public sealed record CachedImage(string Name, string Path, string Sha256, long Size, ImageFormat Format)
{
    /// <summary>libvirt's name for the format (<c>qcow2</c>, <c>raw</c>).</summary>
    public string FormatName => Format == ImageFormat.Qcow2 ? "qcow2" : "raw";
}

/// <summary>Bytes downloaded so far and the total when the server announced it.</summary>
public readonly record struct ImageProgress(string Name, long Downloaded, long? Total);

/// <summary>How the cache downloads.</summary>
public sealed record ImageCacheOptions
{
    /// <summary>A download that receives nothing for this long fails as stalled.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Progress is reported at most once per this many bytes (and at the end).</summary>
    public long ProgressStepBytes { get; init; } = 4 * 1024 * 1024;
}

/// <summary>
/// A pool's image cache: <c>&lt;dir&gt;/&lt;basename&gt;</c> per image URL. An image is downloaded
/// once, hashed while it streams, written under a temporary name and renamed into place only when
/// complete and verified, so nothing half-written ever looks cached. Concurrent requests for the
/// same name share one download. Give it an <see cref="HttpClient"/> without an overall timeout:
/// a download fails when it stalls (<see cref="ImageCacheOptions.StallTimeout"/>), not when it is long.
/// </summary>
public sealed class ImageCache : IDisposable
{
    private const string PartialPrefix = ".partial-";
    private const string ShaSuffix = ".sha256";
    private static readonly byte[] Qcow2Magic = [(byte)'Q', (byte)'F', (byte)'I', 0xfb];

    private readonly string _directory;
    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly ImageCacheOptions _options;
    private readonly ConcurrentDictionary<string, InFlight> _inFlight = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _shutdown = new();

    /// <summary>A cache in <paramref name="directory"/>; leftovers of interrupted downloads are removed.</summary>
    public ImageCache(string directory, HttpClient http, TimeProvider time, ImageCacheOptions? options = null)
    {
        _directory = directory;
        _http = http;
        _time = time;
        _options = options ?? new ImageCacheOptions();
        Directory.CreateDirectory(directory);
        foreach (var partial in Directory.EnumerateFiles(directory, PartialPrefix + "*"))
        {
            File.Delete(partial);
        }
    }

    /// <summary>The cached images (name, SHA-256, size), for the heartbeat and <c>pool get</c>.</summary>
    public IReadOnlyList<CachedImage> List() =>
        Directory.EnumerateFiles(_directory)
            .Select(Path.GetFileName)
            .Where(n => n is not null && !n.StartsWith('.') && !n.EndsWith(ShaSuffix, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(n => Describe(n!))
            .ToList();

    /// <summary>
    /// The cached image for <paramref name="source"/>, downloading it first if needed. Waiting callers of the same
    /// image see the same progress; cancelling one caller's wait does not stop a download others need.
    /// </summary>
    /// <exception cref="ImageException"><c>download_failed</c>, <c>checksum_mismatch</c> or <c>image_unavailable</c>.</exception>
    public async Task<CachedImage> EnsureAsync(ImageSource source, IProgress<ImageProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        var path = Path.Combine(_directory, source.Name);
        if (File.Exists(path))
        {
            return Verified(Describe(source.Name), source);
        }

        var flight = _inFlight.GetOrAdd(source.Name, _ => new InFlight());
        flight.Subscribe(progress);
        try
        {
            var image = await flight.Run(() => DownloadAsync(source, flight)).WaitAsync(cancellationToken).ConfigureAwait(false);
            return Verified(image, source);
        }
        finally
        {
            flight.Unsubscribe(progress);
        }
    }

    /// <summary>Stops downloads in progress.</summary>
    public void Dispose()
    {
        _shutdown.Cancel();
        _shutdown.Dispose();
    }

    private static CachedImage Verified(CachedImage image, ImageSource source) =>
        source.ExpectedSha256 is { } expected && !string.Equals(image.Sha256, expected, StringComparison.Ordinal)
            ? throw new ImageException(
                ImageErrorCodes.ChecksumMismatch,
                $"cached image {image.Name} has sha256:{image.Sha256}, but {source.Url} was expected to have sha256:{expected}")
            : image;

    private async Task<CachedImage> DownloadAsync(ImageSource source, InFlight flight)
    {
        var final = Path.Combine(_directory, source.Name);
        var partial = Path.Combine(_directory, $"{PartialPrefix}{source.Name}-{Guid.NewGuid():N}");
        try
        {
            // A download that finished between the caller's check and this flight starting.
            if (File.Exists(final))
            {
                return Describe(source.Name);
            }

            var (sha, size, format) = await FetchAsync(source, partial, flight).ConfigureAwait(false);
            if (source.ExpectedSha256 is { } expected && sha != expected)
            {
                throw new ImageException(ImageErrorCodes.ChecksumMismatch,
                    $"{source.Url} has sha256:{sha}, expected sha256:{expected}; the download was discarded");
            }

            try
            {
                await File.WriteAllTextAsync(final + ShaSuffix, $"{sha}  {source.Name}\n", _shutdown.Token).ConfigureAwait(false);
                File.Move(partial, final, overwrite: false);
            }
            catch (IOException e)
            {
                throw Unavailable(source, e);
            }
            catch (UnauthorizedAccessException e)
            {
                throw Unavailable(source, e);
            }

            return new CachedImage(source.Name, final, sha, size, format);
        }
        finally
        {
            File.Delete(partial);
            // Done (cached or failed): the next request looks at the disk again, and retries a failure.
            _inFlight.TryRemove(new KeyValuePair<string, InFlight>(source.Name, flight));
        }
    }

    private async Task<(string Sha, long Size, ImageFormat Format)> FetchAsync(ImageSource source, string partial, InFlight flight)
    {
        using var stall = new CancellationTokenSource(_options.StallTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stall.Token, _shutdown.Token);
        try
        {
            using var response = await _http.GetAsync(source.Url, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new ImageException(ImageErrorCodes.DownloadFailed,
                    $"GET {source.Url} answered HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
            }

            var total = response.Content.Headers.ContentLength;
            var body = await response.Content.ReadAsStreamAsync(linked.Token).ConfigureAwait(false);
            await using (body.ConfigureAwait(false))
            {
                FileStream file;
                try
                {
                    file = new FileStream(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw Unavailable(source, e);
                }

                await using (file.ConfigureAwait(false))
                {
                    using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                    var buffer = new byte[1 << 16];
                    var header = new byte[Qcow2Magic.Length];
                    long downloaded = 0, reported = 0;
                    flight.Report(new ImageProgress(source.Name, 0, total));
                    while (true)
                    {
                        var read = await body.ReadAsync(buffer, linked.Token).ConfigureAwait(false);
                        if (read == 0)
                        {
                            break;
                        }

                        stall.CancelAfter(_options.StallTimeout);
                        if (downloaded < header.Length)
                        {
                            buffer.AsSpan(0, (int)Math.Min(read, header.Length - downloaded)).CopyTo(header.AsSpan((int)downloaded));
                        }

                        hash.AppendData(buffer, 0, read);
                        try
                        {
                            await file.WriteAsync(buffer.AsMemory(0, read), linked.Token).ConfigureAwait(false);
                        }
                        catch (IOException e)
                        {
                            throw Unavailable(source, e);
                        }

                        downloaded += read;
                        if (downloaded - reported >= _options.ProgressStepBytes)
                        {
                            reported = downloaded;
                            flight.Report(new ImageProgress(source.Name, downloaded, total));
                        }
                    }

                    if (total is { } announced && downloaded != announced)
                    {
                        throw new ImageException(ImageErrorCodes.DownloadFailed,
                            $"GET {source.Url} ended after {downloaded} of {announced} bytes");
                    }

                    await file.FlushAsync(linked.Token).ConfigureAwait(false);
                    file.Flush(flushToDisk: true);
                    flight.Report(new ImageProgress(source.Name, downloaded, total ?? downloaded));
                    var format = downloaded >= header.Length && header.AsSpan().SequenceEqual(Qcow2Magic) ? ImageFormat.Qcow2 : ImageFormat.Raw;
                    return (Convert.ToHexStringLower(hash.GetHashAndReset()), downloaded, format);
                }
            }
        }
        catch (OperationCanceledException) when (stall.IsCancellationRequested && !_shutdown.IsCancellationRequested)
        {
            throw new ImageException(ImageErrorCodes.DownloadFailed,
                $"GET {source.Url} stalled: no data for {_options.StallTimeout.TotalSeconds:F0} s");
        }
        catch (HttpRequestException e)
        {
            throw new ImageException(ImageErrorCodes.DownloadFailed, $"GET {source.Url} failed: {e.Message}", e);
        }
        catch (HttpIOException e)
        {
            throw new ImageException(ImageErrorCodes.DownloadFailed, $"GET {source.Url} broke off: {e.Message}", e);
        }
    }

    private CachedImage Describe(string name)
    {
        var path = Path.Combine(_directory, name);
        var shaFile = path + ShaSuffix;
        string sha;
        if (File.Exists(shaFile))
        {
            sha = File.ReadAllText(shaFile).Split(' ', 2)[0].Trim();
        }
        else
        {
            // Put there by hand: hash it once and remember.
            using var stream = File.OpenRead(path);
            sha = Convert.ToHexStringLower(SHA256.HashData(stream));
            File.WriteAllText(shaFile, $"{sha}  {name}\n");
        }

        Span<byte> header = stackalloc byte[Qcow2Magic.Length];
        using (var stream = File.OpenRead(path))
        {
            var read = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
            var format = read == header.Length && header.SequenceEqual(Qcow2Magic) ? ImageFormat.Qcow2 : ImageFormat.Raw;
            return new CachedImage(name, path, sha, new FileInfo(path).Length, format);
        }
    }

    private static ImageException Unavailable(ImageSource source, Exception e) =>
        new(ImageErrorCodes.ImageUnavailable, $"cannot write {source.Name} (from {source.Url}) into the image cache: {e.Message}", e);

    /// <summary>One download shared by every caller that needs the same image.</summary>
    private sealed class InFlight
    {
        private readonly Lock _gate = new();
        private readonly List<IProgress<ImageProgress>> _subscribers = [];
        private Task<CachedImage>? _task;

        public Task<CachedImage> Run(Func<Task<CachedImage>> download)
        {
            lock (_gate)
            {
                return _task ??= Task.Run(download);
            }
        }

        public void Subscribe(IProgress<ImageProgress>? progress)
        {
            if (progress is not null)
            {
                lock (_gate)
                {
                    _subscribers.Add(progress);
                }
            }
        }

        public void Unsubscribe(IProgress<ImageProgress>? progress)
        {
            if (progress is not null)
            {
                lock (_gate)
                {
                    _subscribers.Remove(progress);
                }
            }
        }

        public void Report(ImageProgress value)
        {
            IProgress<ImageProgress>[] subscribers;
            lock (_gate)
            {
                subscribers = [.. _subscribers];
            }

            foreach (var subscriber in subscribers)
            {
                subscriber.Report(value);
            }
        }
    }
}
