using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Security.Cryptography;
using Carter;
using Grpc.Core;
using Otherix.Api.Errors;
using Otherix.Api.Grpc;
using Otherix.Api.Vms;
using Otherix.Control.Agents;
using Otherix.Control.Auth;
using Otherix.Control.Http;
using Otherix.Control.Store;

namespace Otherix.Control.Vms;

/// <summary>
/// The VM's serial console in the browser or a terminal: a single-use token (30 s to connect, bound to the
/// user and the VM, kept only as its hash), then a WebSocket relayed to the agent's console stream. One
/// session per VM: a second is <c>409 console_in_use</c>.
/// </summary>
public sealed class ConsoleModule : ICarterModule
{
    private static readonly TimeSpan TicketLifetime = TimeSpan.FromSeconds(30);
    private static readonly ConcurrentDictionary<string, (Guid VmId, Guid UserId, DateTimeOffset ExpiresAt)> Tickets = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public void AddRoutes(IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/vms/{name}/console", Issue).RequirePermission(Permission.VmConsole).WithTags("vms").Produces<ConsoleTicket>()
            .WithSummary("A single-use console token (30 s to connect) and the WebSocket URL to use it with.");
        app.MapGet("/v1/vms/{name}/console-stream", ConnectAsync).AllowAnonymousAccess().WithTags("vms").ExcludeFromDescription();
    }

    private static IResult Issue(string name, HttpContext context, IStateStore store, TimeProvider time)
    {
        var vm = VmsModule.Find(context, store, name, Permission.VmConsole);
        var now = time.GetUtcNow();
        foreach (var (hash, ticket) in Tickets)
        {
            if (ticket.ExpiresAt <= now)
            {
                Tickets.TryRemove(hash, out _);
            }
        }

        var token = "otx_console_" + Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        var expires = now + TicketLifetime;
        Tickets[ApiTokenSecrets.HashOf(token)] = (vm.Id, context.Caller().UserId, expires);
        var scheme = context.Request.IsHttps ? "wss" : "ws";
        return Results.Ok(new ConsoleTicket(token, $"{scheme}://{context.Request.Host}/v1/vms/{vm.Name}/console-stream?token={token}", expires));
    }

    private static async Task ConnectAsync(string name, HttpContext context, IStateStore store, TimeProvider time)
    {
        var token = context.Request.Query["token"].FirstOrDefault() ?? "";
        if (!Tickets.TryRemove(ApiTokenSecrets.HashOf(token), out var ticket) || ticket.ExpiresAt <= time.GetUtcNow())
        {
            throw new ApiException(StatusCodes.Status401Unauthorized, ErrorCodes.Unauthenticated, "console token unknown, used or expired; ask for a new one (POST /v1/vms/{name}/console)");
        }

        var vm = store.Vms.Find(ticket.VmId);
        if (vm is null || vm.Name != name || store.Users.Find(ticket.UserId) is null)
        {
            throw new ApiException(StatusCodes.Status401Unauthorized, ErrorCodes.Unauthenticated, "this console token is for another VM");
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            throw ApiException.Validation("this endpoint speaks WebSocket only");
        }

        var node = store.Nodes.FindByName(vm.Node);
        if (node is not { Status: NodeStatus.Ready } || context.RequestServices.GetService<AgentConnections>() is not { } agents)
        {
            throw new ApiException(StatusCodes.Status409Conflict, ErrorCodes.NodeNotReady, $"node {vm.Node} is not ready");
        }

        using var call = agents.For(node.Name, node.AdvertisedEndpoint).OpenConsole(cancellationToken: context.RequestAborted);
        try
        {
            await call.RequestStream.WriteAsync(new ConsoleInput { VmId = vm.Id.ToString() }, context.RequestAborted);
            if (!await call.ResponseStream.MoveNext(context.RequestAborted) || !call.ResponseStream.Current.Attached)
            {
                throw new ApiException(StatusCodes.Status502BadGateway, ErrorCodes.AgentUnreachable, "the agent closed the console at once");
            }
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.FailedPrecondition)
        {
            throw e.Status.Detail.StartsWith("console_busy", StringComparison.Ordinal)
                ? new ApiException(StatusCodes.Status409Conflict, ErrorCodes.ConsoleInUse, $"VM {name}'s console is in use by another session")
                : new ApiException(StatusCodes.Status409Conflict, ErrorCodes.VmNotRunning, e.Status.Detail);
        }
        catch (RpcException e)
        {
            throw new ApiException(StatusCodes.Status502BadGateway, ErrorCodes.AgentUnreachable, $"agent on node {node.Name}: {e.Status.Detail}");
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        var toGuest = Task.Run(async () =>
        {
            var buffer = new byte[4096];
            while (socket.State == WebSocketState.Open)
            {
                var received = await socket.ReceiveAsync(buffer, stop.Token);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                await call.RequestStream.WriteAsync(new ConsoleInput { Data = Google.Protobuf.ByteString.CopyFrom(buffer, 0, received.Count) }, stop.Token);
            }

            await call.RequestStream.CompleteAsync();
        }, stop.Token);
        var fromGuest = Task.Run(async () =>
        {
            while (await call.ResponseStream.MoveNext(stop.Token))
            {
                await socket.SendAsync(call.ResponseStream.Current.Data.Memory, WebSocketMessageType.Binary, endOfMessage: true, stop.Token);
            }
        }, stop.Token);

        if (await Task.WhenAny(toGuest, fromGuest) == fromGuest && socket.State == WebSocketState.Open)
        {
            // The VM's side ended (it stopped, or the agent went away): close the WebSocket properly and give
            // the client a moment to answer. Cancelling the pending receive instead would abort the socket.
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "the VM's console ended", CancellationToken.None);
            await Task.WhenAny(toGuest, Task.Delay(TimeSpan.FromSeconds(2), context.RequestAborted));
        }

        await stop.CancelAsync();
        try
        {
            await Task.WhenAll(toGuest, fromGuest);
        }
        catch (Exception) when (stop.IsCancellationRequested)
        {
            // One side ended; the other was cancelled.
        }

        if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "console closed", CancellationToken.None);
        }
    }
}
