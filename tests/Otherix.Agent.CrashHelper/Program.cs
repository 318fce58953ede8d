using Otherix.Agent.Driver;
using Otherix.Agent.Images;
using Otherix.Agent.Templates;
using Otherix.Native;

// crash-helper <state-dir> <templates-dir> <pool> <image-url> <vm-id> <vm-name> <task-id>
// Creates one VM with the agent's driver and prints progress, so a test can kill this
// process at a chosen moment and check what the next attempt makes of the leftovers.
if (args.Length != 7)
{
    Console.Error.WriteLine("usage: crash-helper <state-dir> <templates-dir> <pool> <image-url> <vm-id> <vm-name> <task-id>");
    return 2;
}

var paths = new AgentPaths(args[0]);
using var driver = new LibvirtVmDriver(
    () => Connection.Open("qemu:///system"), new XmlTemplateRenderer(args[1]), paths, new HttpClient { Timeout = Timeout.InfiniteTimeSpan },
    TimeProvider.System, new AccelerationProbe(paths, TimeProvider.System) { Forced = "qemu" });
var progress = new Progress<ImageProgress>(p => Console.WriteLine($"progress {p.Downloaded}"));
await driver.CreateVmAsync(new VmSpec(Guid.Parse(args[4]), args[5], args[2], args[3], MemoryMib: 256), args[6], progress);
Console.WriteLine("created");
return 0;
