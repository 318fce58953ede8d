using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Otherix.Control.Tests;

public sealed class HealthzTests
{
    [Test]
    public async Task Healthz_AnswersOk()
    {
        await using var factory = new WebApplicationFactory<Program>();
        using var client = factory.CreateClient();

        using var response = await client.GetAsync(new Uri("/healthz", UriKind.Relative));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo("ok\n"));
    }
}
