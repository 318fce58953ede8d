using Otherix.Bindgen;
using Otherix.Testing;

namespace Otherix.Native.Tests.Generated;

public sealed class GeneratedBindingsTests
{
    private static readonly string CheckedIn = Path.Combine(RepoLayout.Root, "Otherix.Native", "Generated");

    [Test]
    public void Regenerating_MatchesTheCheckedInFilesByteForByte()
    {
        HostRequirement.Require("libvirt headers missing", File.Exists("/usr/include/libvirt/libvirt.h") ? null : "install libvirt-dev (tools/host/setup.sh)");
        var output = Directory.CreateTempSubdirectory("otherix-bindgen-").FullName;
        try
        {
            var written = BindingGenerator.Generate(GeneratorOptions.Default(output));

            var expected = Directory.GetFiles(CheckedIn, "*.g.cs").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
            var actual = written.Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
            Assert.That(actual, Is.EqualTo(expected), "the set of generated files changed: run make bindings");
            foreach (var name in actual)
            {
                Assert.That(
                    File.ReadAllBytes(Path.Combine(output, name!)),
                    Is.EqualTo(File.ReadAllBytes(Path.Combine(CheckedIn, name!))),
                    $"{name} is stale: run make bindings and commit the result");
            }
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [Test]
    public void Generated_BindsEveryFunctionLibvirtDocuments()
    {
        const string ApiXml = "/usr/share/libvirt/api/libvirt-api.xml";
        HostRequirement.Require("libvirt API description missing", File.Exists(ApiXml) ? null : "install libvirt-dev (tools/host/setup.sh)");
        var documented = System.Xml.Linq.XDocument.Load(ApiXml).Descendants("function")
            .Select(f => (string)f.Attribute("name")!)
            .ToHashSet(StringComparer.Ordinal);

        var bound = Directory.GetFiles(CheckedIn, "*.g.cs")
            .SelectMany(File.ReadLines)
            .Select(line => System.Text.RegularExpressions.Regex.Match(line, "EntryPoint = \"(\\w+)\""))
            .Where(m => m.Success)
            .Select(m => m.Groups[1].Value)
            .ToHashSet(StringComparer.Ordinal);

        Assert.That(documented.Except(bound).Order(StringComparer.Ordinal), Is.Empty, "documented but not bound");
        Assert.That(bound.Except(documented).Order(StringComparer.Ordinal), Is.Empty, "bound but not documented");
    }

    [Test]
    public unsafe void Structs_HaveTheSizesOfTheCHeaders()
    {
        // Sizes on x86_64 Linux (LP64), as the C compiler lays them out.
        Assert.That(sizeof(Otherix.Native.Generated.virNodeInfo), Is.EqualTo(64));
        Assert.That(sizeof(Otherix.Native.Generated.virDomainInfo), Is.EqualTo(40));
        Assert.That(sizeof(Otherix.Native.Generated.virTypedParameter), Is.EqualTo(96));
        Assert.That(sizeof(Otherix.Native.Generated.virStoragePoolInfo), Is.EqualTo(32));
        Assert.That(sizeof(Otherix.Native.Generated.virStorageVolInfo), Is.EqualTo(24));
    }
}
