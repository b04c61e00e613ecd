using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace InfraSharp.Curation;

/// <summary>Weighted counts per domain x difficulty, and mean difficulty per domain, for before/after
/// summaries.</summary>
internal static class LevelDistribution
{
    public static string Domain(JsonObject r) => r["domain"]?.ToString() ?? "(none)";

    public static int Level(JsonObject r) =>
        r["difficulty"] is JsonValue v
            ? (v.TryGetValue<int>(out var i) ? i : int.Parse(v.ToString(), CultureInfo.InvariantCulture))
            : 0;

    public static double Weight(JsonObject r) =>
        r["weight"] is JsonValue v && v.TryGetValue<double>(out var w) ? w : 1.0;

    public static double MeanLevel(IEnumerable<JsonObject> rows, string domain)
    {
        var xs = rows.Where(r => Domain(r) == domain).ToList();
        double mass = xs.Sum(Weight);
        return mass == 0 ? double.NaN : xs.Sum(r => Weight(r) * Level(r)) / mass;
    }

    public static string Table(IReadOnlyList<JsonObject> before, IReadOnlyList<JsonObject> after)
    {
        var sb = new StringBuilder("| domain | level | before | after |\n|---|---|---|---|\n");
        foreach (
            var d in before
                .Select(Domain)
                .Concat(after.Select(Domain))
                .Distinct()
                .OrderBy(x => x, StringComparer.Ordinal)
        )
        {
            foreach (var l in before.Concat(after).Where(r => Domain(r) == d).Select(Level).Distinct().Order())
            {
                double b = before.Where(r => Domain(r) == d && Level(r) == l).Sum(Weight),
                    a = after.Where(r => Domain(r) == d && Level(r) == l).Sum(Weight);
                sb.Append(CultureInfo.InvariantCulture, $"| {d} | {l} | {b:0.#} | {a:0.#} |\n");
            }
            sb.Append(
                CultureInfo.InvariantCulture,
                $"| {d} | mean level | {MeanLevel(before, d):F2} | {MeanLevel(after, d):F2} |\n"
            );
        }
        sb.Append(
            CultureInfo.InvariantCulture,
            $"| all | total (weighted) | {before.Sum(Weight):0.#} | {after.Sum(Weight):0.#} |\n"
        );
        return sb.ToString();
    }
}
