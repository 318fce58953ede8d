using Otherix.Native;

namespace Otherix.Agent.Driver;

/// <summary>
/// A VM's serial console as a bidirectional byte stream (libvirt's <c>virDomainOpenConsole</c>
/// on a non-blocking stream). Close it explicitly with <see cref="DisposeAsync"/>.
/// </summary>
public sealed class VmConsole : IAsyncDisposable
{
    private readonly LibvirtStream _stream;
    private int _closed;

    internal VmConsole(LibvirtStream stream) => _stream = stream;

    /// <summary>Waits for console output; 0 means the console closed (the VM stopped).</summary>
    public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _stream.ReceiveAsync(buffer, cancellationToken);

    /// <summary>Types <paramref name="data"/> into the console.</summary>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        while (!data.IsEmpty)
        {
            if (_stream.TrySend(data.Span, out var sent))
            {
                data = data[sent..];
            }
            else
            {
                // The console's buffer is full: give the guest a moment to read it.
                await Task.Yield();
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
    }

    /// <summary>Detaches from the console; the VM keeps running.</summary>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            try
            {
                _stream.Abort();
            }
            catch (LibvirtException)
            {
                // Already closed by the other end.
            }

            _stream.Dispose();
        }

        return ValueTask.CompletedTask;
    }
}
