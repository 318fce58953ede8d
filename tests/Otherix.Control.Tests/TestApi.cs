using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Otherix.Api.Auth;
using Otherix.Api.Json;
using Otherix.Api.Users;
using Otherix.Control.Auth;
using Otherix.Control.Configuration;
using Otherix.Control.Store;
using Otherix.Control.Tasks;

namespace Otherix.Control.Tests;

/// <summary>An in-process control plane on a temporary data dir, with a test server and optionally a fake clock.</summary>
internal sealed class TestApi : IAsyncDisposable
{
    public const string AdminEmail = "admin@otherix.test";
    public const string AdminPassword = "correct-horse-battery-staple";

    private readonly bool _ownsDir;
    private readonly Dictionary<Role, string> _tokens = [];

    private TestApi(WebApplication app, string dataDir, bool ownsDir, FakeTimeProvider? time, int? agentPort, Uri? publicUrl)
    {
        App = app;
        DataDir = dataDir;
        _ownsDir = ownsDir;
        Time = time;
        AgentPort = agentPort;
        Client = publicUrl is null ? app.GetTestClient() : new HttpClient { BaseAddress = publicUrl };
    }

    /// <summary>The agent listener's port when started with real Kestrel.</summary>
    public int? AgentPort { get; }

    /// <summary>The agent listener's base URL.</summary>
    public Uri AgentUrl => new($"https://127.0.0.1:{AgentPort}");

    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public WebApplication App { get; }

    public string DataDir { get; }

    public FakeTimeProvider? Time { get; }

    public HttpClient Client { get; }

    public IStateStore Store => App.Services.GetRequiredService<IStateStore>();

    public static async Task<TestApi> StartAsync(
        Func<ApiConfig, ApiConfig>? configure = null, FakeTimeProvider? time = null, IEnumerable<ITaskHandler>? handlers = null,
        string? dataDir = null, bool bootstrap = true, bool kestrel = false)
    {
        var ownsDir = dataDir is null;
        dataDir ??= Directory.CreateTempSubdirectory("otx-api-").FullName;
        var config = new ApiConfig
        {
            Store = new StoreConfig { DataDir = dataDir },
            Logger = new LoggerConfig { Level = LogLevelName.Warn, Format = LogFormat.Text },
            Workers = new WorkersConfig { PollInterval = TimeSpan.FromMilliseconds(50) },
        };
        int? agentPort = null;
        if (kestrel)
        {
            agentPort = FreePort();
            config = config with
            {
                Server = config.Server with { Listen = $"127.0.0.1:{FreePort()}" },
                AgentServer = config.AgentServer with { Listen = $"127.0.0.1:{agentPort}" },
            };
        }

        config = configure?.Invoke(config) ?? config;
        var app = ControlPlane.Build(config, bootstrap ? new BootstrapAdmin(AdminEmail, AdminPassword) : null, builder =>
        {
            if (!kestrel)
            {
                builder.WebHost.UseTestServer();
            }

            if (time is not null)
            {
                builder.Services.AddSingleton<TimeProvider>(time);
            }

            foreach (var handler in handlers ?? [])
            {
                builder.Services.AddSingleton(handler);
            }
        });
        await app.StartAsync();
        return new TestApi(app, dataDir, ownsDir, time, agentPort, kestrel ? new Uri($"http://{config.Server.Listen}") : null);
    }

    public async Task<string> LoginAsync(string email = AdminEmail, string password = AdminPassword)
    {
        using var response = await PostAsync("/v1/auth/login", new { email, password });
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        return (await ReadAsync<LoginResponse>(response)).AccessToken;
    }

    /// <summary>A token for a user of <paramref name="role"/> (created once per role).</summary>
    public async Task<string> TokenForAsync(Role role)
    {
        if (_tokens.TryGetValue(role, out var cached))
        {
            return cached;
        }

        if (role == Role.Admin)
        {
            return _tokens[role] = await LoginAsync();
        }

        var email = $"{role.ToString().ToLowerInvariant()}@otherix.test";
        await CreateUserAsync(email, role);
        return _tokens[role] = await LoginAsync(email, AdminPassword);
    }

    public async Task<User> CreateUserAsync(string email, Role role)
    {
        using var response = await SendAsync(HttpMethod.Post, "/v1/users", await TokenForAsync(Role.Admin), new { email, password = AdminPassword, role });
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
        return await ReadAsync<User>(response);
    }

    public Task<HttpResponseMessage> PostAsync(string path, object body, string? token = null) => SendAsync(HttpMethod.Post, path, token, body);

    public Task<HttpResponseMessage> GetAsync(string path, string? token) => SendAsync(HttpMethod.Get, path, token);

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? token, object? body = null)
    {
        var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (body is string raw)
        {
            request.Content = new StringContent(raw, Encoding.UTF8, "application/json");
        }
        else if (body is not null)
        {
            request.Content = JsonContent.Create(body, options: ApiJson.Options);
        }

        return Client.SendAsync(request);
    }

    public static async Task<T> ReadAsync<T>(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<T>(ApiJson.Options))!;

    /// <summary>Asserts the answer is the error envelope with <paramref name="status"/> and <paramref name="code"/>; returns the error.</summary>
    public static async Task<JsonElement> ExpectErrorAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(status), text);
        using var document = JsonDocument.Parse(text);
        var error = document.RootElement.GetProperty("error");
        Assert.That(error.GetProperty("code").GetString(), Is.EqualTo(code), text);
        Assert.That(error.GetProperty("message").GetString(), Is.Not.Empty);
        return error.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        if (_ownsDir)
        {
            Directory.Delete(DataDir, recursive: true);
        }
    }
}
