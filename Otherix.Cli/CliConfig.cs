using Otherix.Api.Files;
using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace Otherix.Cli;

/// <summary>One control plane the CLI knows: where it is and the token to use.</summary>
public sealed class ClusterEntry
{
    /// <summary>The entry's name.</summary>
    [YamlMember(Alias = "name")]
    public string Name { get; set; } = "";

    /// <summary>The control plane's public URL.</summary>
    [YamlMember(Alias = "server")]
    public string Server { get; set; } = "";

    /// <summary>A long-lived <c>otx_</c> API token.</summary>
    [YamlMember(Alias = "token")]
    public string Token { get; set; } = "";

    /// <summary>The token's id, to revoke it when replaced.</summary>
    [YamlMember(Alias = "token-id")]
    public string? TokenId { get; set; }
}

/// <summary><c>~/.otherix/config</c>: kubectl-style clusters and the current one.</summary>
public sealed class CliConfig
{
    /// <summary>Always <c>otherix/v1</c>.</summary>
    [YamlMember(Alias = "apiVersion")]
    public string ApiVersion { get; set; } = "otherix/v1";

    /// <summary>Always <c>Config</c>.</summary>
    [YamlMember(Alias = "kind")]
    public string Kind { get; set; } = "Config";

    /// <summary>The cluster used when none is named.</summary>
    [YamlMember(Alias = "current-cluster")]
    public string? CurrentCluster { get; set; }

    /// <summary>Every known cluster.</summary>
    [YamlMember(Alias = "clusters")]
    public List<ClusterEntry> Clusters { get; set; } = [];

    /// <summary>The entry named <paramref name="name"/>, if any.</summary>
    public ClusterEntry? Find(string? name) => name is null ? null : Clusters.FirstOrDefault(c => c.Name == name);
}

/// <summary>
/// Reads and writes the CLI config file: <c>--config</c> → <c>$OTHERIX_CONFIG</c> → <c>~/.otherix/config</c>.
/// Writes are atomic (temp file in the same directory, fsync, rename, directory fsync) with mode 0600 in a
/// 0700 directory; a file that does not parse is an error naming the path and line, never overwritten.
/// </summary>
public static class CliConfigFile
{
    private const UnixFileMode FileMode = AtomicFile.OwnerOnly;
    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>The path in use.</summary>
    public static string PathFor(string? flag, System.Collections.IDictionary environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return flag ?? (environment["OTHERIX_CONFIG"] as string is { Length: > 0 } env ? env
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".otherix", "config"));
    }

    /// <summary>Loads the file; a missing file is an empty config.</summary>
    /// <exception cref="CliException">The file exists but is not a config.</exception>
    public static CliConfig Load(string path, TextWriter? warnings = null)
    {
        if (!File.Exists(path))
        {
            return new CliConfig();
        }

        if ((File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0)
        {
            warnings?.WriteLine($"warning: {path} is readable by others (it holds tokens); the next change writes it 0600");
        }

        try
        {
            var deserializer = new DeserializerBuilder().Build();
            var config = deserializer.Deserialize<CliConfig?>(File.ReadAllText(path)) ?? new CliConfig();
            return config.ApiVersion == "otherix/v1" && config.Kind == "Config"
                ? config
                : throw new CliException($"config: {path}: not an otherix config (apiVersion {config.ApiVersion}, kind {config.Kind})");
        }
        catch (YamlException e)
        {
            throw new CliException($"config: {path}:{e.Start.Line}: {e.InnerException?.Message ?? e.Message}; fix or remove the file");
        }
    }

    /// <summary>
    /// Load, change, save under an exclusive lock on <c>&lt;path&gt;.lock</c>, so two CLIs changing the file at
    /// once both get their change in. The change may throw to leave the file as it was.
    /// </summary>
    public static T Update<T>(string path, TextWriter? warnings, Func<CliConfig, T> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        using var held = Lock(path);
        var config = Load(path, warnings);
        var result = change(config);
        Save(path, config);
        return result;
    }

    private static FileStream Lock(string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!, DirectoryMode);
        var deadline = Environment.TickCount64 + 10_000;
        while (true)
        {
            try
            {
                // FileShare.None is an exclusive flock(2) on Unix.
                return new FileStream(full + ".lock", new FileStreamOptions
                {
                    Mode = System.IO.FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None, UnixCreateMode = FileMode,
                });
            }
            catch (IOException) when (Environment.TickCount64 < deadline)
            {
                Thread.Sleep(20);
            }
            catch (IOException e)
            {
                throw new CliException($"config: {full} is being changed by another otherix for 10 s ({e.Message}); try again");
            }
        }
    }

    /// <summary>Writes the file atomically, 0600 in a 0700 directory.</summary>
    public static void Save(string path, CliConfig config)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory, DirectoryMode);
        if ((File.GetUnixFileMode(directory) & ~DirectoryMode) != 0)
        {
            File.SetUnixFileMode(directory, DirectoryMode);
        }

        AtomicFile.Write(full, new SerializerBuilder().ConfigureDefaultValuesHandling(DefaultValuesHandling.OmitNull).Build().Serialize(config), FileMode);
    }
}
