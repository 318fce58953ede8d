using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;

namespace Otherix.Control.Auth;

/// <summary>
/// Argon2id (libsodium, via NSec) with the OWASP parameters: 19 MiB, 2 passes, 1 lane, 16-byte salt,
/// 32-byte hash, stored in PHC form (<c>$argon2id$v=19$m=19456,t=2,p=1$salt$hash</c>) so parameters can
/// change later without breaking old hashes. Comparison is constant-time.
/// </summary>
public sealed class PasswordHasher
{
    private const int MemoryKib = 19 * 1024;
    private const int Passes = 2;
    private const int HashBytes = 32;
    private const int SaltBytes = 16;

    private readonly string _dummy;

    /// <summary>Creates a hasher (and the hash compared against for unknown users).</summary>
    public PasswordHasher() => _dummy = Hash(Convert.ToHexString(RandomNumberGenerator.GetBytes(16)));

    /// <summary>Hashes <paramref name="password"/> with a fresh salt.</summary>
    public string Hash(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Derive(password, salt, MemoryKib, Passes);
        return $"$argon2id$v=19$m={MemoryKib},t={Passes},p=1${Convert.ToBase64String(salt).TrimEnd('=')}${Convert.ToBase64String(hash).TrimEnd('=')}";
    }

    /// <summary>Checks <paramref name="password"/> against a stored hash; malformed hashes never match.</summary>
    public bool Verify(string password, string stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        var parts = stored.Split('$');
        if (parts.Length != 6 || parts[1] != "argon2id" || parts[2] != "v=19")
        {
            return false;
        }

        var settings = parts[3].Split(',').Select(p => p.Split('=')).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
        if (!settings.TryGetValue("m", out var m) || !int.TryParse(m, out var memory) ||
            !settings.TryGetValue("t", out var t) || !int.TryParse(t, out var passes))
        {
            return false;
        }

        try
        {
            var salt = Convert.FromBase64String(Pad(parts[4]));
            var expected = Convert.FromBase64String(Pad(parts[5]));
            return CryptographicOperations.FixedTimeEquals(Derive(password, salt, memory, passes), expected);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>Spends the same time as a real check, for logins of unknown users.</summary>
    public void VerifyDummy(string password) => _ = Verify(password, _dummy);

    private static byte[] Derive(string password, byte[] salt, int memoryKib, int passes)
    {
        var algorithm = PasswordBasedKeyDerivationAlgorithm.Argon2id(new Argon2Parameters
        {
            DegreeOfParallelism = 1,
            MemorySize = memoryKib,
            NumberOfPasses = passes,
        });
        return algorithm.DeriveBytes(Encoding.UTF8.GetBytes(password), salt, HashBytes);
    }

    private static string Pad(string base64) => base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
}
