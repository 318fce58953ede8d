using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Otherix.Control.Configuration;

/// <summary>Thrown when the configuration is invalid; <see cref="Errors"/> lists every problem found.</summary>
public sealed class ConfigException(IReadOnlyList<string> errors)
    : Exception("invalid configuration:\n  " + string.Join("\n  ", errors))
{
    /// <summary>One line per problem, each naming where the value came from.</summary>
    public IReadOnlyList<string> Errors { get; } = errors;
}

/// <summary>
/// Reads <c>api.yaml</c>, applies <c>OTHERIX_SECTION__KEY</c> environment overrides (<c>__</c> nests;
/// variables whose first part is not a section of this file are left to other programs), binds the
/// result to <see cref="ApiConfig"/> and checks it. Every problem is collected before failing: unknown
/// keys, values of the wrong type, values out of range.
/// </summary>
public static class ConfigLoader
{
    private const string EnvPrefix = "OTHERIX_";

    /// <summary>Loads <paramref name="path"/> (or defaults when null) with overrides from <paramref name="environment"/>.</summary>
    /// <exception cref="ConfigException">Anything is wrong.</exception>
    public static ApiConfig Load(string? path, IDictionary environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var errors = new List<string>();
        var root = new Node.Map(path ?? "defaults");
        if (path is not null)
        {
            ReadYaml(path, root, errors);
        }

        ApplyEnvironment(environment, root);
        var config = (ApiConfig)Bind(typeof(ApiConfig), root, "", errors);
        Validate(config, root, errors); // values that failed to bind kept their (valid) defaults, so nothing is reported twice

        return errors.Count == 0 ? config : throw new ConfigException(errors);
    }

    /// <summary>Parses a Go-style duration: <c>500ms</c>, <c>30s</c>, <c>15m</c>, <c>720h</c>, <c>1h30m</c>, also <c>7d</c>.</summary>
    public static bool TryParseDuration(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (string.IsNullOrEmpty(text) || text == "0")
        {
            return text == "0";
        }

        var i = 0;
        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.'))
            {
                i++;
            }

            var unitStart = i;
            while (i < text.Length && char.IsAsciiLetterLower(text[i]))
            {
                i++;
            }

            if (start == unitStart || !double.TryParse(text.AsSpan(start, unitStart - start), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                return false;
            }

            double? ms = text[unitStart..i] switch
            {
                "ms" => number,
                "s" => number * 1000,
                "m" => number * 60_000,
                "h" => number * 3_600_000,
                "d" => number * 86_400_000,
                _ => null,
            };
            if (ms is null)
            {
                return false;
            }

            value += TimeSpan.FromMilliseconds(ms.Value);
        }

        return true;
    }

    /// <summary>The <c>snake_case</c> key of a property name.</summary>
    public static string KeyOf(string propertyName)
    {
        var key = new StringBuilder(propertyName.Length + 4);
        for (var i = 0; i < propertyName.Length; i++)
        {
            var c = propertyName[i];
            if (char.IsUpper(c) && i > 0)
            {
                key.Append('_');
            }

            key.Append(char.ToLowerInvariant(c));
        }

        return key.ToString();
    }

    private static void ReadYaml(string path, Node.Map root, List<string> errors)
    {
        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(path);
            stream.Load(reader);
        }
        catch (IOException e)
        {
            errors.Add($"{path}: cannot read: {e.Message}");
            return;
        }
        catch (UnauthorizedAccessException e)
        {
            errors.Add($"{path}: cannot read: {e.Message}");
            return;
        }
        catch (YamlException e)
        {
            errors.Add($"{path}:{e.Start.Line}:{e.Start.Column}: not valid YAML: {e.InnerException?.Message ?? e.Message}");
            return;
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
        {
            return;
        }

        if (stream.Documents[0].RootNode is not YamlMappingNode mapping)
        {
            errors.Add($"{path}: the top level must be a mapping of sections");
            return;
        }

        Fill(root, mapping, path, "", errors);
    }

