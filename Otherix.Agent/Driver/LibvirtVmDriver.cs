using System.Buffers.Binary;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Otherix.Agent.CloudInit;
using Otherix.Agent.Images;
using Otherix.Agent.Templates;
using Otherix.Native;
using Otherix.Native.Generated;

namespace Otherix.Agent.Driver;

/// <summary>
/// The agent's VM engine on libvirt. Names are predictable so <c>virsh</c> explains Otherix:
/// pool <c>otx-&lt;pool&gt;</c> (a dir pool), domain <c>otx-&lt;vm&gt;</c> with UUID = VM id,
/// volumes <c>&lt;vm-id&gt;.qcow2</c> (overlay on <c>images/&lt;basename&gt;</c>) and
/// <c>&lt;vm-id&gt;-cidata.iso</c>, state in <c>/var/lib/otherix/vms/&lt;vm-id&gt;/</c>.
/// Operations are idempotent: repeating one after a crash or a retry does the work once.
/// </summary>
public sealed partial class LibvirtVmDriver : IDisposable
{
    /// <summary>The XML namespace of the metadata element in every Otherix domain.</summary>
    public const string MetadataNamespace = "https://otherix.dev/xmlns/vm/1";

    private const string Prefix = "otx-";

    private readonly Func<Connection> _connect;
    private readonly XmlTemplateRenderer _renderer;
    private readonly AgentPaths _paths;
    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly AccelerationProbe _acceleration;
    private readonly ImageCacheOptions _imageOptions;
    private readonly Dictionary<string, ImageCache> _caches = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private Connection? _connection;

    /// <summary>Creates the driver; <paramref name="connect"/> opens the libvirt connection (and reopens it when broken).</summary>
    public LibvirtVmDriver(
        Func<Connection> connect, XmlTemplateRenderer renderer, AgentPaths paths, HttpClient http, TimeProvider time,
        AccelerationProbe acceleration, ImageCacheOptions? imageOptions = null)
    {
        _connect = connect;
        _renderer = renderer;
        _paths = paths;
        _http = http;
        _time = time;
        _acceleration = acceleration;
        _imageOptions = imageOptions ?? new ImageCacheOptions();
    }

    /// <summary>How long <see cref="VmAction.Stop"/> waits for the guest to power off.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The libvirt connection, reopened when libvirt reported it broken.</summary>
    private Connection Session
    {
        get
        {
            lock (_gate)
            {
                if (_connection is null || !IsAlive(_connection))
                {
                    _connection?.Dispose();
                    _connection = _connect();
                }

                return _connection;
            }
        }
    }

    /// <summary>Creates (defines, builds, starts, autostarts) the pool if missing and reports its figures.</summary>
    public PoolStatus EnsurePool(PoolSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ValidatePoolName(spec.Name);
        if (!Path.IsPathFullyQualified(spec.Path))
        {
            throw new VmDriverException(DriverErrorCodes.ValidationFailed, $"pool path '{spec.Path}' must be absolute");
        }

        var libvirtName = Prefix + spec.Name;
        StoragePool pool;
        try
        {
            pool = Session.LookupStoragePoolByName(libvirtName);
        }
        catch (LibvirtException e) when (e.Kind == LibvirtErrorKind.NoSuchStoragePool)
        {
            pool = Session.DefineStoragePool(_renderer.Render("pool.xml.sbn", new PoolTemplateModel(libvirtName, spec.Path)));
            pool.Build();
        }

        using (pool)
        {
            if (!pool.IsActive)
            {
                pool.Start();
            }

            if (!pool.Autostart)
            {
                pool.Autostart = true;
            }

            pool.Refresh();
            return Status(spec.Name, pool);
        }
    }

