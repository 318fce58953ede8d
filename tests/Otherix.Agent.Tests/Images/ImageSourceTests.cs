using Otherix.Agent.Images;

namespace Otherix.Agent.Tests.Images;

public sealed class ImageSourceTests
{
    [TestCase("https://cloud.example/images/noble.img", "noble.img")]
    [TestCase("http://127.0.0.1:8000/a/b/fixture.qcow2?sig=1#x", "fixture.qcow2")]
    [TestCase("http://127.0.0.1/a%20b.img", "a b.img")]
    public void Parse_GoodUrl_NamesTheBasename(string url, string name)
    {
        Assert.That(ImageSource.Parse(url).Name, Is.EqualTo(name));
    }

    [TestCase("ftp://127.0.0.1/x.img")]
    [TestCase("file:///etc/passwd")]
    [TestCase("/relative/x.img")]
    [TestCase("not a url")]
    [TestCase("http://127.0.0.1/")]
    [TestCase("http://127.0.0.1/dir/")]
    [TestCase("http://127.0.0.1/a/..")]
    [TestCase("http://127.0.0.1/%2e%2e")]
    [TestCase("http://127.0.0.1/x/%2e")]
    [TestCase("http://127.0.0.1/a%2fb.img")]
    [TestCase("http://127.0.0.1/a%5cb.img")]
    [TestCase("http://127.0.0.1/a%00b.img")]
    [TestCase("http://127.0.0.1/a%0ab.img")]
    [TestCase("http://127.0.0.1/.hidden.img")]
    public void Parse_BadUrl_IsRejected(string url)
    {
        var error = Assert.Throws<ImageException>(() => ImageSource.Parse(url));

        Assert.That(error!.Code, Is.EqualTo(ImageErrorCodes.ValidationFailed));
        Assert.That(error.Message, Does.Contain(url));
    }

    [TestCase("sha256:abc")]
    [TestCase("md5:d41d8cd98f00b204e9800998ecf8427e")]
    [TestCase("sha256:zz3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    [TestCase("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    public void Parse_BadChecksum_IsRejected(string checksum)
    {
        var error = Assert.Throws<ImageException>(() => ImageSource.Parse("http://127.0.0.1/x.img", checksum));

        Assert.That(error!.Code, Is.EqualTo(ImageErrorCodes.ValidationFailed));
    }

    [Test]
    public void Parse_Checksum_IsNormalisedToLowerHex()
    {
        var source = ImageSource.Parse("http://127.0.0.1/x.img", "SHA256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855");

        Assert.That(source.ExpectedSha256, Is.EqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    }
}
