using System.Security;
using System.Security.Cryptography;
using System.Text;
using Otherix.Native.Generated;
using Otherix.Testing;

namespace Otherix.Native.Tests.SystemDriver;

/// <summary>
/// The managed layer against a real libvirtd and QEMU (TCG): a dir pool, the fixture uploaded
/// through a volume stream, a qcow2 overlay backed by it, a domain booted to its login prompt
/// read through virDomainOpenConsole, suspend/resume, ACPI shutdown observed as a lifecycle
/// event, and everything removed again.
/// </summary>
[NonParallelizable]
public sealed class FixtureLifecycleTests
{
    private static readonly TimeSpan BootDeadline = TimeSpan.FromSeconds(120);
    private const int MiB = 1024 * 1024;

    private string _name = null!;
    private string _dir = null!;
    private Connection? _connection;
    private string[] _domainsBefore = [];
    private string[] _poolsBefore = [];

    [SetUp]
    public async Task SetUpAsync()
    {
        LibvirtHost.RequireSystem();
        RepoLayout.RequireFixtureImage();
        _domainsBefore = await VirshNames("list");
        _poolsBefore = await VirshNames("pool-list");
        _name = $"otx-nt-{Guid.NewGuid():N}"[..19];
        _dir = Path.Combine("/var/tmp", _name);
        _connection = Connection.Open(LibvirtHost.SystemUri);
    }

    [TearDown]
    public async Task TearDownAsync()
    {
        if (_connection is null)
        {
            return;
        }

        // Best effort: whatever the test left, remove it, then prove the host is as before.
        Ignore(() =>
        {
            using var domain = _connection.LookupDomainByName(_name);
            if (domain.IsActive)
            {
                domain.Destroy();
            }

            domain.Undefine();
        });
        Ignore(() =>
        {
            using var pool = _connection.LookupStoragePoolByName(_name);
            foreach (var volume in pool.ListAllVolumes())
            {
                using (volume)
                {
                    volume.Delete();
                }
            }

            if (pool.IsActive)
            {
                pool.Destroy();
            }

            pool.Delete();
            pool.Undefine();
        });
        _connection.Dispose();
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }

