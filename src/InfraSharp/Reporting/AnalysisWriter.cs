using System.Globalization;
using System.Text;
using InfraSharp.Attribution;
using InfraSharp.Storage;

namespace InfraSharp.Reporting;

/// <summary>Writes the analysis tables as CSV and Parquet (same columns), and summary.md.</summary>
public static class AnalysisWriter
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>A number with an explicit sign, rounded first (so that -0.0001 prints as +0.000, not
    /// -+0.000).</summary>
    public static string Signed(double x, int decimals = 3)
    {
        if (double.IsNaN(x))
            return "–";
        double r = Math.Round(x, decimals);
        if (r == 0)
            r = 0; // no negative zero
        return (r >= 0 ? "+" : "") + r.ToString("F" + decimals, Inv);
    }

    private sealed class Table(string[] columns)
    {
        public readonly string[] Columns = columns;
        public readonly List<object[]> Rows = [];

        public void Add(params object[] row) => Rows.Add(row);
    }

    private static Table Example(AnalysisResult r)
    {
        var t = new Table([
            AnalysisFolder.QueryGroupColumn,
            AnalysisFolder.TrainGroupColumn,
            "n",
            AnalysisFolder.MeanColumn,
            "median",
            "sum",
            "ci_low",
            "ci_high",
            "mean_raw",
            "normalization",
        ]);
        foreach (var x in r.ExampleLevel)
            t.Add(
                x.QueryGroup,
                x.TrainGroup,
                (double)x.Stats.N,
                x.Stats.Mean,
                x.Stats.Median,
                x.Stats.Sum,
                x.Stats.CiLow,
                x.Stats.CiHigh,
                x.MeanRaw,
                x.Normalization
            );
        return t;
    }

    private static Table Sequence(AnalysisResult r)
    {
        var t = new Table(["query_group", "kind", "tag", "n", "mean", "median", "sum", "ci_low", "ci_high"]);
        foreach (var x in r.SequenceLevel)
            t.Add(
                x.QueryGroup,
                "step_tag",
                x.Tag,
                (double)x.Stats.N,
                x.Stats.Mean,
                x.Stats.Median,
                x.Stats.Sum,
                x.Stats.CiLow,
                x.Stats.CiHigh
            );
        foreach (var x in r.Counterfactual)
            t.Add(
                x.QueryGroup,
                "without_exploration_change",
                $"with {x.MeanWith:G4} -> without {x.MeanWithout:G4}",
                (double)x.Change.N,
                x.Change.Mean,
                x.Change.Median,
                x.Change.Sum,
                x.Change.CiLow,
                x.Change.CiHigh
            );
        return t;
    }

    private static Table Tokens(AnalysisResult r)
    {
        var t = new Table([
            "query_group",
            "kind",
            "token",
            "category",
            "count",
            "mean",
            "share_top1pct",
            "ci_low",
            "ci_high",
        ]);
        foreach (var x in r.TokenLevel)
            t.Add(
                x.QueryGroup,
                "token",
                x.Token,
                x.Category,
                (double)x.Count,
                x.Mean,
                x.ShareTop1Pct,
                double.NaN,
                double.NaN
            );
        foreach (var x in r.TokenCategories)
            t.Add(
                x.QueryGroup,
                "category",
                "",
                x.Category,
                (double)x.Stats.N,
                x.Stats.Mean,
                double.NaN,
                x.Stats.CiLow,
                x.Stats.CiHigh
            );
        return t;
    }

    private static Table Top(AnalysisResult r)
    {
        var t = new Table([
            "query_id",
            "query_group",
            "kind",
            "rank",
            "train_id",
            "train_group",
            "score",
            "normalized",
            "relative_to_self",
            "delta_mean_logprob",
            "text",
        ]);
        foreach (var x in r.TopExamples)
            t.Add(
                x.QueryId,
                x.QueryGroup,
                x.Kind,
                (double)x.Rank,
                x.TrainId,
                x.TrainGroup,
                x.Score,
                x.Normalized,
                x.RelativeToSelf,
                x.DeltaMeanLogProb,
                x.Snippet
            );
        return t;
    }

    /// <summary>
    /// Writes every table of <paramref name="r"/> into <paramref name="outDir"/> as CSV and Parquet, and the Markdown
    /// summary.
    /// </summary>
    public static void WriteAll(string outDir, AnalysisResult r)
    {
        Directory.CreateDirectory(outDir);
        foreach (
            var (name, table) in new[]
            {
                (AnalysisFolder.ExampleLevel, Example(r)),
                (AnalysisFolder.SequenceLevel, Sequence(r)),
                (AnalysisFolder.TokenLevel, Tokens(r)),
                (AnalysisFolder.TopExamples, Top(r)),
            }
        )
        {
            WriteCsv(AnalysisFolder.CsvPath(outDir, name), table);
            WriteParquet(AnalysisFolder.ParquetPath(outDir, name), table);
        }
        AtomicFile.WriteAllText(Path.Combine(outDir, AnalysisFolder.SummaryFile), SummaryMarkdown(r));
    }

    private static string Cell(object o) =>
        o switch
        {
            double d => double.IsNaN(d) ? "" : d.ToString("R", Inv),
            string s => s.IndexOfAny([',', '"', '\n']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s,
            _ => Convert.ToString(o, Inv) ?? "",
        };

    private static void WriteCsv(string path, Table t)
    {
        var sb = new StringBuilder(string.Join(",", t.Columns)).Append('\n');
        foreach (var row in t.Rows)
            sb.Append(string.Join(",", row.Select(Cell))).Append('\n');
        AtomicFile.WriteAllText(path, sb.ToString());
    }

    private static void WriteParquet(string path, Table t)
    {
        var pt = new ParquetTable();
        for (int c = 0; c < t.Columns.Length; c++)
        {
            if (t.Rows.Count > 0 && t.Rows[0][c] is double)
                pt.Add(t.Columns[c], t.Rows.Select(r => (double)r[c]).ToArray());
            else
                pt.Add(t.Columns[c], t.Rows.Select(r => (string?)Convert.ToString(r[c], Inv)).ToArray());
        }
        pt.Write(path);
    }

    /// <summary>The headline: mean normalised influence of each training group on each query group.</summary>
    public static (
        List<string> QueryGroups,
        List<string> TrainGroups,
        double[,] Mean,
        Statistics.Summary[,] Stats
    ) CrossMatrix(AnalysisResult r)
    {
        var qgs = r.ExampleLevel.Select(x => x.QueryGroup).Distinct().ToList();
        var tgs = r.ExampleLevel.Select(x => x.TrainGroup).Distinct().ToList();
        var m = new double[qgs.Count, tgs.Count];
        var s = new Statistics.Summary[qgs.Count, tgs.Count];
        foreach (var x in r.ExampleLevel)
        {
            int i = qgs.IndexOf(x.QueryGroup),
                j = tgs.IndexOf(x.TrainGroup);
            m[i, j] = x.Stats.Mean;
            s[i, j] = x.Stats;
        }
        return (qgs, tgs, m, s);
    }

    /// <summary>
    /// The example-level cross table as Markdown: training groups by query group, mean normalised influence with its
    /// 95% CI.
    /// </summary>
    public static string CrossTableMarkdown(AnalysisResult r)
    {
        var (qgs, tgs, _, s) = CrossMatrix(r);
        var sb = new StringBuilder(
            "| training group | "
                + string.Join(" | ", qgs.Select(q => "on " + q))
                + " |\n|---|"
                + string.Concat(qgs.Select(_ => "---|"))
                + "\n"
        );
        for (int j = 0; j < tgs.Count; j++)
        {
            sb.Append("| ").Append(tgs[j]).Append(" |");
            for (int i = 0; i < qgs.Count; i++)
                sb.Append($" {Signed(s[i, j].Mean)} [{Signed(s[i, j].CiLow)}, {Signed(s[i, j].CiHigh)}] |");
            sb.Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>
    /// The Markdown summary (<c>summary.md</c>): the normalisation, the cross table, and the step, counterfactual and
    /// token tables where the analysis has them.
    /// </summary>
    public static string SummaryMarkdown(AnalysisResult r)
    {
        var sb = new StringBuilder("# Influence attribution\n\n");
        sb.Append(r.Reading.Sign).Append("\n\n");
        sb.Append($"Group tables: scores normalised per query ({r.Normalization}). ")
            .Append(
                "Cells: mean over training examples of their mean normalised influence on the query group, with a "
                    + "bootstrap 95% CI. "
            )
            .Append($"Top examples (top_examples.csv): {r.Reading.Readings}.\n\n");
        sb.Append("## Cross-domain influence\n\n").Append(CrossTableMarkdown(r)).Append('\n');
        if (r.SequenceLevel.Count > 0)
        {
            sb.Append(
                "## Reasoning steps by tag\n\n| query group | tag | steps | mean | 95% CI |\n|---|---|---|---|---|\n"
            );
            foreach (var x in r.SequenceLevel)
                sb.Append(
                    $"| {x.QueryGroup} | {x.Tag} | {x.Stats.N} | {Signed(x.Stats.Mean, 4)} | "
                        + $"[{Signed(x.Stats.CiLow, 4)}, {Signed(x.Stats.CiHigh, 4)}] |\n"
                );
            sb.Append('\n');
        }
        if (r.Counterfactual.Count > 0)
        {
            sb.Append(
                "## Without the exploratory steps\n\n| query group | examples | influence with | without | mean "
                    + "change | 95% CI |\n|---|---|---|---|---|---|\n"
            );
            foreach (var x in r.Counterfactual)
                sb.Append(
                    $"| {x.QueryGroup} | {x.Change.N} | {Signed(x.MeanWith)} | {Signed(x.MeanWithout)} | "
                        + $"{Signed(x.Change.Mean)} | [{Signed(x.Change.CiLow)}, {Signed(x.Change.CiHigh)}] |\n"
                );
            sb.Append('\n');
        }
        if (r.TokenCategories.Count > 0)
        {
            sb.Append(
                "## Token categories\n\n| query group | category | tokens | mean | 95% CI |\n|---|---|---|---|---|\n"
            );
            foreach (var x in r.TokenCategories)
                sb.Append(
                    $"| {x.QueryGroup} | {x.Category} | {x.Stats.N} | {Signed(x.Stats.Mean, 5)} | "
                        + $"[{Signed(x.Stats.CiLow, 5)}, {Signed(x.Stats.CiHigh, 5)}] |\n"
                );
            sb.Append("\n## Most influential tokens (mean per occurrence)\n\n");
            foreach (var g in r.TokenLevel.GroupBy(t => t.QueryGroup))
            {
                sb.Append($"- {g.Key}: ");
                sb.Append(
                    string.Join(
                        ", ",
                        g.OrderByDescending(t => t.Mean)
                            .Take(10)
                            .Select(t => $"`{t.Token}` ({Signed(t.Mean, 4)}, n={t.Count})")
                    )
                );
                sb.Append('\n');
            }
        }
        return sb.ToString();
    }
}
