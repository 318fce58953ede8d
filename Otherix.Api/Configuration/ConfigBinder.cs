using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Otherix.Api.Configuration;

/// <summary>Thrown when the configuration is invalid; <see cref="Errors"/> lists every problem found.</summary>
public sealed class ConfigException(IReadOnlyList<string> errors)
    : Exception("invalid configuration:\n  " + string.Join("\n  ", errors))
{
    /// <summary>One line per problem, each naming where the value came from.</summary>
    public IReadOnlyList<string> Errors { get; } = errors;
}

/// <summary>Reports a range problem with where the value came from.</summary>
/// <param name="ok">False to report.</param>
/// <param name="path">Dotted key, e.g. <c>auth.jwt_access_ttl</c>.</param>
/// <param name="message">What is wrong.</param>
public delegate void ConfigCheck(bool ok, string path, string message);

/// <summary>
/// Reads a YAML configuration file, applies <c>&lt;prefix&gt;SECTION__KEY</c> environment overrides
/// (<c>__</c> nests; variables whose first part is not a section of the configuration record are left to
/// other programs), binds the result to the configuration record (keys are the
/// <c>snake_case</c> of its properties) and checks it. Every problem is collected before failing:
/// unknown keys, values of the wrong type, values out of range.
/// </summary>
public static class ConfigBinder
{
    /// <summary>Loads <paramref name="path"/> (or defaults when null) with overrides from <paramref name="environment"/>.</summary>
    /// <typeparam name="T">The configuration record; properties with defaults, nested records, lists of strings.</typeparam>
    /// <exception cref="ConfigException">Anything is wrong.</exception>
    public static T Load<T>(string? path, IDictionary environment, string envPrefix, Action<T, ConfigCheck> validate)
        where T : class, new()
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(validate);
        var errors = new List<string>();
        var root = new Node.Map(path ?? "defaults");
        if (path is not null)
        {
            ReadYaml(path, root, errors);
        }

        ApplyEnvironment(typeof(T), environment, envPrefix, root);
        var config = (T)Bind(typeof(T), root, "", errors);
        // Values that failed to bind kept their (valid) defaults, so nothing is reported twice.
        validate(config, (ok, key, message) =>
        {
            if (!ok)
            {
                errors.Add($"{SourceOf(root, key)}: {key}: {message}");
            }
        });
        return errors.Count == 0 ? config : throw new ConfigException(errors);
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

    private static void ApplyEnvironment(Type type, IDictionary environment, string envPrefix, Node.Map root)
    {
        var sections = type.GetProperties().Select(p => ConfigValues.KeyOf(p.Name)).ToHashSet(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in environment)
        {
            var name = (string)entry.Key;
            if (!name.StartsWith(envPrefix, StringComparison.Ordinal) || !name.Contains("__", StringComparison.Ordinal))
            {
                continue;
            }

            var parts = name[envPrefix.Length..].ToLowerInvariant().Split("__");
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
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).ToDictionary(p => ConfigValues.KeyOf(p.Name), StringComparer.Ordinal);
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

            if (node is Node.Scalar commaSeparated)
            {
                // From the environment: "a,b,c".
                value = commaSeparated.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
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
            value = ConfigValues.TryParseDuration(text, out var duration) ? duration : null;
            problem = value is null ? "is not a duration (examples: 500ms, 30s, 15m, 720h)" : null;
        }
        else if (type.IsEnum)
        {
            var names = Enum.GetNames(type).ToDictionary(ConfigValues.KeyOf, n => n, StringComparer.Ordinal);
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

/// <summary>Value rules shared by every configuration file.</summary>
public static class ConfigValues
{
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
}
