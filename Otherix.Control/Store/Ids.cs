using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Otherix.Control.Store;

/// <summary>
/// UUIDv7 ids that are strictly increasing within this process, even for ids made in the same
/// millisecond (<see cref="Guid.CreateVersion7()"/> is random below the millisecond), so "newest first"
/// and keyset pages follow creation order exactly.
/// </summary>
public static class Ids
{
    private static readonly Lock Gate = new();
    private static long _lastMs;
    private static int _counter;

    /// <summary>A new id for something created at <paramref name="now"/>.</summary>
    public static Guid New(DateTimeOffset now)
    {
        long ms;
        int counter;
        lock (Gate)
        {
            ms = Math.Max(now.ToUnixTimeMilliseconds(), _lastMs);
            if (ms == _lastMs)
            {
                _counter++;
                if (_counter > 0xFFF)
                {
                    ms++;
                    _counter = 0;
                }
            }
            else
            {
                _counter = 0;
            }

            _lastMs = ms;
            counter = _counter;
        }

        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes[8..]);
        BinaryPrimitives.WriteInt64BigEndian(bytes, ms << 16);
        bytes[6] = (byte)(0x70 | (counter >> 8)); // version 7, then the 12-bit counter (rand_a)
        bytes[7] = (byte)counter;
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(bytes, bigEndian: true);
    }
}