    private static void Fill(Node.Map target, YamlMappingNode mapping, string file, string prefix, List<string> errors)
    {
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value ?? "";
            var source = $"{file}:{keyNode.Start.Line}";
            var path = prefix + key;
            switch (valueNode)
            {
                case YamlMappingNode child:
                    var map = new Node.Map(source);
                    target.Children[key] = map;
                    Fill(map, child, file, path + ".", errors);
                    break;
                case YamlSequenceNode sequence:
                    var items = new List<string>();
                    foreach (var item in sequence.Children)
                    {
                        if (item is YamlScalarNode scalar)
                        {
                            items.Add(scalar.Value ?? "");
                        }
                        else
                        {
                            errors.Add($"{file}:{item.Start.Line}: {path}: list items must be plain values");
                        }
                    }

                    target.Children[key] = new Node.List(source, items);
                    break;
                case YamlScalarNode scalar:
                    target.Children[key] = new Node.Scalar(source, scalar.Value ?? "");
                    break;
                default:
                    errors.Add($"{source}: {path}: unsupported YAML value");
                    break;
            }
        }
    }

    private static void ApplyEnvironment(IDictionary environment, Node.Map root)
    {
        var sections = typeof(ApiConfig).GetProperties().Select(p => KeyOf(p.Name)).ToHashSet(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in environment)
        {
            var name = (string)entry.Key;
            if (!name.StartsWith(EnvPrefix, StringComparison.Ordinal) || !name.Contains("__", StringComparison.Ordinal))
            {
                continue;
            }

            var parts = name[EnvPrefix.Length..].ToLowerInvariant().Split("__");
            if (!sections.Contains(parts[0]))
            {
                continue; // another program's variable (the agent's OTHERIX_BOOTSTRAP__*, …)
            }

            var map = root;
            foreach (var part in parts[..^1])
            {
                if (!map.Children.TryGetValue(part, out var child) || child is not Node.Map childMap)
                {
                    childMap = new Node.Map(name);
                    map.Children[part] = childMap;
                }

                map = childMap;
            }

            var value = (string?)entry.Value ?? "";
            map.Children[parts[^1]] = map.Children.TryGetValue(parts[^1], out var existing) && existing is Node.List
                ? new Node.List(name, value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                : new Node.Scalar(name, value);
        }
    }

    private static object Bind(Type type, Node.Map map, string prefix, List<string> errors)
    {
        var instance = Activator.CreateInstance(type)!;
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).ToDictionary(p => KeyOf(p.Name), StringComparer.Ordinal);
        foreach (var (key, node) in map.Children)
        {
            var path = prefix + key;
            if (!properties.TryGetValue(key, out var property))
            {
                var known = string.Join(", ", properties.Keys.Order(StringComparer.Ordinal));
                errors.Add($"{node.Source}: {path}: unknown key (known here: {known})");
                continue;
            }

            if (TryConvert(property.PropertyType, node, path, errors, out var value))
            {
                property.SetValue(instance, value);
            }
        }

        return instance;
    }

    private static bool TryConvert(Type type, Node node, string path, List<string> errors, out object? value)
    {
        value = null;
        if (type.IsClass && type != typeof(string) && !typeof(IEnumerable).IsAssignableFrom(type))
        {
            if (node is Node.Map child)
            {
                value = Bind(type, child, path + ".", errors);
                return true;
            }

            errors.Add($"{node.Source}: {path}: expected a mapping of keys");
            return false;
        }

        if (type == typeof(IReadOnlyList<string>))
        {
            if (node is Node.List list)
            {
                value = list.Items;
                return true;
            }

            errors.Add($"{node.Source}: {path}: expected a list");
            return false;
        }

        if (node is not Node.Scalar scalar)
        {
            errors.Add($"{node.Source}: {path}: expected a single value, not a {(node is Node.Map ? "mapping" : "list")}");
            return false;
        }

        var text = scalar.Value.Trim();
        string? problem = null;
        if (type == typeof(string))
        {
            value = scalar.Value;
        }
        else if (type == typeof(int))
        {
            value = int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) ? number : null;
            problem = value is null ? "is not a whole number" : null;
        }
        else if (type == typeof(bool))
        {
            value = text switch { "true" => true, "false" => false, _ => null };
            problem = value is null ? "is not true or false" : null;
        }
        else if (type == typeof(TimeSpan))
        {
            value = TryParseDuration(text, out var duration) ? duration : null;
            problem = value is null ? "is not a duration (examples: 500ms, 30s, 15m, 720h)" : null;
        }
        else if (type.IsEnum)
        {
            var names = Enum.GetNames(type).ToDictionary(KeyOf, n => n, StringComparer.Ordinal);
            value = names.TryGetValue(text, out var name) ? Enum.Parse(type, name) : null;
            problem = value is null ? $"must be one of {string.Join(", ", names.Keys)}" : null;
        }
        else
        {
            throw new InvalidOperationException($"config type {type} of {path} is not supported");
        }

        if (problem is not null)
        {
            errors.Add($"{node.Source}: {path}: \"{scalar.Value}\" {problem}");
            return false;
        }

        return true;
    }

    private static void Validate(ApiConfig c, Node.Map root, List<string> errors)
    {
        void Check(bool ok, string path, string message)
        {
            if (!ok)
            {
                errors.Add($"{SourceOf(root, path)}: {path}: {message}");
            }
        }

        Check(ListenAddress.TryParse(c.Server.Listen, out _), "server.listen", $"\"{c.Server.Listen}\" is not host:port");
        Check(c.Server.ShutdownGrace >= TimeSpan.Zero, "server.shutdown_grace", "must not be negative");
        Check(c.Store.DataDir.Length > 0, "store.data_dir", "must be set");
        Check(c.Auth.JwtSecret.Length == 0 || Encoding.UTF8.GetByteCount(c.Auth.JwtSecret) >= 32, "auth.jwt_secret", "must be at least 32 bytes (or empty to generate one)");
        Check(c.Auth.JwtAccessTtl >= TimeSpan.FromMinutes(1) && c.Auth.JwtAccessTtl <= TimeSpan.FromHours(24), "auth.jwt_access_ttl", "must be between 1m and 24h");
        Check(c.Auth.LoginThrottle.MaxFailures >= 1, "auth.login_throttle.max_failures", "must be at least 1");
        Check(c.Auth.LoginThrottle.Window > TimeSpan.Zero, "auth.login_throttle.window", "must be positive");
        Check(c.Workers.MaxWorkers is >= 1 and <= 256, "workers.max_workers", "must be between 1 and 256");
        Check(c.Workers.Lease >= TimeSpan.FromSeconds(1), "workers.lease", "must be at least 1s");
        Check(c.Workers.PollInterval > TimeSpan.Zero, "workers.poll_interval", "must be positive");
        Check(c.Workers.Tasks.MaxAttempts >= 1, "workers.tasks.max_attempts", "must be at least 1");
        Check(c.Workers.Tasks.Retention.Completed > TimeSpan.Zero, "workers.tasks.retention.completed", "must be positive");
        Check(c.Workers.Tasks.Retention.Failed > TimeSpan.Zero, "workers.tasks.retention.failed", "must be positive");
        Check(c.Workers.Tasks.Retention.SweepInterval > TimeSpan.Zero, "workers.tasks.retention.sweep_interval", "must be positive");
        Check(c.Workers.Heartbeat.Interval >= TimeSpan.FromSeconds(1), "workers.heartbeat.interval", "must be at least 1s");
        Check(c.Workers.Heartbeat.StaleThreshold > c.Workers.Heartbeat.Interval, "workers.heartbeat.stale_threshold", "must be longer than workers.heartbeat.interval");
        Check(ListenAddress.TryParse(c.AgentServer.Listen, out _), "agent_server.listen", $"\"{c.AgentServer.Listen}\" is not host:port");
        Check(!c.AgentServer.Enabled || c.AgentServer.Listen != c.Server.Listen, "agent_server.listen", "must differ from server.listen");
        Check(c.CpCert.Validity >= TimeSpan.FromHours(24), "cp_cert.validity", "must be at least 24h");
    }

    private static string SourceOf(Node.Map root, string path)
    {
        Node node = root;
        foreach (var part in path.Split('.'))
        {
            if (node is not Node.Map map || !map.Children.TryGetValue(part, out var child))
            {
                return "default";
            }

            node = child;
        }

        return node.Source;
    }

    private abstract record Node(string Source)
    {
        public sealed record Map(string Source) : Node(Source)
        {
            public Dictionary<string, Node> Children { get; } = new(StringComparer.Ordinal);
        }

        public sealed record Scalar(string Source, string Value) : Node(Source);

        public sealed record List(string Source, IReadOnlyList<string> Items) : Node(Source);
    }
}
