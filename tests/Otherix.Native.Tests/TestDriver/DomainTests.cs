using Otherix.Native.Generated;

namespace Otherix.Native.Tests.TestDriver;

public sealed class DomainTests
{
    private Connection _connection = null!;
    private Domain _domain = null!;
    private string _name = null!;
    private Guid _uuid;

    [SetUp]
    public void Define()
    {
        _connection = TestDriverFixture.Open();
        _name = TestDriverFixture.UniqueName("dom");
        _uuid = Guid.NewGuid();
        _domain = _connection.DefineDomain(TestDriverFixture.DomainXml(_name, _uuid));
    }

    [TearDown]
    public void Undefine()
    {
        if (_domain is not null)
        {
            if (_domain.IsActive)
            {
                _domain.Destroy();
            }

            _domain.Undefine(virDomainUndefineFlagsValues.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA);
            _domain.Dispose();
        }

        _connection?.Dispose();
    }

    [Test]
    public void Define_ThenLookup_FindsItByNameAndUuid()
    {
        using var byName = _connection.LookupDomainByName(_name);
        using var byUuid = _connection.LookupDomainByUuid(_uuid);

        Assert.That(byName.Uuid, Is.EqualTo(_uuid));
        Assert.That(byUuid.Name, Is.EqualTo(_name));
        Assert.That(_domain.GetState(), Is.EqualTo(new DomainStateWithReason(virDomainState.VIR_DOMAIN_SHUTOFF, (int)virDomainShutoffReason.VIR_DOMAIN_SHUTOFF_UNKNOWN)));
        Assert.That(_domain.GetXml(), Does.Contain($"<name>{_name}</name>"));
    }

    [Test]
    public void Lookup_MissingDomain_ThrowsNoSuchDomain()
    {
        var error = Assert.Throws<LibvirtException>(() => _connection.LookupDomainByName("no-such-domain-here"));

        Assert.That(error!.Kind, Is.EqualTo(LibvirtErrorKind.NoSuchDomain));
        Assert.That(error.ErrorNumber, Is.EqualTo(virErrorNumber.VIR_ERR_NO_DOMAIN));
        Assert.That(error.Operation, Is.EqualTo("virDomainLookupByName"));
        Assert.That(error.LibvirtMessage, Does.Contain("not found"));
    }

    [Test]
    public void Define_SameNameOtherUuid_ThrowsAlreadyExists()
    {
        var error = Assert.Throws<LibvirtException>(() => _connection.DefineDomain(TestDriverFixture.DomainXml(_name, Guid.NewGuid())));

        Assert.That(error!.Kind, Is.EqualTo(LibvirtErrorKind.AlreadyExists));
    }

    [Test]
    public void Define_BrokenXml_ThrowsInvalidArgument()
    {
        var error = Assert.Throws<LibvirtException>(() => _connection.DefineDomain("<domain type='test'><name>x"));

        Assert.That(error!.Kind, Is.EqualTo(LibvirtErrorKind.InvalidArgument));
    }

    [Test]
    public void Lifecycle_StartSuspendResumeShutdown_ChangesState()
    {
        _domain.Start();
        Assert.That(_domain.GetState().State, Is.EqualTo(virDomainState.VIR_DOMAIN_RUNNING));
        Assert.That(_domain.IsActive, Is.True);

        _domain.Suspend();
        Assert.That(_domain.GetInfo().State, Is.EqualTo(virDomainState.VIR_DOMAIN_PAUSED));

        _domain.Resume();
        Assert.That(_domain.GetState().State, Is.EqualTo(virDomainState.VIR_DOMAIN_RUNNING));

        _domain.Reboot();
        _domain.Reset();
        Assert.That(_domain.GetState().State, Is.EqualTo(virDomainState.VIR_DOMAIN_RUNNING));

        _domain.Shutdown();
        Assert.That(_domain.GetState().State, Is.EqualTo(virDomainState.VIR_DOMAIN_SHUTOFF));
    }

    [Test]
    public void GetInfo_ReportsMemoryAndCpus()
    {
        var info = _domain.GetInfo();

        Assert.That(info.MaxMemoryKiB, Is.EqualTo(64UL * 1024));
        Assert.That(info.VirtualCpus, Is.EqualTo(1));
    }

    [Test]
    public void Autostart_RoundTrips()
    {
        _domain.Autostart = true;
        Assert.That(_domain.Autostart, Is.True);

        _domain.Autostart = false;
        Assert.That(_domain.Autostart, Is.False);
    }

    [Test]
    public void Metadata_SetThenGet_ReturnsTheElement()
    {
        const string Uri = "https://otherix.dev/xmlns/vm/1";

        _domain.SetMetadata("<vm owner='alice' task='t-1'/>", "otx", Uri);

        Assert.That(_domain.GetMetadata(Uri), Is.EqualTo("<vm owner=\"alice\" task=\"t-1\"/>"));
        Assert.That(_domain.GetXml(), Does.Contain("otx:vm"));
    }

    [Test]
    public void Snapshots_CreateListRevertDelete()
    {
        _domain.Start();
        using var snapshot = _domain.CreateSnapshot("<domainsnapshot><name>snap1</name></domainsnapshot>");
        _domain.Destroy();

        var all = _domain.ListAllSnapshots();
        Assert.That(all.Select(s => s.Name).ToList(), Has.Count.EqualTo(1).And.Contains("snap1"));
        foreach (var s in all)
        {
            s.Dispose();
        }

        using var found = _domain.LookupSnapshotByName("snap1");
        found.Revert();
        Assert.That(_domain.GetState().State, Is.EqualTo(virDomainState.VIR_DOMAIN_RUNNING));

        found.Delete();
        Assert.That(() => _domain.LookupSnapshotByName("snap1"),
            Throws.InstanceOf<LibvirtException>().With.Property(nameof(LibvirtException.Kind)).EqualTo(LibvirtErrorKind.NoSuchSnapshot));
    }

    [Test]
    public async Task WatchDomainLifecycle_StartAndDestroy_DeliversEvents()
    {
        using var watch = _connection.WatchDomainLifecycle();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        _domain.Start();
        var started = await watch.WaitForAsync(e => e.DomainName == _name, timeout.Token);
        _domain.Destroy();
        var stopped = await watch.WaitForAsync(e => e.DomainName == _name && e.Event == virDomainEventType.VIR_DOMAIN_EVENT_STOPPED, timeout.Token);

        Assert.That(started.Event, Is.EqualTo(virDomainEventType.VIR_DOMAIN_EVENT_STARTED));
        Assert.That(started.DomainUuid, Is.EqualTo(_uuid));
        Assert.That(stopped.Detail, Is.EqualTo((int)virDomainEventStoppedDetailType.VIR_DOMAIN_EVENT_STOPPED_DESTROYED));
    }

    [Test]
    public void UseAfterDispose_ThrowsObjectDisposed()
    {
        using var other = _connection.LookupDomainByName(_name);
        other.Dispose();

        Assert.That(() => other.Name, Throws.InstanceOf<ObjectDisposedException>());
    }
}
