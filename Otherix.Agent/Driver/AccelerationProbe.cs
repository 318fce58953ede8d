using Microsoft.Extensions.Logging.Abstractions;
using Otherix.Agent.Templates;
using Otherix.Native;
using Otherix.Native.Generated;

namespace Otherix.Agent.Driver;

/// <summary>
/// Decides once per host boot whether guests run under KVM or TCG. Domain capabilities and
/// <c>/dev/kvm</c> are not proof: on a paravirtual KVM backend libvirt lists <c>kvm</c>, the
/// guest starts, and a few seconds later QEMU stops it with "KVM internal error" (the domain
/// turns paused, reason unknown). So a throw-away domain boots the first VM's image under KVM
/// and is watched for <see cref="Window"/>; the verdict is kept for this boot in
/// <c>&lt;state&gt;/acceleration</c>.
/// </summary>
public sealed partial class AccelerationProbe(AgentPaths paths, TimeProvider time, ILogger<AccelerationProbe>? logger = null)
{
    private readonly ILogger _log = logger ?? NullLogger<AccelerationProbe>.Instance;
    private readonly Lock _gate = new();
    private string? _verdict;

    /// <summary>How long the probe guest must keep running under KVM.</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromSeconds(8);

    /// <summary>Forces a verdict (<c>kvm</c> or <c>qemu</c>), e.g. from configuration; null probes.</summary>
    public string? Forced { get; init; }

    /// <summary>
    /// The domain type to use: <c>kvm</c> or <c>qemu</c>. The probe boots an overlay (made in
    /// <paramref name="pool"/>, removed afterwards) of <paramref name="probeDisk"/>, a bootable image.
    /// </summary>
    public async Task<string> DomainTypeAsync(
        Connection connection, XmlTemplateRenderer renderer, ArchProfile arch, StoragePool pool, string probeDisk, string probeDiskFormat, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        lock (_gate)
        {
            if (_verdict is not null)
            {
                return _verdict;
            }

            if ((Forced ?? ReadRemembered()) is { } known)
            {
                _verdict = known;
                Log.Decided(_log, known, Forced is not null ? "set by configuration" : "probed earlier in this boot");
                return known;
            }
        }

        var (verdict, why) = await ProbeAsync(connection, renderer, arch, pool, probeDisk, probeDiskFormat, cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            _verdict = verdict;
            Remember(verdict);
        }

        Log.Decided(_log, verdict, why);
        return verdict;
    }

    /// <summary>Records that a KVM start failed after all: TCG from now on, for this boot.</summary>
    public void ReportKvmFailure()
    {
        lock (_gate)
        {
            _verdict = "qemu";
            Remember(_verdict);
        }

        Log.Decided(_log, "qemu", "a KVM start failed");
    }

    private async Task<(string Verdict, string Why)> ProbeAsync(
        Connection connection, XmlTemplateRenderer renderer, ArchProfile arch, StoragePool pool, string probeDisk, string probeDiskFormat, CancellationToken cancellationToken)
    {
        if (!File.Exists("/dev/kvm"))
        {
            return ("qemu", "/dev/kvm does not exist");
        }

        try
        {
            _ = connection.GetDomainCapabilities(arch: arch.Arch, virtType: "kvm");
        }
        catch (LibvirtException e)
        {
            return ("qemu", $"libvirt offers no kvm domains: {e.LibvirtMessage}");
        }

        var id = Guid.NewGuid();
        var name = $"otx-accel-probe-{id:N}"[..28];
        using var overlay = pool.CreateVolume(renderer.Render("volume-overlay.xml.sbn",
            new OverlayVolumeTemplateModel($"{name}.qcow2", 1UL << 30, probeDisk, probeDiskFormat)));
        try
        {
            var xml = renderer.Render("domain.xml.sbn", new DomainTemplateModel(
                name, id, name, "otherix-agent", pool.Name, probeDisk, "acceleration-probe", "kvm", arch.Arch, arch.Machine, "host-passthrough",
                128, 1, overlay.Path, "", arch.CdromBus, arch.CdromTarget, ""));
            using var domain = connection.DefineDomain(xml);
            using var watch = connection.WatchDomainLifecycle();
            try
            {
                domain.Start();
                // A broken KVM stops the guest within seconds: QEMU pauses it on "KVM internal error".
                using var window = new CancellationTokenSource(Window, time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(window.Token, cancellationToken);
                try
                {
                    await watch.WaitForAsync(
                        e => e.DomainUuid == id && e.Event is virDomainEventType.VIR_DOMAIN_EVENT_SUSPENDED or virDomainEventType.VIR_DOMAIN_EVENT_STOPPED or virDomainEventType.VIR_DOMAIN_EVENT_CRASHED,
                        linked.Token).ConfigureAwait(false);
                    return ("qemu", $"a probe guest under KVM stopped by itself ({domain.GetState().State}), as on hosts with a broken or paravirtual KVM");
                }
                catch (OperationCanceledException) when (window.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    return domain.GetState().State == virDomainState.VIR_DOMAIN_RUNNING
                        ? ("kvm", $"a probe guest ran under KVM for {Window.TotalSeconds:F0} s")
                        : ("qemu", "the probe guest under KVM was not running at the end of the window");
                }
            }
            catch (LibvirtException e)
            {
                return ("qemu", $"a probe guest could not start under KVM: {e.LibvirtMessage}");
            }
            finally
            {
                if (domain.IsActive)
                {
                    domain.Destroy();
                }

                domain.Undefine();
            }
        }
        finally
        {
            overlay.Delete();
        }
    }

    /// <summary>This boot's verdict (<c>kvm</c> or <c>qemu</c>) if one was reached, else null.</summary>
    public string? Remembered => ReadRemembered();

    private string VerdictFile => Path.Combine(paths.StateDirectory, "acceleration");

    private string? ReadRemembered()
    {
        if (!File.Exists(VerdictFile))
        {
            return null;
        }

        var parts = File.ReadAllText(VerdictFile).Split(' ', 2, StringSplitOptions.TrimEntries);
        return parts.Length == 2 && parts[0] == BootId() && parts[1] is "kvm" or "qemu" ? parts[1] : null;
    }

    private void Remember(string verdict)
    {
        Directory.CreateDirectory(paths.StateDirectory);
        File.WriteAllText(VerdictFile, $"{BootId()} {verdict}\n");
    }

    private static string BootId() =>
        File.Exists("/proc/sys/kernel/random/boot_id") ? File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim() : "unknown";

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Guests run with domain type {DomainType}: {Why}")]
        public static partial void Decided(ILogger logger, string domainType, string why);
    }
}
