using Moxing.Inference.Scheduling;

namespace Moxing.Inference.Tests.Scheduling;

/// <summary>Waits for a scheduler to give back every sequence, block and state after its requests end.</summary>
internal static class SchedulerDrain
{
    // A deadline, not a count of polls: on a loaded CI host the loop may finish its last step seconds after the streams.
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    /// <summary>Polls the counters until nothing runs, waits or holds memory, then asserts it.</summary>
    public static async Task AssertDrained(ContinuousBatchScheduler scheduler)
    {
        var wait = System.Diagnostics.Stopwatch.StartNew();
        var counters = scheduler.Counters;
        while ((counters.Running | counters.Waiting | counters.KvBlocksUsed | counters.RecurrentStatesUsed) != 0 && wait.Elapsed < Deadline)
        {
            await Task.Delay(10);
            counters = scheduler.Counters;
        }
        Assert.Equal((0, 0, 0, 0), (counters.Running, counters.Waiting, counters.KvBlocksUsed, counters.RecurrentStatesUsed));
    }
}
