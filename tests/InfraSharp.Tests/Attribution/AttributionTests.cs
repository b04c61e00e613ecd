using System.Text.Json.Nodes;
using InfraSharp.Attribution;
using InfraSharp.Storage;
using InfraSharp.Text;

namespace InfraSharp.Tests.Attribution;

public class AttributionTests
{
    private static JsonObject A(string domain, int difficulty, string source) =>
        new()
        {
            ["domain"] = domain,
            ["difficulty"] = difficulty,
            ["source"] = source,
        };

    // 3 queries (math, math, code) x 6 training examples, values chosen by hand.
    private static readonly double[,] Pw =
    {
        { 4, -2, 1, 0, 3, -6 },
        { 1, 1, -1, 2, 0, 3 },
        { -10, 5, 20, 0, -5, 10 },
    };
    private static readonly (string, JsonObject)[] Train =
    [
        ("t0", A("math", 1, "a")),
        ("t1", A("math", 1, "b")),
        ("t2", A("math", 2, "a")),
        ("t3", A("code", 1, "b")),
        ("t4", A("code", 1, "a")),
        ("t5", A("code", 2, "b")),
    ];
    private static readonly (string, JsonObject)[] Queries =
    [
        ("q0", A("math", 3, "x")),
        ("q1", A("math", 4, "x")),
        ("q2", A("code", 2, "x")),
    ];

    private static ScoreSet Set() => new(Pw, null, Queries, Train);

    [Fact]
    public void ExampleLevelMatchesAHandComputation()
    {
        var an = new AttributionAnalyzer(Set(), Lexicon.Load(null));
        // Normalisation: mean |score| per query over the 6 training examples.
        double[] scale = [16.0 / 6, 8.0 / 6, 50.0 / 6];
        Assert.Equal(scale, an.QueryScale);
        var qKeys = GroupKeys.Build(Queries.Select(q => q.Item2).ToList(), [0, 0, 0], ["domain"]);
        var tKeys = GroupKeys.Build(Train.Select(t => t.Item2).ToList(), [1, 1, 1, 1, 1, 1], ["domain", "difficulty"]);
        var rows = an.ExampleLevel(qKeys, tKeys);
        Assert.Equal(2 * 4, rows.Count);
        var mathOnMath1 = rows.Single(r => r.QueryGroup == "domain=math" && r.TrainGroup == "domain=math|difficulty=1");
        // Per example: mean over the two math queries of score / scale.
        double v0 = (4 / scale[0] + 1 / scale[1]) / 2,
            v1 = (-2 / scale[0] + 1 / scale[1]) / 2;
        Assert.Equal(2, mathOnMath1.Stats.N);
        Assert.Equal((v0 + v1) / 2, mathOnMath1.Stats.Mean, 12);
        Assert.Equal((v0 + v1) / 2, mathOnMath1.Stats.Median, 12);
        Assert.Equal(v0 + v1, mathOnMath1.Stats.Sum, 12);
        Assert.Equal(((4 + 1) / 2.0 + (-2 + 1) / 2.0) / 2, mathOnMath1.MeanRaw, 12);
        Assert.True(
            mathOnMath1.Stats.CiLow <= mathOnMath1.Stats.Mean && mathOnMath1.Stats.Mean <= mathOnMath1.Stats.CiHigh
        );
        var codeOnCode2 = rows.Single(r => r.QueryGroup == "domain=code" && r.TrainGroup == "domain=code|difficulty=2");
        Assert.Equal(10 / scale[2], codeOnCode2.Stats.Mean, 12);
        // Any attribute is a key, and groups sort naturally.
        var bySource = an.ExampleLevel(
            qKeys,
            GroupKeys.Build(Train.Select(t => t.Item2).ToList(), [1, 1, 1, 1, 1, 1], ["source"])
        );
        var codeOnA = bySource.Single(r => r.QueryGroup == "domain=code" && r.TrainGroup == "source=a");
        Assert.Equal(new[] { -10.0, 20, -5 }.Average() / scale[2], codeOnA.Stats.Mean, 12);
        Assert.Equal(-5 / scale[2], codeOnA.Stats.Median, 12); // median of (-10, 20, -5) / scale
    }

    [Fact]
    public void LengthBucketsAreQuartiles()
    {
        var attrs = Enumerable.Range(0, 8).Select(_ => new JsonObject()).ToList();
        var keys = GroupKeys.Build(attrs, [10, 20, 30, 40, 50, 60, 70, 80], ["length_bucket"]);
        Assert.Equal(
            [
                "length_bucket=q1",
                "length_bucket=q1",
                "length_bucket=q2",
                "length_bucket=q2",
                "length_bucket=q3",
                "length_bucket=q3",
                "length_bucket=q4",
                "length_bucket=q4",
            ],
            keys
        );
        Assert.True(GroupKeys.Compare("difficulty=2", "difficulty=10") < 0);
    }

    [Fact]
    public void BootstrapIntervalAgreesWithTheNormalApproximation()
    {
        var rng = new Random(5);
        var xs = Enumerable.Range(0, 400).Select(_ => rng.NextDouble() * 2 - 0.3).ToList();
        var s = Statistics.Summarize(xs);
        double mean = xs.Average(),
            sd = Math.Sqrt(xs.Sum(x => (x - mean) * (x - mean)) / (xs.Count - 1));
        double half = 1.96 * sd / Math.Sqrt(xs.Count);
        Assert.True(Math.Abs(s.CiLow - (mean - half)) < 0.15 * half, $"{s.CiLow} vs {mean - half}");
        Assert.True(Math.Abs(s.CiHigh - (mean + half)) < 0.15 * half, $"{s.CiHigh} vs {mean + half}");
        Assert.Equal(2.5, Statistics.Median([1, 2, 3, 4]));
        Assert.Equal(3, Statistics.Median([5, 1, 3]));
    }

