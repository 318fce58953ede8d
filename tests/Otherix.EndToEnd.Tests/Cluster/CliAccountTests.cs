using System.Text.RegularExpressions;
using Otherix.Testing;

namespace Otherix.EndToEnd.Tests.Cluster;

/// <summary><c>otherix user|token</c> against a real control plane.</summary>
public sealed partial class CliAccountTests
{
    [Test]
    public async Task UserAndTokenCommands_WorkAsTyped()
    {
        await using var cluster = await TestCluster.StartAsync();
        var env = new Dictionary<string, string> { ["OTHERIX_SERVER"] = cluster.Http.BaseAddress!.ToString(), ["OTHERIX_API_TOKEN"] = cluster.AdminToken };
        async Task<string> OtherixAsync(int expectedExit, IReadOnlyDictionary<string, string> environment, params string[] args)
        {
            using var cli = ChildProcess.Start("otherix.dll", args, environment);
            Assert.That(await cli.WaitAsync(TimeSpan.FromSeconds(60)), Is.EqualTo(expectedExit), $"otherix {string.Join(' ', args)}: {cli.Output}");
            return cli.Output;
        }

        var withPassword = new Dictionary<string, string>(env) { ["OTHERIX_PASSWORD"] = "a-long-enough-password" };
        Assert.That(await OtherixAsync(0, withPassword, "user", "create", "dev@otherix.test", "--role", "developer"), Does.Contain("user dev@otherix.test created (role developer)"));
        Assert.That(await OtherixAsync(1, withPassword, "user", "create", "x@otherix.test", "--role", "god"), Does.Contain("usage: role \"god\""));
        Assert.That(await OtherixAsync(0, env, "user", "list"), Does.Match(@"EMAIL\s+ROLE").And.Match(@"dev@otherix.test\s+developer\s+-\s+never"));
        Assert.That(await OtherixAsync(0, env, "user", "set-role", "dev@otherix.test", "operator"), Does.Contain("user dev@otherix.test is now operator"));

        var created = await OtherixAsync(0, env, "token", "create", "laptop", "--expires-in", "30d");
        var plaintext = TokenLine().Match(created).Groups[1].Value;
        var id = IdLine().Match(created).Groups[1].Value;
        Assert.That(plaintext, Does.StartWith("otx_"));
        var asToken = new Dictionary<string, string> { ["OTHERIX_SERVER"] = env["OTHERIX_SERVER"], ["OTHERIX_API_TOKEN"] = plaintext };
        Assert.That(await OtherixAsync(0, asToken, "token", "list"), Does.Match(@"ID\s+NAME\s+PREFIX").And.Contain("laptop"));
        Assert.That(await OtherixAsync(1, env, "token", "revoke", id), Does.Contain("--force"));
        Assert.That(await OtherixAsync(0, env, "token", "revoke", id, "--force"), Does.Contain($"token {id} revoked"));
        Assert.That(await OtherixAsync(1, asToken, "token", "list"), Does.Contain("error: api_error: token_revoked:"));

        Assert.That(await OtherixAsync(0, env, "user", "delete", "dev@otherix.test", "--force"), Does.Contain("user dev@otherix.test deleted"));
        Assert.That(await OtherixAsync(1, env, "user", "delete", "dev@otherix.test", "--force"), Does.Contain("not found"));
    }

    [GeneratedRegex(@"token: (otx_\S+)")]
    private static partial Regex TokenLine();

    [GeneratedRegex(@"id: (\S+)")]
    private static partial Regex IdLine();
}
