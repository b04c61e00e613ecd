using System.Globalization;
using System.Text.Json.Nodes;
using InfraSharp.Attribution;
using InfraSharp.Reporting;
using InfraSharp.Storage;

namespace InfraSharp.Curation;

/// <summary>
/// Curation that follows the measured attribution instead of a rule of thumb: each attribute group of
/// <c>example_level.parquet</c> (e.g. domain x difficulty) gets the multiplier exp(z_g / T), where z_g is its
/// mean normalised influence (averaged over the query groups, so math and code targets count equally),
/// standardised across groups (minus the mean, over the standard deviation) so that one heavy-tailed group
/// cannot swallow the mix. Groups below average shrink, those above grow; a larger temperature T moves
/// less; multipliers are clipped to [e^-2, e^2]. Size is kept (and the domain ratio, when domain is a key).
/// </summary>
internal static class AttributeInfluence
{
    /// <summary>
    /// Mean influence per training group (averaged over the query groups) of the analysis' example-level table:
    /// <c>example_level.parquet</c>, or the RFC 4180 <c>example_level.csv</c> where only that is present.
    /// </summary>
    public static Dictionary<string, double> GroupMeans(string analysisDir)
    {
        const string Group = AnalysisFolder.TrainGroupColumn,
            Mean = AnalysisFolder.MeanColumn;
        string parquet = AnalysisFolder.ParquetPath(analysisDir, AnalysisFolder.ExampleLevel),
            csv = AnalysisFolder.CsvPath(analysisDir, AnalysisFolder.ExampleLevel);
        string[] groups;
        double[] means;
        if (File.Exists(parquet))
        {
            var cols = ParquetTable.ReadColumns(parquet, Group, Mean);
            groups = cols[Group].Select(g => g?.ToString() ?? "").ToArray();
            means = cols[Mean]
                .Select(m => m is null ? double.NaN : Convert.ToDouble(m, CultureInfo.InvariantCulture))
                .ToArray();
        }
        else if (File.Exists(csv))
        {
            var t = CsvTable.Read(csv);
            int gi = t.Column(Group, csv),
                mi = t.Column(Mean, csv);
            groups = t.Rows.Select(r => r[gi]).ToArray();
            means = t
                .Rows.Select(
                    (r, i) =>
                        double.TryParse(r[mi], NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
                            ? v
                            : throw InputError.Data($"{csv}: record {i + 2}, column {Mean}: '{r[mi]}' is not a number")
                )
                .ToArray();
        }
        else
            throw InputError.MissingFile(
                $"{analysisDir}: no {Path.GetFileName(parquet)} or .csv (run infra analyze first)",
                parquet
            );
        if (groups.Length == 0)
            throw InputError.Data($"{analysisDir}: the example-level table has no rows");
        return groups
            .Select((g, i) => (Group: g, Mean: means[i]))
            .GroupBy(x => x.Group)
            .ToDictionary(g => g.Key, g => g.Average(x => x.Mean));
    }

    public static CurationResult Apply(
        IReadOnlyList<JsonObject> rows,
        string analysisDir,
        CurationMode mode,
        double temperature = 1.0,
        int seed = 0
    )
    {
        if (temperature <= 0)
            throw InputError.Argument("--temperature must be > 0");
        var means = GroupMeans(analysisDir);
        var keys = means.Keys.First().Split('|').Select(p => p.Split('=')[0]).ToList();
        if (keys.Contains("length_bucket"))
            throw InputError.Argument(
                "attribute-influence needs groups of row attributes (length_bucket is derived); analyze with other "
                    + "--group-by keys"
            );
        string GroupOf(JsonObject r) => string.Join("|", keys.Select(k => $"{k}={GroupKeys.Value(r[k])}"));
        foreach (var r in rows)
            if (!means.ContainsKey(GroupOf(r)))
                throw InputError.Argument(
                    $"row '{r["id"]}' falls in group '{GroupOf(r)}', which the analysis has no value for"
                );
        double centre = means.Values.Average();
        double sd = Math.Sqrt(means.Values.Sum(m => (m - centre) * (m - centre)) / Math.Max(1, means.Count - 1));
        if (!(sd > 0))
            sd = 1;
        double Multiplier(string g) => Math.Exp(Math.Clamp((means[g] - centre) / sd / temperature, -2, 2));
        Func<JsonObject, string> block = keys.Contains("domain") ? LevelDistribution.Domain : _ => "all";
        var result = Reweighting.Apply(rows, GroupOf, Multiplier, block, mode, seed);
        var lines = means
            .OrderBy(kv => kv.Key, Comparer<string>.Create(GroupKeys.Compare))
            .Select(kv =>
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"| {kv.Key} | {kv.Value:+0.000;-0.000} | {Multiplier(kv.Key):F3} |"
                )
            );
        string summary =
            $"attribute-influence (T = {temperature}, {mode.ToString().ToLowerInvariant()}) from {analysisDir}\n\n| "
            + $"group | mean influence | multiplier |\n|---|---|---|\n"
            + string.Join("\n", lines)
            + "\n\n"
            + LevelDistribution.Table(rows, result);
        return new CurationResult(result, summary);
    }
}
