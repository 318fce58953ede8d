using System.Text;
using Otherix.Agent.CloudInit;
using Otherix.Testing;

namespace Otherix.Agent.Tests.CloudInit;

/// <summary>Our ISO 9660 + Joliet writer, checked with isoinfo (genisoimage's reader).</summary>
public sealed class IsoImageWriterTests
{
    private static readonly DateTimeOffset Timestamp = new(2026, 12, 4, 10, 30, 15, TimeSpan.Zero);
    private string _path = null!;

    [SetUp]
    public void RequireIsoinfo()
    {
        HostRequirement.Require("isoinfo missing", File.Exists("/usr/bin/isoinfo") ? null : "install genisoimage (tools/host/setup.sh)");
        _path = Path.Combine(Path.GetTempPath(), $"otx-iso-{Guid.NewGuid():N}.iso");
    }

    [TearDown]
    public void Remove() => File.Delete(_path);

    [Test]
    public async Task Build_Seed_HasLabelJolietAndPrimaryNames()
    {
        await File.WriteAllBytesAsync(_path, NoCloudSeed.Build(Guid.NewGuid(), "vm-1", null, "version: 2\n", Timestamp));

        var descriptor = await IsoInfo("-d", "-i", _path);
        var joliet = await IsoInfo("-J", "-l", "-i", _path);
        var primary = await IsoInfo("-l", "-i", _path);

        Assert.That(descriptor, Does.Contain("Volume id: cidata"));
        Assert.That(descriptor, Does.Contain("Joliet with UCS level 3 found"));
        Assert.That(descriptor, Does.Contain("Logical block size is: 2048"));
        Assert.That(joliet, Does.Contain(" meta-data ").And.Contain(" user-data ").And.Contain(" network-config "));
        Assert.That(primary, Does.Contain("META_DAT.;1").And.Contain("USER_DAT.;1").And.Contain("NETWORK_.;1"));
        Assert.That(joliet, Does.Contain("Dec  4 2026"));
    }

    [Test]
    public async Task Build_Files_AreByteExactThroughBothNameSets()
    {
        var id = Guid.NewGuid();
        var userData = "#cloud-config\n#marker: ünïcødé & <xml> 'quotes'\n" + new string('x', 5000) + "\n";
        await File.WriteAllBytesAsync(_path, NoCloudSeed.Build(id, "web-01", userData, null, Timestamp));

        Assert.That(await Extract("-J", "/meta-data"), Is.EqualTo($"instance-id: {id:D}\nlocal-hostname: web-01\n"));
        Assert.That(await Extract("-J", "/user-data"), Is.EqualTo(userData));
        Assert.That(await Extract(null, "/USER_DAT.;1"), Is.EqualTo(userData));
        var listing = await IsoInfo("-J", "-l", "-i", _path);
        Assert.That(listing, Does.Match($@"\s{Encoding.UTF8.GetByteCount(userData)} .* user-data"));
        Assert.That(listing, Does.Not.Contain("network-config"));
    }

    [Test]
    public void Build_SameInput_SameBytes()
    {
        var id = Guid.NewGuid();

        var first = NoCloudSeed.Build(id, "a", "x", null, Timestamp);
        var second = NoCloudSeed.Build(id, "a", "x", null, Timestamp);

        Assert.That(second, Is.EqualTo(first));
    }

    [Test]
    public async Task Build_EmptyAndSectorSizedFiles_KeepTheirLengths()
    {
        var files = new List<IsoFile>
        {
            new("empty", Array.Empty<byte>()),
            new("exact", new byte[2048]),
            new("over.bin", Enumerable.Range(0, 2049).Select(i => (byte)i).ToArray()),
        };
        await File.WriteAllBytesAsync(_path, IsoImageWriter.Build("TESTVOL", files, Timestamp));

        Assert.That(await Extract("-J", "/empty"), Is.Empty);
        Assert.That((await ExtractBytes("-J", "/exact")).Length, Is.EqualTo(2048));
        Assert.That(await ExtractBytes("-J", "/over.bin"), Is.EqualTo(files[2].Content.ToArray()));
        Assert.That(await IsoInfo("-l", "-i", _path), Does.Contain("OVER.BIN;1").And.Contain("EMPTY.;1"));
    }

    [TestCase("")]
    [TestCase("a/b")]
    [TestCase("..")]
    [TestCase("semi;colon")]
    [TestCase("tab\tname")]
    public void Build_BadFileName_Throws(string name)
    {
        Assert.That(() => IsoImageWriter.Build("cidata", [new IsoFile(name, new byte[1])], Timestamp), Throws.ArgumentException);
    }

    [TestCase("")]
    [TestCase("seventeen-chars-x")]
    [TestCase("with space")]
    public void Build_BadVolumeId_Throws(string volumeId)
    {
        Assert.That(() => IsoImageWriter.Build(volumeId, [], Timestamp), Throws.ArgumentException);
    }

    [TestCase("-leading")]
    [TestCase("trailing-")]
    [TestCase("under_score")]
    [TestCase("a:b")]
    public void Seed_BadHostname_Throws(string hostname)
    {
        Assert.That(() => NoCloudSeed.Build(Guid.NewGuid(), hostname, null, null, Timestamp), Throws.ArgumentException);
    }

    [Test]
    public void Build_CollidingShortNames_GetDistinctPrimaryNames()
    {
        var image = IsoImageWriter.Build("X", [new IsoFile("user-data-a", new byte[1]), new IsoFile("user-data-b", new byte[1])], Timestamp);

        Assert.That(Encoding.ASCII.GetString(image), Does.Contain("USER_DAT.;1").And.Contain("USER_DA1.;1"));
    }

    private async Task<string> Extract(string? mode, string name) => Encoding.UTF8.GetString(await ExtractBytes(mode, name));

    private async Task<byte[]> ExtractBytes(string? mode, string name)
    {
        var output = Path.GetTempFileName();
        try
        {
            string[] args = mode is null ? ["-i", _path, "-x", name] : [mode, "-i", _path, "-x", name];
            var result = await CommandRunner.RunAsync("sh", ["-c", $"isoinfo {string.Join(' ', args.Select(a => $"'{a}'"))} > '{output}'"], TimeSpan.FromSeconds(30));
            result.EnsureSuccess($"isoinfo -x {name}");
            return await File.ReadAllBytesAsync(output);
        }
        finally
        {
            File.Delete(output);
        }
    }

    private static async Task<string> IsoInfo(params string[] args) =>
        (await CommandRunner.RunAsync("isoinfo", args, TimeSpan.FromSeconds(30))).EnsureSuccess("isoinfo").StandardOutput;
}
