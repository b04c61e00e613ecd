using ScottPlot;

namespace InfraSharp.Reporting;

/// <summary>Plots rendered headless by ScottPlot to inline SVG (no network, no files beside the report).</summary>
public static class Charts
{
    /// <summary>Bars with asymmetric 95% CI whiskers.</summary>
    public static string BarsWithCi(string title, IReadOnlyList<string> labels, IReadOnlyList<double> means, IReadOnlyList<double> lows, IReadOnlyList<double> highs, string yLabel, int width = 720, int height = 360)
    {
        var plt = new Plot();
        var bars = plt.Add.Bars(means.ToArray());
        bars.Color = Colors.SteelBlue;
        var xs = Enumerable.Range(0, means.Count).Select(i => (double)i).ToArray();
        // Asymmetric 95% CIs as whiskers: a vertical segment with short caps.
        for (int i = 0; i < means.Count; i++)
        {
            if (double.IsNaN(lows[i]) || double.IsNaN(highs[i])) continue;
            foreach (var (x1, y1, x2, y2) in new[] { (xs[i], lows[i], xs[i], highs[i]), (xs[i] - 0.12, lows[i], xs[i] + 0.12, lows[i]), (xs[i] - 0.12, highs[i], xs[i] + 0.12, highs[i]) })
            {
                var line = plt.Add.Line(x1, y1, x2, y2);
                line.Color = Colors.Black;
                line.LineWidth = 1.5f;
            }
        }
        plt.Axes.Bottom.SetTicks(xs, labels.ToArray());
        plt.Axes.Bottom.TickLabelStyle.Rotation = labels.Any(l => l.Length > 8) ? 30 : 0;
        plt.Axes.Bottom.TickLabelStyle.Alignment = labels.Any(l => l.Length > 8) ? Alignment.MiddleLeft : Alignment.UpperCenter;
        plt.Add.HorizontalLine(0, 1, Colors.Gray);
        plt.Title(title);
        plt.YLabel(yLabel);
        plt.Axes.Margins(bottom: 0.05);
        return plt.GetSvgXml(width, height);
    }

    /// <summary>A heatmap of rows x columns with a colour bar (rows top to bottom in the given order).</summary>
    public static string Heatmap(string title, IReadOnlyList<string> rowLabels, IReadOnlyList<string> colLabels, double[,] values, int width = 760, int height = 320)
    {
        var plt = new Plot();
        var hm = plt.Add.Heatmap(values);
        hm.Colormap = new ScottPlot.Colormaps.MellowRainbow();
        plt.Add.ColorBar(hm);
        var xs = Enumerable.Range(0, colLabels.Count).Select(i => (double)i).ToArray();
        var ys = Enumerable.Range(0, rowLabels.Count).Select(i => (double)(rowLabels.Count - 1 - i)).ToArray();
        plt.Axes.Bottom.SetTicks(xs, colLabels.ToArray());
        plt.Axes.Bottom.TickLabelStyle.Rotation = 30;
        plt.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        plt.Axes.Left.SetTicks(ys, rowLabels.ToArray());
        plt.Title(title);
        return plt.GetSvgXml(width, height);
    }
}
