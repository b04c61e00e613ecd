using System.Globalization;
using System.Net;
using System.Text;
using InfraSharp.Storage;
using InfraSharp.Validation;
using ScottPlot;

namespace InfraSharp.Reporting;

/// <summary>
/// The LDS section of a report: each strategy's score with its CI, and for a few queries a scatterplot of the
/// subsets' predicted effect (summed scores) against what the retrained models measured.
/// </summary>
public static class LdsReport
{
    /// <summary>The standalone LDS page's file name in an LDS folder.</summary>
    public const string FileName = "report.html";
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The standalone LDS page of an LDS folder.</summary>
    public static void Write(string ldsDir, int queries = 3) =>
        AtomicFile.WriteAllText(
            Path.Combine(ldsDir, FileName),
            HtmlReport.Head("Linear datamodeling score") + Section(ldsDir, queries) + "</body></html>\n"
        );

    /// <summary>
    /// The LDS section of a report: the table of strategies and, per strategy, scatterplots for the first <paramref
    /// name="queries"/> queries.
    /// </summary>
    public static string Section(string ldsDir, int queries = 3)
    {
        var scores = LdsTables.Read(ldsDir);
        var points = LdsTables.ReadPoints(ldsDir);
        var sb = new StringBuilder(
            "<h2 id=\"lds\">Linear datamodeling score</h2>" + "<p class=\"note\">Retrained on random subsets of "
        )
            .Append(
                "the training data: per query, the Spearman correlation between a subset's summed scores "
                    + "and the retrained "
            )
            .Append(
                "model's measurement; mean over queries with a 95% bootstrap CI. "
                    + "1 ranks the subsets perfectly, 0 not at all.</p>"
            );
        sb.Append(
            "<table id=\"lds-table\"><thead><tr><th>strategy</th><th>LDS</th><th>95% CI</th>"
                + "<th>queries</th><th>subsets</th></tr></thead><tbody>"
        );
        foreach (var s in scores)
            sb.Append(
                    Inv,
                    $"<tr><td>{WebUtility.HtmlEncode(s.Strategy)}</td><td>{s.Lds:F3}</td>"
                        + $"<td class=\"ci\">[{s.CiLow:F3}, {s.CiHigh:F3}]</td>"
                )
                .Append(Inv, $"<td>{s.Queries}</td><td>{s.Subsets}</td></tr>");
        sb.Append("</tbody></table>");
        foreach (var g in points.GroupBy(p => p.Strategy))
        foreach (var q in g.GroupBy(p => p.Query).Take(queries))
            sb.Append(
                Scatter(
                    $"{g.Key}: query {q.Key}",
                    q.Select(p => p.Predicted).ToArray(),
                    q.Select(p => p.Measured).ToArray()
                )
            );
        return sb.ToString();
    }

    private static string Scatter(string title, double[] predicted, double[] measured)
    {
        var plt = new Plot();
        var sp = plt.Add.ScatterPoints(predicted, measured);
        sp.Color = Colors.SteelBlue;
        plt.Title(title);
        plt.XLabel("predicted: summed scores of the subset");
        plt.YLabel("measured on the retrained model");
        return plt.GetSvgXml(420, 320);
    }
}