        Assert.That(await VirshNames("list"), Is.EquivalentTo(_domainsBefore), "domains left behind");
        Assert.That(await VirshNames("pool-list"), Is.EquivalentTo(_poolsBefore), "pools left behind");
    }

    [Test]
    public async Task Fixture_UploadOverlayBootConsoleSuspendShutdown()
    {
        var connection = _connection!;
        using var pool = connection.DefineStoragePool($"""
            <pool type='dir'>
              <name>{_name}</name>
              <target><path>{_dir}</path><permissions><mode>0755</mode></permissions></target>
            </pool>
            """);
        pool.Build();
        pool.Start();
        Assert.That(pool.GetInfo().State, Is.EqualTo(virStoragePoolState.VIR_STORAGE_POOL_RUNNING));

        // Upload the fixture through a volume stream and read it back the same way.
        var image = await File.ReadAllBytesAsync(RepoLayout.FixtureImage);
        using var baseVolume = pool.CreateVolume(VolumeXml("base.qcow2", (ulong)image.Length, "raw"));
        using (var upload = connection.NewStream())
        {
            baseVolume.BeginUpload(upload, 0, (ulong)image.Length);
            for (var offset = 0; offset < image.Length; offset += MiB)
            {
                upload.SendAll(image.AsSpan(offset, Math.Min(MiB, image.Length - offset)));
            }

            upload.Finish();
        }

        Assert.That(SHA256.HashData(Download(connection, baseVolume)), Is.EqualTo(SHA256.HashData(image)));

        // An upload can be abandoned half way.
        using (var scratch = pool.CreateVolume(VolumeXml("scratch.img", MiB, "raw")))
        using (var aborted = connection.NewStream())
        {
            scratch.BeginUpload(aborted, 0, MiB);
            aborted.SendAll(new byte[64 * 1024]);
            aborted.Abort();
            scratch.Delete();
        }

        // A qcow2 overlay backed by the uploaded image, grown after creation.
        using var root = pool.CreateVolume($"""
            <volume>
              <name>root.qcow2</name>
              <capacity unit='bytes'>{64 * MiB}</capacity>
              <target><format type='qcow2'/></target>
              <backingStore><path>{SecurityElement.Escape(baseVolume.Path)}</path><format type='qcow2'/></backingStore>
            </volume>
            """);
        root.Resize(128UL * MiB);
        Assert.That(root.GetInfo().Capacity, Is.EqualTo(128UL * MiB));
        Assert.That(root.GetXml(), Does.Contain("<backingStore>"));
        using (var byPath = connection.LookupStorageVolumeByPath(root.Path))
        {
            Assert.That(byPath.Name, Is.EqualTo("root.qcow2"));
        }

        var uuid = Guid.NewGuid();
        using var domain = connection.DefineDomain(FixtureDomain.Xml(_name, root.Path, uuid));
        Assert.That(domain.Uuid, Is.EqualTo(uuid));
        domain.Start();

        // The serial console through virDomainOpenConsole and a non-blocking stream.
        using var console = connection.NewStream(nonBlocking: true);
        domain.OpenConsole(console);
        using (var boot = new CancellationTokenSource(BootDeadline))
        {
            var text = await ReadUntilAsync(console, "login:", boot.Token);
            Assert.That(text, Does.Contain("login:"));
        }

        var again = Assert.Throws<LibvirtException>(() => domain.Start());
        Assert.That(again!.Kind, Is.EqualTo(LibvirtErrorKind.OperationInvalid));

        domain.Suspend();
        Assert.That(domain.GetState().State, Is.EqualTo(virDomainState.VIR_DOMAIN_PAUSED));
        domain.Resume();
        Assert.That(domain.GetState().State, Is.EqualTo(virDomainState.VIR_DOMAIN_RUNNING));

        // ACPI power button; shut off is observed through the lifecycle event, not by polling.
        using var watch = connection.WatchDomainLifecycle();
        domain.Shutdown(virDomainShutdownFlagValues.VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN);
        using (var shutdown = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            var stopped = await watch.WaitForAsync(e => e.DomainUuid == uuid && e.Event == virDomainEventType.VIR_DOMAIN_EVENT_STOPPED, shutdown.Token);
            Assert.That(stopped.Detail, Is.EqualTo((int)virDomainEventStoppedDetailType.VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN));
        }

        Assert.That(domain.GetState().State, Is.EqualTo(virDomainState.VIR_DOMAIN_SHUTOFF));
        domain.Undefine();
        root.Delete();
        baseVolume.Delete();
        pool.Destroy();
        pool.Delete();
        pool.Undefine();
    }

    private static byte[] Download(Connection connection, StorageVolume volume)
    {
        using var download = connection.NewStream();
        volume.BeginDownload(download);
        var buffer = new byte[MiB];
        using var data = new MemoryStream();
        int read;
        while ((read = download.Receive(buffer)) > 0)
        {
            data.Write(buffer, 0, read);
        }

        download.Finish();
        return data.ToArray();
    }

    private static async Task<string> ReadUntilAsync(LibvirtStream console, string expected, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        var buffer = new byte[4096];
        while (!text.ToString().Contains(expected, StringComparison.Ordinal))
        {
            int read;
            try
            {
                read = await console.ReceiveAsync(buffer, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                throw new AssertionException($"'{expected}' not on the console in time; it showed:\n{text}");
            }

            if (read == 0)
            {
                throw new AssertionException($"the console closed before '{expected}'; it showed:\n{text}");
            }

            text.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }

        return text.ToString();
    }

    private static string VolumeXml(string name, ulong bytes, string format) => $"""
        <volume>
          <name>{name}</name>
          <capacity unit='bytes'>{bytes}</capacity>
          <allocation unit='bytes'>{bytes}</allocation>
          <target><format type='{format}'/></target>
        </volume>
        """;

    private static async Task<string[]> VirshNames(string command)
    {
        var result = await CommandRunner.RunAsync("virsh", ["-c", LibvirtHost.SystemUri, command, "--all", "--name"], TimeSpan.FromSeconds(30));
        return result.EnsureSuccess($"virsh {command}").StandardOutput
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    private static void Ignore(Action cleanup)
    {
        try
        {
            cleanup();
        }
        catch (LibvirtException)
        {
            // Already gone, or never made: nothing to clean.
        }
    }
}