    /// <summary>Every Otherix pool on this host (libvirt pools named <c>otx-*</c>), refreshed, with figures and image caches.</summary>
    public IReadOnlyList<PoolStatus> ListPools()
    {
        var pools = Session.ListAllStoragePools();
        try
        {
            return pools.Where(p => p.Name.StartsWith(Prefix, StringComparison.Ordinal) && p.IsActive)
                .Select(p =>
                {
                    p.Refresh();
                    return Status(p.Name[Prefix.Length..], p);
                })
                .ToList();
        }
        finally
        {
            foreach (var pool in pools)
            {
                pool.Dispose();
            }
        }
    }

    /// <summary>Refreshes the pool and reports its figures and image cache.</summary>
    public PoolStatus ScanPool(string name)
    {
        using var pool = FindPool(name);
        pool.Refresh();
        return Status(name, pool);
    }

    /// <summary>Removes the pool (its cached images too); refused while VM disks live in it. Missing: nothing to do.</summary>
    public void DeletePool(string name)
    {
        StoragePool pool;
        try
        {
            pool = FindPool(name);
        }
        catch (VmDriverException e) when (e.Code == DriverErrorCodes.PoolNotFound)
        {
            return;
        }

        using (pool)
        {
            var path = PoolPath(pool);
            pool.Refresh();
            var disks = pool.ListAllVolumes();
            var vmDisks = disks.Select(v => v.Name).Where(n => n != ImagesDirectoryName).ToList();
            foreach (var disk in disks)
            {
                disk.Dispose();
            }

            if (vmDisks.Count > 0)
            {
                throw new VmDriverException(DriverErrorCodes.PoolInUse, $"pool {name} still holds VM disks: {string.Join(", ", vmDisks)}");
            }

            lock (_gate)
            {
                if (_caches.Remove(name, out var cache))
                {
                    cache.Dispose();
                }
            }

            var images = Path.Combine(path, ImagesDirectoryName);
            if (Directory.Exists(images))
            {
                Directory.Delete(images, recursive: true);
            }

            if (pool.IsActive)
            {
                pool.Destroy();
            }

            pool.Delete();
            pool.Undefine();
        }
    }

    /// <summary>
    /// Creates and boots a VM: image (cached) → overlay → seed ISO → domain → start. Repeating it
    /// for the same VM id (a retry, or after a crash) finishes what is missing and redoes nothing.
    /// </summary>
    public async Task<VmStatus> CreateVmAsync(VmSpec spec, string taskId, IProgress<ImageProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var arch = Validate(spec);
        var source = ImageSource.Parse(spec.ImageUrl, spec.ImageChecksum);
        var domainName = Prefix + spec.Name;

        var existing = TryFindDomain(spec.Id);
        if (existing is not null)
        {
            using (existing)
            {
                if (existing.Name != domainName)
                {
                    throw new VmDriverException(DriverErrorCodes.VmConflict, $"VM id {spec.Id} belongs to domain {existing.Name}, not {domainName}");
                }

                if (existing.GetState().State == virDomainState.VIR_DOMAIN_SHUTOFF && ReadMetadata(existing)?.Task == taskId)
                {
                    // Defined by this very task, which stopped before starting it.
                    StartDomain(existing, spec, arch);
                }

                return Describe(existing);
            }
        }

        try
        {
            using var taken = Session.LookupDomainByName(domainName);
            throw new VmDriverException(DriverErrorCodes.VmConflict, $"a domain named {domainName} exists already with another id ({taken.Uuid})");
        }
        catch (LibvirtException e) when (e.Kind == LibvirtErrorKind.NoSuchDomain)
        {
            // The name is free.
        }

        using var pool = FindPool(spec.Pool);
        var image = await CacheFor(spec.Pool, pool).EnsureAsync(source, progress, cancellationToken).ConfigureAwait(false);
        var virtualSize = VirtualSize(image);
        var capacity = spec.DiskGib is { } gib ? (ulong)gib << 30 : virtualSize;
        if (capacity < virtualSize)
        {
            throw new VmDriverException(DriverErrorCodes.DiskTooSmall, $"disk_gib {spec.DiskGib} is smaller than the image ({virtualSize} bytes)");
        }

        pool.Refresh();
        using var disk = EnsureVolume(pool, DiskVolumeName(spec.Id), () =>
            _renderer.Render("volume-overlay.xml.sbn", new OverlayVolumeTemplateModel(DiskVolumeName(spec.Id), capacity, image.Path, image.FormatName)));
        var seedBytes = NoCloudSeed.Build(spec.Id, spec.Name, spec.UserData, spec.NetworkConfig, _time.GetUtcNow());
        using var seed = EnsureVolume(pool, SeedVolumeName(spec.Id), () =>
            _renderer.Render("volume-raw.xml.sbn", new RawVolumeTemplateModel(SeedVolumeName(spec.Id), (ulong)seedBytes.Length)));
        Upload(seed, seedBytes);

        var vmDirectory = _paths.VmDirectory(spec.Id);
        Directory.CreateDirectory(vmDirectory);
        var domainType = await _acceleration.DomainTypeAsync(Session, _renderer, arch, pool, image.Path, image.FormatName, cancellationToken).ConfigureAwait(false);
        var xml = DomainXml(spec, arch, domainType, image, disk.Path, seed.Path, taskId);
        using var domain = Session.DefineDomain(xml, virDomainDefineFlags.VIR_DOMAIN_DEFINE_VALIDATE);
        StartDomain(domain, spec, arch);
        return Describe(domain);
    }

