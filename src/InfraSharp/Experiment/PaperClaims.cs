using System.Globalization;
using System.Net;
using System.Text;
using InfraSharp.Attribution;
using InfraSharp.Validation;

namespace InfraSharp.Experiment;

/// <summary>
/// The Infra paper's findings, each measured on this run and given a verdict by its 95% CI (<see cref="Claim"/>):
/// hard math helps math and code, easy code helps code (example-level influence contrasts), exploratory steps help
/// (sequence level), logic connectors lead for math tokens and syntax for code tokens (token categories), and the
/// difficulty flip beats random rows drawn from the same pool (retrained accuracy, paired).
/// </summary>
public static class PaperClaims
{
    private static readonly int[] Hard = [4, 5];
    private static readonly int[] Easy = [1, 2];

    /// <summary>
    /// The claims: influence from <paramref name="scores"/> (the original model's pairwise scores of the training
    /// rows) and <paramref name="analysis"/> (its sequence and token tables), accuracy from <paramref name="paired"/>
    /// (the flip against <paramref name="random"/>, per domain).
    /// </summary>
    public static List<Claim> Measure(
        ScoreSet scores,
        AnalysisResult analysis,
        IReadOnlyList<BeforeAfterComparison.Row> paired,
        string flip,
        string random,
        int seed = 0
    )
    {
        var claims = new List<Claim>
        {
            Contrast(scores, "math", Hard, Easy, "math", "Hard math data helps math reasoning", seed),
            Contrast(scores, "math", Hard, Easy, "code", "Hard math data helps code reasoning", seed),
            Contrast(scores, "code", Easy, Hard, "code", "Easy code data helps code reasoning", seed),
        };
        foreach (var domain in new[] { "math", "code" })
            claims.Add(Steps(analysis, domain));
        claims.Add(Tokens(analysis, "math", "logic", "Logic connectors lead the token influence on math"));
        claims.Add(Tokens(analysis, "code", "syntax", "Code syntax leads the token influence on code"));
        foreach (var domain in new[] { "math", "code" })
            claims.Add(Flip(paired, flip, random, domain));
        return claims;
    }

    /// <summary>
    /// Mean normalised influence on <paramref name="queryDomain"/>'s queries of <paramref name="trainDomain"/> rows
    /// at levels <paramref name="more"/> minus those at <paramref name="less"/>; the CI resamples the rows of each
    /// group (seeded percentile bootstrap).
    /// </summary>
    internal static Claim Contrast(
        ScoreSet scores,
        string trainDomain,
        int[] more,
        int[] less,
        string queryDomain,
        string finding,
        int seed
    )
    {
        var analyzer = new AttributionAnalyzer(scores, Lexicon.Load(null));
        var queries = Enumerable
            .Range(0, scores.Q)
            .Where(q => Attr(scores.Queries[q].Attributes, "domain") == queryDomain);
        var qs = queries.ToList();
        List<double> Values(int[] levels) =>
            Enumerable
                .Range(0, scores.N)
                .Where(e =>
                    Attr(scores.Train[e].Attributes, "domain") == trainDomain
                    && levels.Contains(Level(scores.Train[e].Attributes))
                )
                .Select(e => qs.Average(q => analyzer.Normalized(q, e)))
                .ToList();
        string measure =
            $"mean normalised influence on {queryDomain} queries: {trainDomain} L{string.Join("-", more)} minus "
            + $"L{string.Join("-", less)}";
        if (qs.Count == 0)
            return Claim.Unmeasured(finding, measure, $"no {queryDomain} query");
        var (a, b) = (Values(more), Values(less));
        if (a.Count == 0 || b.Count == 0)
            return Claim.Unmeasured(finding, measure, "no training rows at those levels");
        var (d, lo, hi) = DifferenceInterval(a, b, seed);
        return new Claim(finding, measure, d, lo, hi, Claim.From(lo, hi));
    }

