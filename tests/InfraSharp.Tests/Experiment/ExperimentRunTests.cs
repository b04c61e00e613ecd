using InfraSharp.Demo;
using InfraSharp.Experiment;
using InfraSharp.Storage;

namespace InfraSharp.Tests.Experiment;

/// <summary>
/// <c>infra experiment</c> end to end on a tiny setting, split over two partitions as a Slurm array would run it: the
/// first partition does the shared steps and its share of the retrainings and writes no table; the second completes
/// them and writes experiment.csv, paired.csv, claims.md and the report; a whole rerun reuses every retraining and
/// writes the same tables. System tier: it trains and grades code under bubblewrap.
/// </summary>
[Collection("cli")]
[Trait("Category", "System")]
public class ExperimentRunTests
{
    private static readonly ExperimentRunArguments Tiny = new()
    {
        Setup = DemoRunArguments.Quick with
        {
            TrainSize = 100,
            EvalPerCell = 2,
            QueriesPerCell = 1,
            Epochs = 1,
            Vocab = 300,
            Shape = "layers=1,hidden=32,heads=2,kv_heads=1,mlp=64",
            MaxNewTokens = 24,
            Seeds = 2,
        },
    };

    [Fact]
    public void TwoPartitionsRetrainEveryMixAtEverySeedAndTheLastWritesTheTables()
    {
        string dir = Fixtures.TempDir();
        var first = ExperimentRun.Run(Tiny, dir, new RunOptions { Partition = new Partition(0, 2) });
        Assert.False(first.Complete);
        Assert.Contains("partition 0/2 done", first.Message);
        Assert.False(File.Exists(Path.Combine(dir, "experiment.csv")));
        var second = ExperimentRun.Run(Tiny, dir, new RunOptions { Partition = new Partition(1, 2) });
        Assert.True(second.Complete, second.Message);

        // Every mix of the pool (and the original) at both seeds: 7 x 2 models.
        string[] mixes =
        [
            "original",
            "flip-difficulty",
            "attribute-influence",
            "influence-top",
            "repsim-top",
            "bm25-top",
            "random",
        ];
        var experiment = CsvTable.Read(Path.Combine(dir, "experiment.csv"));
        Assert.Equal(["mix", "seed", "domain", "level", "correct", "total"], experiment.Header);
        foreach (var mix in mixes)
        foreach (var seed in new[] { "1", "2" })
        foreach (var domain in new[] { "math", "code" })
        {
            var all = experiment.Rows.Single(r => r[0] == mix && r[1] == seed && r[2] == domain && r[3] == "all");
            Assert.Equal("10", all[5]);
            // The levels add up to the domain.
            int levels = experiment
                .Rows.Where(r => r[0] == mix && r[1] == seed && r[2] == domain && r[3] != "all")
                .Sum(r => int.Parse(r[4]));
            Assert.Equal(int.Parse(all[4]), levels);
        }
        // Every mix against random and against the original; 2 seeds: nothing distinguishable, no MDD.
        var paired = CsvTable.Read(Path.Combine(dir, "paired.csv"));
        foreach (var mix in mixes.Where(m => m is not ("original" or "random")))
        {
            Assert.Contains(paired.Rows, r => r[0] == mix && r[1] == "random" && r[2] == "math" && r[3] == "all");
            Assert.Contains(paired.Rows, r => r[0] == mix && r[1] == "original" && r[2] == "code" && r[3] == "all");
        }
        Assert.All(paired.Rows, r => Assert.Equal(("2", "false", ""), (r[8], r[9], r[11])));
        // The claims: nine findings, each with a verdict; the flip's can't tell at 2 seeds.
        string claims = File.ReadAllText(Path.Combine(dir, "claims.md"));
        var rows = claims.Split('\n').Where(l => l.StartsWith("| ") && !l.StartsWith("| finding")).ToList();
        Assert.Equal(9, rows.Count);
        Assert.All(rows, l => Assert.Matches(@"\| (holds|contradicted|can't tell)[^|]*\|$", l));
        Assert.All(rows.Where(l => l.StartsWith("| Flipping")), l => Assert.Contains("can't tell", l));
        string report = File.ReadAllText(Path.Combine(dir, "report.html"));
        Assert.Contains("id=\"claims-table\"", report);
        Assert.Contains("id=\"before-after-table\"", report);
        // Each curated mix: the original's row count, from the pool, no row twice.
        int n = Fixtures.Jsonl(Path.Combine(dir, "data", "train.jsonl")).Count();
        foreach (var mix in mixes.Skip(1))
        {
            var ids = Fixtures.Jsonl(Path.Combine(dir, "data", $"train-{mix}.jsonl")).Select(r => r["id"]!.ToString());
            Assert.Equal((n, n), (ids.Count(), ids.Distinct().Count()));
        }

        // A whole rerun: every retraining reused, the same tables.
        var before = Directory
            .GetFiles(Path.Combine(dir, "retrain"), "model.safetensors", SearchOption.AllDirectories)
            .ToDictionary(f => f, File.GetLastWriteTimeUtc);
        Assert.Equal(13, before.Count);
        byte[] csv = File.ReadAllBytes(Path.Combine(dir, "experiment.csv")),
            pairedBytes = File.ReadAllBytes(Path.Combine(dir, "paired.csv"));
        var again = ExperimentRun.Run(Tiny, dir);
        Assert.True(again.Complete);
        Assert.All(before, kv => Assert.Equal(kv.Value, File.GetLastWriteTimeUtc(kv.Key)));
        Assert.Equal(csv, File.ReadAllBytes(Path.Combine(dir, "experiment.csv")));
        Assert.Equal(pairedBytes, File.ReadAllBytes(Path.Combine(dir, "paired.csv")));
    }
}
