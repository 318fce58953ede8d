using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Otherix.Api.Errors;
using Otherix.Api.Json;

namespace Otherix.Cli;

/// <summary>A failure the CLI reports as <c>error: &lt;message&gt;</c> and exit code 1; the message starts with a stable prefix scripts match on.</summary>
public sealed class CliException(string message) : Exception(message);

/// <summary>The REST client the commands use: bearer token, the API's JSON conventions, errors turned into <see cref="CliException"/>.</summary>
public sealed class ApiClient(HttpClient http) : IDisposable
{
    /// <summary>Sends <paramref name="body"/> (if any) and reads a <typeparamref name="T"/>.</summary>
    public async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        var text = await SendRawAsync(method, path, body, cancellationToken);
        return JsonSerializer.Deserialize<T>(text.Length == 0 ? "null" : text, ApiJson.Options) ?? throw new CliException("request_failed: empty answer");
    }

    /// <summary>Sends <paramref name="body"/> (if any) and returns the answer's JSON text unchanged.</summary>
    public async Task<string> SendRawAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), options: ApiJson.Options);
        }

        using var response = await TransportAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        return response.IsSuccessStatusCode ? text : throw Failure(response, text);
    }

    /// <summary>
    /// Opens a WebSocket on <paramref name="pathAndQuery"/> of the endpoint (HTTP/1.1 upgrade through this
    /// client, so a refusal's error envelope is read like any other answer's).
    /// </summary>
    public async Task<WebSocket> OpenWebSocketAsync(string pathAndQuery, CancellationToken cancellationToken)
    {
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(pathAndQuery, UriKind.Relative))
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.Connection.Add("Upgrade");
        request.Headers.Upgrade.Add(new ProductHeaderValue("websocket"));
        request.Headers.Add("Sec-WebSocket-Version", "13");
        request.Headers.Add("Sec-WebSocket-Key", key);
        var response = await TransportAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode != HttpStatusCode.SwitchingProtocols)
        {
            using (response)
            {
                throw Failure(response, await response.Content.ReadAsStringAsync(cancellationToken));
            }
        }

        // RFC 6455 §4.1: the server proves it understood the handshake (SHA-1 is the protocol's, not a security choice).
#pragma warning disable CA5350
        var expected = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
#pragma warning restore CA5350
        if (!response.Headers.TryGetValues("Sec-WebSocket-Accept", out var accept) || accept.FirstOrDefault() != expected)
        {
            response.Dispose();
            throw new CliException($"request_failed: {http.BaseAddress} answered the WebSocket upgrade without a valid Sec-WebSocket-Accept");
        }

        var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        return WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = TimeSpan.FromSeconds(30) });
    }

    /// <summary>Closes the connection pool.</summary>
    public void Dispose() => http.Dispose();

    /// <summary>A client for <paramref name="endpoint"/> with <paramref name="token"/>; <paramref name="debug"/> gets a line per exchange.</summary>
    public static ApiClient Create(Uri endpoint, string token, HttpMessageHandler? handler = null, TimeSpan? timeout = null, TextWriter? debug = null)
    {
        handler ??= new SocketsHttpHandler();
        var http = new HttpClient(debug is null ? handler : new DebugHandler(debug) { InnerHandler = handler })
        {
            BaseAddress = endpoint,
            Timeout = timeout ?? DefaultTimeout,
        };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("otherix-cli", typeof(ApiClient).Assembly.GetName().Version?.ToString(3)));
        return new ApiClient(http);
    }

    /// <summary>How long one request may take before <c>request_timeout</c>, unless told.</summary>
    public static TimeSpan DefaultTimeout { get; } = TimeSpan.FromSeconds(30);

    private async Task<HttpResponseMessage> TransportAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        try
        {
            return await http.SendAsync(request, completion, cancellationToken);
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
        {
            throw new CliException($"connection_refused: {http.BaseAddress}: is the control plane running? ({e.Message})");
        }
        catch (HttpRequestException e)
        {
            throw new CliException($"request_failed: {http.BaseAddress}: {e.Message}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CliException($"request_timeout: {http.BaseAddress} did not answer within {http.Timeout.TotalSeconds:0.#} s (--request-timeout)");
        }
    }

    private CliException Failure(HttpResponseMessage response, string text) => TryError(text) is { } error
        ? new CliException($"api_error: {error.Code}: {error.Message}")
        : new CliException($"request_failed: HTTP {(int)response.StatusCode} from {http.BaseAddress}");

    private static ApiError? TryError(string text)
    {
        try
        {
            return JsonSerializer.Deserialize<ErrorEnvelope>(text, ApiJson.Options)?.Error;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary><c>--debug</c>: one stderr line per HTTP exchange (the token never printed).</summary>
internal sealed class DebugHandler(TextWriter to) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            var response = await base.SendAsync(request, cancellationToken);
            await to.WriteLineAsync($"debug: {request.Method} {request.RequestUri} -> {(int)response.StatusCode} {response.ReasonPhrase} in {System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds:F0} ms");
            return response;
        }
        catch (Exception e)
        {
            await to.WriteLineAsync($"debug: {request.Method} {request.RequestUri} -> {e.GetType().Name}: {e.Message} after {System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds:F0} ms");
            throw;
        }
    }
}
