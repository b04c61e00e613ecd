using System.Globalization;
using System.Text.Json.Nodes;
using InfraSharp.Attribution;

namespace InfraSharp.Curation;

/// <summary>
/// Curation that follows the measured attribution instead of a rule of thumb: each attribute group of
/// <c>example_level.csv</c> (e.g. domain x difficulty) gets the multiplier exp(z_g / T), where z_g is its
/// mean normalised influence (averaged over the query groups, so math and code targets count equally),
/// standardised across groups (minus the mean, over the standard deviation) so that one heavy-tailed group
/// cannot swallow the mix. Groups below average shrink, those above grow; a larger temperature T moves
/// less; multipliers are clipped to [e^-2, e^2]. Size is kept (and the domain ratio, when domain is a key).
/// </summary>
public static class AttributeInfluence
{
    public static Dictionary<string, double> GroupMeans(string exampleLevelCsv)
    {
        var lines = File.ReadAllLines(exampleLevelCsv);
        var header = lines[0].Split(',');
        int gi = Array.IndexOf(header, "train_group"), mi = Array.IndexOf(header, "mean");
        if (gi < 0 || mi < 0) throw new InvalidDataException($"{exampleLevelCsv}: expected columns train_group and mean");
        return lines.Skip(1).Where(l => l.Length > 0).Select(l => l.Split(','))
            .GroupBy(c => c[gi]).ToDictionary(g => g.Key, g => g.Average(c => double.Parse(c[mi], CultureInfo.InvariantCulture)));
    }

    public static CurationResult Apply(IReadOnlyList<JsonObject> rows, string analysisDir, CurationMode mode, double temperature = 1.0, int seed = 0)
    {
        string csv = Path.Combine(analysisDir, "example_level.csv");
        if (!File.Exists(csv)) throw new FileNotFoundException($"{analysisDir}: no example_level.csv (run infra analyze first)", csv);
        if (temperature <= 0) throw new ArgumentException("--temperature must be > 0");
        var means = GroupMeans(csv);
        var keys = means.Keys.First().Split('|').Select(p => p.Split('=')[0]).ToList();
        if (keys.Contains("length_bucket")) throw new ArgumentException("attribute-influence needs groups of row attributes (length_bucket is derived); analyze with other --group-by keys");
        string GroupOf(JsonObject r) => string.Join("|", keys.Select(k => $"{k}={GroupKeys.Value(r[k])}"));
        foreach (var r in rows)
            if (!means.ContainsKey(GroupOf(r))) throw new ArgumentException($"row '{r["id"]}' falls in group '{GroupOf(r)}', which the analysis has no value for");
        double centre = means.Values.Average();
        double sd = Math.Sqrt(means.Values.Sum(m => (m - centre) * (m - centre)) / Math.Max(1, means.Count - 1));
        if (!(sd > 0)) sd = 1;
        double Multiplier(string g) => Math.Exp(Math.Clamp((means[g] - centre) / sd / temperature, -2, 2));
        Func<JsonObject, string> block = keys.Contains("domain") ? LevelDistribution.Domain : _ => "all";
        var result = Reweighting.Apply(rows, GroupOf, Multiplier, block, mode, seed);
        var lines = means.OrderBy(kv => kv.Key, Comparer<string>.Create(GroupKeys.Compare))
            .Select(kv => string.Create(CultureInfo.InvariantCulture, $"| {kv.Key} | {kv.Value:+0.000;-0.000} | {Multiplier(kv.Key):F3} |"));
        string summary = $"attribute-influence (T = {temperature}, {mode.ToString().ToLowerInvariant()}) from {csv}\n\n| group | mean influence | multiplier |\n|---|---|---|\n"
            + string.Join("\n", lines) + "\n\n" + LevelDistribution.Table(rows, result);
        return new CurationResult(result, summary);
    }
}
