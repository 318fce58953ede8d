using System.Net;
using System.Net.Http.Headers;
using Otherix.Testing;

namespace Otherix.EndToEnd.Tests.Plumbing;

public sealed class LoopbackFileServerTests
{
    private static readonly byte[] Content = [.. Enumerable.Range(0, 200_000).Select(i => (byte)(i * 7))];

    private LoopbackFileServer _server = null!;
    private HttpClient _client = null!;

    [SetUp]
    public async Task StartAsync()
    {
        _server = await LoopbackFileServer.StartAsync();
        _client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
    }

    [TearDown]
    public async Task StopAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Test]
    public void BaseAddress_IsLoopback()
    {
        Assert.That(_server.BaseAddress.Host, Is.EqualTo("127.0.0.1"));
    }

    [Test]
    public async Task Get_WholeFile_SendsContentLengthAndBytes()
    {
        var url = _server.Serve("disk.img", Content);

        using var response = await _client.GetAsync(url);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentLength, Is.EqualTo(Content.Length));
        Assert.That(response.Headers.AcceptRanges, Does.Contain("bytes"));
        Assert.That(await response.Content.ReadAsByteArrayAsync(), Is.EqualTo(Content));
        Assert.That(_server.GetCount("disk.img"), Is.EqualTo(1));
    }

    [Test]
    public async Task Get_FileOnDisk_ServesItsBytes()
    {
        var path = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(path, Content);
            var url = _server.Serve("from-disk.img", path);

            var body = await _client.GetByteArrayAsync(url);

            Assert.That(body, Is.EqualTo(Content));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestCase("bytes=100-199", 100, 199)]
    [TestCase("bytes=199990-", 199_990, 199_999)]
    [TestCase("bytes=-10", 199_990, 199_999)]
    [TestCase("bytes=0-999999", 0, 199_999)]
    public async Task Get_Range_Answers206WithThatSlice(string range, int first, int last)
    {
        var url = _server.Serve("disk.img", Content);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.TryAddWithoutValidation("Range", range);

        using var response = await _client.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.PartialContent));
        Assert.That(response.Content.Headers.ContentRange, Is.EqualTo(new ContentRangeHeaderValue(first, last, Content.Length)));
        Assert.That(await response.Content.ReadAsByteArrayAsync(), Is.EqualTo(Content[first..(last + 1)]));
        Assert.That(_server.Requests.Single().Range, Is.EqualTo(range));
    }

    [TestCase("bytes=200000-")]
    [TestCase("bytes=5-1")]
    [TestCase("bytes=0-1,5-6")]
    [TestCase("items=0-1")]
    public async Task Get_UnsatisfiableRange_Answers416(string range)
    {
        var url = _server.Serve("disk.img", Content);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.TryAddWithoutValidation("Range", range);

        using var response = await _client.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestedRangeNotSatisfiable));
        Assert.That(response.Content.Headers.ContentRange?.ToString(), Is.EqualTo("bytes */200000"));
    }

    [Test]
    public async Task Head_SendsLengthWithoutBody()
    {
        var url = _server.Serve("disk.img", Content);

        using var response = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Head, url));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentLength, Is.EqualTo(Content.Length));
        Assert.That(_server.GetCount("disk.img"), Is.Zero);
    }

    [Test]
    public async Task Get_UnknownOrNotFoundFault_Answers404()
    {
        var url = _server.Serve("disk.img", Content);
        _server.SetFault("disk.img", new FileFault.NotFound());

        using var faulted = await _client.GetAsync(url);
        using var unknown = await _client.GetAsync(new Uri(_server.BaseAddress, "nothing.img"));

        Assert.That(faulted.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task Get_Truncate_DropsTheConnectionAfterThatManyBytes()
    {
        var url = _server.Serve("disk.img", Content);
        _server.SetFault("disk.img", new FileFault.Truncate(70_000));

        using var response = await _client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
        Assert.That(response.Content.Headers.ContentLength, Is.EqualTo(Content.Length));
        var body = await response.Content.ReadAsStreamAsync();
        var received = new MemoryStream();

        Assert.That(async () => await body.CopyToAsync(received), Throws.InstanceOf<IOException>().Or.InstanceOf<HttpRequestException>());
        Assert.That(received.Length, Is.EqualTo(70_000));
        Assert.That(received.ToArray(), Is.EqualTo(Content[..70_000]));
    }

    [Test]
    public async Task Get_Stall_HoldsTheRestUntilReleased()
    {
        var url = _server.Serve("disk.img", Content);
        _server.SetFault("disk.img", new FileFault.Stall(1_000));

        using var response = await _client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
        var body = await response.Content.ReadAsStreamAsync();
        var first = new byte[1_000];
        await body.ReadExactlyAsync(first);
        var one = new byte[1];
        var next = body.ReadAsync(one).AsTask();

        Assert.That(first, Is.EqualTo(Content[..1_000]));
        Assert.That(next.IsCompleted, Is.False, "the server sent more than the stall allows");

        _server.ReleaseStalled();
        Assert.That(await next.WaitAsync(TimeSpan.FromSeconds(10)), Is.EqualTo(1));
        var rest = new MemoryStream();
        rest.Write(one);
        await body.CopyToAsync(rest);
        Assert.That(rest.ToArray(), Is.EqualTo(Content[1_000..]));
    }
}
