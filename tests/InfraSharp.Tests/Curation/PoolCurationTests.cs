using System.Text.Json.Nodes;
using InfraSharp.Curation;
using InfraSharp.Influence;
using InfraSharp.Storage;
using InfraSharp.Text;
using InfraSharp.Training.Synthetic;
using static TorchSharp.torch;

namespace InfraSharp.Tests.Curation;

/// <summary>
/// curate --pool: every mix selected from the pool without replacement, with the original's row count, no repeated
/// id, no training row, the domain counts kept, the length budget within 2% (in tokens of a real tokenizer, or
/// characters), and the strategy's level counts (or ranking) as far as the pool and the budget allow.
/// </summary>
[Collection("cli")]
public class PoolCurationTests
{
    private static int Infra(params string[] args) => InfraSharp.Cli.Program.Main(args);

    private static (string Dir, List<JsonObject> Train, List<JsonObject> Pool) Corpus()
    {
        var s = SyntheticDataset.Generate(
            new SyntheticDataset.Options
            {
                Seed = 2,
                Size = 200,
                QueriesPerCell = 1,
                EvalPerCell = 1,
                PoolFactor = 3,
            }
        );
        string dir = Fixtures.TempDir();
        SyntheticDataset.Write(dir, s);
        return (dir, s.Train, s.Pool);
    }

    private static string Id(JsonObject r) => r["id"]!.ToString();

    private static CurationResult Curate(
        string dir,
        CurationStrategy strategy,
        double strength = 1,
        int seed = 0,
        string? scores = null,
        string? analysis = null,
        string? tokenizer = null
    ) =>
        CurationRun.Run(
            new CurationRunArguments
            {
                Data = Path.Combine(dir, "train.jsonl"),
                Pool = Path.Combine(dir, SyntheticDataset.PoolFile),
                Strategy = strategy,
                Strength = strength,
                Seed = seed,
                Scores = scores,
                Analysis = analysis,
                Tokenizer = tokenizer,
            },
            Path.Combine(dir, $"{strategy}-{strength}-{seed}-{tokenizer is null}.jsonl")
        );

    // Tokens under the Qwen2.5 tokenizer and chat template, as training spends them.
    private static int Tokens(ExampleEncoder encoder, JsonObject row) =>
        encoder.Encode(new DataRow(row, "test", 0)).Length;

    private static void AssertWithinBudget(List<JsonObject> train, CurationResult r, Func<JsonObject, int> length)
    {
        double before = train.Sum(length),
            after = r.Rows.Sum(length);
        Assert.InRange(after / before, 1 - PoolSelection.Tolerance, 1 + PoolSelection.Tolerance);
    }

    private static int Characters(JsonObject row) =>
        row["messages"]!.AsArray().Sum(m => m!["content"]!.ToString().Length);

    /// <summary>
    /// A score folder over the pool as <c>infra scores pairwise --train POOL</c> writes it: one math and one code
    /// query, each pool row scored by <paramref name="score"/> for both.
    /// </summary>
    private static string PoolScores(string dir, List<JsonObject> pool, Func<JsonObject, double> score)
    {
        string scores = Path.Combine(dir, "pool-scores");
        Directory.CreateDirectory(scores);
        EncodedExample Example(JsonObject r) =>
            new(
                r["id"]!.ToString(),
                [1, 2],
                [1, 2],
                new JsonObject { ["domain"] = r["domain"]!.DeepClone(), ["difficulty"] = r["difficulty"]!.DeepClone() },
                "pool.jsonl",
                0
            );
        var queries = new[] { "math", "code" }
            .Select(d =>
                Example(
                    new JsonObject
                    {
                        ["id"] = "q-" + d,
                        ["domain"] = d,
                        ["difficulty"] = 3,
                    }
                )
            )
            .ToList();
        ScoreFiles.WriteExamples(scores, queries, pool.Select(Example).ToList());
        var values = pool.Select(score).Select(v => (float)v).ToArray();
        using var t = tensor(values.Concat(values).ToArray()).reshape(2, pool.Count);
        SafeTensorsFile.Write(Path.Combine(scores, ScoreFolder.PairwiseFile), [new(ScoreFolder.ScoresTensor, t)]);
        return scores;
    }

