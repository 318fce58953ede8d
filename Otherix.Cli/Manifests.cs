using System.Text;
using System.Text.Json;
using Otherix.Api.Common;
using Otherix.Api.Json;
using Otherix.Api.Pools;
using Otherix.Api.Vms;
using YamlDotNet.Serialization;

namespace Otherix.Cli;

/// <summary>
/// <c>-o yaml</c> of VMs and pools: <c>otherix/v1</c> manifests (<c>apiVersion, kind, metadata.name, spec</c>,
/// camelCase fields), one document per resource. Only what a create request takes is projected: the
/// server's own fields (ids, status, times) are left out, and so is what the API does not show back
/// (user-data, disk size), so keep the manifest you applied as the record of it.
/// </summary>
internal static class Manifests
{
    /// <summary>The only <c>apiVersion</c>.</summary>
    public const string ApiVersion = "otherix/v1";

    /// <summary>A VM answer (one, or a list page) as manifests.</summary>
    public static string OfVms(string json) => Documents(Many<Vm>(json).Select(v => Document("VM", v.Name, new VmSpec
    {
        ImageUrl = v.ImageUrl,
        ImageSha256 = v.ImageSha256,
        Arch = v.Architecture,
        Vcpus = v.Vcpus,
        MemoryMb = v.MemoryMb,
        Pool = v.Pool,
        Node = v.Node,
    })), NextCursor(json));

    /// <summary>
    /// A pool answer (a pool with its instances, one instance, or a list page) as manifests: one document
    /// with <c>nodeList</c> when every instance of a name shares its path, else one per instance.
    /// </summary>
    public static string OfPools(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        IEnumerable<StoragePool> instances = root.TryGetProperty("instances", out _)
            ? root.Deserialize<PoolConceptView>(ApiJson.Options)!.Instances
            : Many<StoragePool>(json);
        var documents = instances.GroupBy(p => p.Name).SelectMany(pool =>
        {
            var list = pool.ToList();
            return list.Select(p => p.Path).Distinct().Count() == 1 && list.Count > 1
                ? [Document("StoragePool", pool.Key, new PoolSpec { Type = list[0].Type, Path = list[0].Path, NodeList = [.. list.Select(p => p.Node).Order(StringComparer.Ordinal)] })]
                : list.Select(p => Document("StoragePool", pool.Key, new PoolSpec { Type = p.Type, Path = p.Path, Node = p.Node }));
        });
        return Documents(documents, NextCursor(json));
    }

    private static Dictionary<string, object> Document(string kind, string name, object spec) => new()
    {
        ["apiVersion"] = ApiVersion,
        ["kind"] = kind,
        ["metadata"] = new Dictionary<string, string> { ["name"] = name },
        ["spec"] = spec,
    };

    private static string Documents(IEnumerable<object> documents, string? nextCursor)
    {
        var text = new StringBuilder();
        foreach (var document in documents)
        {
            text.Append(text.Length == 0 ? "" : "---\n").Append(CliOutput.YamlWriter.Serialize(document));
        }

        return nextCursor is null ? text.ToString() : text.Append($"# next_cursor: {nextCursor}\n").ToString();
    }

    private static IReadOnlyList<T> Many<T>(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.TryGetProperty("data", out _)
            ? JsonSerializer.Deserialize<ListResponse<T>>(json, ApiJson.Options)!.Data
            : [JsonSerializer.Deserialize<T>(json, ApiJson.Options)!];
    }

    private static string? NextCursor(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.TryGetProperty("meta", out var meta) && meta.TryGetProperty("next_cursor", out var cursor) && cursor.ValueKind == JsonValueKind.String
            ? cursor.GetString()
            : null;
    }
}

/// <summary>The <c>spec</c> of a <c>kind: VM</c> manifest.</summary>
internal sealed class VmSpec
{
    [YamlMember(Alias = "imageURL", Order = 1)]
    public string? ImageUrl { get; set; }

    [YamlMember(Alias = "imageSHA256", Order = 2)]
    public string? ImageSha256 { get; set; }

    [YamlMember(Alias = "arch", Order = 3)]
    public string? Arch { get; set; }

    [YamlMember(Alias = "vcpus", Order = 4)]
    public int? Vcpus { get; set; }

    [YamlMember(Alias = "memoryMB", Order = 5)]
    public int? MemoryMb { get; set; }

    [YamlMember(Alias = "diskGiB", Order = 6)]
    public int? DiskGib { get; set; }

    [YamlMember(Alias = "pool", Order = 7)]
    public string? Pool { get; set; }

    [YamlMember(Alias = "node", Order = 8)]
    public string? Node { get; set; }

    [YamlMember(Alias = "network", Order = 9)]
    public string? Network { get; set; }

    [YamlMember(Alias = "userData", Order = 10, ScalarStyle = YamlDotNet.Core.ScalarStyle.Literal)]
    public string? UserData { get; set; }
}

/// <summary>The <c>spec</c> of a <c>kind: StoragePool</c> manifest: <c>path</c> and exactly one of <c>node</c>/<c>nodeList</c>.</summary>
internal sealed class PoolSpec
{
    [YamlMember(Alias = "type", Order = 1)]
    public string? Type { get; set; }

    [YamlMember(Alias = "path", Order = 2)]
    public string? Path { get; set; }

    [YamlMember(Alias = "node", Order = 3)]
    public string? Node { get; set; }

    [YamlMember(Alias = "nodeList", Order = 4)]
    public List<string>? NodeList { get; set; }
}
