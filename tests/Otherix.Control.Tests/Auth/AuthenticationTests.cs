using System.Net;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Otherix.Api.Auth;
using Otherix.Api.Users;
using Otherix.Control.Auth;

namespace Otherix.Control.Tests.Auth;

public sealed class AuthenticationTests
{
    [Test]
    public async Task Login_ReturnsABearerJwtForFifteenMinutesAndTheUser()
    {
        await using var api = await TestApi.StartAsync();

        using var response = await api.PostAsync("/v1/auth/login", new { email = "ADMIN@otherix.test", password = TestApi.AdminPassword });
        var login = await TestApi.ReadAsync<LoginResponse>(response);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(login.TokenType, Is.EqualTo("Bearer"));
        Assert.That(login.ExpiresIn, Is.EqualTo(900));
        Assert.That(login.AccessToken.Split('.'), Has.Length.EqualTo(3));
        Assert.That(login.User.Email, Is.EqualTo(TestApi.AdminEmail));
        Assert.That(login.User.Role, Is.EqualTo(Role.Admin));
        using var me = await api.GetAsync("/v1/users/me", login.AccessToken);
        Assert.That((await TestApi.ReadAsync<User>(me)).LastLoginAt, Is.Not.Null);
    }

    [Test]
    public async Task Login_UnknownUserAndWrongPassword_AreAnsweredIdentically()
    {
        await using var api = await TestApi.StartAsync();

        using var unknown = await api.PostAsync("/v1/auth/login", new { email = "nobody@otherix.test", password = "whatever-password" });
        using var wrong = await api.PostAsync("/v1/auth/login", new { email = TestApi.AdminEmail, password = "whatever-password" });

        await TestApi.ExpectErrorAsync(unknown, HttpStatusCode.Unauthorized, "invalid_credentials");
        Assert.That(await wrong.Content.ReadAsStringAsync(), Is.EqualTo(await unknown.Content.ReadAsStringAsync()));
        Assert.That(wrong.StatusCode, Is.EqualTo(unknown.StatusCode));
    }

    [Test]
    public async Task Login_AfterTooManyFailures_Is429UntilTheWindowPasses()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-04T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var api = await TestApi.StartAsync(c => c with { Auth = c.Auth with { LoginThrottle = new() { MaxFailures = 3, Window = TimeSpan.FromMinutes(5) } } }, time);