    [Fact]
    public void InfluenceTopFromThePoolTakesEachDomainsBestRowsWithinTheTokenBudget()
    {
        var (dir, train, pool) = Corpus();
        // Hard math and easy code score high; the ranking, not the rule, chooses.
        double Score(JsonObject r) =>
            (LevelDistribution.Domain(r) == "math" ? LevelDistribution.Level(r) : 6 - LevelDistribution.Level(r))
            + 0.001 * (r["id"]!.ToString().GetHashCode() % 100);
        string scores = PoolScores(dir, pool, Score);
        var tokenizer = Fixtures.Tokenizer("qwen2_5");
        var r = Curate(dir, CurationStrategy.InfluenceTop, scores: scores, tokenizer: tokenizer);
        AssertDrawnFromThePool(train, pool, r);
        var encoder = new ExampleEncoder(Tokenizer.Load(tokenizer));
        AssertWithinBudget(train, r, x => Tokens(encoder, x));
        Assert.Contains("tokens", r.Summary);
        // The ranking shows: far harder math and easier code than the original, and a higher mean score than the
        // pool's.
        Assert.True(LevelDistribution.MeanLevel(r.Rows, "math") > 4);
        Assert.True(LevelDistribution.MeanLevel(r.Rows, "code") < 2);
        Assert.All(r.Rows, x => Assert.Equal(1.0, LevelDistribution.Weight(x)));
    }

    [Fact]
    public void ScoresOfAnotherTrainingSetAreRefusedNamingScores()
    {
        var (dir, train, _) = Corpus();
        string scores = PoolScores(dir, train, _ => 1);
        string data = Path.Combine(dir, "train.jsonl"),
            pool = Path.Combine(dir, SyntheticDataset.PoolFile);
        string[] args = ["curate", "--data", data, "--pool", pool, "--strategy", "influence-top", "--scores", scores];
        var old = Console.Error;
        var err = new StringWriter();
        Console.SetError(err);
        try
        {
            Assert.Equal(2, Infra([.. args, "--out", Path.Combine(dir, "x.jsonl")]));
        }
        finally
        {
            Console.SetError(old);
        }
        Assert.Contains("--scores", err.ToString());
        Assert.DoesNotContain('\n', err.ToString().Trim());
        Assert.False(File.Exists(Path.Combine(dir, "x.jsonl")));
    }

    [Fact]
    public void AttributeInfluenceFromThePoolFollowsTheGroupMeans()
    {
        var (dir, train, pool) = Corpus();
        // An analysis' example-level table where level 5 math and level 1 code influence most.
        string analysis = Path.Combine(dir, "analysis");
        Directory.CreateDirectory(analysis);
        var lines = new List<string> { "query_group,train_group,mean" };
        foreach (var d in SyntheticDataset.Domains)
            for (int l = 1; l <= 5; l++)
                lines.Add($"domain=math,domain={d}|difficulty={l},{(d == "math" ? l : 6 - l) - 3}");
        File.WriteAllLines(Path.Combine(analysis, "example_level.csv"), lines);
        var r = Curate(dir, CurationStrategy.AttributeInfluence, analysis: analysis, seed: 3);
        AssertDrawnFromThePool(train, pool, r);
        AssertWithinBudget(train, r, Characters);
        Assert.True(LevelDistribution.MeanLevel(r.Rows, "math") > LevelDistribution.MeanLevel(train, "math"));
        Assert.True(LevelDistribution.MeanLevel(r.Rows, "code") < LevelDistribution.MeanLevel(train, "code"));
    }

    private static void AssertDrawnFromThePool(List<JsonObject> train, List<JsonObject> pool, CurationResult r)
    {
        Assert.Equal(train.Count, r.Rows.Count);
        Assert.Equal(r.Rows.Count, r.Rows.Select(Id).Distinct().Count());
        var poolIds = pool.Select(Id).ToHashSet();
        Assert.All(r.Rows, x => Assert.Contains(Id(x), poolIds));
        Assert.Equal(0, r.Duplicates);
        foreach (var d in SyntheticDataset.Domains)
            Assert.Equal(
                train.Count(x => LevelDistribution.Domain(x) == d),
                r.Rows.Count(x => LevelDistribution.Domain(x) == d)
            );
    }

