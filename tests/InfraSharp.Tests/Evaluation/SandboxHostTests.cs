using InfraSharp.Evaluation;

namespace InfraSharp.Tests.Evaluation;

[CollectionDefinition(nameof(SandboxHostTests), DisableParallelization = true)]
public class SandboxHostCollection;

/// <summary>
/// What running thousands of samples does to our own process: starved thread pools, file descriptors. Alone
/// in their collection, because they starve the pool of, or count the descriptors beside, other tests. System
/// tier: a sweep of real bubblewrap sandboxes.
/// </summary>
[Collection(nameof(SandboxHostTests))]
[Trait("Category", "System")]
public class SandboxHostTests
{
    [Fact]
    public void VerdictsSurviveAStarvedThreadPool()
    {
        // A busy host starves the thread pool; the output readers must not depend on it, or a finished
        // program's verdict (its last stderr line) is still unread when the grace period ends.
        var rows = CodeExecutionTests.HumanEval().Take(40).ToList();
        var grader = new CodeGrader(new PythonSandbox());
        using var stop = new ManualResetEventSlim();
        // Blocked pool work arrives faster than the pool injects threads, for as long as the grading runs.
        var starver = new Thread(() =>
        {
            while (!stop.IsSet)
            {
                for (int k = 0; k < 5; k++)
                    Task.Run(() => stop.Wait());
                Thread.Sleep(100);
            }
        })
        {
            IsBackground = true,
        };
        starver.Start();
        var results = new ExecutionResult[rows.Count];
        try
        {
            Parallel.For(0, rows.Count, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
            {
                var p = CodeProblem.FromRow(rows[i], "HumanEval.jsonl.gz");
                results[i] = grader.Grade(p, rows[i]["canonical_solution"]!.GetValue<string>()).Result;
            });
        }
        finally
        {
            stop.Set();
        }
        Assert.Empty(results.Where(r => !r.Passed).Select(r => $"{r.Reason} {r.Detail}"));
    }

    [Fact]
    public void RunsLeaveNoFileDescriptorsOpen()
    {
        // Left to the finalizer, two pipes per run pile up between collections until Process.Start fails.
        var sandbox = new PythonSandbox();
        sandbox.Run("pass\n");
        int before = Directory.GetFiles("/proc/self/fd").Length;
        for (int i = 0; i < 40; i++)
            sandbox.Run("print(input())\n", "x\n");
        int after = Directory.GetFiles("/proc/self/fd").Length;
        Assert.True(after - before < 10, $"{after - before} more open descriptors after 40 runs");
    }
}
