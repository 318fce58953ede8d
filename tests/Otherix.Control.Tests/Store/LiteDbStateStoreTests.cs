using LiteDB;
using Otherix.Api.Auth;
using Otherix.Control.Store;

namespace Otherix.Control.Tests.Store;

public sealed class LiteDbStateStoreTests
{
    private string _dir = null!;

    private string DbPath => Path.Combine(_dir, "state.db");

    [SetUp]
    public void MakeDirectory() => _dir = Directory.CreateTempSubdirectory("otx-store-").FullName;

    [TearDown]
    public void RemoveDirectory() => Directory.Delete(_dir, recursive: true);

    private static UserRecord User(string email, Role role = Role.Viewer) => new()
    {
        Id = Ids.New(DateTimeOffset.UtcNow),
        Email = email,
        EmailKey = email.ToLowerInvariant(),
        Role = role,
        PasswordHash = "x",
        CreatedAt = DateTime.UtcNow,
        UpdatedAt = DateTime.UtcNow,
    };

    [Test]
    public void Open_MigratesAFreshFileToTheLatestVersion_AndReopeningChangesNothing()
    {
        using (var store = LiteDbStateStore.Open(DbPath))
        {
            Assert.That(store.SchemaVersion, Is.EqualTo(LiteDbStateStore.LatestSchemaVersion));
            Assert.That(store.IsReadable(), Is.True);
        }

        using var reopened = LiteDbStateStore.Open(DbPath);
        Assert.That(reopened.SchemaVersion, Is.EqualTo(LiteDbStateStore.LatestSchemaVersion));
    }

    [Test]
    public void Open_AFileFromANewerOtherix_IsRefused()
    {
        using (var db = StateDatabase.Open(DbPath))
        {
            db.Write(d => d.GetCollection("meta").Upsert(new BsonDocument { ["_id"] = "schema", ["version"] = 999 }));
        }

        var e = Assert.Throws<InvalidOperationException>(() => LiteDbStateStore.Open(DbPath))!;

        Assert.That(e.Message, Does.Contain("schema version 999").And.Contain("newer Otherix"));
    }

    [Test]
    public void Lookups_UseIndexes_NotCollectionScans()
    {
        using (LiteDbStateStore.Open(DbPath))
        {
        }

        using var db = StateDatabase.Open(DbPath);
        string Plan(string sql) => string.Join("\n", db.Database.Execute("EXPLAIN " + sql).ToEnumerable().Select(d => d.ToString()));

        Assert.That(Plan("SELECT $ FROM users WHERE EmailKey = 'a@b.c'"), Does.Contain("INDEX SEEK(EmailKey").IgnoreCase);
        Assert.That(Plan("SELECT $ FROM api_tokens WHERE Hash = 'ab'"), Does.Contain("INDEX SEEK(Hash").IgnoreCase);
        Assert.That(Plan("SELECT $ FROM tasks WHERE Status = 'Pending'"), Does.Contain("INDEX SEEK(Status").IgnoreCase);
        Assert.That(Plan("SELECT $ FROM tasks WHERE _id > '0' ORDER BY _id LIMIT 3"), Does.Contain("INDEX SCAN(_id >").And.Not.Contain("orderBy"), "a keyset page walks the id index, no sort");
    }

    [Test]
    public void Users_EmailIsUniqueIgnoringCase()
    {
        using var store = LiteDbStateStore.Open(DbPath);
        store.Users.Insert(User("a@otherix.test"));

        Assert.Throws<DuplicateKeyException>(() => store.Users.Insert(User("A@Otherix.Test")));
        Assert.That(store.Users.FindByEmail("A@OTHERIX.TEST"), Is.Not.Null);
    }

    [Test]
    public void Users_KeysetPagesCoverEveryUserOnce()
    {
        using var store = LiteDbStateStore.Open(DbPath);
        for (var i = 0; i < 25; i++)
        {
            store.Users.Insert(User($"u{i}@otherix.test"));
        }

        var seen = new List<Guid>();
        Guid? after = null;
        do
        {
            var page = store.Users.List(null, after, 7);
            Assert.That(page.Items, Has.Count.LessThanOrEqualTo(7));
            seen.AddRange(page.Items.Select(u => u.Id));
            after = page.After;
        }
        while (after is not null);

        Assert.That(seen, Is.Unique.And.Count.EqualTo(25));
        Assert.That(seen, Is.Ordered);
    }

    [Test]
    public void Bootstrap_HappensOnce_EvenAfterThatUserIsDeleted()
    {
        using var store = LiteDbStateStore.Open(DbPath);
        var first = User("admin@otherix.test", Role.Admin);

        Assert.That(store.Users.Bootstrap(first), Is.True);
        store.Users.Delete(first.Id, DateTime.UtcNow);

        Assert.That(store.Users.Bootstrap(User("again@otherix.test", Role.Admin)), Is.False);
        Assert.That(store.Users.IsBootstrapped(), Is.True);
    }

    [Test]
    public void DeletingAUser_RevokesTheirTokensInTheSameStep()
    {
        using var store = LiteDbStateStore.Open(DbPath);
        var user = User("a@otherix.test");
        store.Users.Insert(user);
        var token = new ApiTokenRecord { Id = Ids.New(DateTimeOffset.UtcNow), UserId = user.Id, Name = "t", Hash = "h1", CreatedAt = DateTime.UtcNow };
        store.ApiTokens.Insert(token);

        Assert.That(store.Users.Delete(user.Id, DateTime.UtcNow), Is.True);

        Assert.That(store.ApiTokens.Find(token.Id)!.RevokedAt, Is.Not.Null);
        Assert.That(store.Users.Find(user.Id), Is.Null);
        Assert.That(store.Users.Delete(user.Id, DateTime.UtcNow), Is.False);
    }
}
