using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
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

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
        {
            throw new CliException($"connection_refused: {http.BaseAddress}: is the control plane running? ({e.Message})");
        }
        catch (HttpRequestException e)
        {
            throw new CliException($"request_failed: {http.BaseAddress}: {e.Message}");
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CliException($"request_timeout: {http.BaseAddress} did not answer in {http.Timeout.TotalSeconds:F0} s ({e.Message})");
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                var error = TryError(text);
                throw new CliException(error is null
                    ? $"request_failed: HTTP {(int)response.StatusCode} from {http.BaseAddress}"
                    : $"api_error: {error.Code}: {error.Message}");
            }

            return text;
        }
    }

    /// <summary>Closes the connection pool.</summary>
    public void Dispose() => http.Dispose();

    /// <summary>A client for <paramref name="endpoint"/> with <paramref name="token"/>.</summary>
    public static ApiClient Create(Uri endpoint, string token, HttpMessageHandler? handler = null)
    {
        var http = handler is null ? new HttpClient() : new HttpClient(handler);
        http.BaseAddress = endpoint;
        http.Timeout = TimeSpan.FromSeconds(60);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return new ApiClient(http);
    }

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