    /// <summary>
    /// mean(a) − mean(b) with a 95% percentile bootstrap CI resampling a and b independently.
    /// </summary>
    internal static (double Difference, double Low, double High) DifferenceInterval(
        IReadOnlyList<double> a,
        IReadOnlyList<double> b,
        int seed,
        int resamples = 2000
    )
    {
        var rng = new Random(seed);
        var stats = new double[resamples];
        for (int r = 0; r < resamples; r++)
        {
            double sa = 0,
                sb = 0;
            for (int i = 0; i < a.Count; i++)
                sa += a[rng.Next(a.Count)];
            for (int i = 0; i < b.Count; i++)
                sb += b[rng.Next(b.Count)];
            stats[r] = sa / a.Count - sb / b.Count;
        }
        var (lo, hi) = Bootstrap.PercentileInterval(stats);
        return (a.Average() - b.Average(), lo, hi);
    }

    /// <summary>The sequence level's exploration steps: their mean normalised influence on a domain's queries.
    /// </summary>
    private static Claim Steps(AnalysisResult analysis, string domain)
    {
        string finding = $"Exploratory reasoning steps help {domain} reasoning",
            measure = $"mean normalised influence of exploration steps on {domain} queries (sequence level)";
        var row = analysis.SequenceLevel.FirstOrDefault(r =>
            r.QueryGroup == $"domain={domain}" && r.Tag == "exploration"
        );
        return row is null
            ? Claim.Unmeasured(finding, measure, "no exploration steps scored (per-token scores needed)")
            : new Claim(
                finding,
                measure,
                row.Stats.Mean,
                row.Stats.CiLow,
                row.Stats.CiHigh,
                Claim.From(row.Stats.CiLow, row.Stats.CiHigh)
            );
    }

    /// <summary>
    /// A token category against the strongest other lexicon category on a domain's queries: the difference of
    /// their means, with the conservative interval from the far ends of their two CIs (it excludes zero only when
    /// the CIs do not overlap).
    /// </summary>
    private static Claim Tokens(AnalysisResult analysis, string domain, string category, string finding)
    {
        var rows = analysis
            .TokenCategories.Where(r => r.QueryGroup == $"domain={domain}" && r.Category != "other")
            .ToList();
        var lead = rows.FirstOrDefault(r => r.Category == category);
        var best = rows.Where(r => r.Category != category).OrderByDescending(r => r.Stats.Mean).FirstOrDefault();
        string measure =
            $"mean normalised per-token influence on {domain} queries: {category} minus the strongest other category"
            + (best is null ? "" : $" ({best.Category})");
        if (lead is null || best is null)
            return Claim.Unmeasured(finding, measure, "no token categories to compare (per-token scores needed)");
        double lo = lead.Stats.CiLow - best.Stats.CiHigh,
            hi = lead.Stats.CiHigh - best.Stats.CiLow;
        return new Claim(finding, measure, lead.Stats.Mean - best.Stats.Mean, lo, hi, Claim.From(lo, hi));
    }

    /// <summary>The flip's paired accuracy difference against random rows of the same pool, one domain.</summary>
    private static Claim Flip(
        IReadOnlyList<BeforeAfterComparison.Row> paired,
        string flip,
        string random,
        string domain
    )
    {
        string finding = $"Flipping the difficulty mix (harder math, easier code) improves {domain} accuracy",
            measure = $"paired {domain} accuracy difference, {flip} minus {random} (retrained, same pool and budget)";
        var row = paired.FirstOrDefault(r =>
            r.Mix == flip && r.Reference == random && r.Domain == domain && r.Level == "all"
        );
        if (row is null)
            return Claim.Unmeasured(finding, measure, "not retrained");
        var c = row.Comparison;
        if (c.Seeds < PairedComparison.MinimumSeeds)
            return new Claim(
                finding,
                measure,
                c.Difference,
                c.CiLow,
                c.CiHigh,
                ClaimVerdict.CantTell,
                $"{c.Seeds} seed(s): the CI covers problem sampling only"
            );
        return new Claim(finding, measure, c.Difference, c.CiLow, c.CiHigh, Claim.From(c.CiLow, c.CiHigh));
    }

