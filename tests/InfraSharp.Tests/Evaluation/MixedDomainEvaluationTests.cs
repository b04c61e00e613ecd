using System.Text.Json.Nodes;
using InfraSharp.Evaluation;
using InfraSharp.Storage;
using InfraSharp.Text;
using InfraSharp.Training.Synthetic;

namespace InfraSharp.Tests.Evaluation;

/// <summary>
/// One problems file whose rows mix domains (real GSM8K and HumanEval rows, and the demo's synthetic rows), graded
/// by each row's own domain field: every row gets the verdict its domain's grader gives it alone (code in the real
/// sandbox), and the single-domain runs write what they always wrote.
/// </summary>
public class MixedDomainEvaluationTests
{
    private static readonly string Gsm8k = Path.Combine(Fixtures.Shared, "datasets", "gsm8k", "test.jsonl");

    private static string Write(string dir, string name, IEnumerable<JsonObject> rows)
    {
        string path = Path.Combine(dir, name);
        File.WriteAllLines(path, rows.Select(r => r.ToJsonString()));
        return path;
    }

    private static JsonObject Sample(JsonObject problem, string completion) =>
        new() { ["id"] = (problem["task_id"] ?? problem["id"])!.DeepClone(), ["completion"] = completion };

    /// <summary>Math and code problems with samples that pass and fail in several ways, interleaved.</summary>
    private static (
        List<JsonObject> Math,
        List<JsonObject> Code,
        List<JsonObject> MathSamples,
        List<JsonObject> CodeSamples
    ) Problems()
    {
        var math = Fixtures.Jsonl(Gsm8k).Take(3).ToList();
        for (int i = 0; i < math.Count; i++)
        {
            math[i]["id"] = $"gsm8k-{i}";
            math[i]["domain"] = "math";
        }
        var code = CodeExecutionTests.HumanEval().Take(3).ToList();
        foreach (var r in code)
            r["domain"] = "code";
        var synth = SyntheticDataset
            .Generate(
                new SyntheticDataset.Options
                {
                    Seed = 4,
                    Size = 10,
                    QueriesPerCell = 1,
                    EvalPerCell = 1,
                }
            )
            .Eval;
        var synthMath = synth.Where(r => r["domain"]!.ToString() == "math").Take(2).ToList();
        var synthCode = synth.Where(r => r["domain"]!.ToString() == "code").Take(2).ToList();
        string Gold(JsonObject r) => MathAnswer.Extract(r["answer"]!.GetValue<string>()).Answer!;
        string Solution(JsonObject r) => r["messages"]!.AsArray()[^1]!["content"]!.GetValue<string>();
        var mathSamples = new List<JsonObject>
        {
            Sample(math[0], $"So the answer is {Gold(math[0])}."),
            Sample(math[1], "The answer is 123456789."),
            Sample(math[2], "I do not know."),
            Sample(synthMath[0], Solution(synthMath[0])),
            Sample(synthMath[1], "#### -1"),
        };
        var codeSamples = new List<JsonObject>
        {
            Sample(code[0], code[0]["canonical_solution"]!.GetValue<string>()),
            Sample(code[1], "    return 'wrong'\n"),
            Sample(code[2], "    return (\n"),
            Sample(synthCode[0], Solution(synthCode[0])),
            Sample(synthCode[1], "```python\nprint('hello')\n```"),
        };
        return ([.. math, .. synthMath], [.. code, .. synthCode], mathSamples, codeSamples);
    }

    private static List<T> Interleave<T>(List<T> a, List<T> b) =>
        [.. a.Zip(b).SelectMany(p => new[] { p.First, p.Second }).Concat(a.Skip(b.Count)).Concat(b.Skip(a.Count))];

    private static Dictionary<string, JsonObject> ById(string dir) =>
        Fixtures.Jsonl(Path.Combine(dir, "results.jsonl")).ToDictionary(r => r["problem_id"]!.ToString());

