using InfraSharp;
using InfraSharp.Influence;
using InfraSharp.Reporting;
using InfraSharp.Storage;

// Usage: PackageConsumer DIR, where DIR holds `model/`, `train.jsonl` and `queries.jsonl` (the fixture's); the
// example's outputs are written there. Everything below the marker is the README's library example, line for line.
if (args.Length != 1)
{
    Console.Error.WriteLine("usage: PackageConsumer DIR (holding model/, train.jsonl, queries.jsonl)");
    return 2;
}
Environment.CurrentDirectory = args[0];

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
return 0;
