using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using InfraSharp.Attribution;
using InfraSharp.Demo;
using InfraSharp.Reporting;
using InfraSharp.Storage;
using InfraSharp.Validation;

namespace InfraSharp.Experiment;

/// <summary>
/// The curation experiment: K seeds x the mixes {original, flip-difficulty, attribute-influence, influence-top
/// (EK-FAC), repsim-top, bm25-top, random}, every curated mix selected from the same candidate pool with the
/// original's rows, domain counts and token budget, each retrained from the original initialisation and evaluated
/// on the same held-out problems. Writes <c>experiment.csv</c> (every model's correct/total per domain and level),
/// <c>paired.csv</c> (every mix against random and against the original, paired over seeds and problems, with the
/// minimal detectable difference and McNemar's p per seed), <c>claims.md</c> (the paper's findings with verdicts)
/// and <c>report.html</c>. Resumable; partitionable over its retrainings (<see cref="RunOptions.Partition"/>), the
/// partition that completes them writes the tables.
/// </summary>
public static class ExperimentRun
{
    /// <summary>The run kind of an experiment folder's manifest.</summary>
    public const string Kind = "experiment";

    /// <summary>The reference mixes: every mix is compared with the original and with random pool rows.</summary>
    public const string Original = "original",
        Random = "random";

    /// <summary>What the experiment writes into its folder.</summary>
    public static readonly string[] OwnedFiles =
    [
        .. DemoRun.OwnedFiles.Where(f => f != "before-after.csv"),
        "experiment.csv",
        "paired.csv",
        "claims.md",
        "report.html",
    ];

    /// <summary>The title of the experiment's HTML report.</summary>
    public const string ReportTitle = "InfraSharp experiment: curated mixes against random rows of the same pool";

    /// <summary>Runs (or resumes) the experiment, or this partition's share of its retrainings.</summary>
    public static ExperimentResult Run(ExperimentRunArguments arguments, string outDir, RunOptions? options = null)
    {
        options ??= new RunOptions();
        arguments.Validate();
        var clock = Stopwatch.StartNew();
        new RunManifest(
            Kind,
            JsonSerializer.SerializeToNode(arguments, ExperimentJson.Manifest.ExperimentRunArguments)!.AsObject(),
            new JsonObject(),
            new JsonObject()
        )
        {
            Owns = OwnedFiles,
        }.Prepare(outDir, options.Overwrite);
        var a = arguments.Setup;
        var o = DemoPipeline.Run(a, MixPlan.Experiment, outDir, options);
        if (!o.Complete)
            return new ExperimentResult
            {
                OutDir = outDir,
                Complete = false,
                Seeds = a.Seeds,
                Runs = o.Runs,
                Mixes = o.Mixes,
                Paired = [],
                Claims = [],
                WallSeconds = clock.Elapsed.TotalSeconds,
                Message =
                    $"partition {options.Partition} done: {o.UnitsDone} of {o.Units} retrainings graded; the "
                    + "partition that completes them writes the tables (or rerun without --partition)",
            };
        // Several partitions can find the set complete at once: the tables are written under a lock.
        using var held = FileLock.Acquire(Path.Combine(outDir, ".tables.lock"), options.Progress);
        var paired = BeforeAfterComparison.Compare(o.Graded, [Original, Random], a.Seed);
        var scores = ScoreSet.Load(o.Attribution.ScoreDir);
        var claims = PaperClaims.Measure(scores, o.Attribution.Analysis, paired, "flip-difficulty", Random, a.Seed);
        ExperimentTable.Write(Path.Combine(outDir, "experiment.csv"), o.Graded);
        BeforeAfterComparison.WriteCsv(Path.Combine(outDir, "paired.csv"), paired);
        AtomicFile.WriteAllText(Path.Combine(outDir, "claims.md"), PaperClaims.Markdown(claims));
        HtmlReport.Write(
            Path.Combine(outDir, "report.html"),
            o.Attribution.Analysis,
            ReportTitle,
            [BeforeAfterReport.Section(paired), PaperClaims.Section(claims)]
        );
        return new ExperimentResult
        {
            OutDir = outDir,
            Complete = true,
            Seeds = a.Seeds,
            Runs = o.Runs,
            Mixes = o.Mixes,
            Paired = paired,
            Claims = claims,
            OriginalSeedSd = new Dictionary<string, double>
            {
                ["math"] = ExperimentTable.SeedSd(o.Graded, Original, "math"),
                ["code"] = ExperimentTable.SeedSd(o.Graded, Original, "code"),
            },
            WallSeconds = clock.Elapsed.TotalSeconds,
            Message = "",
        };
    }
}
