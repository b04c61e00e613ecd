using InfraSharp;
using InfraSharp.Influence;
using InfraSharp.Reporting;
using InfraSharp.Storage;

namespace InfraSharp.Examples;

/// <summary>
/// The README's library example, line for line between the markers, run in the current folder (which holds
/// <c>model/</c>, <c>train.jsonl</c> and <c>queries.jsonl</c>). One copy serves both its runs: the package consumer
/// (built against the packed InfraSharp package in CI) and <c>LibraryExampleTests</c> (against the project).
/// </summary>
public static class ReadmeExample
{
    /// <summary>Fits factors, scores and analyses as the README shows, printing the cross-domain table.</summary>
    public static void Run()
    {
        // --- README ---
        using var stop = new CancellationTokenSource(); // Cancel() stops a run between batches; rerun it to resume
        var options = new RunOptions { Cancellation = stop.Token, Progress = new ProgressPrinter(Console.Error) };
        FactorRun.Run(
            new FactorRunArguments // loads the model, fits MLP-only EK-FAC factors
            {
                Model = "model",
                Data = "train.jsonl",
                Fit = new FactorArguments { Strategy = StrategyKind.Ekfac, Modules = ModuleSelection.Mlp },
            },
            "factors",
            options
        );
        ScoreRun.Run(
            new ScoreRunArguments // pairwise and per-token scores of the answers' likelihood
            {
                Model = "model",
                Factors = "factors",
                Train = "train.jsonl",
                Queries = "queries.jsonl",
                Score = new ScoreArguments { PerToken = true, Measurement = Measurement.MeanLogProb },
            },
            "scores",
            options
        );
        var analysis = AnalysisRun.Run(
            new AnalysisRunArguments
            {
                Scores = "scores",
                Train = "train.jsonl",
                Queries = "queries.jsonl",
            },
            "analysis",
            options
        );
        Console.WriteLine(AnalysisWriter.CrossTableMarkdown(analysis));

        // --- end ---
    }
}
