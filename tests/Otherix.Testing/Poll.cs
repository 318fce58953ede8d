using System.Diagnostics;
using NUnit.Framework;

namespace Otherix.Testing;

/// <summary>Waits for a condition observed from outside (a console log, a domain state) with a deadline.</summary>
public static class Poll
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Calls <paramref name="probe"/> until <paramref name="done"/> holds for its value and returns that value;
    /// fails the test with the last value seen when <paramref name="deadline"/> passes first.
    /// </summary>
    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan deadline, string what)
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(done);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var value = await probe().ConfigureAwait(false);
            if (done(value))
            {
                return value;
            }

            if (clock.Elapsed > deadline)
            {
                throw new AssertionException($"{what}: not seen within {deadline.TotalSeconds:F0} s; last seen:\n{value}");
            }

            await Task.Delay(Interval).ConfigureAwait(false);
        }
    }

    /// <summary>Waits until GET <paramref name="path"/> answers 200 (a server starting up), or <paramref name="gaveUp"/> (its process died).</summary>
    public static Task UntilOkAsync(HttpClient http, string path, Func<bool> gaveUp, TimeSpan deadline, string what)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(gaveUp);
        return UntilAsync(
            async () =>
            {
                try
                {
                    using var response = await http.GetAsync(new Uri(path, UriKind.Relative)).ConfigureAwait(false);
                    return response.StatusCode;
                }
                catch (HttpRequestException)
                {
                    return System.Net.HttpStatusCode.ServiceUnavailable;
                }
            },
            s => s == System.Net.HttpStatusCode.OK || gaveUp(),
            deadline,
            what);
    }
}
