using ScottPlot;

namespace InfraSharp.Reporting;

/// <summary>Plots rendered headless by ScottPlot to inline SVG (no network, no files beside the report).</summary>
internal static class Charts
{
    /// <summary>Bars with asymmetric 95% CI whiskers.</summary>
    public static string BarsWithCi(
        string title,
        IReadOnlyList<string> labels,
        IReadOnlyList<double> means,
        IReadOnlyList<double> lows,
        IReadOnlyList<double> highs,
        string yLabel,
        int width = 720,
        int height = 360
    )
    {
        var plt = new Plot();
        var bars = plt.Add.Bars(means.ToArray());
        bars.Color = Colors.SteelBlue;
        var xs = Enumerable.Range(0, means.Count).Select(i => (double)i).ToArray();
        // Asymmetric 95% CIs as whiskers: a vertical segment with short caps.
        for (int i = 0; i < means.Count; i++)
        {
            if (double.IsNaN(lows[i]) || double.IsNaN(highs[i]))
                continue;
            foreach (
                var (x1, y1, x2, y2) in new[]
                {
                    (xs[i], lows[i], xs[i], highs[i]),
                    (xs[i] - 0.12, lows[i], xs[i] + 0.12, lows[i]),
                    (xs[i] - 0.12, highs[i], xs[i] + 0.12, highs[i]),
                }
            )
            {
                var line = plt.Add.Line(x1, y1, x2, y2);
                line.Color = Colors.Black;
                line.LineWidth = 1.5f;
            }
        }
        plt.Axes.Bottom.SetTicks(xs, labels.Select(Short).ToArray());
        plt.Add.HorizontalLine(0, 1, Colors.Gray);
        plt.Title(title);
        plt.YLabel(yLabel);
        plt.Axes.Margins(bottom: 0.05);
        return plt.GetSvgXml(width, height);
    }

    /// <summary>Compact group labels for axes: "domain=code|difficulty=3" becomes "code L3".</summary>
    public static string Short(string label) =>
        label.Replace("domain=", "").Replace("difficulty=", "L").Replace("length_bucket=", "len ").Replace('|', ' ');

    /// <summary>
    /// A heatmap as an HTML grid (crisp at any zoom, values readable): diverging colours, green for helping,
    /// red for hurting, saturation by magnitude relative to the largest cell.
    /// </summary>
    public static string HeatmapHtml(IReadOnlyList<string> rowLabels, IReadOnlyList<string> colLabels, double[,] values)
    {
        double max = 1e-12;
        foreach (var v in values)
            if (!double.IsNaN(v))
                max = Math.Max(max, Math.Abs(v));
        var sb = new System.Text.StringBuilder("<table class=\"heat\" id=\"headline-heatmap\"><tr><th></th>");
        foreach (var c in colLabels)
            sb.Append("<th>").Append(System.Net.WebUtility.HtmlEncode(Short(c))).Append("</th>");
        sb.Append("</tr>");
        for (int i = 0; i < rowLabels.Count; i++)
        {
            sb.Append("<tr><th>on ").Append(System.Net.WebUtility.HtmlEncode(Short(rowLabels[i]))).Append("</th>");
            for (int j = 0; j < colLabels.Count; j++)
            {
                double v = values[i, j],
                    a = double.IsNaN(v) ? 0 : Math.Sqrt(Math.Abs(v) / max);
                string color = v >= 0 ? $"rgba(52,168,83,{a:F2})" : $"rgba(234,67,53,{a:F2})";
                sb.Append(
                        $"<td style=\"background:{color}\" "
                            + $"title=\"{v.ToString("G4", System.Globalization.CultureInfo.InvariantCulture)}\">"
                    )
                    .Append(InfraSharp.Reporting.AnalysisWriter.Signed(v, 2))
                    .Append("</td>");
            }
            sb.Append("</tr>");
        }
        return sb.Append("</table>").ToString();
    }
}
