using InfraSharp.Index;
using InfraSharp.Influence;
using InfraSharp.Models;
using InfraSharp.Storage;
using InfraSharp.Text;
using InfraSharp.Training;
using InfraSharp.Validation;

namespace InfraSharp.Tests.Validation;

/// <summary>The LDS run on a small language model trained from scratch: retraining, caching, partitions.</summary>
public class LdsRunTests
{
    private sealed record Setup(string Model, string Train, string Queries);

    /// <summary>A 1-layer model trained on 24 fixture rows, with 4 queries (each test gets its own copy).</summary>
    private static Setup Train()
    {
        string dir = Fixtures.TempDir();
        var rows = File.ReadAllLines(Fixtures.Path_("tiny-qwen2", "train.jsonl"));
        string train = Path.Combine(dir, "train.jsonl"),
            queries = Path.Combine(dir, "queries.jsonl");
        File.WriteAllLines(train, rows.Take(24));
        File.WriteAllLines(queries, File.ReadAllLines(Fixtures.Path_("tiny-qwen2", "queries.jsonl")).Take(4));
        string model = Path.Combine(dir, "model");
        TrainingRun.Run(
            new TrainingRunArguments
            {
                Data = train,
                Init = ShapeSpec.Parse("layers=1,hidden=32,heads=2,kv_heads=1,mlp=64"),
                Tokenizer = Fixtures.Model("tiny-qwen2"),
                Optimizer = new SftOptions
                {
                    Epochs = 2,
                    BatchSize = 4,
                    LearningRate = 3e-3,
                    WarmupSteps = 2,
                    Seed = 5,
                    LogEvery = 100,
                },
            },
            model
        );
        return new Setup(model, train, queries);
    }

    [Fact]
    public void TrainRecordsItsArgumentsWhole()
    {
        var s = Train();
        var back = TrainingRun.ReadArguments(s.Model);
        Assert.Equal(Path.GetFullPath(s.Train), back.Data);
        Assert.Equal("layers=1,hidden=32,heads=2,kv_heads=1,mlp=64", back.Init?.Text);
        Assert.Equal(5, back.Optimizer.Seed);
        Assert.Equal(2, back.Optimizer.Epochs);
        var ex = Assert.Throws<InputFileNotFoundException>(() =>
            TrainingRun.ReadArguments(Fixtures.Model("tiny-qwen2"))
        );
        Assert.Contains("training_args.json", ex.Message);
    }

    [Fact]
    public void RetrainingOnAllTheDataReproducesTheOriginalModel()
    {
        // Fraction 1: every subset is the whole set, so each retraining is the original run (same initialisation,
        // same arguments); its measurements equal the original model's.
        var s = Train();
        string outDir = Path.Combine(Fixtures.TempDir(), "lds");
        LdsRun.Run(
            new LdsRunArguments
            {
                Model = s.Model,
                Train = s.Train,
                Queries = s.Queries,
                Subsets = 2,
                Fraction = 1.0,
            },
            new LdsEvaluation { Strategies = [StrategyKind.Identity] },
            outDir
        );
        using var lm = LoadedModel.Load(s.Model);
        var original = LdsMeasurement.Measure(lm.Model, lm.Encode(s.Queries), 0, 0, lm.PadId);
        var retrained = LdsMeasurement.Read(Path.Combine(outDir, "measurements", LdsMeasurement.FileName(0, 0)));
        for (int q = 0; q < 4; q++)
        {
            Assert.Equal(original.MeanLogProb[q], retrained.MeanLogProb[q], 5);
            Assert.Equal(original.Loss[q], retrained.Loss[q], 4);
        }
    }

