using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using InfraSharp.Evaluation;
using InfraSharp.Training.Synthetic;

namespace InfraSharp.Tests.Training;

public class SyntheticDataTests
{
    private static readonly SyntheticDataset.Options Opts = new()
    {
        Seed = 3,
        Size = 300,
        QueriesPerCell = 3,
        EvalPerCell = 4,
        ExploreShare = 0.4,
    };
    private static SyntheticDataset.Splits Data => SyntheticDataset.Generate(Opts);

    private static IEnumerable<JsonObject> All(SyntheticDataset.Splits s) => s.Train.Concat(s.Queries).Concat(s.Eval);

    private static string User(JsonObject r) => r["messages"]![0]!["content"]!.GetValue<string>();

    private static string Assistant(JsonObject r) => r["messages"]![1]!["content"]!.GetValue<string>();

    [Fact]
    public void MathSolutionsBoxTheirAnswer()
    {
        var rows = All(Data).Where(r => r["domain"]!.GetValue<string>() == "math").ToList();
        Assert.NotEmpty(rows);
        foreach (var r in rows)
        {
            string sol = Assistant(r);
            Assert.EndsWith("\\boxed{" + r["answer"]!.GetValue<string>() + "}.", sol);
            Assert.Equal(r["answer"]!.GetValue<string>(), MathAnswer.LastBoxed(sol));
            // Every written step is true arithmetic.
            foreach (Match m in Regex.Matches(sol, @"(\d+) ([-+*/]) (\d+) = (\d+)"))
            {
                long a = long.Parse(m.Groups[1].Value),
                    b = long.Parse(m.Groups[3].Value),
                    c = long.Parse(m.Groups[4].Value);
                long want = m.Groups[2].Value switch
                {
                    "+" => a + b,
                    "-" => a - b,
                    "*" => a * b,
                    _ => a / b,
                };
                Assert.Equal(want, c);
            }
        }
    }

    // System tier: a sweep of over 100 bubblewrap sandboxes.
    [Fact]
    [Trait("Category", "System")]
    public void CodeSolutionsPassTheirOwnTests()
    {
        var rows = All(Data).Where(r => r["domain"]!.GetValue<string>() == "code").ToList();
        var grader = new CodeGrader(new PythonSandbox());
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.ForEach(rows, new ParallelOptions { MaxDegreeOfParallelism = 4 }, r =>
        {
            var p = CodeProblem.FromRow(r, "synthetic");
            Assert.Null(p.CodePrompt); // prose statement: the fenced block is the program
            var (res, _) = grader.Grade(p, Assistant(r));
            if (!res.Passed)
                failures.Add($"{r["id"]}: {res.Reason} {res.Detail}");
        });
        Assert.Empty(failures);
        Assert.True(rows.Count > 100);
    }

    [Fact]
    public void LevelChangesTheWork()
    {
        var rows = All(Data).ToList();
        foreach (var domain in SyntheticDataset.Domains)
        {
            double[] steps = SyntheticDataset
                .Levels.Select(l =>
                    rows.Where(r => r["domain"]!.GetValue<string>() == domain && r["difficulty"]!.GetValue<int>() == l)
                        .Average(r => r["steps"]!.GetValue<int>())
                )
                .ToArray();
            for (int i = 1; i < steps.Length; i++)
                Assert.True(steps[i] > steps[i - 1], $"{domain}: steps {string.Join(",", steps)}");
            double[] length = SyntheticDataset
                .Levels.Select(l =>
                    rows.Where(r => r["domain"]!.GetValue<string>() == domain && r["difficulty"]!.GetValue<int>() == l)
                        .Average(r => Assistant(r).Length)
                )
                .ToArray();
            Assert.True(length[4] > length[0] * 1.5, $"{domain}: solution lengths {string.Join(",", length)}");
        }
        // Math operands shrink as the steps grow (up to 7, 6, 5, 4, 3), and every running total stays within 0-50.
        int[] bound = [7, 6, 5, 4, 3];
        foreach (var r in rows.Where(r => r["domain"]!.GetValue<string>() == "math"))
        {
            int level = r["difficulty"]!.GetValue<int>();
            Assert.All(Regex.Matches(User(r), @"\d+"), m => Assert.InRange(long.Parse(m.Value), 1, bound[level - 1]));
            Assert.All(Regex.Matches(Assistant(r), @"\d+"), m => Assert.InRange(long.Parse(m.Value), 0, 50));
        }
        // Code: loops from level 3 on, nested loops or several branches at level 5.
        Assert.All(
            rows.Where(r => r["domain"]!.GetValue<string>() == "code" && r["difficulty"]!.GetValue<int>() == 1),
            r => Assert.DoesNotContain("for ", Assistant(r))
        );
        Assert.All(
            rows.Where(r => r["domain"]!.GetValue<string>() == "code" && r["difficulty"]!.GetValue<int>() == 3),
            r => Assert.Contains("for ", Assistant(r))
        );
    }

    [Fact]
    public void SplitsDoNotOverlapAndCoverEveryCell()
    {
        var s = Data;
        var sets = new[] { s.Train, s.Queries, s.Eval }.Select(x => x.Select(User).ToHashSet()).ToArray();
        Assert.Empty(sets[0].Intersect(sets[1]));
        Assert.Empty(sets[0].Intersect(sets[2]));
        Assert.Empty(sets[1].Intersect(sets[2]));
        Assert.Equal(300, s.Train.Count);
        foreach (var split in new[] { s.Train, s.Queries, s.Eval })
        foreach (var d in SyntheticDataset.Domains)
        foreach (var l in SyntheticDataset.Levels)
            Assert.Contains(split, r => r["domain"]!.GetValue<string>() == d && r["difficulty"]!.GetValue<int>() == l);
        double share = s.Train.Average(r => r["explores"]!.GetValue<bool>() ? 1.0 : 0.0);
        Assert.InRange(share, 0.3, 0.5);
        Assert.All(s.Train.Where(r => r["explores"]!.GetValue<bool>()), r =>
            Assert.Matches("Wait, let me check|Alternatively", Assistant(r))
        );
    }

    [Fact]
    public void SameSeedSameBytes()
    {
        string a = Fixtures.TempDir(),
            b = Fixtures.TempDir(),
            c = Fixtures.TempDir();
        SyntheticDataset.Write(a, SyntheticDataset.Generate(Opts));
        SyntheticDataset.Write(b, SyntheticDataset.Generate(Opts));
        SyntheticDataset.Write(c, SyntheticDataset.Generate(Opts with { Seed = 4 }));
        foreach (var f in new[] { "train.jsonl", "queries.jsonl", "eval.jsonl" })
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(a, f)), File.ReadAllBytes(Path.Combine(b, f)));
            Assert.NotEqual(File.ReadAllBytes(Path.Combine(a, f)), File.ReadAllBytes(Path.Combine(c, f)));
        }
    }
}