    [Fact]
    public void RandomControlFromThePoolKeepsTheOriginalsCellCounts()
    {
        var (dir, train, pool) = Corpus();
        var r = Curate(dir, CurationStrategy.RandomControl, seed: 4);
        AssertDrawnFromThePool(train, pool, r);
        AssertWithinBudget(train, r, Characters);
        Assert.Equal(PoolSelection.Counts(train), PoolSelection.Counts(r.Rows));
        Assert.NotEqual(r.Rows.Select(Id), Curate(dir, CurationStrategy.RandomControl, seed: 5).Rows.Select(Id));
        var written = Fixtures.Jsonl(Path.Combine(dir, "RandomControl-1-4-True.jsonl")).Select(Id);
        Assert.Equal(r.Rows.Select(Id), written);
    }

    [Fact]
    public void FlipDifficultyFromThePoolHasTheFlippedLevelCounts()
    {
        var (dir, train, pool) = Corpus();
        var r = Curate(dir, CurationStrategy.FlipDifficulty);
        AssertDrawnFromThePool(train, pool, r);
        AssertWithinBudget(train, r, Characters);
        var want = PoolSelection.Counts(FlipDifficulty.Apply(train, CurationMode.Replace).Rows);
        Assert.Equal(want, PoolSelection.Counts(r.Rows));
        Assert.True(LevelDistribution.MeanLevel(r.Rows, "math") > LevelDistribution.MeanLevel(train, "math"));
        Assert.True(LevelDistribution.MeanLevel(r.Rows, "code") < LevelDistribution.MeanLevel(train, "code"));
    }

    [Fact]
    public void AShortLevelPassesItsShortfallToTheNearestLevel()
    {
        var (dir, train, pool) = Corpus();
        // Strength 4 asks for more level-5 math rows than the pool's 60.
        var want = PoolSelection.Counts(FlipDifficulty.Apply(train, CurationMode.Replace, strength: 4).Rows);
        int poolL5 = pool.Count(x => LevelDistribution.Domain(x) == "math" && LevelDistribution.Level(x) == 5);
        Assert.True(want[("math", 5)] > poolL5);
        var r = Curate(dir, CurationStrategy.FlipDifficulty, strength: 4);
        AssertDrawnFromThePool(train, pool, r);
        var got = PoolSelection.Counts(r.Rows);
        Assert.Equal(poolL5, got[("math", 5)]);
        Assert.Equal(want[("math", 4)] + want[("math", 5)] - poolL5, got[("math", 4)]);
    }

    [Fact]
    public void BadPoolsAreRefusedNamingTheOption()
    {
        var (dir, train, _) = Corpus();
        string data = Path.Combine(dir, "train.jsonl");
        string Out(string name) => Path.Combine(dir, name);
        Assert.Equal(2, Infra("curate", "--data", data, "--pool", Out("none.jsonl"), "--out", Out("a.jsonl")));
        // A pool holding a training row.
        string overlap = Out("overlap.jsonl");
        JsonlFile.Write(overlap, train.Take(3).ToList());
        Assert.Throws<InvalidDataException>(() =>
            CurationRun.Run(new CurationRunArguments { Data = data, Pool = overlap }, Out("b.jsonl"))
        );
        Assert.Equal(2, Infra("curate", "--data", data, "--pool", overlap, "--out", Out("c.jsonl")));
        string pool = Out(SyntheticDataset.PoolFile);
        string[] weight = ["curate", "--data", data, "--pool", pool, "--mode", "weight", "--out", Out("d.jsonl")];
        Assert.Equal(2, Infra(weight));
        // attribute-influence needs an analysis: a folder without its table is one line.
        string[] top = ["curate", "--data", data, "--pool", pool, "--strategy", "attribute-influence"];
        Assert.Equal(2, Infra([.. top, "--analysis", dir, "--out", Out("e.jsonl")]));
        Assert.False(File.Exists(Out("a.jsonl")) || File.Exists(Out("c.jsonl")) || File.Exists(Out("d.jsonl")));
    }
}
