using Grpc.Core;
using Otherix.Agent.Driver;
using Otherix.Agent.Images;
using Otherix.Api.Grpc;

namespace Otherix.Agent.Daemon;

/// <summary>The agent's gRPC service: the VM engine, for the control plane, idempotent by task id.</summary>
public sealed class AgentService(LibvirtVmDriver driver, AgentTasks tasks) : Api.Grpc.Agent.AgentBase
{
    /// <inheritdoc />
    public override async Task<AgentTaskReply> CreateVm(CreateVmRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var id = ParseId(request.VmId);
        var arch = request.Arch switch
        {
            "" or "amd64" => "x86_64",
            "arm64" => "aarch64",
            _ => throw new RpcException(new Status(StatusCode.InvalidArgument, $"arch \"{request.Arch}\" is not amd64 or arm64")),
        };
        var spec = new VmSpec(
            id, request.Name, request.Pool, request.ImageUrl, Empty(request.ImageSha256) is { } sum && !sum.Contains(':', StringComparison.Ordinal) ? "sha256:" + sum : Empty(request.ImageSha256), arch, Vcpus: request.Vcpus > 0 ? request.Vcpus : 1,
            MemoryMib: request.MemoryMib > 0 ? request.MemoryMib : 512, DiskGib: request.DiskGib > 0 ? request.DiskGib : null,
            UserData: Empty(request.UserData), NetworkConfig: Empty(request.NetworkConfig), Owner: request.Owner);
        var run = tasks.StartOrJoin(Required(request.TaskId), r =>
            driver.CreateVmAsync(spec, request.TaskId, new Progress<ImageProgress>(p => r.Progress = p.Total is > 0 ? (int)(p.Downloaded * 90 / p.Total.Value) : r.Progress))!);
        var reply = await ReplyAsync(request.TaskId, run, request.WaitSeconds, context.CancellationToken);
        if (reply.State == "success")
        {
            // The cache names images by the URL's last segment.
            var imageName = Uri.TryCreate(request.ImageUrl, UriKind.Absolute, out var url) ? Path.GetFileName(url.AbsolutePath) : "";
            reply.ImageFormat = driver.ScanPool(request.Pool).Images.FirstOrDefault(i => i.Name == imageName)?.FormatName ?? "";
        }

        return reply;
    }

    /// <inheritdoc />
    public override Task<AgentTaskReply> DeleteVm(DeleteVmRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var id = ParseId(request.VmId);
        var run = tasks.StartOrJoin(Required(request.TaskId), _ => Task.Run(() =>
        {
            driver.DeleteVm(id, request.Force);
            return (VmStatus?)null;
        }));
        return ReplyAsync(request.TaskId, run, request.WaitSeconds, context.CancellationToken);
    }

