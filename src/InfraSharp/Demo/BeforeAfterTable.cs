using System.Text;
using InfraSharp.Evaluation;

namespace InfraSharp.Demo;

/// <summary>The demo's before/after accuracy table: one row per training mix, mean ± sd over its seeds.</summary>
internal static class BeforeAfterTable
{
    /// <summary>Math and code accuracy overall and per level, and the mean train + eval seconds, per mix.</summary>
    public static string Markdown(IReadOnlyList<DemoRetraining> runs)
    {
        var cols = new List<(string Domain, string Level)> { ("math", "all"), ("code", "all") };
        foreach (var d in new[] { "math", "code" })
            for (int l = 1; l <= 5; l++)
                cols.Add((d, l.ToString()));
        var sb = new StringBuilder(
            "| training mix | seeds | "
                + string.Join(" | ", cols.Select(c => c.Level == "all" ? $"{c.Domain}" : $"{c.Domain} L{c.Level}"))
                + " | train+eval s |\n"
        );
        sb.Append("|---|---|" + string.Concat(cols.Select(_ => "---|")) + "---|\n");
        foreach (var g in runs.GroupBy(r => r.Mix))
        {
            sb.Append($"| {g.Key} | {g.Count()} |");
            foreach (var (d, l) in cols)
            {
                var xs = g.Select(r => Accuracy(r.Summary, d, l)).Where(x => !double.IsNaN(x)).ToList();
                double mean = xs.Count == 0 ? double.NaN : xs.Average();
                double sd =
                    xs.Count > 1 ? Math.Sqrt(xs.Sum(x => (x - mean) * (x - mean)) / (xs.Count - 1)) : double.NaN;
                sb.Append(double.IsNaN(sd) ? $" {mean * 100:F1}% |" : $" {mean * 100:F1} ± {sd * 100:F1}% |");
            }
            sb.Append($" {g.Average(r => r.Seconds):F0} |\n");
        }
        return sb.ToString();
    }

    /// <summary>
    /// Accuracy of a domain at a level ("all": the domain overall); NaN when the summary has no such group.
    /// </summary>
    public static double Accuracy(EvalSummary s, string domain, string difficulty = "all") =>
        s.Groups.FirstOrDefault(g => g.Domain == domain && g.Difficulty == difficulty)?.Accuracy ?? double.NaN;
}
