using Otherix.Control.Http;

namespace Otherix.Control.Tests.Http;

public sealed class NamesTests
{
    [TestCase("web-1")]
    [TestCase("a")]
    [TestCase("0db")]
    public void ResourceName_AcceptsDnsLabels(string name) => Assert.That(Names.CheckResourceName(name), Is.Null);

    [TestCase(null, "is required")]
    [TestCase("", "is required")]
    [TestCase("Web", "DNS label")]
    [TestCase("-web", "DNS label")]
    [TestCase("web-", "DNS label")]
    [TestCase("web_1", "DNS label")]
    [TestCase("web.1", "DNS label")]
    [TestCase("名前", "DNS label")]
    [TestCase("a\u0000b", "DNS label")]
    [TestCase("'; DROP TABLE vms; --", "DNS label")]
    [TestCase("3f2504e0-4f89-11d3-9a0c-0305e82c3301", "is a UUID")]
    public void ResourceName_RejectsWithAReason(string? name, string reason) => Assert.That(Names.CheckResourceName(name), Does.Contain(reason));

    [Test]
    public void ResourceName_LongerThan63_IsRejected()
    {
        Assert.That(Names.CheckResourceName(new string('a', 63)), Is.Null);
        Assert.That(Names.CheckResourceName(new string('a', 64)), Does.Contain("at most 63"));
    }

    [TestCase("ok text", true)]
    [TestCase("emoji 💥", true)]
    [TestCase("bell\u0007", false)]
    [TestCase("\u0085next line", false)]
    public void Text_RejectsControlCharactersAndBrokenUnicode(string text, bool clean) => Assert.That(Names.IsClean(text), Is.EqualTo(clean));

    [Test]
    public void Text_WithALoneSurrogate_IsNotClean()
    {
        // Built here: attribute arguments are stored as UTF-8, which cannot hold a lone surrogate.
        Assert.That(Names.IsClean("lone " + '\ud800' + " high"), Is.False);
        Assert.That(Names.IsClean("lone " + '\udc00' + " low"), Is.False);
        Assert.That(Names.CheckText("x" + '\ud800', 10), Does.Contain("broken Unicode"));
    }
}