    /// <summary>Destroys and undefines the VM and removes its disks and directory. A VM already gone is not an error.</summary>
    public void DeleteVm(Guid id, bool force = false)
    {
        var failures = new List<string>();
        var domain = TryFindDomain(id);
        string? poolName = null;
        if (domain is not null)
        {
            using (domain)
            {
                poolName = ReadMetadata(domain)?.Pool;
                Attempt(failures, force, () =>
                {
                    if (domain.IsActive)
                    {
                        domain.Destroy();
                    }
                });
                Attempt(failures, force, () => domain.Undefine(
                    virDomainUndefineFlagsValues.VIR_DOMAIN_UNDEFINE_NVRAM | virDomainUndefineFlagsValues.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA
                    | virDomainUndefineFlagsValues.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE));
            }
        }

        // The disks: in the pool the metadata names, else wherever an otx- pool holds them.
        foreach (var pool in OtherixPools(poolName))
        {
            using (pool)
            {
                foreach (var volumeName in new[] { DiskVolumeName(id), SeedVolumeName(id) })
                {
                    Attempt(failures, force, () =>
                    {
                        try
                        {
                            using var volume = pool.LookupVolumeByName(volumeName);
                            volume.Delete();
                        }
                        catch (LibvirtException e) when (e.Kind == LibvirtErrorKind.NoSuchStorageVolume)
                        {
                            // Gone already.
                        }
                    });
                }
            }
        }

        var directory = _paths.VmDirectory(id);
        Attempt(failures, force, () =>
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        });

