using System.IO.Compression;
using System.Text.Json.Nodes;
using InfraSharp.Evaluation;

namespace InfraSharp.Tests.Evaluation;

public class CodeExecutionTests
{
    public static List<JsonObject> HumanEval()
    {
        using var gz = new GZipStream(
            File.OpenRead(Path.Combine(Fixtures.Shared, "datasets", "humaneval", "HumanEval.jsonl.gz")),
            CompressionMode.Decompress
        );
        using var r = new StreamReader(gz);
        var rows = new List<JsonObject>();
        string? line;
        while ((line = r.ReadLine()) is not null)
            if (line.Length > 0)
                rows.Add(JsonNode.Parse(line)!.AsObject());
        return rows;
    }

    // System tier: a sweep of 164 bubblewrap sandboxes.
    [Fact]
    [Trait("Category", "System")]
    public void CanonicalHumanEvalSolutionsAllPass()
    {
        var rows = HumanEval();
        Assert.Equal(164, rows.Count);
        var grader = new CodeGrader(new PythonSandbox());
        var results = new (string Id, ExecutionResult R)[rows.Count];
        Parallel.For(0, rows.Count, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            var p = CodeProblem.FromRow(rows[i], "HumanEval.jsonl.gz");
            results[i] = (p.Id, grader.Grade(p, rows[i]["canonical_solution"]!.GetValue<string>()).Result);
        });
        var failed = results.Where(x => !x.R.Passed).Select(x => $"{x.Id}: {x.R.Reason} {x.R.Detail}").ToList();
        Assert.Empty(failed);
    }

    [Theory]
    [InlineData("    return 'wrong'\n", ExecutionResult.WrongAnswer)]
    [InlineData("    return (\n", ExecutionResult.SyntaxError)]
    [InlineData("    while True:\n        pass\n", ExecutionResult.Timeout)]
    [InlineData("    x = ' ' * (10 ** 11)\n    return x\n", ExecutionResult.MemoryLimit)]
    [InlineData(
        "    import socket\n    s = socket.socket()\n    s.connect(('1.1.1.1', 80))\n",
        ExecutionResult.NetworkBlocked
    )]
    [InlineData("    raise ValueError('boom')\n", ExecutionResult.RuntimeError)]
    [InlineData("    import os\n    os._exit(1)\n", ExecutionResult.RuntimeError)]
    public void BrokenSamplesFailWithTheRightReason(string completion, string reason)
    {
        var row = HumanEval()[0];
        var p = CodeProblem.FromRow(row, "HumanEval.jsonl.gz");
        var grader = new CodeGrader(
            new PythonSandbox(new SandboxLimits { WallTime = TimeSpan.FromSeconds(3), MemoryBytes = 512L << 20 })
        );
        var (r, _) = grader.Grade(p, completion);
        Assert.False(r.Passed);
        Assert.Equal(reason, r.Reason);
    }

    [Fact]
    public void StdinStdoutCasesAndProseProblems()
    {
        var row = JsonNode
            .Parse(
                """{"id":"io-1","prompt":"Read two integers and print their sum.","""
                    + """ "test_cases":[{"input":"1 2\n","output":"3\n"},{"input":"5 -7\n","output":"-2"}]}"""
            )!
            .AsObject();
        var p = CodeProblem.FromRow(row, "x.jsonl");
        var grader = new CodeGrader(new PythonSandbox());
        Assert.True(
            grader.Grade(p, "Here:\n```python\na, b = map(int, input().split())\nprint(a + b)\n```\n").Result.Passed
        );
        var bad = grader.Grade(p, "```python\na, b = map(int, input().split())\nprint(a - b)\n```");
        Assert.Equal(ExecutionResult.WrongAnswer, bad.Result.Reason);
    }
}
