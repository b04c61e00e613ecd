using System.Globalization;
using System.Net;
using System.Text;
using InfraSharp.Attribution;
using InfraSharp.Storage;

namespace InfraSharp.Reporting;

/// <summary>
/// One self-contained report.html: inline CSS and SVG, no script, no network. It leads with the cross-domain
/// table and heatmap, then bar charts with confidence intervals (training groups, step tags, token
/// categories), top tokens, and token heatmaps of the most influential training examples for one query.
/// </summary>
internal static class HtmlReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private static string H(string s) => WebUtility.HtmlEncode(s);

    private static string F(double x, int decimals = 3) => AnalysisWriter.Signed(x, decimals);

    /// <summary>The page's head and style, shared by the analysis report and the LDS report.</summary>
    public static string Head(string title) =>
        new StringBuilder()
            .Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
            .Append(H(title))
            .Append("</title><style>")
            .Append(
                "body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem "
                    + "auto;max-width:1100px;color:#222;line-height:1.45}"
            )
            .Append(
                "table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}th,td{border:1px solid "
                    + "#ccc;padding:.3rem .6rem;text-align:right}"
            )
            .Append(
                "th:first-child,td:first-child{text-align:left}th{background:#f3f3f3}"
                    + ".pos{background:#e6f4ea}.neg{background:#fce8e6}"
            )
            .Append(
                ".ci{color:#777;font-size:.8rem}.note{color:#555;font-size:.9rem}"
                    + ".tok{white-space:pre-wrap;font-family:ui-monospace,monospace;font-size:.85rem;"
                    + "border:1px solid #ddd;padding:.6rem;margin:.5rem 0}"
            )
            .Append(
                ".tok span{border-radius:2px}table.heat td{text-align:center;min-width:3.2rem}"
                    + "svg{max-width:100%;height:auto}h2{margin-top:2.2rem;border-bottom:1px solid #eee}"
                    + "</style></head><body>"
            )
            .ToString();

    /// <summary>The report; <paramref name="sections"/> (HTML, e.g. the LDS table, the before/after table) go at its
    /// end.</summary>
    public static string Render(AnalysisResult r, string title, IEnumerable<string>? sections = null)
    {
        var sb = new StringBuilder(Head(title));
        sb.Append("<h1>").Append(H(title)).Append("</h1>");
        Intro(sb, r);
        Headline(sb, r);
        Steps(sb, r);
        Counterfactual(sb, r);
        Tokens(sb, r);
        Heatmaps(sb, r);
        TopExamples(sb, r);
        foreach (var section in sections ?? [])
            sb.Append(section);
        sb.Append("</body></html>\n");
        return sb.ToString();
    }

    /// <summary>
    /// What the numbers are: the sign for the measurement the scores were computed with (from the score folder's
    /// manifest), the readings and the per-query normalisation.
    /// </summary>
    private static void Intro(StringBuilder sb, AnalysisResult r)
    {
        sb.Append(
                "<p class=\"note\">Influence of training data on queries, from influence functions (EK-FAC by "
                    + "default).</p>"
            )
            .Append($"<p class=\"note sign\" id=\"sign\" data-measurement=\"{r.Reading.MeasurementName}\"><b>")
            .Append(H(r.Reading.Sign))
            .Append("</b></p><p class=\"note\" id=\"readings\">Per-example scores: ")
            .Append(H(r.Reading.Readings))
            .Append(".</p><p class=\"note\">Group tables and charts: scores are normalised per query (")
            .Append(H(r.Normalization))
            .Append(
                ") so that no single query dominates; intervals are bootstrap 95% CIs of the mean over training "
                    + "examples.</p>"
            );
    }

    /// <summary>The cross-domain table and its chart: each training group on each query group.</summary>
    private static void Headline(StringBuilder sb, AnalysisResult r)
    {
        var (qgs, tgs, mean, stats) = AnalysisWriter.CrossMatrix(r);
        sb.Append("<h2>Cross-domain influence</h2><table id=\"headline\"><thead><tr><th>training group</th>");
        foreach (var q in qgs)
            sb.Append("<th>on ").Append(H(q)).Append(" queries</th>");
        sb.Append("<th>n</th></tr></thead><tbody>");
        for (int j = 0; j < tgs.Count; j++)
        {
            sb.Append("<tr><td>").Append(H(tgs[j])).Append("</td>");
            for (int i = 0; i < qgs.Count; i++)
            {
                var s = stats[i, j];
                string cls =
                    s.CiLow > 0 ? "pos"
                    : s.CiHigh < 0 ? "neg"
                    : "";
                sb.Append(
                    $"<td class=\"{cls}\">{F(s.Mean)} <span class=\"ci\">[{F(s.CiLow)}, {F(s.CiHigh)}]</span></td>"
                );
            }
            sb.Append("<td>").Append(stats[0, j].N).Append("</td></tr>");
        }
        sb.Append("</tbody></table><p class=\"note\">Green: the whole CI is above zero; red: below.</p>");
        var heat = new double[qgs.Count, tgs.Count];
        for (int i = 0; i < qgs.Count; i++)
        for (int j = 0; j < tgs.Count; j++)
            heat[i, j] = mean[i, j];
        sb.Append("<h3>Heatmap: mean normalised influence (rows: queries, columns: training group)</h3>")
            .Append(Charts.HeatmapHtml(qgs, tgs, heat));
        foreach (var (qg, i) in qgs.Select((q, i) => (q, i)))
        {
            var rows = Enumerable.Range(0, tgs.Count).ToList();
            sb.Append("<figure>")
                .Append(
                    Charts.BarsWithCi(
                        $"Influence on {qg} queries by training group",
                        tgs,
                        rows.Select(j => stats[i, j].Mean).ToList(),
                        rows.Select(j => stats[i, j].CiLow).ToList(),
                        rows.Select(j => stats[i, j].CiHigh).ToList(),
                        "mean normalised influence"
                    )
                )
                .Append("</figure>");
        }
    }

    /// <summary>Reasoning steps: influence by step tag.</summary>
    private static void Steps(StringBuilder sb, AnalysisResult r)
    {
        if (r.SequenceLevel.Count > 0)
        {
            sb.Append(
                "<h2>Reasoning steps</h2><p class=\"note\">A step's influence is the sum of its tokens' per-token "
                    + "scores. Tags come from the lexicon (exploration = \"wait\", \"alternatively\", \"let me "
                    + "check\", …).</p>"
            );
            foreach (var g in r.SequenceLevel.GroupBy(x => x.QueryGroup))
            {
                var list = g.ToList();
                sb.Append("<figure>")
                    .Append(
                        Charts.BarsWithCi(
                            $"Step influence by tag, {g.Key} queries",
                            list.Select(x => x.Tag).ToList(),
                            list.Select(x => x.Stats.Mean).ToList(),
                            list.Select(x => x.Stats.CiLow).ToList(),
                            list.Select(x => x.Stats.CiHigh).ToList(),
                            "mean per step"
                        )
                    )
                    .Append("</figure>");
            }
            sb.Append(
                "<table id=\"steps\"><thead><tr><th>query group</th><th>tag</th><th>steps</th><th>mean</th><th>95% "
                    + "CI</th></tr></thead><tbody>"
            );
            foreach (var x in r.SequenceLevel)
                sb.Append(
                    $"<tr><td>{H(x.QueryGroup)}</td><td>{H(x.Tag)}</td><td>{x.Stats.N}</td><td>"
                        + $"{F(x.Stats.Mean, 4)}</td><td>[{F(x.Stats.CiLow, 4)}, {F(x.Stats.CiHigh, 4)}]</td></tr>"
                );
            sb.Append("</tbody></table>");
        }
    }

    /// <summary>The same training examples rescored without their exploratory steps.</summary>
    private static void Counterfactual(StringBuilder sb, AnalysisResult r)
    {
        if (r.Counterfactual.Count > 0)
        {
            sb.Append(
                "<h3>Counterfactual: the same examples without their exploratory steps</h3><table "
                    + "id=\"counterfactual\"><thead><tr><th>query "
                    + "group</th><th>examples</th><th>with</th><th>without</th><th>change</th><th>95% "
                    + "CI</th></tr></thead><tbody>"
            );
            foreach (var x in r.Counterfactual)
                sb.Append(
                    $"<tr><td>{H(x.QueryGroup)}</td><td>{x.Change.N}</td><td>{F(x.MeanWith)}</td><td>"
                        + $"{F(x.MeanWithout)}</td><td>{F(x.Change.Mean)}</td><td>[{F(x.Change.CiLow)}, "
                        + $"{F(x.Change.CiHigh)}]</td></tr>"
                );
            sb.Append("</tbody></table>");
        }
    }

    /// <summary>Per-token influence by token category.</summary>
    private static void Tokens(StringBuilder sb, AnalysisResult r)
    {
        if (r.TokenCategories.Count > 0)
        {
            sb.Append(
                "<h2>Tokens</h2><p class=\"note\">Per-token influence credited to the token being learned, "
                    + "normalised per query; categories from the lexicon (logic connectors vs code syntax vs "
                    + "numbers).</p>"
            );
            foreach (var g in r.TokenCategories.GroupBy(x => x.QueryGroup))
            {
                var list = g.ToList();
                sb.Append("<figure>")
                    .Append(
                        Charts.BarsWithCi(
                            $"Token influence by category, {g.Key} queries",
                            list.Select(x => x.Category).ToList(),
                            list.Select(x => x.Stats.Mean).ToList(),
                            list.Select(x => x.Stats.CiLow).ToList(),
                            list.Select(x => x.Stats.CiHigh).ToList(),
                            "mean per token"
                        )
                    )
                    .Append("</figure>");
            }
            sb.Append(
                "<table id=\"tokens\"><thead><tr><th>query group</th><th>top tokens (mean per occurrence, count, "
                    + "share in top 1%)</th></tr></thead><tbody>"
            );
            foreach (var g in r.TokenLevel.GroupBy(t => t.QueryGroup))
                sb.Append("<tr><td>")
                    .Append(H(g.Key))
                    .Append("</td><td style=\"text-align:left\">")
                    .Append(
                        string.Join(
                            ", ",
                            g.OrderByDescending(t => t.Mean)
                                .Take(12)
                                .Select(t =>
                                    $"<code>{H(t.Token)}</code> {F(t.Mean, 4)} (n={t.Count}, {t.ShareTop1Pct:P0})"
                                )
                        )
                    )
                    .Append("</td></tr>");
            sb.Append("</tbody></table>");
        }
    }

    /// <summary>Token heatmaps of the most influential training examples for one query.</summary>
    private static void Heatmaps(StringBuilder sb, AnalysisResult r)
    {
        if (r.Heatmaps is { } hm && hm.Examples.Count > 0)
        {
            sb.Append("<h2>Token heatmaps</h2><p class=\"note\">The most influential training examples for query <b>")
                .Append(H(hm.QueryId))
                .Append(
                    "</b>: each token coloured by its per-token score normalised per query (green: positive, red: "
                        + "negative; full colour at the row's largest magnitude, the scale beside its id); hover for "
                        + "the value. "
                )
                .Append(H(r.Reading.Sign))
                .Append("</p>");
            foreach (var ex in hm.Examples)
            {
                double max = Math.Max(1e-12, ex.Tokens.Max(t => Math.Abs(t.Value)));
                sb.Append("<div class=\"tok heatmap\" data-train-id=\"")
                    .Append(H(ex.TrainId))
                    .Append("\"><b>")
                    .Append(H(ex.TrainId))
                    .Append($"</b> (score {ex.Score.ToString("G4", Inv)}; colour scale <span class=\"legend\">")
                    .Append($"−{max.ToString("G3", Inv)} … +{max.ToString("G3", Inv)}</span>)<br>");
                foreach (var (tok, v) in ex.Tokens)
                {
                    double a = Math.Min(1, Math.Abs(v) / max);
                    string color = v >= 0 ? $"rgba(52,168,83,{a:F2})" : $"rgba(234,67,53,{a:F2})";
                    sb.Append($"<span style=\"background:{color}\" title=\"{v.ToString("G4", Inv)}\">")
                        .Append(H(tok))
                        .Append("</span>");
                }
                sb.Append("</div>");
            }
        }
    }

    /// <summary>The top proponents and opponents of each query, raw and in the folder's readings.</summary>
    private static void TopExamples(StringBuilder sb, AnalysisResult r)
    {
        bool self = r.Reading.HasSelf,
            change = r.Reading.HasChange;
        sb.Append("<h2>Top proponents and opponents</h2><p class=\"note\">")
            .Append(H(r.Reading.Sign))
            .Append(" Shown: ")
            .Append(H(r.Reading.Readings))
            .Append(".</p>")
            .Append(
                "<table id=\"top\"><thead><tr><th>query</th><th>kind</th><th>rank</th><th>training "
                    + "example</th><th>group</th><th>score (raw)</th>"
            )
            .Append(self ? "<th>× self</th>" : "")
            .Append(change ? "<th>Δ mean log-lik</th>" : "")
            .Append("<th style=\"text-align:left\">response</th></tr></thead><tbody>");
        foreach (var x in r.TopExamples.Where(t => t.Rank <= 3))
        {
            sb.Append(
                $"<tr><td>{H(x.QueryId)}</td><td>{x.Kind}</td><td>{x.Rank}</td><td>{H(x.TrainId)}</td><td>"
                    + $"{H(x.TrainGroup)}</td><td>{x.Score.ToString("G4", Inv)}</td>"
            );
            if (self)
                sb.Append($"<td>{Reading(x.RelativeToSelf, "G3")}</td>");
            if (change)
                sb.Append($"<td>{Reading(x.DeltaMeanLogProb, "+0.00E+0;-0.00E+0")}</td>");
            sb.Append($"<td style=\"text-align:left\">{H(x.Snippet)}</td></tr>");
        }
        sb.Append("</tbody></table>");
    }

    private static string Reading(double x, string format) => double.IsNaN(x) ? "–" : x.ToString(format, Inv);

    public static void Write(string path, AnalysisResult r, string title, IEnumerable<string>? sections = null) =>
        AtomicFile.WriteAllText(path, Render(r, title, sections));
}
