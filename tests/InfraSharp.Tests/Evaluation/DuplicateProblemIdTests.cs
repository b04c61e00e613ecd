using System.Security.Cryptography;
using System.Text.Json.Nodes;
using InfraSharp.Evaluation;
using InfraSharp.Tests.Cli;
using InfraSharp.Text;

namespace InfraSharp.Tests.Evaluation;

/// <summary>
/// A problem id twice in a problems file (real HumanEval and GSM8K rows): refused with one line naming the file
/// and both lines, exit code 2 from <c>infra eval</c>, and the output folder as it was. Before, code problems kept
/// the first row silently and <c>eval math</c> died with a stack trace (exit 1).
/// </summary>
public class DuplicateProblemIdTests
{
    private static readonly string HumanEvalFile = Path.Combine(
        Fixtures.Shared,
        "datasets",
        "humaneval",
        "HumanEval.jsonl.gz"
    );

    private static readonly string Gsm8k = Path.Combine(Fixtures.Shared, "datasets", "gsm8k", "test.jsonl");

    private static string Write(string dir, string name, IEnumerable<JsonObject> rows)
    {
        string path = Path.Combine(dir, name);
        File.WriteAllLines(path, rows.Select(r => r.ToJsonString()));
        return path;
    }

    /// <summary>HumanEval/0, HumanEval/1, then HumanEval/0 again with tests its canonical solution fails.</summary>
    private static (string Problems, string Samples) CodeFiles(string dir, bool duplicate)
    {
        var rows = CodeExecutionTests.HumanEval();
        var again = (JsonObject)rows[0].DeepClone();
        again["test"] = "def check(candidate):\n    assert candidate([1.0, 2.0], 5.0) == False\n";
        JsonObject[] problems = duplicate ? [rows[0], rows[1], again] : [rows[0], rows[1]];
        var sample = new JsonObject
        {
            ["task_id"] = "HumanEval/0",
            ["completion"] = rows[0]["canonical_solution"]!.DeepClone(),
        };
        return (Write(dir, "problems.jsonl", problems), Write(dir, "samples.jsonl", [sample]));
    }

    /// <summary>GSM8K's first three test problems with ids; with a duplicate, the third takes the first's id.</summary>
    private static (string Problems, string Samples) MathFiles(string dir, bool duplicate)
    {
        var rows = Fixtures.Jsonl(Gsm8k).Take(3).ToList();
        string[] ids = duplicate ? ["gsm8k-0", "gsm8k-1", "gsm8k-0"] : ["gsm8k-0", "gsm8k-1", "gsm8k-2"];
        for (int i = 0; i < 3; i++)
            rows[i]["id"] = ids[i];
        string gold = MathAnswer.Extract(rows[0]["answer"]!.GetValue<string>()).Answer!;
        var sample = new JsonObject { ["id"] = "gsm8k-0", ["completion"] = $"So the answer is {gold}." };
        return (Write(dir, "problems.jsonl", rows), Write(dir, "samples.jsonl", [sample]));
    }