    [Fact]
    public void TopExamplesAreTheLargestAndSmallestScores()
    {
        var an = new AttributionAnalyzer(Set(), Lexicon.Load(null)) { TopK = 2 };
        var rows = an.TopExamples(
            ["a", "b", "c"],
            Enumerable.Repeat("g", 6).ToArray(),
            Enumerable.Repeat("", 6).ToList()
        );
        var q2 = rows.Where(r => r.QueryId == "q2").ToList();
        Assert.Equal(["t2", "t5"], q2.Where(r => r.Kind == "proponent").Select(r => r.TrainId));
        Assert.Equal(["t0", "t4"], q2.Where(r => r.Kind == "opponent").Select(r => r.TrainId));
    }

    [Fact]
    public void StepsTileTheResponseAndKeepCodeBlocksWhole()
    {
        string text =
            "Let me think. First we add.\nWait, let me check: 2 + 2 = 4.\n```python\ndef f(x):\n    return "
            + "x\n```\nThe answer is 4.";
        var steps = StepSegmenter.Split(text);
        Assert.Equal(0, steps[0].Start);
        for (int i = 1; i < steps.Count; i++)
            Assert.Equal(steps[i - 1].End, steps[i].Start);
        Assert.Equal(text.Length, steps[^1].End);
        Assert.Equal(
            [
                "Let me think.",
                "First we add.",
                "Wait, let me check: 2 + 2 = 4.",
                "```python\ndef f(x):\n    return x\n```",
                "The answer is 4.",
            ],
            steps.Select(s => s.Text)
        );
        var lex = Lexicon.Load(null);
        Assert.Equal("exploration", lex.TagStep(steps[2].Text, false));
        Assert.Equal("code", lex.TagStep(steps[3].Text, true));
        Assert.Equal("conclusion", lex.TagStep(steps[4].Text, false));
    }

    [Theory]
    [InlineData("tiny-qwen2")]
    [InlineData("tiny-llama")]
    public void StepSumsEqualTokenSumsAndAddUpToThePairwiseScore(string name)
    {
        // kronfluence's own per-token EK-FAC scores for the fixture data.
        var refs = SafeTensorsFile.Open(Fixtures.Path_(name, "kronfluence_scores.safetensors"));
        var ptT = refs.Read("per_token.ekfac_empirical").contiguous();
        var pwT = refs.Read("pairwise.ekfac_empirical").to(TorchSharp.torch.ScalarType.Float64).contiguous();
        var pt = new float[ptT.shape[0], ptT.shape[1], ptT.shape[2]];
        Buffer.BlockCopy(ptT.data<float>().ToArray(), 0, pt, 0, (int)ptT.numel() * 4);
        var pw = new double[pwT.shape[0], pwT.shape[1]];
        Buffer.BlockCopy(pwT.data<double>().ToArray(), 0, pw, 0, (int)pwT.numel() * 8);
        var tok = Tokenizer.Load(Fixtures.Model(name));
        var enc = new ExampleEncoder(tok);
        var train = DatasetReader
            .Read(Fixtures.Path_(name, "train.jsonl"))
            .Select(r =>
            {
                var f = (JsonObject)r.Fields.DeepClone();
                f.Remove("input_ids");
                f.Remove("labels");
                var e = enc.Encode(r with { Fields = f });
                Assert.Equal(Fixtures.Ints(r.Fields["input_ids"]), e.InputIds);
                return e;
            })
            .ToList();
        var queries = Fixtures
            .Jsonl(Fixtures.Path_(name, "queries.jsonl"))
            .Select(q => (q["id"]!.ToString(), new JsonObject { ["id"] = q["id"]!.ToString() }))
            .ToList();
        var set = new ScoreSet(pw, pt, queries, train.Select(e => (e.Id, e.Attributes)).ToList());
        var an = new AttributionAnalyzer(set, Lexicon.Load(null));
        var texts = train.Select(e => TrainingText.Build(e, tok)).ToList();
        // One query group per query, so that a step's value is that query's normalised per-token sum.
        var qKeys = queries.Select(q => q.Item1).ToArray();
        var steps = an.StepValues(qKeys, texts);
        for (int q = 0; q < set.Q; q++)
        for (int e = 0; e < set.N; e++)
        {
            double stepSum =
                steps.Where(s => s.QueryGroup == qKeys[q] && s.Example == e).Sum(s => s.Value) * an.QueryScale[q];
            double tokenSum = 0;
            for (int t = 0; t < pt.GetLength(2); t++)
                tokenSum += pt[q, e, t];
            Assert.True(
                Math.Abs(stepSum - tokenSum) <= 1e-9 * Math.Max(1, Math.Abs(tokenSum)),
                $"q{q} e{e}: steps {stepSum} tokens {tokenSum}"
            );
            // The per-token split sums to the pairwise score (float32 rounding: ~1e-2 relative, as the fixtures state).
            Assert.True(
                Math.Abs(tokenSum - pw[q, e]) <= 2e-2 * Math.Abs(pw[q, e]) + 1e-3 * an.QueryScale[q],
                $"q{q} e{e}: tokens {tokenSum} pairwise {pw[q, e]}"
            );
        }
        // Every position belongs to exactly one step.
        foreach (var t in texts)
            Assert.Equal(Enumerable.Range(0, t.Example.Length), t.Steps.SelectMany(s => s.Tokens).OrderBy(x => x));
    }
}
