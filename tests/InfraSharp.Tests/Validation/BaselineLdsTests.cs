using InfraSharp.Influence;
using InfraSharp.Models;
using InfraSharp.Training;
using InfraSharp.Validation;

namespace InfraSharp.Tests.Validation;

/// <summary>
/// The baselines in the LDS: the random one is its null (near zero on the ridge-regression check, for any seed),
/// and the LDS run scores every baseline itself, without a factor run.
/// </summary>
public class BaselineLdsTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(42)]
    public void RandomBaselineHasLdsNearZeroOnRidgeRegression(long seed)
    {
        var (exact, draws, measured) = LdsStatisticsTests.RidgeRegression(new Random(5));
        var random = RandomScores.Matrix(seed, exact.GetLength(0), exact.GetLength(1));
        var lds = LinearDatamodelingScore.Compute("random", random, draws, measured, seed: 1);
        Assert.True(Math.Abs(lds.Lds) < 0.1, $"LDS of the random baseline (seed {seed}) {lds.Lds}");
    }

    [Fact]
    public void LdsRunScoresTheBaselinesWithoutFactors()
    {
        string dir = Fixtures.TempDir();
        string train = Path.Combine(dir, "train.jsonl"),
            queries = Path.Combine(dir, "queries.jsonl"),
            model = Path.Combine(dir, "model");
        File.WriteAllLines(train, File.ReadAllLines(Fixtures.Path_("tiny-qwen2", "train.jsonl")).Take(16));
        File.WriteAllLines(queries, File.ReadAllLines(Fixtures.Path_("tiny-qwen2", "queries.jsonl")).Take(3));
        TrainingRun.Run(
            new TrainingRunArguments
            {
                Data = train,
                Init = ShapeSpec.Parse("layers=1,hidden=32,heads=2,kv_heads=1,mlp=64"),
                Tokenizer = Fixtures.Model("tiny-qwen2"),
                Optimizer = new SftOptions
                {
                    Epochs = 1,
                    BatchSize = 4,
                    LearningRate = 3e-3,
                    WarmupSteps = 1,
                    Seed = 5,
                    LogEvery = 100,
                },
            },
            model
        );
        string outDir = Path.Combine(dir, "lds");
        var result = LdsRun.Run(
            new LdsRunArguments
            {
                Model = model,
                Train = train,
                Queries = queries,
                Subsets = 2,
                Seed = 11,
            },
            new LdsEvaluation { Strategies = [StrategyKind.Random, StrategyKind.Repsim, StrategyKind.Bm25] },
            outDir
        );
        Assert.True(result.Complete);
        string csv = File.ReadAllText(Path.Combine(outDir, "lds.csv"));
        foreach (var name in new[] { "random", "repsim", "bm25" })
        {
            Assert.Contains(name, csv);
            string root = Path.Combine(outDir, LdsFolder.StrategiesFolder, name);
            Assert.False(Directory.Exists(Path.Combine(root, "factors")), $"{name} ran a factor run");
            var folder = ScoreFolder.Open(Path.Combine(root, "scores"));
            Assert.Equal(EnumNames.Of(folder.Arguments.Strategy!.Value), name);
        }
        // The random baseline's draws are the LDS run's seed.
        var random = ScoreFolder.Open(Path.Combine(outDir, LdsFolder.StrategiesFolder, "random", "scores"));
        Assert.Equal(11, random.Arguments.Score.Seed);
    }
}
