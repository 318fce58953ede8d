using System.Diagnostics;
using Otherix.Api.Tasks;
using Otherix.Control.Store;

namespace Otherix.Control.Tests.Tasks;

public sealed class TaskCrashResumeTests
{
    [Test]
    public async Task WorkerKilledWithSigkillRepeatedly_ResumesEveryTask_AndEachEffectHappensExactlyOnce()
    {
        const int Count = 100;
        var dir = Directory.CreateTempSubdirectory("otx-tasks-").FullName;
        var effects = Path.Combine(dir, "effects.txt");
        try
        {
            var kills = 0;
            var finished = false;
            for (var round = 0; round < 60 && !finished; round++)
            {
                var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "Otherix.TestHelper.dll"), "task-worker", dir, effects, Count.ToString(System.Globalization.CultureInfo.InvariantCulture) })
                {
                    info.ArgumentList.Add(arg);
                }

                using var worker = Process.Start(info)!;
                var stdout = worker.StandardOutput.ReadToEndAsync();
                var stderr = worker.StandardError.ReadToEndAsync();
                // Later rounds get longer, so the run always completes; early ones die mid-task.
                var exited = worker.WaitForExit(350 + (round * 50) + Random.Shared.Next(200));
                if (!exited)
                {
                    worker.Kill(entireProcessTree: true); // SIGKILL
                    await worker.WaitForExitAsync();
                    kills++;
                    continue;
                }

                Assert.That(worker.ExitCode, Is.Zero, await stderr);
                finished = (await stdout).Contains("all-done", StringComparison.Ordinal);
            }

            Assert.That(finished, Is.True, "the tasks completed within 60 rounds");
            Assert.That(kills, Is.GreaterThanOrEqualTo(5), "the worker was killed mid-run several times");
            using var store = LiteDbStateStore.Open(Path.Combine(dir, "state.db"));
            var tasks = store.Tasks.List(new TaskFilter(), null, 200).Items;
            var lines = File.ReadAllLines(effects);
            Assert.That(tasks, Has.Count.EqualTo(Count));
            Assert.That(tasks.Select(t => t.Status), Is.All.EqualTo(TaskState.Success));
            Assert.That(lines, Is.Unique, "no effect happened twice");
            Assert.That(lines, Is.EquivalentTo(tasks.Select(t => t.Id.ToString())), "every task's effect happened");
            Assert.That(tasks.Sum(t => t.Attempts), Is.GreaterThan(Count), "some tasks were resumed after a kill");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