    private static string Attr(System.Text.Json.Nodes.JsonObject a, string key) => a[key]?.ToString() ?? "";

    private static int Level(System.Text.Json.Nodes.JsonObject a) =>
        int.TryParse(Attr(a, "difficulty"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int l) ? l : 0;

    private static string F(double v) =>
        double.IsNaN(v) ? "n/a" : v.ToString("+0.000;-0.000", CultureInfo.InvariantCulture);

    // Accuracy claims read in points, influence claims in units of the query's mean |score|.
    private static string Value(Claim c, double v) =>
        c.Measure.Contains("accuracy", StringComparison.Ordinal) && !double.IsNaN(v)
            ? (v * 100).ToString("+0.0;-0.0", CultureInfo.InvariantCulture)
            : F(v);

    /// <summary><c>claims.md</c>: one row per finding with its number, CI and verdict, and how to read them.</summary>
    public static string Markdown(IReadOnlyList<Claim> claims)
    {
        var sb = new StringBuilder("# The Infra paper's findings on this run\n\n");
        sb.AppendLine(
            "Each number is oriented so that a positive value supports the finding. Verdict: *holds* when the 95% CI "
                + "is above 0, *contradicted* when it is below 0, *can't tell* when it spans 0 (or when fewer than 3 "
                + "seeds were retrained, for accuracy). Influence numbers are in units of the query's mean |score|; "
                + "accuracy in points."
        );
        sb.AppendLine();
        sb.AppendLine("| finding | measured | value | 95% CI | verdict |");
        sb.AppendLine("|---|---|---|---|---|");
        foreach (var c in claims)
        {
            string V(double v) => Value(c, v);
            string note = c.Note.Length == 0 ? "" : $" ({c.Note})";
            sb.AppendLine(
                $"| {c.Finding} | {c.Measure} | {V(c.Estimate)} | [{V(c.CiLow)}, {V(c.CiHigh)}] | "
                    + $"{c.VerdictText}{note} |"
            );
        }
        return sb.ToString();
    }

    /// <summary>The report's claims section (the same table as <c>claims.md</c>).</summary>
    public static string Section(IReadOnlyList<Claim> claims)
    {
        var sb = new StringBuilder("<h2 id=\"claims\">The paper's findings on this run</h2>");
        sb.Append("<p class=\"note\">Positive values support the finding; holds / contradicted: the 95% CI is above / ")
            .Append("below 0; can't tell: it spans 0 (or fewer than 3 seeds for accuracy).</p>")
            .Append("<table id=\"claims-table\"><thead><tr><th>finding</th><th>measured</th><th>value</th>")
            .Append("<th>95% CI</th><th>verdict</th></tr></thead><tbody>");
        foreach (var c in claims)
        {
            string cls = c.Verdict switch
            {
                ClaimVerdict.Holds => " class=\"pos\"",
                ClaimVerdict.Contradicted => " class=\"neg\"",
                _ => "",
            };
            sb.Append("<tr><td>")
                .Append(WebUtility.HtmlEncode(c.Finding))
                .Append("</td><td>")
                .Append(WebUtility.HtmlEncode(c.Measure))
                .Append("</td><td>")
                .Append(Value(c, c.Estimate))
                .Append("</td><td>[")
                .Append(Value(c, c.CiLow))
                .Append(", ")
                .Append(Value(c, c.CiHigh))
                .Append($"]</td><td{cls}>")
                .Append(WebUtility.HtmlEncode(c.VerdictText + (c.Note.Length == 0 ? "" : $" ({c.Note})")))
                .Append("</td></tr>");
        }
        return sb.Append("</tbody></table>").ToString();
    }
}
