using System.Xml.Linq;
using Otherix.Agent.Templates;
using Otherix.Testing;

namespace Otherix.Agent.Tests.Templates;

public sealed class XmlTemplateRendererTests
{
    private const string Evil = "a'b\"c<d>e&f</name><evil attr='x'/>";
    private static readonly XNamespace Otx = "https://otherix.dev/xmlns/vm/1";
    private readonly XmlTemplateRenderer _renderer = new(Path.Combine(RepoLayout.Root, "templates"));

    private static DomainTemplateModel Domain(string owner = "alice", string imageUrl = "http://127.0.0.1/img.qcow2", string cpuMode = "", string consoleLog = "") =>
        new("otx-web", Guid.Parse("6f1c2a8e-7d3b-4b8e-9f0a-1c2d3e4f5a6b"), "web", owner, "default", imageUrl, "task-1", "qemu",
            "x86_64", "pc", cpuMode, 256, 1, "/var/lib/otherix/pools/default/vms/web.qcow2", "/var/lib/otherix/pools/default/vms/web-cidata.iso",
            "ide", "hdc", consoleLog);

    [Test]
    public void Domain_RendersWellFormedXmlWithTheModel()
    {
        var xml = XDocument.Parse(_renderer.Render("domain.xml.sbn", Domain()));
        var root = xml.Root!;

        Assert.That(root.Attribute("type")?.Value, Is.EqualTo("qemu"));
        Assert.That(root.Element("name")?.Value, Is.EqualTo("otx-web"));
        Assert.That(root.Element("uuid")?.Value, Is.EqualTo("6f1c2a8e-7d3b-4b8e-9f0a-1c2d3e4f5a6b"));
        Assert.That(root.Element("memory")?.Value, Is.EqualTo("256"));
        Assert.That(root.Element("os")?.Element("type")?.Attribute("machine")?.Value, Is.EqualTo("pc"));
        Assert.That(root.Element("cpu"), Is.Null, "no cpu element under TCG");
        Assert.That(root.Descendants("log"), Is.Empty);
        var meta = root.Element("metadata")!.Element(Otx + "vm")!;
        Assert.That(meta.Element(Otx + "owner")?.Value, Is.EqualTo("alice"));
        Assert.That(meta.Element(Otx + "task")?.Value, Is.EqualTo("task-1"));
        Assert.That(root.Descendants("disk").Select(d => d.Attribute("device")?.Value), Is.EqualTo(new[] { "disk", "cdrom" }));
    }

    [Test]
    public void Domain_OptionalParts_AppearWhenSet()
    {
        var root = XDocument.Parse(_renderer.Render("domain.xml.sbn", Domain(cpuMode: "host-passthrough", consoleLog: "/var/log/x.log"))).Root!;

        Assert.That(root.Element("cpu")?.Attribute("mode")?.Value, Is.EqualTo("host-passthrough"));
        Assert.That(root.Descendants("log").Single().Attribute("file")?.Value, Is.EqualTo("/var/log/x.log"));
    }

    [Test]
    public void Domain_SpecialCharactersInValues_CannotChangeTheStructure()
    {
        var rendered = _renderer.Render("domain.xml.sbn", Domain(owner: Evil, imageUrl: "http://h/x?a=1&b='2'"));
        var root = XDocument.Parse(rendered).Root!;

        Assert.That(root.Descendants("evil"), Is.Empty);
        var meta = root.Element("metadata")!.Element(Otx + "vm")!;
        Assert.That(meta.Element(Otx + "owner")?.Value, Is.EqualTo(Evil));
        Assert.That(meta.Element(Otx + "image")?.Value, Is.EqualTo("http://h/x?a=1&b='2'"));
    }

    [Test]
    public void Domain_EvilValueInAnAttribute_StaysInTheAttribute()
    {
        var model = Domain() with { DiskPath = "/tmp/x'/><source file='/etc/shadow" };

        var root = XDocument.Parse(_renderer.Render("domain.xml.sbn", model)).Root!;

        var source = root.Descendants("disk").First().Elements("source").Single();
        Assert.That(source.Attribute("file")?.Value, Is.EqualTo("/tmp/x'/><source file='/etc/shadow"));
    }

    [Test]
    public async Task RenderedXml_PassesVirtXmlValidate()
    {
        HostRequirement.Require("virt-xml-validate missing", File.Exists("/usr/bin/virt-xml-validate") && File.Exists("/usr/bin/xmllint") ? null : "install libvirt-clients and libxml2-utils (tools/host/setup.sh)");
        var cases = new (string Schema, string Xml)[]
        {
            ("domain", _renderer.Render("domain.xml.sbn", Domain(owner: Evil, cpuMode: "host-passthrough", consoleLog: "/var/log/c.log"))),
            ("domain", _renderer.Render("domain.xml.sbn", Domain() with { Arch = "aarch64", Machine = "virt", CdromBus = "scsi", CdromTarget = "sda" })),
            ("storagepool", _renderer.Render("pool.xml.sbn", new PoolTemplateModel("otx-default", "/var/lib/otherix/pools/default"))),
            ("storagevol", _renderer.Render("volume-overlay.xml.sbn", new OverlayVolumeTemplateModel("web.qcow2", 10UL << 30, "/p/images/img.qcow2", "qcow2"))),
            ("storagevol", _renderer.Render("volume-raw.xml.sbn", new RawVolumeTemplateModel("web-cidata.iso", 59392))),
        };
        foreach (var (schema, xml) in cases)
        {
            var file = Path.Combine(Path.GetTempPath(), $"otx-{Guid.NewGuid():N}.xml");
            try
            {
                await File.WriteAllTextAsync(file, xml);
                var result = await CommandRunner.RunAsync("virt-xml-validate", [file, schema], TimeSpan.FromSeconds(30));
                Assert.That(result.ExitCode, Is.Zero, $"{schema}: {result.StandardError}{result.StandardOutput}\n{xml}");
            }
            finally
            {
                File.Delete(file);
            }
        }
    }

    [Test]
    public void Render_UndefinedVariable_Fails()
    {
        var dir = Directory.CreateTempSubdirectory("otx-tpl-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "t.sbn"), "<a>{{ no_such_value }}</a>");
            var renderer = new XmlTemplateRenderer(dir);

            Assert.That(() => renderer.Render("t.sbn", new PoolTemplateModel("n", "p")),
                Throws.InstanceOf<TemplateRenderException>().With.Message.Contains("no_such_value"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void Render_RunawayLoop_IsStopped()
    {
        var dir = Directory.CreateTempSubdirectory("otx-tpl-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "t.sbn"), "{{ for i in 1..100000 }}x{{ end }}");
            var renderer = new XmlTemplateRenderer(dir);

            Assert.That(() => renderer.Render("t.sbn", new PoolTemplateModel("n", "p")), Throws.InstanceOf<TemplateRenderException>());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void Render_MissingTemplate_Fails()
    {
        Assert.That(() => _renderer.Render("nope.sbn", new PoolTemplateModel("n", "p")),
            Throws.InstanceOf<TemplateRenderException>().With.Message.Contains("nope.sbn"));
    }
}