    [Fact]
    public void PartitionedRunEqualsTheSingleRunAndAddingAStrategyCostsNoRetraining()
    {
        var s = Train();
        var args = new LdsRunArguments
        {
            Model = s.Model,
            Train = s.Train,
            Queries = s.Queries,
            Subsets = 4,
            Seeds = 1,
        };
        var eval = new LdsEvaluation { Strategies = [StrategyKind.Identity] };
        string single = Path.Combine(Fixtures.TempDir(), "single"),
            parts = Path.Combine(Fixtures.TempDir(), "parts");
        var one = LdsRun.Run(args, eval, single);
        Assert.True(one.Complete);

        var first = LdsRun.Run(args, eval, parts, new RunOptions { Partition = new Partition(0, 2) });
        Assert.False(first.Complete);
        Assert.Contains("2 of 4 retrainings", first.Message);
        var last = LdsRun.Run(args, eval, parts, new RunOptions { Partition = new Partition(1, 2) });
        Assert.True(last.Complete);
        Assert.Equal(
            File.ReadAllText(Path.Combine(single, "lds.csv")),
            File.ReadAllText(Path.Combine(parts, "lds.csv"))
        );
        foreach (var f in Directory.GetFiles(Path.Combine(single, "measurements")))
            Assert.Equal(
                File.ReadAllText(f),
                File.ReadAllText(Path.Combine(parts, "measurements", Path.GetFileName(f)))
            );
        foreach (var f in Directory.GetFiles(Path.Combine(single, "subsets")))
            Assert.Equal(File.ReadAllText(f), File.ReadAllText(Path.Combine(parts, "subsets", Path.GetFileName(f))));

        // Another strategy, and a score folder from elsewhere: no retraining (the measurements are not rewritten).
        var stamps = Directory
            .GetFiles(Path.Combine(single, "measurements"))
            .ToDictionary(f => f, File.GetLastWriteTimeUtc);
        string external = Path.Combine(Fixtures.TempDir(), "scores");
        ScoreRun.Run(
            new ScoreRunArguments
            {
                Model = s.Model,
                Train = s.Train,
                Queries = s.Queries,
                Strategy = StrategyKind.Identity,
                Score = new ScoreArguments { Measurement = Measurement.Loss },
            },
            external
        );
        var more = LdsRun.Run(
            args,
            new LdsEvaluation { Strategies = [StrategyKind.Identity, StrategyKind.Ekfac], Scores = [external] },
            single
        );
        Assert.Equal(["identity", "ekfac", "scores"], more.Scores.Select(x => x.Strategy));
        Assert.All(stamps, kv => Assert.Equal(kv.Value, File.GetLastWriteTimeUtc(kv.Key)));
        Assert.Equal(one.Scores[0].PerQuery, more.Scores[0].PerQuery);
        Assert.Equal(3, LdsTables.Read(single).Count);
        Assert.All(more.Scores, x => Assert.InRange(x.Lds, -1, 1));
        Assert.Equal(4 * 4 * 3, LdsTables.ReadPoints(single).Count);
        InfraSharp.Reporting.LdsReport.Write(single);
        string html = File.ReadAllText(Path.Combine(single, "report.html"));
        Assert.Contains("id=\"lds-table\"", html);
        Assert.Equal(3 * 3, System.Text.RegularExpressions.Regex.Matches(html, "<svg").Count);

        // The retraining arguments are compared whole: another fraction in the same folder is refused, naming the
        // field.
        var refused = Assert.Throws<InputArgumentException>(() =>
            LdsRun.Run(args with { Fraction = 0.25 }, eval, single)
        );
        Assert.Contains("fraction", refused.Message);

        // A gradient index's full scores are a score source too: unprojected and unpreconditioned, they are the
        // identity strategy's scores, so their LDS is the same.
        string index = Path.Combine(Fixtures.TempDir(), "index"),
            query = Path.Combine(Fixtures.TempDir(), "index-query");
        InfraSharp.Index.IndexBuildRun.Run(
            new InfraSharp.Index.IndexBuildRunArguments
            {
                Train = s.Train,
                Index = new InfraSharp.Index.IndexArguments
                {
                    Model = s.Model,
                    Modules = ModuleSelection.All,
                    ProjectionDim = ProjectionSpec.Full,
                    Precondition = IndexPrecondition.None,
                    StoreDType = StoreDType.Float32,
                },
            },
            index
        );
        InfraSharp.Index.IndexQueryRun.Run(
            new InfraSharp.Index.IndexQueryRunArguments
            {
                Index = index,
                Queries = s.Queries,
                FullScores = true,
                Measurement = Measurement.Loss,
            },
            query
        );
        var withIndex = LdsRun.Run(args, new LdsEvaluation { Strategies = [], Scores = [external, query] }, single);
        Assert.Equal(["scores", "index-query"], withIndex.Scores.Select(x => x.Strategy));
        Assert.All(stamps, kv => Assert.Equal(kv.Value, File.GetLastWriteTimeUtc(kv.Key)));
        for (int q = 0; q < withIndex.Scores[0].PerQuery.Count; q++)
            Assert.Equal(withIndex.Scores[0].PerQuery[q], withIndex.Scores[1].PerQuery[q], 6);
    }
}
