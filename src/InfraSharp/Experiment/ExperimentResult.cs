using System.Globalization;
using System.Text;
using InfraSharp.Demo;
using InfraSharp.Validation;

namespace InfraSharp.Experiment;

/// <summary>
/// What an experiment (or one partition of it) found: every retrained model's accuracy, the paired table and the
/// claims; <see cref="ToMarkdown"/> is what <c>infra experiment</c> prints.
/// </summary>
public sealed record ExperimentResult
{
    /// <summary>The experiment's folder.</summary>
    public required string OutDir { get; init; }

    /// <summary>Whether every retraining is graded and the tables are written.</summary>
    public required bool Complete { get; init; }

    /// <summary>K: the seeds each mix was retrained with.</summary>
    public required int Seeds { get; init; }

    /// <summary>The mixes selected from the pool.</summary>
    public required IReadOnlyList<DemoMix> Mixes { get; init; }

    /// <summary>Every graded model so far (all of them when <see cref="Complete"/>).</summary>
    public required IReadOnlyList<DemoRetraining> Runs { get; init; }

    /// <summary>Every mix against random and against the original, per domain and level.</summary>
    public required IReadOnlyList<BeforeAfterComparison.Row> Paired { get; init; }

    /// <summary>The paper's findings with this run's numbers and verdicts.</summary>
    public required IReadOnlyList<Claim> Claims { get; init; }

    /// <summary>The seed-to-seed standard deviation of the original's accuracy per domain (fraction).</summary>
    public IReadOnlyDictionary<string, double> OriginalSeedSd { get; init; } = new Dictionary<string, double>();

    /// <summary>This call's wall time.</summary>
    public required double WallSeconds { get; init; }

    /// <summary>For an incomplete partition: what is done and who writes the tables.</summary>
    public required string Message { get; init; }

    /// <summary>The accuracy table, the paired table against random, the claims and where the files are.</summary>
    public string ToMarkdown()
    {
        if (!Complete)
            return Message + "\n";
        var sb = new StringBuilder();
        sb.AppendLine($"## Accuracy on held-out problems per mix ({Seeds} seed{(Seeds == 1 ? "" : "s")}; mean ± sd)");
        sb.AppendLine();
        sb.AppendLine(BeforeAfterTable.Markdown(Runs));
        string Sd(string d) =>
            OriginalSeedSd.TryGetValue(d, out var v) && !double.IsNaN(v)
                ? (v * 100).ToString("F1", CultureInfo.InvariantCulture)
                : "n/a";
        sb.AppendLine($"seed-to-seed sd of the original's accuracy: math {Sd("math")}, code {Sd("code")} points");
        sb.AppendLine();
        sb.AppendLine("## Every mix against random rows of the same pool (points; 95% paired bootstrap CI)");
        sb.AppendLine();
        sb.AppendLine(BeforeAfterComparison.Markdown(Paired.Where(r => r.Reference == ExperimentRun.Random).ToList()));
        sb.AppendLine(PaperClaims.Markdown(Claims).Replace("# The Infra", "## The Infra", StringComparison.Ordinal));
        sb.AppendLine(
            $"files: {Path.Combine(OutDir, "experiment.csv")}, {Path.Combine(OutDir, "paired.csv")}, "
                + $"{Path.Combine(OutDir, "claims.md")}, {Path.Combine(OutDir, "report.html")}; "
                + $"wall time {WallSeconds:F0}s"
        );
        return sb.ToString();
    }
}