        for (var i = 0; i < 3; i++)
        {
            using var failed = await api.PostAsync("/v1/auth/login", new { email = TestApi.AdminEmail, password = "not-the-password" });
            Assert.That(failed.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        }

        using var blocked = await api.PostAsync("/v1/auth/login", new { email = TestApi.AdminEmail, password = TestApi.AdminPassword });
        var error = await TestApi.ExpectErrorAsync(blocked, HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.That(blocked.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromMinutes(5)));
        Assert.That(error.GetProperty("details").GetProperty("retry_after_seconds").GetInt32(), Is.EqualTo(300));

        time.Advance(TimeSpan.FromMinutes(5));
        using var allowed = await api.PostAsync("/v1/auth/login", new { email = TestApi.AdminEmail, password = TestApi.AdminPassword });
        Assert.That(allowed.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Jwt_ExpiresAfterItsTtl_WithAMessageSayingSo()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-04T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var api = await TestApi.StartAsync(time: time);
        var token = await api.LoginAsync();

        time.Advance(TimeSpan.FromMinutes(15) - TimeSpan.FromSeconds(1));
        using (var stillValid = await api.GetAsync("/v1/users/me", token))
        {
            Assert.That(stillValid.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        time.Advance(TimeSpan.FromSeconds(1));
        using var expired = await api.GetAsync("/v1/users/me", token);
        var error = await TestApi.ExpectErrorAsync(expired, HttpStatusCode.Unauthorized, "unauthenticated");
        Assert.That(error.GetProperty("message").GetString(), Does.Contain("expired at 2026-12-04T10:15:00Z"));
        Assert.That(expired.Headers.WwwAuthenticate.ToString(), Is.EqualTo("Bearer"));
    }

    [Test]
    public async Task Jwt_TamperedPayload_IsRejected()
    {
        await using var api = await TestApi.StartAsync();
        var viewer = await api.TokenForAsync(Role.Viewer);
        var parts = viewer.Split('.');
        var payload = Encoding.UTF8.GetString(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(parts[1])).Replace("\"viewer\"", "\"admin\"", StringComparison.Ordinal);
        var forged = $"{parts[0]}.{Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(payload)}.{parts[2]}";

        using var response = await api.GetAsync("/v1/users", forged);

        await TestApi.ExpectErrorAsync(response, HttpStatusCode.Unauthorized, "unauthenticated");
    }

    [Test]
    public async Task Jwt_AlgNone_IsRejected()
    {
        await using var api = await TestApi.StartAsync();
        var admin = await api.LoginAsync();
        var payload = admin.Split('.')[1];
        var header = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode("{\"alg\":\"none\",\"typ\":\"JWT\"}");

        foreach (var unsigned in new[] { $"{header}.{payload}.", $"{header}.{payload}" })
        {
            using var response = await api.GetAsync("/v1/users/me", unsigned);
            await TestApi.ExpectErrorAsync(response, HttpStatusCode.Unauthorized, "unauthenticated");
        }
    }

    [Test]
    public async Task Jwt_SignedWithAnotherSecret_IsRejected()
    {
        await using var api = await TestApi.StartAsync();
        var me = await TestApi.ReadAsync<User>(await api.GetAsync("/v1/users/me", await api.LoginAsync()));
        var other = new AccessTokens(Encoding.UTF8.GetBytes(new string('k', 48)), TimeSpan.FromMinutes(15), TimeProvider.System);

        using var response = await api.GetAsync("/v1/users/me", other.Issue(me.Id, Role.Admin));

        await TestApi.ExpectErrorAsync(response, HttpStatusCode.Unauthorized, "unauthenticated");
    }

    [Test]
    public async Task Jwt_SecretIsGeneratedOnceInto0600FileAndSurvivesRestart()
    {
        using var dir = new Otherix.Testing.TempDirectory("otx-api-");
        string token;
        await using (var first = await TestApi.StartAsync(dataDir: dir.Path))
        {
            token = await first.LoginAsync();
        }

        Assert.That(File.GetUnixFileMode(Path.Combine(dir.Path, "jwt-secret")), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        await using var second = await TestApi.StartAsync(dataDir: dir.Path);
        using var response = await second.GetAsync("/v1/users/me", token);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [TestCase(null)]
    [TestCase("Basic YWRtaW46cGFzcw==")]
    [TestCase("Bearer")]
    [TestCase("Bearer not-a-token")]
    [TestCase("Bearer otx_unknownunknownunknownunknownunknown")]
    public async Task BadCredentials_Are401Unauthenticated(string? header)
    {
        await using var api = await TestApi.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/v1/users/me", UriKind.Relative));
        if (header is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", header);
        }

        using var response = await api.Client.SendAsync(request);

        await TestApi.ExpectErrorAsync(response, HttpStatusCode.Unauthorized, "unauthenticated");
    }

    [Test]
    public async Task ApiToken_WorksUntilRevoked_AndRevocationTakesEffectOnTheNextRequest()
    {
        await using var api = await TestApi.StartAsync();
        var jwt = await api.LoginAsync();
        using var created = await api.PostAsync("/v1/users/me/api-tokens", new { name = "cli", description = "operator workstation" }, jwt);
        Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.Created), await created.Content.ReadAsStringAsync());
        var token = await TestApi.ReadAsync<CreatedApiToken>(created);
        Assert.That(token.PlaintextToken, Does.Match("^otx_[A-Za-z0-9_-]{43}$"));
        Assert.That(token.Prefix, Is.EqualTo(token.PlaintextToken[..8]));

        using (var ok = await api.GetAsync("/v1/users/me", token.PlaintextToken))
        {
            Assert.That(ok.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        using (var revoke = await api.SendAsync(HttpMethod.Delete, $"/v1/users/me/api-tokens/{token.Id}", jwt))
        {
            Assert.That(revoke.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        }

        using var rejected = await api.GetAsync("/v1/users/me", token.PlaintextToken);
        await TestApi.ExpectErrorAsync(rejected, HttpStatusCode.Unauthorized, "token_revoked");
    }

    [Test]
    public async Task ApiToken_IsStoredOnlyAsItsHash_AndRecordsLastUse()
    {
        using var dir = new Otherix.Testing.TempDirectory("otx-api-");
        CreatedApiToken token;
        await using (var api = await TestApi.StartAsync(dataDir: dir.Path))
        {
            var jwt = await api.LoginAsync();
            token = await TestApi.ReadAsync<CreatedApiToken>(await api.PostAsync("/v1/users/me/api-tokens", new { name = "ci" }, jwt));

            (await api.GetAsync("/v1/users/me", token.PlaintextToken)).Dispose();

            var stored = api.Store.ApiTokens.Find(token.Id)!;
            Assert.That(stored.Hash, Is.EqualTo(ApiTokenSecrets.HashOf(token.PlaintextToken)));
            Assert.That(stored.LastUsedAt, Is.Not.Null);
        }

        var files = string.Concat(Directory.GetFiles(dir.Path).Select(f => File.ReadAllText(f, Encoding.Latin1)));
        Assert.That(files, Does.Not.Contain(token.PlaintextToken[4..]), "the secret itself is nowhere in the data dir.Path");
    }

    [Test]
    public async Task ApiToken_PastItsExpiry_Is401()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-04T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var api = await TestApi.StartAsync(time: time);
        var jwt = await api.LoginAsync();
        var token = await TestApi.ReadAsync<CreatedApiToken>(
            await api.PostAsync("/v1/users/me/api-tokens", new { name = "short", expires_at = "2026-12-04T11:00:00Z" }, jwt));

        time.Advance(TimeSpan.FromHours(1));
        using var response = await api.GetAsync("/v1/users/me", token.PlaintextToken);

        var error = await TestApi.ExpectErrorAsync(response, HttpStatusCode.Unauthorized, "unauthenticated");
        Assert.That(error.GetProperty("message").GetString(), Does.Contain("expired"));
    }

    [Test]
    public async Task DeletedUser_TokensStopWorking()
    {
        await using var api = await TestApi.StartAsync();
        var dev = await api.CreateUserAsync("gone@otherix.test", Role.Developer);
        var jwt = await api.LoginAsync("gone@otherix.test", TestApi.AdminPassword);
        var token = await TestApi.ReadAsync<CreatedApiToken>(await api.PostAsync("/v1/users/me/api-tokens", new { name = "t" }, jwt));

        (await api.SendAsync(HttpMethod.Delete, $"/v1/users/{dev.Id}", await api.TokenForAsync(Role.Admin))).Dispose();

        await TestApi.ExpectErrorAsync(await api.GetAsync("/v1/users/me", jwt), HttpStatusCode.Unauthorized, "unauthenticated");
        await TestApi.ExpectErrorAsync(await api.GetAsync("/v1/users/me", token.PlaintextToken), HttpStatusCode.Unauthorized, "token_revoked");
    }

    [Test]
    public void PasswordHasher_UsesArgon2idAndVerifiesOnlyTheRightPassword()
    {
        var hasher = new PasswordHasher();

        var hash = hasher.Hash("correct-horse-battery-staple");

        Assert.That(hash, Does.StartWith("$argon2id$v=19$m=19456,t=2,p=1$"));
        Assert.That(hasher.Verify("correct-horse-battery-staple", hash), Is.True);
        Assert.That(hasher.Verify("correct-horse-battery-stapler", hash), Is.False);
        Assert.That(hasher.Hash("correct-horse-battery-staple"), Is.Not.EqualTo(hash), "salted");
        Assert.That(hasher.Verify("x", "$argon2id$garbage"), Is.False);
    }
}
