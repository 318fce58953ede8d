using System.Collections;
using System.CommandLine;
using Otherix.Api.Configuration;
using Otherix.Api.Tasks;

namespace Otherix.Cli;

/// <summary><c>--wait</c>: follows a task until it ends, showing progress on stderr.</summary>
internal static class TaskWaiter
{
    private static readonly TimeSpan LongestPoll = TimeSpan.FromSeconds(3);

    /// <summary><c>--wait-timeout</c>.</summary>
    public static TimeSpan Timeout(ParseResult parse, Option<string> option) =>
        ConfigValues.TryParseDuration(parse.GetValue(option)!, out var value) && value > TimeSpan.Zero
            ? value
            : throw new CliException($"usage: --wait-timeout \"{parse.GetValue(option)}\" is not a duration (e.g. 90s, 5m)");

    /// <summary>Waits for a VM's task (<see cref="WaitAsync"/>), then reads the phase the VM ended in.</summary>
    public static async Task<(TaskInfo Task, string Phase)> WaitForVmAsync(
        ApiClient client, Guid taskId, string vm, TimeSpan timeout, TextWriter progress, CancellationToken cancellationToken)
    {
        var task = await WaitAsync(client, taskId, timeout, progress, cancellationToken);
        var current = await client.SendAsync<Otherix.Api.Vms.Vm>(HttpMethod.Get, $"/v1/vms/{vm}", null, cancellationToken);
        return (task, current.Status.Phase);
    }

    /// <summary>
    /// Polls the task (0.5 s, growing to 3 s) until it ends. On a terminal one status line is redrawn in
    /// place (with the percentage when the task reports one, e.g. an image download); otherwise a line is
    /// printed only when the status or the progress (by 25 points) changes, so logs stay readable.
    /// Failure, cancellation and the timeout are errors carrying the task's code and message.
    /// </summary>
    public static async Task<TaskInfo> WaitAsync(ApiClient client, Guid id, TimeSpan timeout, TextWriter progress, CancellationToken cancellationToken)
    {
        var animate = ReferenceEquals(progress, Console.Error) && !Console.IsErrorRedirected;
        var deadline = DateTimeOffset.UtcNow + timeout;
        var delay = TimeSpan.FromMilliseconds(500);
        var shown = "";
        var lastProgress = -100;
        var started = DateTimeOffset.UtcNow;
        while (true)
        {
            var task = await client.SendAsync<TaskInfo>(HttpMethod.Get, $"/v1/tasks/{id}", null, cancellationToken);
            var status = task.Status.ToString().ToLowerInvariant();
            var line = $"task {task.Type} {status}{(task.Progress is { } p and > 0 and < 100 ? $" {p}%" : "")} ({(DateTimeOffset.UtcNow - started).TotalSeconds:F0} s)";
            if (animate)
            {
                await progress.WriteAsync($"\r{line.PadRight(shown.Length)}");
                shown = line;
            }
            else if (status != shown || (task.Progress ?? 0) - lastProgress >= 25)
            {
                await progress.WriteLineAsync(line);
                (shown, lastProgress) = (status, task.Progress ?? 0);
            }

            if (task.Status is TaskState.Success or TaskState.Failed or TaskState.Cancelled)
            {
                if (animate)
                {
                    await progress.WriteLineAsync();
                }

                return task.Status == TaskState.Success
                    ? task
                    : throw new CliException($"task {id} {status}: {task.Error?.Code ?? "cancelled"}: {task.Error?.Message ?? "cancelled on request"}");
            }

            if (DateTimeOffset.UtcNow + delay > deadline)
            {
                throw new CliException($"request_timeout: task {id} still {status} after {timeout.TotalSeconds:F0} s (--wait-timeout); it goes on: otherix task get {id}");
            }

            await Task.Delay(delay, cancellationToken);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 3 / 2, LongestPoll.Ticks));
        }
    }
}

/// <summary><c>otherix task get</c>: one task, e.g. after <c>--wait-timeout</c> gave up on it.</summary>
internal static class TaskCommands
{
    public static Command Build(CliApp.Globals globals, IDictionary environment, HttpMessageHandler? handler)
    {
        var id = new Argument<string>("id") { Description = "Task id (printed as task=… by every asynchronous command)" };
        var get = new Command("get", "Show one task: status, progress, error.\nExample: otherix task get 01a2424c-ec58-730c-9512-3c7687cac0c3") { id };
        get.SetAction((parse, ct) => CliOutput.RunAsync(parse, async () =>
        {
            using var client = CliApp.Connect(parse, globals, environment, handler);
            var path = $"/v1/tasks/{Uri.EscapeDataString(parse.GetValue(id)!)}";
            if (await CliOutput.FormatAsync(parse, globals, client, path, ct))
            {
                return;
            }

            var t = await client.SendAsync<TaskInfo>(HttpMethod.Get, path, null, ct);
            await parse.InvocationConfiguration.Output.WriteLineAsync($"""
                id: {t.Id}
                type: {t.Type}
                status: {t.Status.ToString().ToLowerInvariant()}{(t.CancelRequested && t.Status == TaskState.Running ? " (cancel requested)" : "")}
                progress: {(t.Progress is { } p ? $"{p}%" : "-")}
                resource: {t.ResourceType}/{t.ResourceId ?? "-"}
                error: {(t.Error is { } e ? $"{e.Code}: {e.Message}" : "-")}
                attempts: {t.Attempts}/{t.MaxAttempts}
                created_at: {t.CreatedAt:yyyy-MM-dd'T'HH:mm:ss'Z'}
                started_at: {t.StartedAt?.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture) ?? "-"}
                finished_at: {t.FinishedAt?.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture) ?? "-"}
                """);
        }));
        return new Command("task", "Asynchronous operations (VM lifecycle, pool scans).") { get };
    }
}
