using InfraSharp.Influence;
using InfraSharp.Reporting;

namespace InfraSharp.Tests;

/// <summary>
/// MLP-only EK-FAC factors, pairwise and per-token scores (mean log-likelihood of the answers) and an analysis with
/// its report, of the tiny-llama fixture model on its own training rows and queries (math and code, levels 1-5),
/// built once per test run by the library runs and shared. The folders sit side by side as the demo writes them
/// (<c>factors</c>, <c>scores</c>, <c>analysis</c>), so that <c>infra explore</c> finds the analysis beside the
/// scores: the browser tests read these in seconds instead of waiting minutes for the quick demo to train a model.
/// </summary>
public static class FixtureAnalysis
{
    private const string Name = "tiny-llama";

    public static string Model => Fixtures.Model(Name);
    public static string Train => Fixtures.Path_(Name, "train.jsonl");
    public static string Queries => Fixtures.Path_(Name, "queries.jsonl");

    private static readonly Lazy<string> Built = new(Build, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string Dir => Built.Value;
    public static string Factors => Path.Combine(Dir, "factors");
    public static string Scores => Path.Combine(Dir, "scores");
    public static string Analysis => Path.Combine(Dir, "analysis");

    private static readonly Lazy<string> BuiltLoss = new(BuildLoss, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// The twin of <see cref="Scores"/> and <see cref="Analysis"/> under the other measurement (the summed loss,
    /// <c>infra scores pairwise</c>'s default), from the same factors, without per-token scores: what the sign lines
    /// are checked against.
    /// </summary>
    public static string LossDir => BuiltLoss.Value;
    public static string LossScores => Path.Combine(LossDir, "scores");
    public static string LossAnalysis => Path.Combine(LossDir, "analysis");

    private static string BuildLoss()
    {
        string dir = Fixtures.TempDir(),
            scores = Path.Combine(dir, "scores");
        ScoreRun.Run(
            new ScoreRunArguments
            {
                Model = Model,
                Factors = Factors,
                Train = Train,
                Queries = Queries,
                Score = new ScoreArguments { Measurement = Measurement.Loss },
            },
            scores
        );
        AnalysisRun.Run(
            new AnalysisRunArguments
            {
                Scores = scores,
                Train = Train,
                Queries = Queries,
            },
            Path.Combine(dir, "analysis")
        );
        return dir;
    }

    private static string Build()
    {
        string dir = Fixtures.TempDir();
        string factors = Path.Combine(dir, "factors"),
            scores = Path.Combine(dir, "scores");
        FactorRun.Run(
            new FactorRunArguments
            {
                Model = Model,
                Data = Train,
                Fit = new FactorArguments { Strategy = StrategyKind.Ekfac, Modules = ModuleSelection.Mlp },
            },
            factors
        );
        // Mean log-probability, as the demo scores: the explorer scores a new answer with these same arguments.
        ScoreRun.Run(
            new ScoreRunArguments
            {
                Model = Model,
                Factors = factors,
                Train = Train,
                Queries = Queries,
                Score = new ScoreArguments { PerToken = true, Measurement = Measurement.MeanLogProb },
            },
            scores
        );
        AnalysisRun.Run(
            new AnalysisRunArguments
            {
                Scores = scores,
                Train = Train,
                Queries = Queries,
            },
            Path.Combine(dir, "analysis")
        );
        return dir;
    }
}
