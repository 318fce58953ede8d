using System.Collections.Concurrent;
using Otherix.Control.Configuration;

namespace Otherix.Control.Auth;

/// <summary>
/// Counts failed logins per client address in a sliding window; once <c>max_failures</c> are in the
/// window the address is refused (429) until the oldest failure leaves it. A success clears the count.
/// </summary>
public sealed class LoginThrottle(ApiConfig config, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Queue<DateTimeOffset>> _failures = new(StringComparer.Ordinal);
    private readonly int _max = config.Auth.LoginThrottle.MaxFailures;
    private readonly TimeSpan _window = config.Auth.LoginThrottle.Window;

    /// <summary>How long <paramref name="address"/> must wait, or null if it may try now.</summary>
    public TimeSpan? RetryAfter(string address)
    {
        if (!_failures.TryGetValue(address, out var queue))
        {
            return null;
        }

        lock (queue)
        {
            var now = time.GetUtcNow();
            Trim(queue, now);
            return queue.Count >= _max ? queue.Peek() + _window - now : null;
        }
    }

    /// <summary>Counts a failure.</summary>
    public void Failed(string address)
    {
        var queue = _failures.GetOrAdd(address, _ => new Queue<DateTimeOffset>());
        lock (queue)
        {
            var now = time.GetUtcNow();
            Trim(queue, now);
            queue.Enqueue(now);
        }

        if (_failures.Count > 10_000)
        {
            Sweep();
        }
    }

    /// <summary>Clears the address after a successful login.</summary>
    public void Succeeded(string address) => _failures.TryRemove(address, out _);

    private void Trim(Queue<DateTimeOffset> queue, DateTimeOffset now)
    {
        while (queue.Count > 0 && queue.Peek() + _window <= now)
        {
            queue.Dequeue();
        }
    }

    private void Sweep()
    {
        var now = time.GetUtcNow();
        foreach (var (address, queue) in _failures)
        {
            lock (queue)
            {
                Trim(queue, now);
                if (queue.Count == 0)
                {
                    _failures.TryRemove(address, out _);
                }
            }
        }
    }
}
