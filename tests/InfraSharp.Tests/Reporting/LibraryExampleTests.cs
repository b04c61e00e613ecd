using InfraSharp.Influence;
using InfraSharp.Reporting;

namespace InfraSharp.Tests.Reporting;

/// <summary>The README's library example, line for line, on the fixture model (run from a folder holding its files).</summary>
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
        var stdout = Console.Out;
        Console.SetOut(output);
        try
        {
            // --- README ---
            FactorRun.Run(
                new FactorRunArguments // loads the model, fits MLP-only EK-FAC factors
                {
                    Model = "model",
                    Data = "train.jsonl",
                    Fit = new FactorArguments { Strategy = StrategyKind.Ekfac, Modules = ModuleSelection.Mlp },
                },
                "factors"
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
                "scores"
            );
            var analysis = AnalysisRun.Run(
                new AnalysisRunArguments
                {
                    Scores = "scores",
                    Train = "train.jsonl",
                    Queries = "queries.jsonl",
                },
                "analysis"
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
    }
}
