using System.Text.Json.Nodes;
using InfraSharp.Training.Synthetic;

namespace InfraSharp.Tests.Training;

public class SyntheticPoolTests
{
    private static readonly SyntheticDataset.Options Opts = new()
    {
        Seed = 3,
        Size = 300,
        QueriesPerCell = 3,
        EvalPerCell = 4,
        PoolFactor = 3,
    };

    private static string User(JsonObject r) => r["messages"]![0]!["content"]!.GetValue<string>();

    private static string Cell(JsonObject r) => $"{r["domain"]}|{r["difficulty"]}";

    [Fact]
    public void PoolIsDisjointFromEverySplitAndHasNoDuplicates()
    {
        var s = SyntheticDataset.Generate(Opts);
        Assert.True(s.Pool.Count >= 3 * s.Train.Count);
        var others = s.Train.Concat(s.Queries).Concat(s.Eval).ToList();
        var statements = others.Select(User).ToHashSet(StringComparer.Ordinal);
        var ids = others.Select(r => r["id"]!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
        Assert.DoesNotContain(s.Pool, r => statements.Contains(User(r)));
        Assert.DoesNotContain(s.Pool, r => ids.Contains(r["id"]!.GetValue<string>()));
        Assert.Equal(s.Pool.Count, s.Pool.Select(User).Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(s.Pool.Count, s.Pool.Select(r => r["id"]!.GetValue<string>()).Distinct().Count());
        // Same attributes as training rows, and every cell holds 3x its training rows.
        var trainKeys = s.Train.SelectMany(r => r.Select(kv => kv.Key)).ToHashSet();
        Assert.Equal(trainKeys, s.Pool.SelectMany(r => r.Select(kv => kv.Key)).ToHashSet());
        var trainCells = s.Train.GroupBy(Cell).ToDictionary(g => g.Key, g => g.Count());
        var poolCells = s.Pool.GroupBy(Cell).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(trainCells.Keys.Order(), poolCells.Keys.Order());
        Assert.All(trainCells, kv => Assert.Equal(3 * kv.Value, poolCells[kv.Key]));
    }

    [Fact]
    public void PoolLeavesTheSplitsUnchangedAndIsSeeded()
    {
        string a = Fixtures.TempDir(),
            b = Fixtures.TempDir(),
            c = Fixtures.TempDir();
        SyntheticDataset.Write(a, SyntheticDataset.Generate(Opts));
        SyntheticDataset.Write(b, SyntheticDataset.Generate(Opts with { PoolFactor = 0 }));
        SyntheticDataset.Write(c, SyntheticDataset.Generate(Opts));
        foreach (var f in new[] { "train.jsonl", "queries.jsonl", "eval.jsonl" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(a, f)), File.ReadAllBytes(Path.Combine(b, f)));
        Assert.False(File.Exists(Path.Combine(b, SyntheticDataset.PoolFile)));
        Assert.Equal(
            File.ReadAllBytes(Path.Combine(a, SyntheticDataset.PoolFile)),
            File.ReadAllBytes(Path.Combine(c, SyntheticDataset.PoolFile))
        );
    }

    [Fact]
    public void DefaultSizesFindAPoolThreeTimesTheTrainingSet()
    {
        // infra data synth's defaults: 1000 training rows, 100 eval rows per cell, a pool of 3000.
        var s = SyntheticDataset.Generate(new SyntheticDataset.Options { PoolFactor = 3 });
        Assert.Equal(3 * s.Train.Count, s.Pool.Count);
    }
}
