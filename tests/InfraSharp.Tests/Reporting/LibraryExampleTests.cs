using InfraSharp.Influence;
using InfraSharp.Reporting;
using InfraSharp.Storage;

namespace InfraSharp.Tests.Reporting;

/// <summary>The README's library example, line for line, on the fixture model (run from a folder holding its
/// files).</summary>
[Collection("cli")]
public class LibraryExampleTests
{
    [Fact]
    public void TheReadmeExampleRuns()
    {
        string dir = Fixtures.TempDir();
        Directory.CreateSymbolicLink(Path.Combine(dir, "model"), Fixtures.Model("tiny-llama"));
        File.Copy(Fixtures.Path_("tiny-llama", "train.jsonl"), Path.Combine(dir, "train.jsonl"));
        File.Copy(Fixtures.Path_("tiny-llama", "queries.jsonl"), Path.Combine(dir, "queries.jsonl"));
        string old = Environment.CurrentDirectory;
        Environment.CurrentDirectory = dir;
        var output = new StringWriter();
        var progress = new StringWriter(); // the README prints to Console.Error; here it is kept to be checked
        var stdout = Console.Out;
        Console.SetOut(output);
        try
        {
            // --- README ---
            using var stop = new CancellationTokenSource(); // Cancel() stops a run between batches; rerun it to resume
            var options = new RunOptions { Cancellation = stop.Token, Progress = new ProgressPrinter(progress) };
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
        finally
        {
            Console.SetOut(stdout);
            Environment.CurrentDirectory = old;
        }
        foreach (
            var f in new[]
            {
                "factors/lambda.safetensors",
                "scores/per_token.safetensors",
                "analysis/report.html",
                "analysis/manifest.json",
            }
        )
            Assert.True(File.Exists(Path.Combine(dir, f)), f);
        Assert.Contains("| training group |", output.ToString());
        // The progress reporter saw every run: the stages' last counts and the analysis' notes, as the CLI prints them.
        string printed = progress.ToString();
        Assert.Matches(@"\] covariance: (\d+)/\1 \(100%", printed);
        Assert.Matches(@"\] pairwise scores: 128/128 \(100%", printed);
        Assert.Contains("example-level tables", printed);
    }
}
