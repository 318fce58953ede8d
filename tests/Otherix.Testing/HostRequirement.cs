using NUnit.Framework;

namespace Otherix.Testing;

/// <summary>
/// How a test that needs a host capability (libvirtd, QEMU, the fixture image) reacts when it
/// is missing: ignored with the reason on a developer's machine, failed in CI (<c>CI=true</c>),
/// so CI always runs such tests.
/// </summary>
public static class HostRequirement
{
    /// <summary>True when the <c>CI</c> environment variable says we run in CI.</summary>
    public static bool InCi =>
        string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Ignores (outside CI) or fails (in CI) the current test when <paramref name="reason"/> is set.</summary>
    /// <param name="what">What is missing, e.g. "libvirtd not reachable".</param>
    /// <param name="reason">Why, or null when the capability is there.</param>
    public static void Require(string what, string? reason)
    {
        if (reason is null)
        {
            return;
        }

        var message = $"{what}: {reason}";
        if (InCi)
        {
            Assert.Fail($"{message} (CI=true, so this test must run: .ci/run starts libvirtd and builds the fixture)");
        }

        Assert.Ignore(message);
    }

    /// <summary><see cref="Require"/> for programs that must be on the PATH (tools/host/setup.sh installs them).</summary>
    public static void RequireTools(params string[] tools)
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':');
        var missing = tools.Where(t => !path.Any(d => File.Exists(Path.Combine(d, t)))).ToList();
        Require("tools not installed", missing.Count == 0 ? null : $"{string.Join(", ", missing)} not on the PATH (tools/host/setup.sh installs them)");
    }
}
