using InfraSharp.Evaluation;

namespace InfraSharp.Tests.Evaluation;

[CollectionDefinition(nameof(SandboxStarvationTests), DisableParallelization = true)]
public class SandboxStarvationCollection;

/// <summary>
/// A busy host starves the thread pool; the sandbox's output readers must not depend on it, or a finished
/// program's verdict (its last stderr line) is still unread when the grace period ends. Alone in its
/// collection, because it starves the pool of every test running beside it.
/// </summary>
[Collection(nameof(SandboxStarvationTests))]
public class SandboxStarvationTests
{
    [Fact]
    public void VerdictsSurviveAStarvedThreadPool()
    {
        var rows = CodeExecutionTests.HumanEval().Take(40).ToList();
        var grader = new CodeGrader(new PythonSandbox());
        using var stop = new ManualResetEventSlim();
        // Blocked pool work arrives faster than the pool injects threads, for as long as the grading runs.
        var starver = new Thread(() =>
        {
            while (!stop.IsSet)
            {
                for (int k = 0; k < 5; k++) Task.Run(() => stop.Wait());
                Thread.Sleep(100);
            }
        }) { IsBackground = true };
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
}
