using System.Globalization;
using System.Text;
using InfraSharp.Evaluation;
using InfraSharp.Storage;

namespace InfraSharp.Validation;

/// <summary>
/// The before/after table with paired statistics: for each curated mix and each reference mix (the original, the
/// random control), per domain and level, the accuracy difference on the same held-out problems with seed k of the
/// mix paired with seed k of the reference (<see cref="PairedComparison"/>).
/// </summary>
public static class BeforeAfterComparison
{
    /// <summary>
    /// One trained and evaluated model: its mix, its seed and its graded samples (first sample per problem).
    /// </summary>
    internal sealed record Run(string Mix, int Seed, IReadOnlyList<SampleResult> Results);

    /// <summary>One line of the paired table.</summary>
    /// <param name="Mix">The curated mix compared.</param>
    /// <param name="Reference">The mix it is compared with (the original or the random control).</param>
    /// <param name="Domain">The problems' domain, or <c>all</c>.</param>
    /// <param name="Level">The difficulty level, or <c>all</c>.</param>
    /// <param name="Comparison">The paired accuracy difference (mix minus reference) and its statistics.</param>
    public sealed record Row(string Mix, string Reference, string Domain, string Level, PairedComparison Comparison);

    /// <summary>The levels of the table's rows: all, then 1 to 5.</summary>
    public static readonly string[] Levels = ["all", "1", "2", "3", "4", "5"];

    internal static List<Row> Compare(IReadOnlyList<Run> runs, IReadOnlyList<string> references, long seed)
    {
        references = references.Where(r => runs.Any(x => x.Mix == r)).ToList();
        var rows = new List<Row>();
        var mixes = runs.Select(r => r.Mix).Distinct().ToList();
        // Against the first reference (the original) every other mix; against a later one (the random control) the
        // mixes that are not references themselves.
        for (int k = 0; k < references.Count; k++)
            foreach (var mix in mixes.Where(m => !references.Take(k + 1).Contains(m)))
            {
                string reference = references[k];
                var seeds = runs.Where(r => r.Mix == mix)
                    .Select(r => r.Seed)
                    .Intersect(runs.Where(r => r.Mix == reference).Select(r => r.Seed))
                    .OrderBy(s => s)
                    .ToList();
                if (seeds.Count == 0)
                    continue;
                Run Of(string m, int s) => runs.First(r => r.Mix == m && r.Seed == s);
                foreach (
                    var domain in runs[0]
                        .Results.Select(r => r.Domain)
                        .Distinct()
                        .OrderBy(d => d, StringComparer.Ordinal)
                )
                foreach (var level in Levels)
                {
                    bool In(SampleResult r) =>
                        r.Domain == domain && r.SampleIndex == 0 && (level == "all" || r.Difficulty == level);
                    var ids = Of(reference, seeds[0])
                        .Results.Where(In)
                        .Select(r => r.ProblemId)
                        .OrderBy(i => i, StringComparer.Ordinal)
                        .ToList();
                    if (ids.Count == 0)
                        continue;
                    bool[] Outcomes(string m, int s)
                    {
                        var byId = Of(m, s).Results.Where(In).ToDictionary(r => r.ProblemId, r => r.Correct);
                        return ids.Select(i =>
                                byId.TryGetValue(i, out var c)
                                    ? c
                                    : throw new InvalidOperationException(
                                        $"{m} seed {s} was not evaluated on problem {i}"
                                    )
                            )
                            .ToArray();
                    }
                    var c = PairedComparison.Compute(
                        seeds.Select(s => Outcomes(reference, s)).ToList(),
                        seeds.Select(s => Outcomes(mix, s)).ToList(),
                        seed
                    );
                    rows.Add(new Row(mix, reference, domain, level, c));
                }
            }
        return rows;
    }

    private static string Mdd(PairedComparison c) =>
        double.IsNaN(c.MinimalDetectable)
            ? ""
            : " MDD " + (c.MinimalDetectable * 100).ToString("F1", CultureInfo.InvariantCulture);

    private static string Pct(double v) => (v >= 0 ? "+" : "") + (v * 100).ToString("F1", CultureInfo.InvariantCulture);

    /// <summary>
    /// What a reader must know before reading the table: with fewer than 3 seeds the interval covers problem
    /// sampling only and nothing is marked; with more, * marks a CI that excludes 0 and each cell gives its minimal
    /// detectable difference (MDD).
    /// </summary>
    public static string Caveat(IReadOnlyList<Row> rows)
    {
        int seeds = rows.Count == 0 ? 0 : rows.Min(r => r.Comparison.Seeds);
        return seeds < PairedComparison.MinimumSeeds
            ? $"{seeds} seed{(seeds == 1 ? "" : "s")}: the interval covers problem sampling only, not training noise, "
                + "so no cell is marked distinguishable (--seeds 5 for training noise)."
            : $"{seeds} seeds: the interval resamples seeds and problems; * = CI excludes 0; MDD = the smallest true "
                + "difference this many seeds and problems detect (5% two-sided, 80% power).";
    }

    /// <summary>
    /// One line per mix and reference: each domain and level's difference in points with its 95% CI, starred when
    /// it is distinguishable (3 or more seeds and the CI excludes zero), with the minimal detectable difference at 3
    /// or more seeds; <see cref="Caveat"/> above it.
    /// </summary>
    public static string Markdown(IReadOnlyList<Row> rows)
    {
        var cells = rows.Select(r => (r.Domain, r.Level)).Distinct().ToList();
        var sb = new StringBuilder(Caveat(rows) + "\n\n");
        sb.Append(
            "| mix | vs | "
                + string.Join(" | ", cells.Select(c => c.Level == "all" ? c.Domain : $"{c.Domain} L{c.Level}"))
                + " |\n"
        );
        sb.Append("|---|---|" + string.Concat(cells.Select(_ => "---|")) + "\n");
        foreach (var g in rows.GroupBy(r => (r.Mix, r.Reference)))
        {
            sb.Append($"| {g.Key.Mix} | {g.Key.Reference} |");
            foreach (var c in cells)
            {
                var r = g.FirstOrDefault(x => x.Domain == c.Domain && x.Level == c.Level);
                sb.Append(
                    r is null
                        ? " |"
                        : $" {Pct(r.Comparison.Difference)} [{Pct(r.Comparison.CiLow)}, {Pct(r.Comparison.CiHigh)}]"
                            + $"{(r.Comparison.Distinguishable ? "*" : "")}{Mdd(r.Comparison)} |"
                );
            }
            sb.Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>The rows as CSV, with each seed's McNemar p-value (semicolon-separated).</summary>
    public static void WriteCsv(string path, IReadOnlyList<Row> rows)
    {
        string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        AtomicFile.WriteAllLines(
            path,
            new[]
            {
                "mix,reference,domain,level,difference,ci_low,ci_high,problems,seeds,distinguishable,mcnemar_p,mdd",
            }.Concat(
                rows.Select(r =>
                    string.Join(
                        ",",
                        CsvTable.Quote(r.Mix),
                        CsvTable.Quote(r.Reference),
                        CsvTable.Quote(r.Domain),
                        r.Level,
                        F(r.Comparison.Difference),
                        F(r.Comparison.CiLow),
                        F(r.Comparison.CiHigh),
                        r.Comparison.Problems,
                        r.Comparison.Seeds,
                        r.Comparison.Distinguishable ? "true" : "false",
                        string.Join(";", r.Comparison.McNemarP.Select(F)),
                        double.IsNaN(r.Comparison.MinimalDetectable) ? "" : F(r.Comparison.MinimalDetectable)
                    )
                )
            )
        );
    }
}
