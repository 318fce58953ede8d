namespace Otherix.Testing;

/// <summary>Paths in the source tree that tests need: the repository root and the fixture guest image.</summary>
public static class RepoLayout
{
    /// <summary>The folder holding <c>Otherix.sln</c>, found upwards from the test assembly.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The fixture guest image: <c>$OTHERIX_FIXTURE_IMAGE</c>, else what <c>make fixture</c> builds.</summary>
    public static string FixtureImage =>
        Environment.GetEnvironmentVariable("OTHERIX_FIXTURE_IMAGE") is { Length: > 0 } path
            ? path
            : Path.Combine(Root, ".cache", "fixture", "otherix-fixture.qcow2");

    /// <summary>Ignores the test outside CI, or fails it in CI, when the fixture image has not been built.</summary>
    public static void RequireFixtureImage() =>
        HostRequirement.Require(
            "fixture image missing",
            File.Exists(FixtureImage) ? null : $"{FixtureImage} does not exist (build it: make fixture)");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Otherix.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"Otherix.sln not found above {AppContext.BaseDirectory}");
    }
}
