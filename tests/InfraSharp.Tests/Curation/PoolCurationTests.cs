using System.Text.Json.Nodes;
using InfraSharp.Curation;
using InfraSharp.Storage;
using InfraSharp.Training.Synthetic;

namespace InfraSharp.Tests.Curation;

/// <summary>
/// curate --pool: every mix selected from the pool without replacement, with the original's row count, no repeated
/// id, no training row, the domain counts kept and the strategy's level counts as far as the pool allows.
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

    private static CurationResult Curate(string dir, CurationStrategy strategy, double strength = 1, int seed = 0) =>
        CurationRun.Run(
            new CurationRunArguments
            {
                Data = Path.Combine(dir, "train.jsonl"),
                Pool = Path.Combine(dir, SyntheticDataset.PoolFile),
                Strategy = strategy,
                Strength = strength,
                Seed = seed,
            },
            Path.Combine(dir, $"{strategy}-{strength}-{seed}.jsonl")
        );

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
        Assert.Equal(PoolSelection.Counts(train), PoolSelection.Counts(r.Rows));
        Assert.NotEqual(r.Rows.Select(Id), Curate(dir, CurationStrategy.RandomControl, seed: 5).Rows.Select(Id));
        var written = Fixtures.Jsonl(Path.Combine(dir, "RandomControl-1-4.jsonl")).Select(Id);
        Assert.Equal(r.Rows.Select(Id), written);
    }

    [Fact]
    public void FlipDifficultyFromThePoolHasTheFlippedLevelCounts()
    {
        var (dir, train, pool) = Corpus();
        var r = Curate(dir, CurationStrategy.FlipDifficulty);
        AssertDrawnFromThePool(train, pool, r);
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
        string[] top = ["curate", "--data", data, "--pool", pool, "--strategy", "attribute-influence"];
        Assert.Equal(2, Infra([.. top, "--analysis", dir, "--out", Out("e.jsonl")]));
        Assert.False(File.Exists(Out("a.jsonl")) || File.Exists(Out("c.jsonl")) || File.Exists(Out("d.jsonl")));
    }
}
