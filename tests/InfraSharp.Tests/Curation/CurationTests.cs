using System.Text.Json.Nodes;
using InfraSharp.Attribution;
using InfraSharp.Curation;
using InfraSharp.Training.Synthetic;

namespace InfraSharp.Tests.Curation;

public class CurationTests
{
    private static List<JsonObject> Rows(int size = 500) =>
        SyntheticDataset
            .Generate(
                new SyntheticDataset.Options
                {
                    Seed = 2,
                    Size = size,
                    QueriesPerCell = 1,
                    EvalPerCell = 1,
                }
            )
            .Train;

    private static double Mass(IEnumerable<JsonObject> rows, string domain) =>
        rows.Where(r => LevelDistribution.Domain(r) == domain).Sum(LevelDistribution.Weight);

    [Theory]
    [InlineData(CurationMode.Replace)]
    [InlineData(CurationMode.Weight)]
    public void FlipDifficultyKeepsSizeAndDomainRatioAndMovesLevels(CurationMode mode)
    {
        var rows = Rows();
        var result = FlipDifficulty.Apply(rows, mode, seed: 3);
        Assert.Equal(
            rows.Count,
            mode == CurationMode.Replace ? result.Rows.Count : result.Rows.Sum(LevelDistribution.Weight),
            6
        );
        Assert.Equal(Mass(rows, "math"), Mass(result.Rows, "math"), 6);
        Assert.Equal(Mass(rows, "code"), Mass(result.Rows, "code"), 6);
        Assert.True(LevelDistribution.MeanLevel(result.Rows, "math") > LevelDistribution.MeanLevel(rows, "math") + 0.4);
        Assert.True(LevelDistribution.MeanLevel(result.Rows, "code") < LevelDistribution.MeanLevel(rows, "code") - 0.4);
        // Every field is kept, and rows gain a weight.
        Assert.All(result.Rows, r =>
        {
            Assert.NotNull(r["messages"]);
            Assert.NotNull(r["id"]);
            Assert.NotNull(r["weight"]);
        });
        if (mode == CurationMode.Replace)
        {
            // Drawn from the pool: repetition only where a level runs short (math level 5 needs ~5/3 of its rows).
            var mathL1 = result
                .Rows.Where(r => LevelDistribution.Domain(r) == "math" && LevelDistribution.Level(r) == 1)
                .Select(r => r["id"]!.ToString())
                .ToList();
            Assert.Equal(mathL1.Count, mathL1.Distinct().Count());
            var mathL5 = result
                .Rows.Where(r => LevelDistribution.Domain(r) == "math" && LevelDistribution.Level(r) == 5)
                .ToList();
            Assert.True(
                mathL5.Count > rows.Count(r => LevelDistribution.Domain(r) == "math" && LevelDistribution.Level(r) == 5)
            );
        }
        Assert.Contains("mean level", result.Summary);
    }

    [Fact]
    public void FlipMappingIsConfigurable()
    {
        var rows = Rows();
        var result = FlipDifficulty.Apply(rows, CurationMode.Weight, DifficultyFlip.Parse("math:down,code:keep"));
        Assert.True(LevelDistribution.MeanLevel(result.Rows, "math") < LevelDistribution.MeanLevel(rows, "math"));
        Assert.Equal(LevelDistribution.MeanLevel(rows, "code"), LevelDistribution.MeanLevel(result.Rows, "code"), 9);
        Assert.Throws<InputArgumentException>(() =>
            FlipDifficulty.Apply(rows, CurationMode.Weight, DifficultyFlip.Parse("math:sideways"))
        );
    }