    /// <inheritdoc />
    public override Task<AgentTaskReply> VmAction(VmActionRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var id = ParseId(request.VmId);
        if (!Enum.TryParse<Driver.VmAction>(request.Action, ignoreCase: true, out var action) || !Enum.IsDefined(action))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"action \"{request.Action}\" is not one of start, stop, poweroff, reboot, pause, resume, reset"));
        }

        var run = tasks.StartOrJoin(Required(request.TaskId), _ => driver.ActAsync(id, action, request.TaskId)!);
        return ReplyAsync(request.TaskId, run, request.WaitSeconds, context.CancellationToken);
    }

    /// <inheritdoc />
    public override Task<AgentTaskReply> GetTask(GetTaskRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        return tasks.Find(request.TaskId) is { } run
            ? ReplyAsync(request.TaskId, run, request.WaitSeconds, context.CancellationToken)
            : Task.FromResult(new AgentTaskReply { TaskId = request.TaskId, State = "unknown" });
    }

    /// <inheritdoc />
    public override Task<VmReport> GetVm(GetVmRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Guarded(() => ToReport(driver.GetVm(ParseId(request.VmId))));
    }

    /// <inheritdoc />
    public override Task<PoolReport> EnsurePool(EnsurePoolRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Guarded(() => ToReport(driver.EnsurePool(new PoolSpec(request.Name, request.Path))));
    }

    /// <inheritdoc />
    public override Task<PoolReport> DeletePool(DeletePoolRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Guarded(() =>
        {
            driver.DeletePool(request.Name);
            return new PoolReport { Name = request.Name, ReconciliationStatus = "deleted" };
        });
    }

    /// <inheritdoc />
    public override Task<PoolReport> ScanPool(ScanPoolRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Guarded(() => ToReport(driver.ScanPool(request.Name)));
    }

    /// <inheritdoc />
    public override async Task OpenConsole(IAsyncStreamReader<ConsoleInput> requestStream, IServerStreamWriter<ConsoleOutput> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        if (!await requestStream.MoveNext(context.CancellationToken))
        {
            return;
        }

        VmConsole console;
        try
        {
            console = driver.OpenConsole(ParseId(requestStream.Current.VmId));
        }
        catch (VmDriverException e)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"{e.Code}: {e.Message}"));
        }

        await using (console)
        {
            await responseStream.WriteAsync(new ConsoleOutput { Attached = true }, context.CancellationToken);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
            var fromGuest = Task.Run(async () =>
            {
                var buffer = new byte[4096];
                int read;
                while ((read = await console.ReadAsync(buffer, stop.Token)) > 0)
                {
                    await responseStream.WriteAsync(new ConsoleOutput { Data = Google.Protobuf.ByteString.CopyFrom(buffer, 0, read) }, stop.Token);
                }
            }, stop.Token);
            var toGuest = Task.Run(async () =>
            {
                if (requestStream.Current.Data.Length > 0)
                {
                    await console.WriteAsync(requestStream.Current.Data.Memory, stop.Token);
                }

                while (await requestStream.MoveNext(stop.Token))
                {
                    await console.WriteAsync(requestStream.Current.Data.Memory, stop.Token);
                }
            }, stop.Token);

            // Either side ending ends the session: the guest's console closed, or the control plane hung up.
            await Task.WhenAny(fromGuest, toGuest);
            await stop.CancelAsync();
            try
            {
                await Task.WhenAll(fromGuest, toGuest);
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                // The other side's end (cancelled read, closed stream) is the expected way out.
            }
        }
    }

    /// <summary>The heartbeat's view of a pool.</summary>
    public static PoolReport ToReport(PoolStatus pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        var report = new PoolReport
        {
            Name = pool.Name, ReconciliationStatus = "ready", CapacityBytes = (long)pool.CapacityBytes, AvailableBytes = (long)pool.AvailableBytes,
        };
        report.Images.AddRange(pool.Images.Select(i => new Api.Grpc.CachedImage { Name = i.Name, Sha256 = i.Sha256, SizeBytes = i.Size }));
        return report;
    }

    // Synchronous engine calls: failures with a code become FAILED_PRECONDITION carrying the code.
    private static Task<T> Guarded<T>(Func<T> work)
    {
        try
        {
            return Task.FromResult(work());
        }
        catch (VmDriverException e)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"{e.Code}: {e.Message}"));
        }
    }

    /// <summary>The heartbeat's view of a VM.</summary>
    public static VmReport ToReport(VmStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        return new VmReport { VmId = status.Id.ToString(), Name = status.Name, State = status.State.ToString().ToLowerInvariant(), Reason = status.Reason };
    }

    private static async Task<AgentTaskReply> ReplyAsync(string taskId, AgentTasks.Run run, int waitSeconds, CancellationToken cancellationToken)
    {
        if (waitSeconds > 0 && !run.Work.IsCompleted)
        {
            try
            {
                await run.Work.WaitAsync(TimeSpan.FromSeconds(Math.Min(waitSeconds, 300)), cancellationToken);
            }
            catch (TimeoutException)
            {
            }
            catch (Exception) when (run.Work.IsCompleted)
            {
                // The outcome is read below.
            }
        }

        var reply = new AgentTaskReply { TaskId = taskId, Progress = run.Progress };
        switch (run.Work.Status)
        {
            case TaskStatus.RanToCompletion:
                reply.State = "success";
                reply.Progress = 100;
                if (run.Work.Result is { } vm)
                {
                    reply.Vm = ToReport(vm);
                }

                break;
            case TaskStatus.Faulted or TaskStatus.Canceled:
                var error = run.Work.Exception?.GetBaseException();
                reply.State = "failed";
                reply.ErrorCode = error switch
                {
                    VmDriverException d => d.Code,
                    ImageException i => i.Code,
                    _ => "internal",
                };
                reply.ErrorMessage = error?.Message ?? "cancelled";
                break;
            default:
                reply.State = "running";
                break;
        }

        return reply;
    }

    private static Guid ParseId(string id) =>
        Guid.TryParse(id, out var guid) ? guid : throw new RpcException(new Status(StatusCode.InvalidArgument, $"vm_id \"{id}\" is not a UUID"));

    private static string Required(string taskId) =>
        string.IsNullOrEmpty(taskId) ? throw new RpcException(new Status(StatusCode.InvalidArgument, "task_id is required: every mutating call is idempotent by it")) : taskId;

    private static string? Empty(string value) => value.Length == 0 ? null : value;
}
