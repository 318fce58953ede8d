using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Otherix.Api.Auth;
using Otherix.Api.Tasks;
using Otherix.Control.Store;
using Otherix.Control.Tasks;

namespace Otherix.Control.Tests.Tasks;

public sealed class TaskEngineTests
{
    private static readonly DateTimeOffset Start = DateTimeOffset.Parse("2026-12-04T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    private static Task<TaskInfo> WaitForAsync(TestApi api, Guid id, Func<TaskInfo, bool> done, string token) =>
        Otherix.Testing.Poll.UntilAsync(
            async () => await TestApi.ReadAsync<TaskInfo>(await api.GetAsync($"/v1/tasks/{id}", token)), done, TimeSpan.FromSeconds(20), $"task {id}");

    [Test]
    public async Task Task_RunsToSuccess_WithProgressAttemptsAndTimes()
    {
        var handler = new GatedHandler();
        await using var api = await TestApi.StartAsync(handlers: [handler]);
        var admin = await api.TokenForAsync(Role.Admin);
        var task = api.App.Services.GetRequiredService<TaskSubmitter>().Enqueue("test.gated", "vm", "web-1", new { size = 1 }, null);

        await handler.Started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var running = await WaitForAsync(api, task.Id, t => t.Progress == 50, admin);
        handler.Release();
        var done = await WaitForAsync(api, task.Id, t => t.Status == TaskState.Success, admin);

        Assert.That(running.Status, Is.EqualTo(TaskState.Running));
        Assert.That(done.Progress, Is.EqualTo(100));
        Assert.That(done.Attempts, Is.EqualTo(1));
        Assert.That(done.StartedAt, Is.Not.Null);
        Assert.That(done.FinishedAt, Is.GreaterThanOrEqualTo(done.StartedAt));
        Assert.That(done.Error, Is.Null);
        Assert.That(done.ResourceId, Is.EqualTo("web-1"));
    }

    [Test]
    public async Task Task_FailingWithACode_RecordsTheError()
    {
        var handler = new GatedHandler { Body = _ => throw new TaskFailedException("image_unavailable", "no such image", new Dictionary<string, object?> { ["url"] = "http://127.0.0.1/x" }) };
        handler.Release();
        await using var api = await TestApi.StartAsync(handlers: [handler]);
        var task = api.App.Services.GetRequiredService<TaskSubmitter>().Enqueue("test.gated", "vm", "web-1", null, null);

        var done = await WaitForAsync(api, task.Id, t => t.Status == TaskState.Failed, await api.TokenForAsync(Role.Admin));

        Assert.That(done.Error!.Code, Is.EqualTo("image_unavailable"));
        Assert.That(done.Error.Message, Is.EqualTo("no such image"));
        Assert.That(done.Error.Details!["url"]?.ToString(), Is.EqualTo("http://127.0.0.1/x"));
    }

    [Test]
    public async Task Task_OfAnUnknownType_FailsInsteadOfHanging()
    {
        await using var api = await TestApi.StartAsync();
        var task = api.App.Services.GetRequiredService<TaskSubmitter>().Enqueue("vm.teleport", "vm", "web-1", null, null);

        var done = await WaitForAsync(api, task.Id, t => t.Status == TaskState.Failed, await api.TokenForAsync(Role.Admin));

        Assert.That(done.Error!.Message, Does.Contain("no handler for task type vm.teleport"));
    }

    [Test]
    public async Task Cancel_PendingTask_IsCancelledAtOnce_AndAFinishedOneIs409()
    {
        await using var api = await TestApi.StartAsync(c => c with { Workers = c.Workers with { Enabled = false } });
        var admin = await api.TokenForAsync(Role.Admin);
        var task = api.App.Services.GetRequiredService<TaskSubmitter>().Enqueue("test.gated", "vm", "web-1", null, null);

        using var cancelled = await api.SendAsync(HttpMethod.Post, $"/v1/tasks/{task.Id}/cancel", admin);
        var info = await TestApi.ReadAsync<TaskInfo>(cancelled);
        using var again = await api.SendAsync(HttpMethod.Post, $"/v1/tasks/{task.Id}/cancel", admin);

        Assert.That(cancelled.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(info.Status, Is.EqualTo(TaskState.Cancelled));
        var error = await TestApi.ExpectErrorAsync(again, HttpStatusCode.Conflict, "conflict");
        Assert.That(error.GetProperty("details").GetProperty("reason").GetString(), Is.EqualTo("already_finished"));
    }

    [Test]
    public async Task Cancel_RunningTask_StopsItsHandlerAndEndsCancelled()
    {
        var handler = new GatedHandler();
        await using var api = await TestApi.StartAsync(handlers: [handler]);
        var admin = await api.TokenForAsync(Role.Admin);
        var task = api.App.Services.GetRequiredService<TaskSubmitter>().Enqueue("test.gated", "vm", "web-1", null, null);
        await handler.Started.Task.WaitAsync(TimeSpan.FromSeconds(10));

        using var response = await api.SendAsync(HttpMethod.Post, $"/v1/tasks/{task.Id}/cancel", admin);
        var requested = await TestApi.ReadAsync<TaskInfo>(response);
        var done = await WaitForAsync(api, task.Id, t => t.Status != TaskState.Running, admin);

        Assert.That(requested.CancelRequested, Is.True);
        Assert.That(done.Status, Is.EqualTo(TaskState.Cancelled));
    }

    [Test]
    public async Task Tasks_AreVisibleToDevelopersAndViewersOnlyWhenTheyCausedThem()
    {
        await using var api = await TestApi.StartAsync(c => c with { Workers = c.Workers with { Enabled = false } });
        var developer = await api.TokenForAsync(Role.Developer);
        var viewer = await api.TokenForAsync(Role.Viewer);
        var developerId = (await TestApi.ReadAsync<Otherix.Api.Users.User>(await api.GetAsync("/v1/users/me", developer))).Id;
        var submitter = api.App.Services.GetRequiredService<TaskSubmitter>();
        var own = submitter.Enqueue("test.gated", "vm", "mine", null, developerId);
        var other = submitter.Enqueue("test.gated", "vm", "theirs", null, Guid.NewGuid());

        var listed = await TestApi.ReadAsync<Otherix.Api.Common.ListResponse<TaskInfo>>(await api.GetAsync("/v1/tasks", developer));
        var viewerListed = await TestApi.ReadAsync<Otherix.Api.Common.ListResponse<TaskInfo>>(await api.GetAsync("/v1/tasks", viewer));
        var operatorListed = await TestApi.ReadAsync<Otherix.Api.Common.ListResponse<TaskInfo>>(await api.GetAsync("/v1/tasks", await api.TokenForAsync(Role.Operator)));

        Assert.That(listed.Data.Select(t => t.Id), Is.EqualTo(new[] { own.Id }));
        Assert.That(viewerListed.Data, Is.Empty);
        Assert.That(operatorListed.Data.Select(t => t.Id), Is.EqualTo(new[] { other.Id, own.Id }), "newest first");
        await TestApi.ExpectErrorAsync(await api.GetAsync($"/v1/tasks/{other.Id}", developer), HttpStatusCode.NotFound, "not_found");
        await TestApi.ExpectErrorAsync(await api.SendAsync(HttpMethod.Post, $"/v1/tasks/{other.Id}/cancel", developer), HttpStatusCode.NotFound, "not_found");
        using var ownCancel = await api.SendAsync(HttpMethod.Post, $"/v1/tasks/{own.Id}/cancel", developer);
        Assert.That(ownCancel.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task List_FiltersAndPagesNewestFirst()
    {
        await using var api = await TestApi.StartAsync(c => c with { Workers = c.Workers with { Enabled = false } });
        var admin = await api.TokenForAsync(Role.Admin);
        var submitter = api.App.Services.GetRequiredService<TaskSubmitter>();
        var created = Enumerable.Range(0, 7).Select(i => submitter.Enqueue(i % 2 == 0 ? "vm.create" : "vm.delete", "vm", $"vm-{i}", null, null).Id).ToList();

        var seen = new List<Guid>();
        string? cursor = null;
        do
        {
            var page = await TestApi.ReadAsync<Otherix.Api.Common.ListResponse<TaskInfo>>(
                await api.GetAsync($"/v1/tasks?type=vm.create&limit=2{(cursor is null ? "" : $"&cursor={cursor}")}", admin));
            Assert.That(page.Data, Has.Count.LessThanOrEqualTo(2));
            seen.AddRange(page.Data.Select(t => t.Id));
            cursor = page.Meta.NextCursor;
        }
        while (cursor is not null);

        Assert.That(seen, Is.EqualTo(created.Where((_, i) => i % 2 == 0).Reverse()));
        await TestApi.ExpectErrorAsync(await api.GetAsync("/v1/tasks?status=done", admin), HttpStatusCode.BadRequest, "validation_failed");
        await TestApi.ExpectErrorAsync(await api.GetAsync("/v1/tasks?cursor=bogus", admin), HttpStatusCode.BadRequest, "validation_failed");
    }

    [Test]
    public void Lease_ThatRunsOut_LetsAnotherWorkerClaimTheTask_AndTheOldOwnerCanNoLongerFinishIt()
    {
        using var dir = new Otherix.Testing.TempDirectory("otx-store-");
        using var store = LiteDbStateStore.Open(Path.Combine(dir.Path, "state.db"));
        var time = new FakeTimeProvider(Start);
        var submitter = new TaskSubmitter(store, time, new Otherix.Control.Configuration.ApiConfig());
        var task = submitter.Enqueue("test.gated", "vm", "a", null, null);
        var now = time.GetUtcNow().UtcDateTime;

        var first = store.Tasks.Claim("worker-a", now, now.AddSeconds(30));
        Assert.That(first!.Id, Is.EqualTo(task.Id));
        Assert.That(store.Tasks.Claim("worker-b", now.AddSeconds(29), now.AddSeconds(59)), Is.Null, "lease still held");
        Assert.That(store.Tasks.Renew(task.Id, "worker-a", now.AddSeconds(60)), Is.Not.Null);
        Assert.That(store.Tasks.Claim("worker-b", now.AddSeconds(59), now.AddSeconds(89)), Is.Null, "renewed lease still held");

        var second = store.Tasks.Claim("worker-b", now.AddSeconds(61), now.AddSeconds(91));

        Assert.That(second!.Id, Is.EqualTo(task.Id));
        Assert.That(second.Attempts, Is.EqualTo(2));
        Assert.That(store.Tasks.Renew(task.Id, "worker-a", now.AddSeconds(120)), Is.Null, "worker-a lost the lease");
        Assert.That(store.Tasks.Finish(task.Id, "worker-a", TaskState.Success, null, null, null, now), Is.False);
        Assert.That(store.Tasks.Finish(task.Id, "worker-b", TaskState.Success, null, null, null, now), Is.True);
        Assert.That(store.Tasks.Find(task.Id)!.Status, Is.EqualTo(TaskState.Success));
    }

    [Test]
    public async Task Engine_WhoseLeaseWasStolen_StopsItsHandler()
    {
        var time = new FakeTimeProvider(Start);
        var handler = new GatedHandler();
        await using var api = await TestApi.StartAsync(c => c with { Workers = c.Workers with { Lease = TimeSpan.FromSeconds(30) } }, time, [handler]);
        var task = api.App.Services.GetRequiredService<TaskSubmitter>().Enqueue("test.gated", "vm", "a", null, null);
        await handler.Started.Task.WaitAsync(TimeSpan.FromSeconds(10));

        // Another worker takes it over after the lease ran out (as if this one had hung).
        var later = Start.AddSeconds(31).UtcDateTime;
        Assert.That(api.Store.Tasks.Claim("someone-else", later, later.AddSeconds(30)), Is.Not.Null);
        time.Advance(TimeSpan.FromSeconds(10)); // this worker's renewal finds the lease gone

        Assert.That(await handler.Ended.Task.WaitAsync(TimeSpan.FromSeconds(10)), Is.True, "the handler's token was cancelled");
        await Task.Delay(200); // room for a wrong write after the handler returned; none may come
        Assert.That(api.Store.Tasks.Find(task.Id)!.Status, Is.EqualTo(TaskState.Running), "the old worker did not record an outcome");
        Assert.That(api.Store.Tasks.Find(task.Id)!.LeaseOwner, Is.EqualTo("someone-else"));
    }

    [Test]
    public async Task Janitor_DeletesSuccessAfterSevenDaysAndFailuresAfterThirty()
    {
        var time = new FakeTimeProvider(Start);
        await using var api = await TestApi.StartAsync(c => c with { Workers = c.Workers with { Enabled = false } }, time);
        var submitter = api.App.Services.GetRequiredService<TaskSubmitter>();
        var engine = api.App.Services.GetRequiredService<TaskEngine>();
        Guid Finished(TaskState state)
        {
            var task = submitter.Enqueue("test.gated", "vm", "a", null, null);
            var now = time.GetUtcNow().UtcDateTime;
            api.Store.Tasks.Claim("w", now, now.AddMinutes(1));
            api.Store.Tasks.Finish(task.Id, "w", state, state == TaskState.Success ? null : "x", null, null, now);
            return task.Id;
        }

        var success = Finished(TaskState.Success);
        var failed = Finished(TaskState.Failed);
        var pending = submitter.Enqueue("test.gated", "vm", "b", null, null).Id;

        time.Advance(TimeSpan.FromDays(7) - TimeSpan.FromMinutes(1));
        Assert.That(engine.SweepFinished(), Is.Zero);
        time.Advance(TimeSpan.FromMinutes(2));
        Assert.That(engine.SweepFinished(), Is.EqualTo(1));
        Assert.That(api.Store.Tasks.Find(success), Is.Null);
        Assert.That(api.Store.Tasks.Find(failed), Is.Not.Null);
        time.Advance(TimeSpan.FromDays(23));
        Assert.That(engine.SweepFinished(), Is.EqualTo(1));
        Assert.That(api.Store.Tasks.Find(failed), Is.Null);
        Assert.That(api.Store.Tasks.Find(pending), Is.Not.Null, "unfinished tasks are never swept");
    }

    [Test]
    public async Task Shutdown_MidTask_LeavesItRunning_AndTheNextStartResumesIt()
    {
        using var dir = new Otherix.Testing.TempDirectory("otx-api-");
        Guid id;
        var first = new GatedHandler();
        await using (var api = await TestApi.StartAsync(handlers: [first], dataDir: dir.Path))
        {
            id = api.App.Services.GetRequiredService<TaskSubmitter>().Enqueue("test.gated", "vm", "a", null, null).Id;
            await first.Started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        }

        var second = new GatedHandler();
        second.Release();
        await using var restarted = await TestApi.StartAsync(handlers: [second], dataDir: dir.Path);
        var done = await WaitForAsync(restarted, id, t => t.Status != TaskState.Running && t.Status != TaskState.Pending, await restarted.TokenForAsync(Role.Admin));

        Assert.That(done.Status, Is.EqualTo(TaskState.Success));
        Assert.That(done.Attempts, Is.EqualTo(2));
        Assert.That(second.Runs, Is.EqualTo(1));
    }
}
