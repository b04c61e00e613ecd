using System.Globalization;
using InfraSharp.Influence;
using InfraSharp.Models;

namespace InfraSharp.Launch;

/// <summary>
/// The whole influence pipeline as scheduler steps over one shared output folder: covariance array → merge →
/// eigendecomposition array over module partitions → lambda array → merge → scores array → merge. Each step is
/// the command a user would run locally, with <c>--partition auto</c>, so the chain writes <c>OUT/factors</c> and
/// <c>OUT/scores</c> exactly as the local commands do.
/// </summary>
internal static class LaunchChain
{
    public static IReadOnlyList<ChainStage> Stages(LaunchArguments a)
    {
        var fit = a.Factors.Fit;
        var strategy = InfluenceStrategy.Get(fit.Strategy);
        string factors = Path.Combine(a.Out, "factors"),
            scores = Path.Combine(a.Out, "scores");
        var factorArgs = new List<string>
        {
            "factors",
            "--model",
            a.Factors.Model,
            "--device",
            a.Device,
            "--dtype",
            Name(a.Factors.DType),
            "--data",
            a.Factors.Data,
            "--out",
            factors,
            "--strategy",
            Name(fit.Strategy),
            "--fisher",
            Name(fit.Fisher),
            "--modules",
            fit.Modules.Text,
            "--seed",
            I(fit.Seed),
            "--max-examples",
            I(fit.MaxExamples),
            "--module-partitions",
            I(fit.ModulePartitions),
            "--statistics-dtype",
            Name(fit.StatisticsDType),
        };
        if (a.Factors.MaxMemoryBytes is long fm)
            factorArgs.AddRange(["--max-memory", I(fm)]);
        else
            factorArgs.AddRange(["--tokens-per-batch", I(fit.TokensPerBatch)]);
        // Data stages take their share of the batches, the eigen stage its module group, from the scheduler.
        List<string> Factor(string stage) =>
            [.. factorArgs, "--stage", stage, stage == "eigen" ? "--module-partition" : "--partition", "auto"];
        var merge = new List<string> { "merge", "--factors", factors };

        var stages = new List<ChainStage>();
        int n = a.DataPartitions,
            k = fit.ModulePartitions;
        if (strategy.NeedsCovariance)
        {
            stages.Add(new("covariance", n, Factor("covariance")));
            stages.Add(new("merge-covariance", 1, merge));
            stages.Add(new("eigen", k, Factor("eigen")));
        }
        if (strategy.Lambda != LambdaKind.None)
        {
            stages.Add(new("lambda", n, Factor("lambda")));
            stages.Add(new("merge-lambda", 1, merge));
        }
        if (a.Scores is { } s)
        {
            var sc = s.Score;
            var scoreArgs = new List<string>
            {
                "scores",
                s.Kind == ScoreKind.Self ? "self" : "pairwise",
                "--model",
                s.Model,
                "--device",
                a.Device,
                "--dtype",
                Name(s.DType),
                "--train",
                s.Train,
                "--out",
                scores,
                "--chunk-size",
                I(sc.ChunkSize),
                "--module-partitions",
                I(sc.ModulePartitions),
                "--statistics-dtype",
                Name(sc.StatisticsDType),
                "--precision",
                Name(sc.Precision),
                "--partition",
                "auto",
            };
            if (strategy.NeedsAnyFactor)
                scoreArgs.AddRange(["--factors", factors]);
            else
                scoreArgs.AddRange(["--strategy", strategy.Name]);
            if (sc.Damping is double d)
                scoreArgs.AddRange(["--damping", d.ToString("R", CultureInfo.InvariantCulture)]);
            if (s.MaxMemoryBytes is long sm)
                scoreArgs.AddRange(["--max-memory", I(sm)]);
            else
                scoreArgs.AddRange(["--tokens-per-batch", I(sc.TokensPerBatch)]);
            if (s.Kind == ScoreKind.Pairwise)
            {
                scoreArgs.AddRange([
                    "--queries",
                    s.Queries!,
                    "--query-rank",
                    I(sc.QueryRank),
                    "--measurement",
                    Name(sc.Measurement),
                    "--seed",
                    I(sc.Seed),
                ]);
                if (sc.PerToken)
                    scoreArgs.Add("--per-token");
                if (sc.AggregateQueries)
                    scoreArgs.Add("--aggregate-queries");
            }
            stages.Add(new("scores", n, scoreArgs));
            stages.Add(new("merge-scores", 1, ["merge", "--scores", scores]));
        }
        return stages;
    }

    private static string I(long v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>An enum as the CLI spells it.</summary>
    private static string Name<T>(T v)
        where T : struct, Enum => EnumNames.Of(v);
}
