using System.Diagnostics;

namespace Otherix.Native.Tests.TestDriver;

[NonParallelizable]
public sealed class LeakTests
{
    private const int Cycles = 10_000;

    // Measured here: resident memory steps up ~7 MiB over the first blocks of cycles whatever
    // the code does (JIT, GC heap commit, malloc arenas), then wanders by about 1.5 MiB per block;
    // leaking one domain reference per cycle adds ~9.5 MiB per 10,000, one connection ~8.5 MiB.
    private const long AllowedResidentGrowth = 4 * 1024 * 1024;

    // Managed memory is flat once callbacks' GCHandles are freed; before that fix it grew ~470 KiB per 10,000.
    private const long AllowedManagedGrowth = 64 * 1024;

    [Test]
    public void OpenLookupDispose_TenThousandCycles_KeepsMemoryFlat()
    {
        using (TestDriverFixture.Open())
        {
            RunCycles(Cycles); // warm up
            _ = ResidentBytes();
            RunCycles(Cycles); // let the heap settle after a full collection
        }

        var residentBefore = ResidentBytes();
        var managedBefore = GC.GetTotalMemory(forceFullCollection: true);
        RunCycles(Cycles);
        var residentAfter = ResidentBytes();
        var managedAfter = GC.GetTotalMemory(forceFullCollection: true);

        TestContext.Out.WriteLine(
            $"{Cycles} cycles: resident {residentBefore / 1024} -> {residentAfter / 1024} KiB, managed {managedBefore / 1024} -> {managedAfter / 1024} KiB");
        Assert.That(residentAfter - residentBefore, Is.LessThan(AllowedResidentGrowth));
        Assert.That(managedAfter - managedBefore, Is.LessThan(AllowedManagedGrowth));
    }

    private static void RunCycles(int count)
    {
        for (var i = 0; i < count; i++)
        {
            using var connection = Connection.Open(TestDriverFixture.Uri);
            using var domain = connection.LookupDomainByName("test");
            _ = domain.Name;
        }
    }

    private static long ResidentBytes()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        return self.WorkingSet64;
    }
}