    [Fact]
    public void InfluenceTopKeepsExactlyTheTopFraction()
    {
        var rows = Enumerable
            .Range(0, 10)
            .Select(i => new JsonObject
            {
                ["id"] = $"t{i}",
                ["domain"] = "math",
                ["difficulty"] = 1 + i % 5,
            })
            .ToList();
        // Two queries of different scales: aggregation normalises each first.
        var pw = new double[2, 10];
        double[] a = [5, -1, 3, 0, 9, -4, 2, 8, -2, 1],
            b = [0.1, 0.3, -0.2, 0.0, 0.05, 0.2, -0.1, 0.4, 0.0, 0.1];
        for (int i = 0; i < 10; i++)
        {
            pw[0, i] = a[i];
            pw[1, i] = b[i];
        }
        var set = new ScoreSet(
            pw,
            null,
            [("q0", new JsonObject()), ("q1", new JsonObject())],
            rows.Select(r => (r["id"]!.ToString(), r)).ToList()
        );
        double sa = a.Average(Math.Abs),
            sb = b.Average(Math.Abs);
        var z = Enumerable.Range(0, 10).Select(i => (a[i] / sa + b[i] / sb) / 2).ToArray();
        var expected = Enumerable
            .Range(0, 10)
            .OrderByDescending(i => z[i])
            .Take(3)
            .Select(i => $"t{i}")
            .Order()
            .ToList();
        var result = InfluenceTop.Apply(rows, set, 0.3, CurationMode.Replace);
        Assert.Equal(expected, result.Rows.Select(r => r["id"]!.ToString()).Order().ToList());
        var weighted = InfluenceTop.Apply(rows, set, 0.3, CurationMode.Weight, temperature: 1);
        Assert.Equal(10, weighted.Rows.Count);
        Assert.Equal(10, weighted.Rows.Sum(LevelDistribution.Weight), 9);
        int best = Array.IndexOf(z, z.Max());
        Assert.Equal(weighted.Rows.Max(LevelDistribution.Weight), LevelDistribution.Weight(weighted.Rows[best]));
    }

    [Fact]
    public void AttributeInfluenceFollowsTheMeasuredGroupMeans()
    {
        var rows = Rows();
        string dir = Fixtures.TempDir();
        var lines = new List<string>
        {
            "query_group,train_group,n,mean,median,sum,ci_low,ci_high,mean_raw,normalization",
        };
        foreach (var q in new[] { "domain=math", "domain=code" })
        foreach (var d in new[] { "math", "code" })
            for (int l = 1; l <= 5; l++)
            {
                // math: helpful when hard; code: helpful when easy; code level 5 harmful.
                double mean =
                    d == "math" ? 0.1 * l
                    : d == "code" && l == 5 ? -1.0
                    : 0.5 - 0.1 * l;
                lines.Add($"{q},domain={d}|difficulty={l},10,{mean},0,0,0,0,0,x");
            }
        File.WriteAllLines(Path.Combine(dir, "example_level.csv"), lines);
        var cold = AttributeInfluence.Apply(rows, dir, CurationMode.Weight, temperature: 0.2);
        var warm = AttributeInfluence.Apply(rows, dir, CurationMode.Weight, temperature: 5);
        double W(CurationResult r, string d, int l) =>
            r
                .Rows.Where(x => LevelDistribution.Domain(x) == d && LevelDistribution.Level(x) == l)
                .Sum(LevelDistribution.Weight);
        // the harmful group shrinks
        Assert.True(W(cold, "code", 5) < W(cold, "code", 4) * 0.3, $"{W(cold, "code", 5)} vs {W(cold, "code", 4)}");
        Assert.True(W(cold, "math", 5) > W(cold, "math", 1));
        Assert.True(LevelDistribution.MeanLevel(cold.Rows, "code") < LevelDistribution.MeanLevel(rows, "code"));
        // A higher temperature moves less.
        Assert.True(
            Math.Abs(LevelDistribution.MeanLevel(warm.Rows, "code") - LevelDistribution.MeanLevel(rows, "code"))
                < Math.Abs(LevelDistribution.MeanLevel(cold.Rows, "code") - LevelDistribution.MeanLevel(rows, "code"))
        );
        Assert.Equal(Mass(rows, "math"), Mass(cold.Rows, "math"), 6);
        var replaced = AttributeInfluence.Apply(rows, dir, CurationMode.Replace, temperature: 0.2, seed: 1);
        Assert.Equal(rows.Count, replaced.Rows.Count);
    }
}