        if (failures.Count > 0)
        {
            throw new VmDriverException(DriverErrorCodes.DeleteFailed, $"VM {id} was only partly deleted: {string.Join("; ", failures)}");
        }
    }

    /// <summary>
    /// Runs a lifecycle action for task <paramref name="taskId"/>. An action that does not apply in
    /// the current state fails with <c>invalid_state</c> and changes nothing; repeating the task that
    /// last acted on the VM (a retry after it finished) just reports the state.
    /// </summary>
    public async Task<VmStatus> ActAsync(Guid id, VmAction action, string taskId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(taskId);
        using var domain = TryFindDomain(id) ?? throw NotFound(id);
        var record = Path.Combine(_paths.VmDirectory(id), "last-action");
        var done = $"{taskId} {action}";
        if (File.Exists(record) && (await File.ReadAllTextAsync(record, cancellationToken).ConfigureAwait(false)).Trim() == done)
        {
            return Describe(domain);
        }

        var state = domain.GetState().State;
        var allowed = action switch
        {
            VmAction.Start => state is virDomainState.VIR_DOMAIN_SHUTOFF or virDomainState.VIR_DOMAIN_CRASHED,
            VmAction.Stop or VmAction.Reboot or VmAction.Pause => state == virDomainState.VIR_DOMAIN_RUNNING,
            VmAction.Poweroff => state is virDomainState.VIR_DOMAIN_RUNNING or virDomainState.VIR_DOMAIN_PAUSED
                or virDomainState.VIR_DOMAIN_SHUTDOWN or virDomainState.VIR_DOMAIN_BLOCKED or virDomainState.VIR_DOMAIN_PMSUSPENDED,
            VmAction.Resume => state == virDomainState.VIR_DOMAIN_PAUSED,
            VmAction.Reset => state is virDomainState.VIR_DOMAIN_RUNNING or virDomainState.VIR_DOMAIN_PAUSED,
            _ => false,
        };
        if (!allowed)
        {
            throw new VmDriverException(DriverErrorCodes.InvalidState, $"cannot {action.ToString().ToLowerInvariant()} VM {domain.Name}: it is {StateOf(state).ToString().ToLowerInvariant()}");
        }

        switch (action)
        {
            case VmAction.Start:
                domain.Start();
                break;
            case VmAction.Stop:
                await StopAsync(domain, cancellationToken).ConfigureAwait(false);
                break;
            case VmAction.Poweroff:
                domain.Destroy();
                break;
            case VmAction.Reboot:
                domain.Reboot(virDomainRebootFlagValues.VIR_DOMAIN_REBOOT_ACPI_POWER_BTN);
                break;
            case VmAction.Pause:
                domain.Suspend();
                break;
            case VmAction.Resume:
                domain.Resume();
                break;
            case VmAction.Reset:
                domain.Reset();
                break;
        }

        // Remembered (atomically) only once the action is done, so a retry after a crash redoes it.
        Directory.CreateDirectory(_paths.VmDirectory(id));
        var temporary = record + ".tmp";
        await File.WriteAllTextAsync(temporary, done + "\n", cancellationToken).ConfigureAwait(false);
        File.Move(temporary, record, overwrite: true);
        return Describe(domain);
    }

    /// <summary>The VM's current status, or <see cref="VmState.Missing"/> when the agent knows it but libvirt does not.</summary>
    public VmStatus GetVm(Guid id)
    {
        using var domain = TryFindDomain(id);
        if (domain is not null)
        {
            return Describe(domain);
        }

        return Directory.Exists(_paths.VmDirectory(id))
            ? new VmStatus(id, "", "", VmState.Missing, "domain not found in libvirt", null, null)
            : throw NotFound(id);
    }

    /// <summary>Every VM this host has: all <c>otx-</c> domains, plus VMs whose directory remains but whose domain is gone.</summary>
    public IReadOnlyList<VmStatus> ListVms()
    {
        var result = new List<VmStatus>();
        foreach (var domain in Session.ListAllDomains())
        {
            using (domain)
            {
                if (domain.Name.StartsWith(Prefix, StringComparison.Ordinal) && ReadMetadata(domain) is { } metadata)
                {
                    result.Add(Describe(domain, metadata));
                }
            }
        }

        if (Directory.Exists(_paths.VmsDirectory))
        {
            foreach (var dir in Directory.EnumerateDirectories(_paths.VmsDirectory))
            {
                if (Guid.TryParse(Path.GetFileName(dir), out var id) && result.All(v => v.Id != id))
                {
                    result.Add(new VmStatus(id, "", "", VmState.Missing, "domain not found in libvirt", null, null));
                }
            }
        }

        return result;
    }

    /// <summary>Attaches to the VM's serial console. A second attach while one is open is refused with <c>console_busy</c>.</summary>
    public VmConsole OpenConsole(Guid id)
    {
        using var domain = TryFindDomain(id) ?? throw NotFound(id);
        if (!domain.IsActive)
        {
            throw new VmDriverException(DriverErrorCodes.InvalidState, $"VM {domain.Name} is not running: no console");
        }

        var stream = Session.NewStream(nonBlocking: true);
        try
        {
            domain.OpenConsole(stream, null, virDomainConsoleFlags.VIR_DOMAIN_CONSOLE_SAFE);
        }
        catch (LibvirtException e)
        {
            stream.Dispose();
            throw e.Kind == LibvirtErrorKind.OperationInvalid || e.ErrorNumber == virErrorNumber.VIR_ERR_OPERATION_FAILED
                ? new VmDriverException(DriverErrorCodes.ConsoleBusy, $"another console session is attached to {domain.Name}: {e.LibvirtMessage}", e)
                : new VmDriverException(DriverErrorCodes.InvalidState, $"cannot open the console of {domain.Name}: {e.LibvirtMessage}", e);
        }

        return new VmConsole(stream);
    }

    /// <summary>Closes the libvirt connection and the image caches.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var cache in _caches.Values)
            {
                cache.Dispose();
            }

            _caches.Clear();
            _connection?.Dispose();
            _connection = null;
        }
    }

    private const string ImagesDirectoryName = "images";

    private static string DiskVolumeName(Guid id) => $"{id:D}.qcow2";

    private static string SeedVolumeName(Guid id) => $"{id:D}-cidata.iso";

    private static bool IsAlive(Connection connection)
    {
        try
        {
            return connection.IsAlive;
        }
        catch (LibvirtException)
        {
            return false;
        }
    }

    private static ArchProfile Validate(VmSpec spec)
    {
        if (!VmName().IsMatch(spec.Name))
        {
            throw new VmDriverException(DriverErrorCodes.ValidationFailed, $"VM name '{spec.Name}' must be 1-59 lower-case letters, digits and inner hyphens");
        }

        ValidatePoolName(spec.Pool);
        if (spec.Vcpus is < 1 or > 256 || spec.MemoryMib is < 64 or > 4 * 1024 * 1024 || spec.DiskGib is < 1 or > 65536)
        {
            throw new VmDriverException(DriverErrorCodes.ValidationFailed, "vcpus must be 1-256, memory_mib 64-4194304 and disk_gib 1-65536");
        }

        return ArchProfile.For(spec.Arch)
            ?? throw new VmDriverException(DriverErrorCodes.ValidationFailed, $"architecture '{spec.Arch}' is not supported (x86_64, aarch64)");
    }

    private static void ValidatePoolName(string name)
    {
        if (!VmName().IsMatch(name))
        {
            throw new VmDriverException(DriverErrorCodes.ValidationFailed, $"pool name '{name}' must be 1-59 lower-case letters, digits and inner hyphens");
        }
    }

    private StoragePool FindPool(string name)
    {
        try
        {
            return Session.LookupStoragePoolByName(Prefix + name);
        }
        catch (LibvirtException e) when (e.Kind == LibvirtErrorKind.NoSuchStoragePool)
        {
            throw new VmDriverException(DriverErrorCodes.PoolNotFound, $"pool {name} does not exist on this host", e);
        }
    }

    private IEnumerable<StoragePool> OtherixPools(string? only)
    {
        if (only is not null)
        {
            StoragePool? pool = null;
            try
            {
                pool = FindPool(only);
            }
            catch (VmDriverException)
            {
                // Fall through to every pool.
            }

            if (pool is not null)
            {
                yield return pool;
                yield break;
            }
        }

        foreach (var pool in Session.ListAllStoragePools(virConnectListAllStoragePoolsFlags.VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE))
        {
            if (pool.Name.StartsWith(Prefix, StringComparison.Ordinal))
            {
                yield return pool;
            }
            else
            {
                pool.Dispose();
            }
        }
    }

    private ImageCache CacheFor(string poolName, StoragePool pool)
    {
        lock (_gate)
        {
            if (!_caches.TryGetValue(poolName, out var cache))
            {
                cache = new ImageCache(Path.Combine(PoolPath(pool), ImagesDirectoryName), _http, _time, _imageOptions);
                _caches[poolName] = cache;
            }

            return cache;
        }
    }

    private static string PoolPath(StoragePool pool) =>
        XDocument.Parse(pool.GetXml()).Root?.Element("target")?.Element("path")?.Value
        ?? throw new VmDriverException(DriverErrorCodes.PoolNotFound, $"pool {pool.Name} has no target path");

    private PoolStatus Status(string name, StoragePool pool)
    {
        var info = pool.GetInfo();
        var images = CacheFor(name, pool).List();
        return new PoolStatus(name, pool.Name, PoolPath(pool), info.Capacity, info.Allocation, info.Available, images);
    }

    private static StorageVolume EnsureVolume(StoragePool pool, string name, Func<string> xml)
    {
        try
        {
            return pool.LookupVolumeByName(name);
        }
        catch (LibvirtException e) when (e.Kind == LibvirtErrorKind.NoSuchStorageVolume)
        {
            return pool.CreateVolume(xml());
        }
    }

    private void Upload(StorageVolume volume, byte[] content)
    {
        using var stream = Session.NewStream();
        volume.BeginUpload(stream, 0, (ulong)content.Length);
        stream.SendAll(content);
        stream.Finish();
    }

    /// <summary>The guest-visible size of an image: the qcow2 header's size field, or the raw file's length.</summary>
    private static ulong VirtualSize(CachedImage image)
    {
        if (image.Format != ImageFormat.Qcow2)
        {
            return (ulong)image.Size;
        }

        Span<byte> header = stackalloc byte[32];
        using var file = File.OpenRead(image.Path);
        file.ReadExactly(header);
        return BinaryPrimitives.ReadUInt64BigEndian(header[24..]);
    }

    private string DomainXml(VmSpec spec, ArchProfile arch, string domainType, CachedImage image, string diskPath, string seedPath, string taskId) =>
        _renderer.Render("domain.xml.sbn", new DomainTemplateModel(
            Prefix + spec.Name, spec.Id, spec.Name, spec.Owner, spec.Pool, spec.ImageUrl, taskId, domainType, arch.Arch, arch.Machine,
            domainType == "kvm" ? "host-passthrough" : "", spec.MemoryMib, spec.Vcpus, diskPath, seedPath, arch.CdromBus, arch.CdromTarget,
            Path.Combine(_paths.VmDirectory(spec.Id), "console.log")));

    /// <summary>Starts the domain; when KVM fails after all, redefines it for TCG and tries once more.</summary>
    private void StartDomain(Domain domain, VmSpec spec, ArchProfile arch)
    {
        try
        {
            domain.Start();
            return;
        }
        catch (LibvirtException first) when (domain.GetXml().Contains("<domain type='kvm'", StringComparison.Ordinal))
        {
            _acceleration.ReportKvmFailure();
            var xml = domain.GetXml(virDomainXMLFlags.VIR_DOMAIN_XML_INACTIVE).Replace("<domain type='kvm'", "<domain type='qemu'", StringComparison.Ordinal);
            xml = xml.Replace("<cpu mode='host-passthrough'", "<cpu mode='custom'", StringComparison.Ordinal);
            try
            {
                using var redefined = Session.DefineDomain(xml);
                redefined.Start();
                return;
            }
            catch (LibvirtException second)
            {
                throw new VmDriverException(DriverErrorCodes.QemuSpawnFailed,
                    $"{domain.Name} did not start under KVM ({first.LibvirtMessage}) nor TCG ({second.LibvirtMessage})", second);
            }
        }
        catch (LibvirtException e)
        {
            throw new VmDriverException(DriverErrorCodes.QemuSpawnFailed, $"{domain.Name} did not start: {e.LibvirtMessage}", e);
        }
    }

    private async Task StopAsync(Domain domain, CancellationToken cancellationToken)
    {
        var id = domain.Uuid;
        using var watch = Session.WatchDomainLifecycle();
        domain.Shutdown(virDomainShutdownFlagValues.VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN);
        using var timeout = new CancellationTokenSource(StopTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            if (domain.IsActive)
            {
                await watch.WaitForAsync(e => e.DomainUuid == id && e.Event == virDomainEventType.VIR_DOMAIN_EVENT_STOPPED, linked.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new VmDriverException(DriverErrorCodes.StopTimeout,
                $"{domain.Name} did not power off within {StopTimeout.TotalSeconds:F0} s of the ACPI power button; poweroff forces it");
        }
    }

    private Domain? TryFindDomain(Guid id)
    {
        try
        {
            return Session.LookupDomainByUuid(id);
        }
        catch (LibvirtException e) when (e.Kind == LibvirtErrorKind.NoSuchDomain)
        {
            return null;
        }
    }

    private static VmDriverException NotFound(Guid id) => new(DriverErrorCodes.VmNotFound, $"VM {id} does not exist on this host");

    private static VmStatus Describe(Domain domain) => Describe(domain, ReadMetadata(domain));

    private static VmStatus Describe(Domain domain, Metadata? metadata)
    {
        var (state, reason) = domain.GetState();
        var type = XDocument.Parse(domain.GetXml()).Root?.Attribute("type")?.Value;
        return new VmStatus(domain.Uuid, metadata?.Name ?? domain.Name[Prefix.Length..], domain.Name, StateOf(state), ReasonOf(state, reason), metadata?.Pool, type);
    }

    private static VmState StateOf(virDomainState state) => state switch
    {
        virDomainState.VIR_DOMAIN_RUNNING or virDomainState.VIR_DOMAIN_BLOCKED => VmState.Running,
        virDomainState.VIR_DOMAIN_PAUSED or virDomainState.VIR_DOMAIN_PMSUSPENDED => VmState.Paused,
        virDomainState.VIR_DOMAIN_SHUTDOWN => VmState.ShuttingDown,
        virDomainState.VIR_DOMAIN_CRASHED => VmState.Crashed,
        _ => VmState.Stopped,
    };

    private static string ReasonOf(virDomainState state, int reason) => state switch
    {
        virDomainState.VIR_DOMAIN_RUNNING => Name((virDomainRunningReason)reason, "VIR_DOMAIN_RUNNING_"),
        virDomainState.VIR_DOMAIN_PAUSED => Name((virDomainPausedReason)reason, "VIR_DOMAIN_PAUSED_"),
        virDomainState.VIR_DOMAIN_SHUTOFF => Name((virDomainShutoffReason)reason, "VIR_DOMAIN_SHUTOFF_"),
        virDomainState.VIR_DOMAIN_CRASHED => Name((virDomainCrashedReason)reason, "VIR_DOMAIN_CRASHED_"),
        _ => "",
    };

    private static string Name<T>(T value, string prefix)
        where T : struct, Enum =>
        (Enum.GetName(value) ?? value.ToString()).Replace(prefix, "", StringComparison.Ordinal).ToLowerInvariant();

    private sealed record Metadata(string Name, string Pool, string Task);

    private static Metadata? ReadMetadata(Domain domain)
    {
        try
        {
            // libvirt hands the element back without its namespace: <vm><name>…</name>…</vm>.
            var element = XElement.Parse(domain.GetMetadata(MetadataNamespace));
            string Child(string name) => element.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value ?? "";
            return new Metadata(Child("name"), Child("pool"), Child("task"));
        }
        catch (LibvirtException)
        {
            return null; // Not an Otherix domain.
        }
    }

    private static void Attempt(List<string> failures, bool force, Action step)
    {
        try
        {
            step();
        }
        catch (Exception e) when (e is LibvirtException or IOException or UnauthorizedAccessException)
        {
            if (!force)
            {
                throw new VmDriverException(DriverErrorCodes.DeleteFailed, e.Message, e);
            }

            failures.Add(e.Message);
        }
    }

    [GeneratedRegex("^[a-z0-9]([a-z0-9-]{0,57}[a-z0-9])?$")]
    private static partial Regex VmName();
}
