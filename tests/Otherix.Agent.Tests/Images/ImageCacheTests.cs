using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;
using Otherix.Agent.Images;
using Otherix.Testing;

namespace Otherix.Agent.Tests.Images;

public sealed class ImageCacheTests
{
    private static readonly byte[] Qcow2 = [(byte)'Q', (byte)'F', (byte)'I', 0xfb, .. Enumerable.Range(0, 300_000).Select(i => (byte)(i * 13))];
    private static readonly byte[] Raw = [.. Enumerable.Range(0, 100_000).Select(i => (byte)(i * 7 + 1))];

    private LoopbackFileServer _server = null!;
    private HttpClient _http = null!;
    private string _dir = null!;
    private FakeTimeProvider _time = null!;
    private ImageCache _cache = null!;

    [SetUp]
    public async Task SetUpAsync()
    {
        _server = await LoopbackFileServer.StartAsync();
        _http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        _dir = Directory.CreateTempSubdirectory("otx-images-").FullName;
        _time = new FakeTimeProvider();
        _cache = new ImageCache(_dir, _http, _time, new ImageCacheOptions { StallTimeout = TimeSpan.FromSeconds(30), ProgressStepBytes = 64 * 1024 });
    }

    [TearDown]
    public async Task TearDownAsync()
    {
        _cache.Dispose();
        _http.Dispose();
        await _server.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Test]
    public async Task Ensure_FirstUse_DownloadsHashesAndDetectsFormat()
    {
        var qcow = _server.Serve("disk.qcow2", Qcow2);
        var raw = _server.Serve("disk.raw.img", Raw);
        var steps = new List<ImageProgress>();

        var image = await _cache.EnsureAsync(ImageSource.Parse(qcow.ToString()), new SynchronousProgress(steps.Add));
        var rawImage = await _cache.EnsureAsync(ImageSource.Parse(raw.ToString()));

        Assert.That(image, Is.EqualTo(new CachedImage("disk.qcow2", Path.Combine(_dir, "disk.qcow2"), Sha(Qcow2), Qcow2.Length, ImageFormat.Qcow2)));
        Assert.That(rawImage.Format, Is.EqualTo(ImageFormat.Raw));
        Assert.That(await File.ReadAllBytesAsync(image.Path), Is.EqualTo(Qcow2));
        Assert.That(steps[0], Is.EqualTo(new ImageProgress("disk.qcow2", 0, Qcow2.Length)));
        Assert.That(steps[^1], Is.EqualTo(new ImageProgress("disk.qcow2", Qcow2.Length, Qcow2.Length)));
        Assert.That(steps.Count, Is.GreaterThan(2));
        Assert.That(_cache.List().Select(i => (i.Name, i.Sha256, i.Size)),
            Is.EqualTo(new[] { ("disk.qcow2", Sha(Qcow2), (long)Qcow2.Length), ("disk.raw.img", Sha(Raw), (long)Raw.Length) }));
        Assert.That(Directory.GetFiles(_dir, ".partial-*"), Is.Empty);
    }

    [Test]
    public async Task Ensure_SecondUse_ReusesTheCache()
    {
        var url = _server.Serve("disk.qcow2", Qcow2).ToString();

        await _cache.EnsureAsync(ImageSource.Parse(url));
        var again = await _cache.EnsureAsync(ImageSource.Parse(url, $"sha256:{Sha(Qcow2)}"));

        Assert.That(again.Sha256, Is.EqualTo(Sha(Qcow2)));
        Assert.That(_server.GetCount("disk.qcow2"), Is.EqualTo(1));
    }

    [Test]
    public async Task Ensure_ParallelRequests_DownloadOnce()
    {
        var url = _server.Serve("disk.qcow2", Qcow2).ToString();
        _server.SetFault("disk.qcow2", new FileFault.Stall(1000));
        var waits = Enumerable.Range(0, 5).Select(_ => _cache.EnsureAsync(ImageSource.Parse(url))).ToList();

        await Poll.UntilAsync(() => Task.FromResult(_server.GetCount("disk.qcow2")), n => n >= 1, TimeSpan.FromSeconds(10), "the download started");
        _server.ReleaseStalled();
        var images = await Task.WhenAll(waits);

        Assert.That(images.Select(i => i.Sha256).Distinct(), Is.EqualTo(new[] { Sha(Qcow2) }));
        Assert.That(_server.GetCount("disk.qcow2"), Is.EqualTo(1));
    }

    [Test]
    public async Task Ensure_NotFound_FailsAndCachesNothing()
    {
        var url = new Uri(_server.BaseAddress, "missing.img").ToString();

        var error = await FailAsync(ImageSource.Parse(url));

        Assert.That(error.Code, Is.EqualTo(ImageErrorCodes.DownloadFailed));
        Assert.That(error.Message, Does.Contain(url).And.Contain("404"));
        AssertNothingCached();
    }

