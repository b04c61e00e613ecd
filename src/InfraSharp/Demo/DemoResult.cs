using System.Text;
using InfraSharp.Attribution;
using InfraSharp.Evaluation;
using InfraSharp.Reporting;
using InfraSharp.Validation;

namespace InfraSharp.Demo;

/// <summary>
/// What a demo found: the original model's accuracy and held-out loss, the cross-domain influence, the curated mixes,
/// every retraining's accuracy and the paired differences; <see cref="ToMarkdown"/> is what <c>infra demo</c> prints.
/// </summary>
public sealed record DemoResult
{
    /// <summary>The demo's folder, as the caller named it (the printed paths start with it).</summary>
    public required string OutDir { get; init; }

    /// <summary>Parameters of the model trained from scratch.</summary>
    public required long ParameterCount { get; init; }

    /// <summary>Mean loss per labelled token on held-out rows before training (nats).</summary>
    public required double HeldOutLossBefore { get; init; }

    /// <summary>Mean loss per labelled token on held-out rows after training (nats).</summary>
    public required double HeldOutLossAfter { get; init; }

    /// <summary>The original model's accuracy on the held-out problems.</summary>
    public required EvalSummary Original { get; init; }

    /// <summary>The attribution analysis of the original model's correctly answered queries.</summary>
    public required AnalysisResult Analysis { get; init; }

    /// <summary>The curated mixes, in the order they were retrained.</summary>
    public required IReadOnlyList<DemoMix> Mixes { get; init; }

    /// <summary>The original model first, then every mix (and the original again) for each seed.</summary>
    public required IReadOnlyList<DemoRetraining> Runs { get; init; }

    /// <summary>Paired accuracy differences of each mix against the original and the random control.</summary>
    public required IReadOnlyList<BeforeAfterComparison.Row> Paired { get; init; }

    /// <summary>How many seeds each mix was retrained with.</summary>
    public required int Seeds { get; init; }

    /// <summary>The synthetic training rows (JSONL).</summary>
    public required string TrainPath { get; init; }

    /// <summary>The influence queries: held-out problems the original model answered correctly (JSONL).</summary>
    public required string QueriesPath { get; init; }

    /// <summary>This call's wall time (a resumed demo's is the time to resume).</summary>
    public required double WallSeconds { get; init; }

    /// <summary>The HTML attribution report.</summary>
    public string ReportPath => Path.Combine(OutDir, "analysis", "report.html");

    /// <summary>The before/after table with McNemar's p per seed (CSV).</summary>
    public string CsvPath => Path.Combine(OutDir, "before-after.csv");

    /// <summary>The <c>infra explore</c> command over the demo's outputs (scores, data, and factors).</summary>
    public string ExploreCommand =>
        $"infra explore --scores {Quote(Path.Combine(OutDir, "scores"))} --train {Quote(TrainPath)} "
        + $"--queries {Quote(QueriesPath)} --factors {Quote(Path.Combine(OutDir, "factors"))}";

    /// <summary>The tables, the report's path and the explore command, as <c>infra demo</c> prints them.</summary>
    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.AppendLine(
            $"## Accuracy on held-out problems (greedy), {ParameterCount / 1e6:F2}M-parameter model "
                + "trained from scratch"
        );
        sb.AppendLine();
        sb.AppendLine(Original.ToMarkdown());
        sb.AppendLine($"held-out loss {HeldOutLossBefore:F3} -> {HeldOutLossAfter:F3}");
        sb.AppendLine();
        sb.AppendLine(
            "## Cross-domain influence (mean normalised influence of training examples on correctly answered "
                + "queries, 95% CI)"
        );
        sb.AppendLine();
        sb.AppendLine(AnalysisWriter.CrossTableMarkdown(Analysis));
        foreach (var m in Mixes)
        {
            sb.AppendLine($"### {m.Name}");
            sb.AppendLine();
            sb.AppendLine(m.Summary);
        }
        sb.AppendLine(
            "## Before / after: accuracy on held-out problems, same initialisation and token budget "
                + $"({Seeds} seed{(Seeds > 1 ? "s" : "")}; mean ± sd)"
        );
        sb.AppendLine();
        sb.AppendLine(BeforeAfterTable.Markdown(Runs));
        sb.AppendLine(
            "## Paired differences (points; 95% bootstrap CI over problems and seeds; * = CI excludes 0; "
                + $"{CsvPath} has McNemar's p per seed)"
        );
        sb.AppendLine();
        sb.AppendLine(BeforeAfterComparison.Markdown(Paired));
        sb.AppendLine($"report: {ReportPath}; wall time {WallSeconds:F0}s");
        sb.AppendLine("explore the scores: " + ExploreCommand);
        return sb.ToString();
    }

    private static string Quote(string path) =>
        path.IndexOfAny([' ', '\'', '"']) < 0 ? path : "'" + path.Replace("'", "'\\''") + "'";
}
