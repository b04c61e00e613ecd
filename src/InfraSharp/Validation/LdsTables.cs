using System.Globalization;
using System.Text;
using InfraSharp.Storage;

namespace InfraSharp.Validation;

/// <summary>
/// An LDS folder's tables: <c>lds.csv</c> (strategy, lds, ci_low, ci_high, queries, subsets), <c>lds_points.csv</c>
/// (each strategy's predicted and measured value per query and subset, for scatterplots) and <c>summary.md</c>.
/// </summary>
internal static class LdsTables
{
    public sealed record Point(string Strategy, string Query, int Subset, double Predicted, double Measured);

    public const string LdsFile = "lds.csv",
        PointsFile = "lds_points.csv",
        SummaryFile = "summary.md";

    private static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    public static void Write(
        string dir,
        IReadOnlyList<LinearDatamodelingScore> scores,
        IReadOnlyList<Point> points,
        LdsRunArguments args
    )
    {
        AtomicFile.WriteAllLines(
            Path.Combine(dir, LdsFile),
            new[] { "strategy,lds,ci_low,ci_high,queries,subsets" }.Concat(
                scores.Select(s =>
                    $"{CsvTable.Quote(s.Strategy)},{F(s.Lds)},{F(s.CiLow)},{F(s.CiHigh)},{s.Queries},{s.Subsets}"
                )
            )
        );
        AtomicFile.WriteAllLines(
            Path.Combine(dir, PointsFile),
            new[] { "strategy,query,subset,predicted,measured" }.Concat(
                points.Select(p =>
                    $"{CsvTable.Quote(p.Strategy)},{CsvTable.Quote(p.Query)},{p.Subset},"
                    + $"{F(p.Predicted)},{F(p.Measured)}"
                )
            )
        );
        AtomicFile.WriteAllText(Path.Combine(dir, SummaryFile), Markdown(scores, args));
    }

    public static string Markdown(IReadOnlyList<LinearDatamodelingScore> scores, LdsRunArguments args)
    {
        var sb = new StringBuilder("# Linear datamodeling score\n\n");
        sb.Append(
                $"{args.Subsets} random subsets of {args.Fraction:P0} of the training rows, "
                    + $"{args.Seeds} training seed(s) each, "
            )
            .Append(
                "retrained from the original initialisation with the original arguments. "
                    + "Per query: Spearman correlation "
            )
            .Append("between a subset's summed scores and what the retrained model measured; the LDS is the mean over ")
            .Append("queries, with a 95% bootstrap CI over queries.\n\n");
        sb.Append("| strategy | LDS | 95% CI | queries | subsets |\n|---|---|---|---|---|\n");
        foreach (var s in scores)
            sb.Append(
                CultureInfo.InvariantCulture,
                $"| {s.Strategy} | {s.Lds:F3} | [{s.CiLow:F3}, {s.CiHigh:F3}] | {s.Queries} | {s.Subsets} |\n"
            );
        return sb.ToString();
    }

    public static List<LinearDatamodelingScore> Read(string dir)
    {
        string path = Path.Combine(dir, LdsFile);
        if (!File.Exists(path))
            throw InputError.MissingFile($"{dir}: no {LdsFile} (run infra validate lds to completion)", path);
        var t = CsvTable.Read(path);
        int c(string n) => t.Column(n, path);
        double d(string[] r, string n) => double.Parse(r[c(n)], CultureInfo.InvariantCulture);
        return t
            .Rows.Select(r => new LinearDatamodelingScore(
                r[c("strategy")],
                d(r, "lds"),
                d(r, "ci_low"),
                d(r, "ci_high"),
                int.Parse(r[c("queries")], CultureInfo.InvariantCulture),
                int.Parse(r[c("subsets")], CultureInfo.InvariantCulture),
                []
            ))
            .ToList();
    }

    public static List<Point> ReadPoints(string dir)
    {
        string path = Path.Combine(dir, PointsFile);
        if (!File.Exists(path))
            return [];
        var t = CsvTable.Read(path);
        int c(string n) => t.Column(n, path);
        return t
            .Rows.Select(r => new Point(
                r[c("strategy")],
                r[c("query")],
                int.Parse(r[c("subset")], CultureInfo.InvariantCulture),
                double.Parse(r[c("predicted")], CultureInfo.InvariantCulture),
                double.Parse(r[c("measured")], CultureInfo.InvariantCulture)
            ))
            .ToList();
    }
}
