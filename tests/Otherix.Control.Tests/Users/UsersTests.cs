using System.Net;
using Otherix.Api.Auth;
using Otherix.Api.Common;
using Otherix.Api.Users;

namespace Otherix.Control.Tests.Users;

public sealed class UsersTests
{
    [Test]
    public async Task Create_Get_Patch_Delete_RoundTrip()
    {
        await using var api = await TestApi.StartAsync();
        var admin = await api.TokenForAsync(Role.Admin);

        using var created = await api.PostAsync("/v1/users", new { email = "Dev@Otherix.Test", password = "long-enough-password", display_name = "Dev", role = "developer" }, admin);
        var user = await TestApi.ReadAsync<User>(created);
        Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(created.Headers.Location?.ToString(), Is.EqualTo($"/v1/users/{user.Id}"));
        Assert.That(user.Email, Is.EqualTo("Dev@Otherix.Test"));
        Assert.That(user.Role, Is.EqualTo(Role.Developer));
        Assert.That(await (await api.GetAsync($"/v1/users/{user.Id}", admin)).Content.ReadAsStringAsync(), Does.Contain("\"display_name\":\"Dev\""));

        using var patched = await api.SendAsync(HttpMethod.Patch, $"/v1/users/{user.Id}", admin, new { role = "operator", display_name = "Ops" });
        var after = await TestApi.ReadAsync<User>(patched);
        Assert.That(after.Role, Is.EqualTo(Role.Operator));
        Assert.That(after.DisplayName, Is.EqualTo("Ops"));

        var login = await api.LoginAsync("dev@otherix.test", "long-enough-password");
        using (var deleted = await api.SendAsync(HttpMethod.Delete, $"/v1/users/{user.Id}", admin))
        {
            Assert.That(deleted.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        }

        await TestApi.ExpectErrorAsync(await api.GetAsync($"/v1/users/{user.Id}", admin), HttpStatusCode.NotFound, "not_found");
        await TestApi.ExpectErrorAsync(await api.GetAsync("/v1/users/me", login), HttpStatusCode.Unauthorized, "unauthenticated");
        using var again = await api.PostAsync("/v1/users", new { email = "dev@otherix.test", password = "long-enough-password", role = "viewer" }, admin);
        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.Created), "a deleted user's email can be reused");
    }

    [Test]
    public async Task Create_DuplicateEmailInAnyCase_Is409()
    {
        await using var api = await TestApi.StartAsync();
        var admin = await api.TokenForAsync(Role.Admin);

        using var response = await api.PostAsync("/v1/users", new { email = "ADMIN@otherix.test", password = "long-enough-password", role = "viewer" }, admin);

        var error = await TestApi.ExpectErrorAsync(response, HttpStatusCode.Conflict, "conflict");
        Assert.That(error.GetProperty("details").GetProperty("reason").GetString(), Is.EqualTo("duplicate"));
    }

    [Test]
    public async Task Create_ReportsEveryInvalidFieldAtOnce()
    {
        await using var api = await TestApi.StartAsync();

        using var response = await api.PostAsync("/v1/users", new { email = "not-an-email", password = "short" }, await api.TokenForAsync(Role.Admin));

        var error = await TestApi.ExpectErrorAsync(response, HttpStatusCode.BadRequest, "validation_failed");
        var fields = error.GetProperty("details").GetProperty("fields");
        Assert.That(fields.GetProperty("email").GetString(), Is.EqualTo("is not an email address"));
        Assert.That(fields.GetProperty("password").GetString(), Does.Contain("at least 12"));
        Assert.That(fields.GetProperty("role").GetString(), Does.Contain("required"));
    }

    [Test]
    public async Task PatchMe_CanChangePasswordButNotRole()
    {
        await using var api = await TestApi.StartAsync();
        var viewer = await api.TokenForAsync(Role.Viewer);

        using var role = await api.SendAsync(HttpMethod.Patch, "/v1/users/me", viewer, new { role = "admin" });
        var error = await TestApi.ExpectErrorAsync(role, HttpStatusCode.Forbidden, "permission_denied");
        Assert.That(error.GetProperty("details").GetProperty("forbidden_fields")[0].GetString(), Is.EqualTo("role"));

        using var password = await api.SendAsync(HttpMethod.Patch, "/v1/users/me", viewer, new { password = "a-new-long-password" });
        Assert.That(password.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        await api.LoginAsync("viewer@otherix.test", "a-new-long-password");
    }

    [Test]
    public async Task Admin_CannotDeleteThemselves_OrDemoteTheLastAdmin()
    {
        await using var api = await TestApi.StartAsync();
        var admin = await api.TokenForAsync(Role.Admin);
        var me = await TestApi.ReadAsync<User>(await api.GetAsync("/v1/users/me", admin));

        var self = await TestApi.ExpectErrorAsync(await api.SendAsync(HttpMethod.Delete, $"/v1/users/{me.Id}", admin), HttpStatusCode.Conflict, "conflict");
        var demote = await TestApi.ExpectErrorAsync(await api.SendAsync(HttpMethod.Patch, $"/v1/users/{me.Id}", admin, new { role = "viewer" }), HttpStatusCode.Conflict, "conflict");
        var second = await api.CreateUserAsync("second@otherix.test", Role.Admin);
        var secondToken = await api.LoginAsync("second@otherix.test", TestApi.AdminPassword);
        using var demoted = await api.SendAsync(HttpMethod.Patch, $"/v1/users/{me.Id}", secondToken, new { role = "viewer" });
        var lastAdmin = await TestApi.ExpectErrorAsync(await api.SendAsync(HttpMethod.Delete, $"/v1/users/{second.Id}", secondToken), HttpStatusCode.Conflict, "conflict");

        Assert.That(self.GetProperty("details").GetProperty("reason").GetString(), Is.EqualTo("self"));
        Assert.That(demote.GetProperty("details").GetProperty("reason").GetString(), Is.EqualTo("self"));
        Assert.That(demoted.StatusCode, Is.EqualTo(HttpStatusCode.OK), "another admin may demote");
        Assert.That(lastAdmin.GetProperty("details").GetProperty("reason").GetString(), Is.EqualTo("self"));
        Assert.That(api.Store.Users.CountByRole(Role.Admin), Is.EqualTo(1));
    }

    [Test]
    public async Task List_PagesWithACursor_AndFiltersByEmail()
    {
        await using var api = await TestApi.StartAsync();
        var admin = await api.TokenForAsync(Role.Admin);
        for (var i = 0; i < 5; i++)
        {
            await api.CreateUserAsync($"user{i}@otherix.test", Role.Viewer);
        }

        var emails = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await TestApi.ReadAsync<ListResponse<User>>(await api.GetAsync($"/v1/users?limit=2{(cursor is null ? "" : $"&cursor={cursor}")}", admin));
            emails.AddRange(page.Data.Select(u => u.Email));
            cursor = page.Meta.NextCursor;
            pages++;
        }
        while (cursor is not null);

        var filtered = await TestApi.ReadAsync<ListResponse<User>>(await api.GetAsync("/v1/users?email=USER3@otherix.test", admin));
        Assert.That(pages, Is.EqualTo(3));
        Assert.That(emails, Is.Unique.And.Count.EqualTo(6));
        Assert.That(filtered.Data.Select(u => u.Email), Is.EqualTo(new[] { "user3@otherix.test" }));
        var clamped = await TestApi.ReadAsync<ListResponse<User>>(await api.GetAsync("/v1/users?limit=100000", admin));
        Assert.That(clamped.Data, Has.Count.EqualTo(6));
        await TestApi.ExpectErrorAsync(await api.GetAsync("/v1/users?limit=ten", admin), HttpStatusCode.BadRequest, "validation_failed");
    }

    [Test]
    public async Task UserIdThatIsNotAUuid_Is400()
    {
        await using var api = await TestApi.StartAsync();

        using var response = await api.GetAsync("/v1/users/bob", await api.TokenForAsync(Role.Admin));

        await TestApi.ExpectErrorAsync(response, HttpStatusCode.BadRequest, "validation_failed");
    }

    [Test]
    public async Task ApiTokens_OfAnotherUser_AreInvisibleToNonAdmins_AndManageableByAdmins()
    {
        await using var api = await TestApi.StartAsync();
        var admin = await api.TokenForAsync(Role.Admin);
        var operatorToken = await api.TokenForAsync(Role.Operator);
        var developer = await api.TokenForAsync(Role.Developer);
        var developerId = (await TestApi.ReadAsync<User>(await api.GetAsync("/v1/users/me", developer))).Id;
        var token = await TestApi.ReadAsync<CreatedApiToken>(await api.PostAsync("/v1/users/me/api-tokens", new { name = "laptop" }, developer));

        await TestApi.ExpectErrorAsync(await api.GetAsync($"/v1/users/{developerId}/api-tokens", operatorToken), HttpStatusCode.NotFound, "not_found");
        await TestApi.ExpectErrorAsync(await api.SendAsync(HttpMethod.Delete, $"/v1/users/me/api-tokens/{token.Id}", operatorToken), HttpStatusCode.NotFound, "not_found");
        var own = await TestApi.ReadAsync<ListResponse<ApiToken>>(await api.GetAsync($"/v1/users/{developerId}/api-tokens", developer));
        var byAdmin = await TestApi.ReadAsync<ListResponse<ApiToken>>(await api.GetAsync($"/v1/users/{developerId}/api-tokens", admin));
        using var revoked = await api.SendAsync(HttpMethod.Delete, $"/v1/users/{developerId}/api-tokens/{token.Id}", admin);
        var afterRevoke = await TestApi.ReadAsync<ListResponse<ApiToken>>(await api.GetAsync("/v1/users/me/api-tokens", developer));
        var withRevoked = await TestApi.ReadAsync<ListResponse<ApiToken>>(await api.GetAsync("/v1/users/me/api-tokens?include_revoked=true", developer));

        Assert.That(own.Data.Select(t => t.Name), Is.EqualTo(new[] { "laptop" }));
        Assert.That(byAdmin.Data.Select(t => t.Id), Is.EqualTo(new[] { token.Id }));
        Assert.That(await (await api.GetAsync("/v1/users/me/api-tokens", developer)).Content.ReadAsStringAsync(), Does.Not.Contain("plaintext_token").And.Not.Contain(token.PlaintextToken));
        Assert.That(revoked.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(afterRevoke.Data, Is.Empty);
        Assert.That(withRevoked.Data.Single().RevokedAt, Is.Not.Null);
    }

    [Test]
    public async Task ConcurrentWriters_SixteenAtOnce_AllLand_AndTheFileReopensWithAllOfThem()
    {
        using var dir = new Otherix.Testing.TempDirectory("otx-api-");
        Guid adminId;
        await using (var api = await TestApi.StartAsync(dataDir: dir.Path))
        {
            var admin = await api.TokenForAsync(Role.Admin);
            adminId = (await TestApi.ReadAsync<User>(await api.GetAsync("/v1/users/me", admin))).Id;

            var statuses = await Task.WhenAll(Enumerable.Range(0, 16).Select(writer => Task.Run(async () =>
            {
                var codes = new List<HttpStatusCode>();
                for (var i = 0; i < 20; i++)
                {
                    using var response = await api.PostAsync("/v1/users/me/api-tokens", new { name = $"w{writer}-{i}" }, admin);
                    codes.Add(response.StatusCode);
                }

                return codes;
            })));

            Assert.That(statuses.SelectMany(s => s), Is.All.EqualTo(HttpStatusCode.Created));
        }

        using var reopened = Otherix.Control.Store.LiteDbStateStore.Open(Path.Combine(dir.Path, "state.db"));
        var first = reopened.ApiTokens.List(adminId, includeRevoked: true, null, 200);
        var second = reopened.ApiTokens.List(adminId, includeRevoked: true, first.After, 200);
        Assert.That(first.Items.Concat(second.Items).Select(t => t.Name).ToList(), Is.Unique.And.Count.EqualTo(320));
    }
}
