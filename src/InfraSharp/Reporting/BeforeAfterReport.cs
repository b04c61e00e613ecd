using System.Globalization;
using System.Net;
using System.Text;
using InfraSharp.Validation;

namespace InfraSharp.Reporting;

/// <summary>
/// The report's before/after section: accuracy differences with paired 95% CIs, per domain and level.
/// </summary>
internal static class BeforeAfterReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private static string Pct(double v) => (v >= 0 ? "+" : "") + (v * 100).ToString("F1", CultureInfo.InvariantCulture);

    public static string Section(IReadOnlyList<BeforeAfterComparison.Row> rows)
    {
        var cells = rows.Select(r => (r.Domain, r.Level)).Distinct().ToList();
        int seeds = rows.Count == 0 ? 0 : rows.Max(r => r.Comparison.Seeds);
        var sb = new StringBuilder(
            "<h2 id=\"before-after\">Before / after</h2>" + "<p class=\"note\">Accuracy difference in points on "
        )
            .Append(
                CultureInfo.InvariantCulture,
                $"the same held-out problems ({seeds} seed{(seeds == 1 ? "" : "s")}, seed k paired with seed k), "
            )
            .Append("with a paired bootstrap 95% CI over problems and seeds; <b>bold</b>: distinguishable. ")
            .Append(WebUtility.HtmlEncode(BeforeAfterComparison.Caveat(rows)))
            .Append("</p>");
        sb.Append("<table id=\"before-after-table\"><thead><tr><th>mix</th><th>vs</th>");
        foreach (var (d, l) in cells)
            sb.Append("<th>").Append(WebUtility.HtmlEncode(l == "all" ? d : $"{d} L{l}")).Append("</th>");
        sb.Append("</tr></thead><tbody>");
        foreach (var g in rows.GroupBy(r => (r.Mix, r.Reference)))
        {
            sb.Append("<tr><td>")
                .Append(WebUtility.HtmlEncode(g.Key.Mix))
                .Append("</td><td>")
                .Append(WebUtility.HtmlEncode(g.Key.Reference))
                .Append("</td>");
            foreach (var (d, l) in cells)
            {
                var r = g.FirstOrDefault(x => x.Domain == d && x.Level == l);
                if (r is null)
                {
                    sb.Append("<td></td>");
                    continue;
                }
                var c = r.Comparison;
                string cls =
                    !c.Distinguishable ? ""
                    : c.Difference > 0 ? " class=\"pos\""
                    : " class=\"neg\"";
                string v = c.Distinguishable ? $"<b>{Pct(c.Difference)}</b>" : Pct(c.Difference);
                string mdd = double.IsNaN(c.MinimalDetectable)
                    ? ""
                    : $"<br><span class=\"ci\">MDD {(c.MinimalDetectable * 100).ToString("F1", Inv)}</span>";
                sb.Append($"<td{cls}>{v}<br><span class=\"ci\">[{Pct(c.CiLow)}, {Pct(c.CiHigh)}]</span>{mdd}</td>");
            }
            sb.Append("</tr>");
        }
        return sb.Append("</tbody></table>").ToString();
    }
}
