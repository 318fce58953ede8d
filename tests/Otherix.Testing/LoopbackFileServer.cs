using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Otherix.Testing;

/// <summary>What the server does wrong, on purpose, when a file is requested.</summary>
public abstract record FileFault
{
    private FileFault()
    {
    }

    /// <summary>Answers 404 although the file is registered.</summary>
    public sealed record NotFound : FileFault;

    /// <summary>Announces the full length, sends <paramref name="AfterBytes"/> body bytes, then drops the connection.</summary>
    public sealed record Truncate(long AfterBytes) : FileFault;

    /// <summary>Sends <paramref name="AfterBytes"/> body bytes, then waits until <see cref="LoopbackFileServer.ReleaseStalled"/> or the client leaves.</summary>
    public sealed record Stall(long AfterBytes) : FileFault;
}

/// <summary>One request the server saw: the file name and the Range header, if any.</summary>
public sealed record FileRequest(string Method, string Name, string? Range);

/// <summary>
/// A small HTTP file server on 127.0.0.1 for tests that download images: correct
/// <c>Content-Length</c>, single-range requests (<c>206</c>, <c>416</c>), and faults on demand.
/// </summary>
public sealed class LoopbackFileServer : IAsyncDisposable
{
    private const int ChunkSize = 64 * 1024;

    private readonly ConcurrentDictionary<string, ServedFile> _files = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<FileRequest> _requests = new();
    private readonly WebApplication _app;
    private TaskCompletionSource _release = NewRelease();

    private LoopbackFileServer(WebApplication app) => _app = app;

    /// <summary>Where the server listens, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Every request so far, in arrival order.</summary>
    public IReadOnlyList<FileRequest> Requests => [.. _requests];

    /// <summary>Starts a server on an ephemeral loopback port.</summary>
    public static async Task<LoopbackFileServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new LoopbackFileServer(app);
        app.Run(server.HandleAsync);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        server.BaseAddress = new Uri(address.EndsWith('/') ? address : address + "/");
        return server;
    }

    /// <summary>Serves the file at <paramref name="path"/> as <c>/name</c> and returns its URL.</summary>
    public Uri Serve(string name, string path) =>
        Add(name, new ServedFile(() => File.OpenRead(path), new FileInfo(path).Length));

    /// <summary>Serves <paramref name="content"/> as <c>/name</c> and returns its URL.</summary>
    public Uri Serve(string name, byte[] content)
    {
        ArgumentNullException.ThrowIfNull(content);
        return Add(name, new ServedFile(() => new MemoryStream(content, writable: false), content.LongLength));
    }

    /// <summary>Makes later requests for <paramref name="name"/> fail as <paramref name="fault"/> says (null: behave).</summary>
    public void SetFault(string name, FileFault? fault)
    {
        var file = _files[name];
        _files[name] = file with { Fault = fault };
    }

    /// <summary>Lets every stalled response go on to the end.</summary>
    public void ReleaseStalled() => Interlocked.Exchange(ref _release, NewRelease()).TrySetResult();

    /// <summary>How many GET requests asked for <paramref name="name"/>.</summary>
    public int GetCount(string name) => _requests.Count(r => r.Name == name && r.Method == HttpMethods.Get);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        ReleaseStalled();
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private static TaskCompletionSource NewRelease() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private Uri Add(string name, ServedFile file)
    {
        if (name.Length == 0 || name.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException("a file name without '/'", nameof(name));
        }

        _files[name] = file;
        return new Uri(BaseAddress, Uri.EscapeDataString(name));
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        var name = Uri.UnescapeDataString(request.Path.Value?.TrimStart('/') ?? "");
        string? range = request.Headers.Range.Count > 0 ? request.Headers.Range.ToString() : null;
        _requests.Enqueue(new FileRequest(request.Method, name, range));

        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }

        if (!_files.TryGetValue(name, out var file) || file.Fault is FileFault.NotFound)
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        long start = 0, end = file.Length - 1;
        response.Headers.AcceptRanges = "bytes";
        if (range is not null)
        {
            if (!TryParseRange(range, file.Length, out start, out end))
            {
                response.StatusCode = StatusCodes.Status416RangeNotSatisfiable;
                response.Headers.ContentRange = $"bytes */{file.Length}";
                return;
            }

            response.StatusCode = StatusCodes.Status206PartialContent;
            response.Headers.ContentRange = $"bytes {start}-{end}/{file.Length}";
        }

        var length = end - start + 1;
        response.ContentType = "application/octet-stream";
        response.ContentLength = length;
        if (HttpMethods.IsHead(request.Method))
        {
            return;
        }

        var stopAt = file.Fault switch
        {
            FileFault.Truncate t => Math.Min(t.AfterBytes, length),
            FileFault.Stall s => Math.Min(s.AfterBytes, length),
            _ => length,
        };
        var aborted = context.RequestAborted;
        var stream = file.Open();
        await using (stream.ConfigureAwait(false))
        {
            stream.Seek(start, SeekOrigin.Begin);
            await CopyAsync(stream, response.Body, stopAt, aborted).ConfigureAwait(false);
            await response.Body.FlushAsync(aborted).ConfigureAwait(false);
            switch (file.Fault)
            {
                case FileFault.Truncate:
                    // Ending short of Content-Length makes Kestrel close the connection after
                    // what was written; an explicit Abort could drop bytes still buffered.
                    return;
                case FileFault.Stall:
                    await _release.Task.WaitAsync(aborted).ConfigureAwait(false);
                    await CopyAsync(stream, response.Body, length - stopAt, aborted).ConfigureAwait(false);
                    return;
            }
        }
    }

    private static async Task CopyAsync(Stream source, Stream destination, long count, CancellationToken cancellationToken)
    {
        var buffer = new byte[ChunkSize];
        while (count > 0)
        {
            var read = await source.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count)), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new EndOfStreamException("served file is shorter than announced");
            }

            await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            count -= read;
        }
    }

    /// <summary>Parses one <c>bytes=</c> range (<c>a-b</c>, <c>a-</c>, <c>-n</c>); multiple ranges are refused.</summary>
    private static bool TryParseRange(string header, long length, out long start, out long end)
    {
        start = 0;
        end = length - 1;
        const string Prefix = "bytes=";
        if (!header.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) || header.Contains(',', StringComparison.Ordinal))
        {
            return false;
        }

        var spec = header[Prefix.Length..].Trim();
        var dash = spec.IndexOf('-', StringComparison.Ordinal);
        if (dash < 0)
        {
            return false;
        }

        var first = spec[..dash];
        var last = spec[(dash + 1)..];
        if (first.Length == 0)
        {
            if (!long.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var suffix) || suffix == 0 || length == 0)
            {
                return false;
            }

            start = Math.Max(0, length - suffix);
            return true;
        }

        if (!long.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out start) || start >= length)
        {
            return false;
        }

        if (last.Length > 0)
        {
            if (!long.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var lastByte) || lastByte < start)
            {
                return false;
            }

            end = Math.Min(lastByte, length - 1);
        }

        return true;
    }

    private sealed record ServedFile(Func<Stream> Open, long Length, FileFault? Fault = null);
}
