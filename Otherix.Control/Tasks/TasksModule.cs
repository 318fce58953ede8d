using System.Text.Json;
using Carter;
using Otherix.Api.Common;
using Otherix.Api.Errors;
using Otherix.Api.Json;
using Otherix.Api.Tasks;
using Otherix.Control.Auth;
using Otherix.Control.Http;
using Otherix.Control.Store;
using Otherix.Control.Users;

namespace Otherix.Control.Tasks;

/// <summary><c>/v1/tasks</c>: follow and cancel asynchronous work. Developers and viewers see the tasks they caused.</summary>
public sealed class TasksModule : ICarterModule
{
    /// <inheritdoc />
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        var tasks = app.MapGroup("/v1/tasks").WithTags("tasks");
        tasks.MapGet("/", List).RequirePermission(Permission.TaskRead).Produces<ListResponse<TaskInfo>>()
            .WithSummary("List tasks, newest first (filters: status, type, resource_type, resource_id).");
        tasks.MapGet("/{id}", (string id, HttpContext context, IStateStore store) => Results.Ok(Find(id, context, store, Permission.TaskRead).ToApi()))
            .RequirePermission(Permission.TaskRead).Produces<TaskInfo>().WithSummary("One task.");
        tasks.MapPost("/{id}/cancel", Cancel).RequirePermission(Permission.TaskCancel).Produces<TaskInfo>()
            .WithSummary("Cancel a pending task, or ask a running one to stop at its next safe point.");
    }

    private static TaskRecord Find(string id, HttpContext context, IStateStore store, Permission permission)
    {
        var task = store.Tasks.Find(UsersModule.ParseId(id, "task")) ?? throw ApiException.NotFound($"task {id}");
        context.Caller().EnsureMayAccess(permission, task.CreatedBy, $"task {id}");
        return task;
    }

    private static IResult List(HttpContext context, IStateStore store)
    {
        var caller = context.Caller();
        var paging = Paging.From(context.Request);
        var query = context.Request.Query;
        TaskState? status = null;
        if (query["status"].FirstOrDefault() is { } statusText)
        {
            status = Enum.GetValues<TaskState>().FirstOrDefault(s => JsonNamingPolicy.SnakeCaseLower.ConvertName(s.ToString()) == statusText, (TaskState)(-1));
            if (status == (TaskState)(-1))
            {
                throw ApiException.Validation("status must be one of pending, running, success, failed, cancelled");
            }
        }

        var filter = new TaskFilter(
            status, query["type"].FirstOrDefault(), query["resource_type"].FirstOrDefault(), query["resource_id"].FirstOrDefault(),
            caller.ScopeOf(Permission.TaskRead) == Scope.Any ? null : caller.UserId);
        return Results.Ok(Paging.Response(store.Tasks.List(filter, paging.After, paging.Limit), TaskMapping.ToApi));
    }

    private static IResult Cancel(string id, HttpContext context, IStateStore store, TaskEngine engine, TimeProvider time)
    {
        var task = Find(id, context, store, Permission.TaskCancel);
        var (outcome, current) = store.Tasks.Cancel(task.Id, time.GetUtcNow().UtcDateTime);
        switch (outcome)
        {
            case CancelOutcome.NotFound:
                throw ApiException.NotFound($"task {id}");
            case CancelOutcome.AlreadyFinished:
                throw new ApiException(
                    StatusCodes.Status409Conflict, ErrorCodes.Conflict, $"task {id} already finished ({TaskMapping.Name(current!.Status)})",
                    new Dictionary<string, object?> { ["reason"] = "already_finished", ["current_status"] = TaskMapping.Name(current.Status) });
            case CancelOutcome.Requested:
                engine.SignalCancel(task.Id);
                break;
        }

        return Results.Ok(current!.ToApi());
    }
}

/// <summary>Task records to API shapes.</summary>
internal static class TaskMapping
{
    public static string Name(TaskState state) => JsonNamingPolicy.SnakeCaseLower.ConvertName(state.ToString());

    public static TaskInfo ToApi(this TaskRecord t) => new(
        t.Id, t.Type, t.Status, t.Progress, t.ResourceType, t.ResourceId,
        t.ErrorCode is null ? null : new ApiError(t.ErrorCode, t.ErrorMessage ?? "", t.ErrorDetails is null ? null : JsonSerializer.Deserialize<Dictionary<string, object?>>(t.ErrorDetails, ApiJson.Options)),
        t.Attempts, t.MaxAttempts, t.CancelRequested, t.CreatedBy,
        UserMapping.Utc(t.CreatedAt)!.Value, UserMapping.Utc(t.StartedAt), UserMapping.Utc(t.FinishedAt));
}
