using System.Net.WebSockets;
using Microsoft.Win32.SafeHandles;
using Otherix.Api.Vms;

namespace Otherix.Cli;

/// <summary>
/// <c>otherix vm console</c>: a single-use ticket, the WebSocket, and the bytes relayed both ways between it
/// and this process's standard input/output. On a terminal, stdin is in raw mode for the session (restored
/// however it ends); Ctrl+] (0x1D) detaches. With stdin not a terminal (pipe mode) the input is sent as is,
/// and its end detaches once the VM has been quiet for a second, so <c>printf 'root\r' | otherix vm console x</c>
/// shows the answer.
/// </summary>
internal static class ConsoleSession
{
    /// <summary>Ctrl+].</summary>
    public const byte DetachByte = 0x1D;

    private static readonly TimeSpan PipeQuiet = TimeSpan.FromSeconds(1);

    /// <summary>How the session ended.</summary>
    public enum Ending
    {
        /// <summary>Ctrl+] (or the end of piped input).</summary>
        Detached,

        /// <summary>The server closed the stream (the VM stopped, the agent went away…).</summary>
        ClosedByServer,

        /// <summary>SIGINT/SIGTERM/SIGHUP.</summary>
        Interrupted,
    }

    /// <summary>Attaches to <paramref name="name"/>'s console; <paramref name="messages"/> (stderr) gets the attach/detach lines.</summary>
    public static async Task<Ending> RunAsync(ApiClient client, string name, TextWriter messages, CancellationToken cancellationToken)
    {
        var ticket = await client.SendAsync<ConsoleTicket>(HttpMethod.Post, $"/v1/vms/{Uri.EscapeDataString(name)}/console", null, cancellationToken);

        // The ticket's URL names the host as the server saw it; the CLI keeps to its own endpoint.
        using var socket = await client.OpenWebSocketAsync(new Uri(ticket.WebsocketUrl).PathAndQuery, cancellationToken);
        var interactive = RawTerminal.IsInputTerminal;
        Ending ending;
        string? closeReason;

        // Raw before the greeting: a key typed right after it must already go to the VM. In raw mode the
        // terminal no longer turns \n into \r\n, so the greeting carries its own.
        using (interactive ? RawTerminal.Enter() : null)
        {
            await messages.WriteAsync(interactive
                ? $"Connected to {name}'s serial console. Detach with Ctrl+] (the terminal is restored).\r\n"
                : $"Connected to {name}'s serial console (pipe mode: Ctrl+] in the input, or its end and 1 s of quiet, detaches).\n");
            await messages.FlushAsync(cancellationToken);
            (ending, closeReason) = await RelayAsync(socket, interactive, cancellationToken);
        }

        await messages.WriteLineAsync(ending switch
        {
            Ending.Detached => $"\nDetached from {name}'s console.",
            Ending.ClosedByServer => $"\nThe console of {name} was closed by the server{(string.IsNullOrEmpty(closeReason) ? "" : $": {closeReason}")}.",
            _ => $"\nInterrupted; left {name}'s console.",
        });
        return ending;
    }

    private static async Task<(Ending Ending, string? Reason)> RelayAsync(WebSocket socket, bool interactive, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var lastOutput = Environment.TickCount64;
        string? closeReason = null;

        // Reads of stdin block a thread and cannot be cancelled; the process ends soon after a detach anyway.
        // fd 0 directly: Console's own stdin stream edits lines when it is a terminal.
        var stdin = new FileStream(new SafeFileHandle(0, ownsHandle: false), FileAccess.Read, bufferSize: 0);
        var stdout = Console.OpenStandardOutput();

        var fromGuest = Task.Run(async () =>
        {
            var buffer = new byte[16 * 1024];
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer, stop.Token);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    closeReason = socket.CloseStatusDescription;
                    return Ending.ClosedByServer;
                }

                await stdout.WriteAsync(buffer.AsMemory(0, received.Count), stop.Token);
                await stdout.FlushAsync(stop.Token);
                lastOutput = Environment.TickCount64;
            }
        }, stop.Token);

        var toGuest = Task.Run(async () =>
        {
            var buffer = new byte[4096];
            while (true)
            {
                var read = await stdin.ReadAsync(buffer, stop.Token);
                if (read == 0)
                {
                    // End of piped input: let the VM answer what it was sent, then detach.
                    while (!interactive && Environment.TickCount64 - Interlocked.Read(ref lastOutput) < PipeQuiet.TotalMilliseconds)
                    {
                        await Task.Delay(100, stop.Token);
                    }

                    return Ending.Detached;
                }

                var detach = Array.IndexOf(buffer, DetachByte, 0, read);
                var count = detach >= 0 ? detach : read;
                if (count > 0)
                {
                    await socket.SendAsync(buffer.AsMemory(0, count), WebSocketMessageType.Binary, endOfMessage: true, stop.Token);
                }

                if (detach >= 0)
                {
                    return Ending.Detached;
                }
            }
        }, stop.Token);

        Ending ending;
        try
        {
            ending = await await Task.WhenAny(fromGuest, toGuest);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            ending = Ending.Interrupted;
        }
        catch (WebSocketException e)
        {
            throw new CliException($"request_failed: the console connection broke: {e.Message}");
        }
        finally
        {
            await stop.CancelAsync();
        }

        if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            using var closing = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "detached", closing.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
                // The server is gone already; nothing to tell it.
            }
        }

        return (ending, closeReason);
    }
}
