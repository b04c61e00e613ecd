using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using InfraSharp.Curation;
using InfraSharp.Evaluation;
using InfraSharp.Influence;
using InfraSharp.Models;
using InfraSharp.Reporting;
using InfraSharp.Storage;
using InfraSharp.Text;
using InfraSharp.Training;
using InfraSharp.Training.Synthetic;
using InfraSharp.Validation;
using static TorchSharp.torch;

namespace InfraSharp.Demo;

/// <summary>
/// The whole method on its embedded default, composed of the library's runs, each in a folder of its own inside the
/// demo's: synthetic data, a tiny model trained from scratch, greedy answers on the held-out problems, the queries it
/// answers correctly, MLP-only EK-FAC factors with pairwise and per-token scores, the attribution analysis and
/// report, three curated mixes (flip-difficulty, attribute-influence and a random control) selected from a candidate
/// pool without replacement, each retrained from the same initialisation with the same token budget and evaluated,
/// and the paired before/after comparison.
/// A rerun of the same demo resumes: the runs resume on their own, the trainings and gradings recorded in the
/// demo's journal are reused, and the seeded steps between them write the same bytes again.
/// </summary>
public static class DemoRun
{
    /// <summary>The run kind of a demo folder's manifest.</summary>
    public const string Kind = "demo";

    /// <summary>What the demo writes into its folder (each stage's folder also has a manifest of its own).</summary>
    public static readonly string[] OwnedFiles =
    [
        "data/**",
        "model/**",
        "eval/**",
        "queries-eval/**",
        "queries-correct.jsonl",
        "factors/**",
        "scores/**",
        "analysis/**",
        "retrain/**",
        "scores-pool-*/**",
        "before-after.csv",
        DemoStages.FileName,
    ];

    /// <summary>The title of the demo's HTML report.</summary>
    public const string ReportTitle = "InfraSharp demo: which training data helps math and code";

    /// <summary>Runs (or resumes) the whole demo into <paramref name="outDir"/>.</summary>
    /// <returns>What the demo found: accuracies, influence tables, mixes and paired differences.</returns>
    public static DemoResult Run(DemoRunArguments arguments, string outDir, RunOptions? options = null)
    {
        options ??= new RunOptions();
        var a = arguments;
        a.Validate();
        if (!options.Partition.IsWhole)
            throw InputError.Argument("the demo runs whole; it takes no --partition (infra experiment does)");
        var total = Stopwatch.StartNew();
        // The demo's folder is a run folder like any other: new, empty or an earlier demo's. The same demo resumes;
        // another is refused with a one-line diff, or with Overwrite has what a demo writes replaced (refusing,
        // naming it, when anything else is there).
        new RunManifest(
            Kind,
            JsonSerializer.SerializeToNode(a, DemoJson.Manifest.DemoRunArguments)!.AsObject(),
            new JsonObject(),
            new JsonObject()
        )
        {
            Owns = OwnedFiles,
        }.Prepare(outDir, options.Overwrite);
        var o = DemoPipeline.Run(a, MixPlan.Demo, outDir, options);
        // Paired differences: each mix against the original and against the random control, seed k with seed k.
        var paired = BeforeAfterComparison.Compare(o.Graded, ["original", "random-control"], a.Seed);
        BeforeAfterComparison.WriteCsv(Path.Combine(outDir, "before-after.csv"), paired);
        HtmlReport.Write(
            Path.Combine(o.Attribution.AnalysisDir, "report.html"),
            o.Attribution.Analysis,
            ReportTitle,
            [BeforeAfterReport.Section(paired)]
        );
        return new DemoResult
        {
            OutDir = outDir,
            ParameterCount = o.ParameterCount,
            HeldOutLossBefore = o.HeldOutLossBefore,
            HeldOutLossAfter = o.HeldOutLossAfter,
            Original = o.Original,
            Analysis = o.Attribution.Analysis,
            Mixes = o.Mixes,
            Runs = o.Runs,
            Paired = paired,
            Seeds = a.Seeds,
            TrainPath = o.Attribution.TrainPath,
            QueriesPath = o.Attribution.QueriesPath,
            WallSeconds = total.Elapsed.TotalSeconds,
        };
    }

    /// <summary>
    /// Greedy answers of a model to a file of math and code problems, each graded by its own domain (code in the
    /// sandbox with the demo's limits).
    /// </summary>
    public static EvaluationRunArguments Evaluation(string model, string problems, DemoRunArguments a) =>
        DemoPipeline.Evaluation(model, problems, a);
}