    private static SortedDictionary<string, string> Snapshot(string dir)
    {
        var s = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (Directory.Exists(dir))
            foreach (var f in Directory.GetFiles(dir, "*", SearchOption.AllDirectories))
                s[Path.GetRelativePath(dir, f)] = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)));
        return s;
    }

    [Theory]
    [InlineData("math", "--data")]
    [InlineData("code", "--problems")]
    public void InfraEvalRefusesADuplicateProblemIdInOneLineAndTouchesNothing(string domain, string option)
    {
        string dir = Fixtures.TempDir();
        var (problems, samples) = domain == "math" ? MathFiles(dir, duplicate: true) : CodeFiles(dir, duplicate: true);
        string fresh = Path.Combine(dir, "out-new"),
            used = Path.Combine(dir, "out-used");
        Directory.CreateDirectory(used);
        File.WriteAllText(Path.Combine(used, "notes.txt"), "the user's own file");
        string[] inputs = [problems, samples];
        var inputHashes = inputs.Select(f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))).ToList();

        foreach (var output in new[] { fresh, used })
        {
            var before = Snapshot(output);
            var r = InfraProcess.Run(["eval", domain, option, problems, "--samples", samples, "--out", output]);
            string what = $"exit {r.ExitCode}, stderr: {r.Stderr.Trim()}";
            Assert.True(r.ExitCode == 2, what);
            string line = Assert.Single(r.ErrorLines);
            Assert.Contains(problems, line);
            Assert.Contains(domain == "math" ? "'gsm8k-0'" : "'HumanEval/0'", line);
            Assert.Contains("line 1 and again on line 3", line);
            Assert.DoesNotContain("   at ", r.Stderr);
            Assert.Equal(before, Snapshot(output));
        }
        Assert.False(Directory.Exists(fresh));
        Assert.Equal(inputHashes, inputs.Select(f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))));

        // The same files without the duplicate evaluate: it was the duplicate that was refused.
        var (okProblems, okSamples) = domain == "math" ? MathFiles(dir, duplicate: false) : CodeFiles(dir, false);
        var ok = InfraProcess.Run(["eval", domain, option, okProblems, "--samples", okSamples, "--out", fresh]);
        Assert.True(ok.ExitCode == 0, ok.Stderr);
        var result = Fixtures.Jsonl(Path.Combine(fresh, "results.jsonl")).Single();
        Assert.True(result[domain == "math" ? "correct" : "passed"]!.GetValue<bool>(), result.ToJsonString());
    }

    [Fact]
    public void GradingLibraryCallsRefuseDuplicateIdsToo()
    {
        string dir = Fixtures.TempDir();
        var (problems, _) = CodeFiles(dir, duplicate: true);
        var rows = DatasetReader.Read(problems).ToList();
        var completion = new Evaluator.Completion("HumanEval/0", 0, "    return False\n");
        var e = Assert.Throws<InvalidDataException>(() => Evaluator.GradeCode(rows, [completion]));
        Assert.True(InputError.Is(e, out _));
        Assert.Equal(
            $"{problems}: problem id 'HumanEval/0' is on line 1 and again on line 3; problem ids must be unique",
            e.Message
        );

        var (mathProblems, _) = MathFiles(dir, duplicate: true);
        var mathRows = DatasetReader.Read(mathProblems).ToList();
        var m = Assert.Throws<InvalidDataException>(() =>
            Evaluator.GradeMath(mathRows, [new Evaluator.Completion("gsm8k-0", 0, "#### 18")])
        );
        Assert.Contains("'gsm8k-0' is on line 1 and again on line 3", m.Message);
    }

    [Fact]
    public void ASamplesFileThatIsItsOwnProblemSetMayRepeatAnIdButNotChangeTheAnswer()
    {
        // One row per sample: the id repeats by design, and each row carries the problem's answer.
        string dir = Fixtures.TempDir();
        var gsm = Fixtures.Jsonl(Gsm8k).First();
        string gold = MathAnswer.Extract(gsm["answer"]!.GetValue<string>()).Answer!;
        JsonObject Sample(string answer, string completion) =>
            new()
            {
                ["id"] = "q",
                ["answer"] = answer,
                ["completion"] = completion,
            };
        string same = Write(dir, "same.jsonl", [Sample(gold, $"#### {gold}"), Sample(gold, "#### 0")]);
        var problems = Evaluator.ProblemsOfSamples(DatasetReader.Read(same), EvalDomain.Math);
        var graded = Evaluator.GradeMath(problems, Evaluator.ReadSamples(same));
        Assert.Equal(new[] { true, false }, graded.Select(g => g.Correct));

        string differ = Write(dir, "differ.jsonl", [Sample(gold, $"#### {gold}"), Sample("0", "#### 0")]);
        var e = Assert.Throws<InvalidDataException>(() =>
            Evaluator.ProblemsOfSamples(DatasetReader.Read(differ), EvalDomain.Math)
        );
        Assert.True(InputError.Is(e, out _));
        Assert.Equal($"{differ}: the rows of problem 'q' on lines 1 and 2 differ in 'answer'", e.Message);
    }
}