    [Fact]
    public void AMixedFileGivesEachRowTheVerdictOfItsOwnDomainsGrader()
    {
        string dir = Fixtures.TempDir();
        var (math, code, mathSamples, codeSamples) = Problems();
        string mixedProblems = Write(dir, "mixed.jsonl", Interleave(code, math)),
            mixedSamples = Write(dir, "mixed-samples.jsonl", Interleave(mathSamples, codeSamples));
        EvaluationRunArguments Args(EvalDomain d, string problems, string samples) =>
            new()
            {
                Domain = d,
                Problems = problems,
                Samples = samples,
                TimeoutSeconds = 5,
                MemoryMb = 512,
            };
        string mixedOut = Path.Combine(dir, "mixed"),
            mathOut = Path.Combine(dir, "math"),
            codeOut = Path.Combine(dir, "code");
        var mixed = EvaluationRun.Run(Args(EvalDomain.Mixed, mixedProblems, mixedSamples), mixedOut);
        var alone = EvaluationRun.Run(
            Args(EvalDomain.Math, Write(dir, "math.jsonl", math), Write(dir, "math-samples.jsonl", mathSamples)),
            mathOut
        );
        var codeAlone = EvaluationRun.Run(
            Args(EvalDomain.Code, Write(dir, "code.jsonl", code), Write(dir, "code-samples.jsonl", codeSamples)),
            codeOut
        );

        // Every row, whatever its domain, graded exactly as its domain's own run grades it: the same verdict, reason
        // and extracted answer or code, in the same columns (math: extracted_answer, correct; code: code, passed).
        var byId = ById(mixedOut);
        var separate = ById(mathOut).Concat(ById(codeOut)).ToList();
        Assert.Equal(separate.Count, byId.Count);
        foreach (var (id, row) in separate)
            Assert.True(JsonNode.DeepEquals(row, byId[id]), $"{id}: {row.ToJsonString()} vs {byId[id].ToJsonString()}");
        // The samples were chosen to pass and to fail in each domain (the sandbox really ran the code).
        foreach (var (field, rows) in new[] { ("correct", ById(mathOut)), ("passed", ById(codeOut)) })
        {
            Assert.Contains(rows.Values, r => r[field]!.GetValue<bool>());
            Assert.Contains(rows.Values, r => !r[field]!.GetValue<bool>());
        }
        Assert.Contains(ById(codeOut).Values, r => r["reason"]!.ToString().StartsWith(ExecutionResult.SyntaxError));
        // Results keep the samples' order; the summary's domain groups are each domain's own.
        Assert.Equal(
            Fixtures.Jsonl(mixedSamples).Select(s => s["id"]!.ToString()),
            Fixtures.Jsonl(Path.Combine(mixedOut, "results.jsonl")).Select(r => r["problem_id"]!.ToString())
        );
        foreach (var (domain, single) in new[] { ("math", alone), ("code", codeAlone) })
        foreach (var g in single.Groups.Where(g => g.Domain == domain))
        {
            var m = mixed.Groups.Single(m => m.Domain == domain && m.Difficulty == g.Difficulty);
            Assert.Equal((g.Problems, g.Samples, g.Accuracy), (m.Problems, m.Samples, m.Accuracy));
            Assert.Equal(g.PassAtK[1], m.PassAtK[1]);
        }
        // Single-domain runs write what they always wrote; the mixed run is a kind of its own.
        foreach (var d in new[] { mathOut, codeOut, mixedOut })
            Assert.Equal(
                ["manifest.json", "results.jsonl", "summary.json", "summary.md"],
                Directory.GetFiles(d).Select(Path.GetFileName).Order(StringComparer.Ordinal)
            );
        Assert.Equal("eval_math", RunManifest.Read(mathOut)!["kind"]!.ToString());
        Assert.Equal("eval_code", RunManifest.Read(codeOut)!["kind"]!.ToString());
        Assert.Equal("eval_mixed", RunManifest.Read(mixedOut)!["kind"]!.ToString());
        Assert.Equal("mixed", RunManifest.Read(mixedOut)!["arguments"]!["domain"]!.ToString());
    }

    [Fact]
    public void AMixedFileRowWithoutAGradableDomainIsRefusedNamingItsLine()
    {
        string dir = Fixtures.TempDir();
        var (math, code, mathSamples, _) = Problems();
        var poem = (JsonObject)math[0].DeepClone();
        poem["id"] = "poem";
        poem["domain"] = "poetry";
        string problems = Write(dir, "mixed.jsonl", [math[1], code[0], poem]),
            samples = Write(dir, "samples.jsonl", mathSamples.Take(1));
        string output = Path.Combine(dir, "out");
        var e = Assert.Throws<DataRowException>(() =>
            EvaluationRun.Run(
                new EvaluationRunArguments
                {
                    Domain = EvalDomain.Mixed,
                    Problems = problems,
                    Samples = samples,
                },
                output
            )
        );
        Assert.True(InputError.Is(e, out _));
        Assert.Equal(
            $"{problems}:3: domain 'poetry' is neither math nor code "
                + "(a mixed evaluation grades each row by its domain)",
            e.Message
        );
        Assert.False(Directory.Exists(output));
    }
}