    [Test]
    public async Task Ensure_TruncatedBody_FailsAndCachesNothing()
    {
        var url = _server.Serve("disk.qcow2", Qcow2).ToString();
        _server.SetFault("disk.qcow2", new FileFault.Truncate(100_000));

        var error = await FailAsync(ImageSource.Parse(url));

        Assert.That(error.Code, Is.EqualTo(ImageErrorCodes.DownloadFailed));
        Assert.That(error.Message, Does.Contain(url));
        AssertNothingCached();
    }

    [Test]
    public async Task Ensure_Stalled_FailsAfterTheStallTimeoutAndCachesNothing()
    {
        var url = _server.Serve("disk.qcow2", Qcow2).ToString();
        _server.SetFault("disk.qcow2", new FileFault.Stall(1000));

        var download = _cache.EnsureAsync(ImageSource.Parse(url));
        // Advance the fake clock past the stall timeout until the download gives up.
        await Poll.UntilAsync(() => { _time.Advance(TimeSpan.FromSeconds(31)); return Task.FromResult(download.IsCompleted); }, done => done, TimeSpan.FromSeconds(20), "the stalled download failed");
        var error = Assert.ThrowsAsync<ImageException>(() => download);

        Assert.That(error!.Code, Is.EqualTo(ImageErrorCodes.DownloadFailed));
        Assert.That(error.Message, Does.Contain("stalled"));
        AssertNothingCached();
    }

    [Test]
    public async Task Ensure_WrongChecksum_FailsAndCachesNothing()
    {
        var url = _server.Serve("disk.qcow2", Qcow2).ToString();
        var wrong = new string('0', 64);

        var error = await FailAsync(ImageSource.Parse(url, $"sha256:{wrong}"));

        Assert.That(error.Code, Is.EqualTo(ImageErrorCodes.ChecksumMismatch));
        Assert.That(error.Message, Does.Contain(Sha(Qcow2)).And.Contain(wrong));
        AssertNothingCached();
    }

    [Test]
    public async Task Ensure_ConnectionRefused_Fails()
    {
        var closed = await LoopbackFileServer.StartAsync();
        var url = new Uri(closed.BaseAddress, "x.img").ToString();
        await closed.DisposeAsync();

        var error = await FailAsync(ImageSource.Parse(url));

        Assert.That(error.Code, Is.EqualTo(ImageErrorCodes.DownloadFailed));
        AssertNothingCached();
    }

    [Test]
    public async Task Ensure_FailedOnce_RetriesNextTime()
    {
        var url = _server.Serve("disk.qcow2", Qcow2).ToString();
        _server.SetFault("disk.qcow2", new FileFault.NotFound());
        await FailAsync(ImageSource.Parse(url));
        _server.SetFault("disk.qcow2", null);

        var image = await _cache.EnsureAsync(ImageSource.Parse(url));

        Assert.That(image.Sha256, Is.EqualTo(Sha(Qcow2)));
        Assert.That(_server.GetCount("disk.qcow2"), Is.EqualTo(2));
    }

    [Test]
    public async Task Ensure_CacheNotWritable_FailsAsImageUnavailable()
    {
        var url = _server.Serve("disk.qcow2", Qcow2).ToString();
        // Something that is not a file already holds the image's name: the final rename fails.
        Directory.CreateDirectory(Path.Combine(_dir, "disk.qcow2"));

        var error = await FailAsync(ImageSource.Parse(url));

        Assert.That(error.Code, Is.EqualTo(ImageErrorCodes.ImageUnavailable));
        Assert.That(Directory.GetFiles(_dir, ".partial-*"), Is.Empty);
    }

    [Test]
    public void Construct_RemovesLeftoversOfInterruptedDownloads()
    {
        var leftover = Path.Combine(_dir, ".partial-disk.qcow2-123");
        File.WriteAllBytes(leftover, [1, 2, 3]);

        using var cache = new ImageCache(_dir, _http, _time);

        Assert.That(File.Exists(leftover), Is.False);
        Assert.That(cache.List(), Is.Empty);
    }

    [Test]
    public async Task List_ImageCopiedInByHand_IsHashedOnce()
    {
        await File.WriteAllBytesAsync(Path.Combine(_dir, "manual.img"), Raw);

        var listed = _cache.List().Single();

        Assert.That((listed.Name, listed.Sha256, listed.Size, listed.Format), Is.EqualTo(("manual.img", Sha(Raw), (long)Raw.Length, ImageFormat.Raw)));
        Assert.That(File.Exists(Path.Combine(_dir, "manual.img.sha256")), Is.True);
    }

    private async Task<ImageException> FailAsync(ImageSource source)
    {
        try
        {
            await _cache.EnsureAsync(source);
        }
        catch (ImageException e)
        {
            return e;
        }

        throw new AssertionException($"{source.Url} was expected to fail");
    }

    private void AssertNothingCached()
    {
        Assert.That(_cache.List(), Is.Empty);
        Assert.That(Directory.GetFileSystemEntries(_dir), Is.Empty, "nothing, not even a partial file, may remain");
    }

    private static string Sha(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    /// <summary>Progress&lt;T&gt; posts to the thread pool; tests want every report, in order, at once.</summary>
    private sealed class SynchronousProgress(Action<ImageProgress> report) : IProgress<ImageProgress>
    {
        public void Report(ImageProgress value) => report(value);
    }
}
