using System.Text.Json.Nodes;
using ChannelService.Tests.Support;

namespace ChannelService.Tests.Deployment;

/// <summary>
/// Runs deploy/test-nginx.sh: the service published with `dotnet publish`, started from / behind Debian's nginx
/// configured from deploy/nginx.conf.example with a self-signed certificate, all on loopback. Needs the Debian
/// packages nginx, openssl and curl (.ci/run installs them).
/// </summary>
public sealed class NginxDeploymentTests
{
    [Test]
    public async Task Published_Service_Works_Behind_Nginx_With_Tls()
    {
        var artifacts = Path.Combine(Path.GetTempPath(), "channelservice-nginx-artifacts-" + Guid.NewGuid().ToString("N"));
        var httpsPort = ProcessRunner.FreeLoopbackPort();
        try
        {
            var (exit, stdout, stderr) = await ProcessRunner.RunAsync(
                "bash",
                [Path.Combine(TestPaths.RepositoryRoot, "deploy", "test-nginx.sh")],
                new Dictionary<string, string>
                {
                    ["HTTPS_PORT"] = httpsPort.ToString(),
                    ["HTTP_PORT"] = ProcessRunner.FreeLoopbackPort().ToString(),
                    ["SERVICE_PORT"] = ProcessRunner.FreeLoopbackPort().ToString(),
                    ["ARTIFACTS_DIR"] = artifacts,
                },
                TimeSpan.FromMinutes(8));

            Assert.That(exit, Is.EqualTo(0), stdout + stderr);
            Assert.That(stdout, Does.Contain("ok: every manifest URL is under the public https base URL")
                .And.Contain("ok: /health is 200 through https")
                .And.Contain("ok: /about renders")
                .And.Contain("ok: /installer-app.zip downloads")
                .And.Contain("ok: POST /pull without metadata: a 401 JSON error passes through intact")
                .And.Contain("ok: POST /admin renders the admin UI through https")
                .And.Contain("ok: a real pull through https returns the feed's task as an external resource"));

            // What came through the proxy is what Zendesk accepts: the manifest by its schema, the app by its validator.
            var baseUrl = $"https://127.0.0.1:{httpsPort}";
            var manifest = await File.ReadAllTextAsync(Path.Combine(artifacts, "manifest.json"));
            ZendeskSchemas.AssertValid("manifest.json", manifest);
            Assert.That((string)JsonNode.Parse(manifest)!["urls"]!["admin_ui"]!, Is.EqualTo(baseUrl + "/admin"));
            ZendeskSchemas.AssertValid("pull_payload.json", await File.ReadAllTextAsync(Path.Combine(artifacts, "pull-real.json")));
            var zip = await File.ReadAllBytesAsync(Path.Combine(artifacts, "installer-app.zip"));
            Assert.That(ZendeskAppValidator.Validate(zip), Is.Empty);
            var requirements = JsonNode.Parse(ZendeskAppValidator.ReadZip(zip).Single(e => e.Path == "requirements.json").Content)!;
            Assert.That((string)requirements["channel_integrations"]!.AsObject().Single().Value!["manifest_url"]!, Is.EqualTo(baseUrl + "/manifest.json"));
        }
        finally
        {
            if (Directory.Exists(artifacts))
            {
                Directory.Delete(artifacts, recursive: true);
            }
        }
    }
}
