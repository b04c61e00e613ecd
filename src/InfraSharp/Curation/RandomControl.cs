using System.Text.Json.Nodes;

namespace InfraSharp.Curation;

/// <summary>
/// The control a curated mix is measured against: as many rows as the training set, drawn uniformly at random with
/// replacement (seeded). Retrained with the same token budget, it separates what a mix gains by its choice of rows
/// from what any redraw of the data does. Replace mode writes the drawn rows (weight 1); weight mode keeps every
/// row once, weighted by how often the same draw picked it, so the weighted size is the same.
/// </summary>
internal static class RandomControl
{
    // The draw's generator is offset from the curation seed so that the control does not replay the draws of a
    // strategy run with the same seed; the offset is the demo's since its first version, so its files are unchanged.
    private const int SeedOffset = 7919;

    public static CurationResult Apply(IReadOnlyList<JsonObject> rows, CurationMode mode, int seed = 0)
    {
        var rng = new Random(unchecked(seed + SeedOffset));
        var draws = Enumerable.Range(0, rows.Count).Select(_ => rng.Next(rows.Count)).ToList();
        var drawn = draws.Select(i => Weighted(rows[i], 1.0)).ToList();
        if (mode == CurationMode.Replace)
            return new CurationResult(
                drawn,
                "random control: rows drawn uniformly with replacement\n\n" + LevelDistribution.Table(rows, drawn)
            );
        var counts = new int[rows.Count];
        foreach (int i in draws)
            counts[i]++;
        var weighted = rows.Select((r, i) => Weighted(r, counts[i])).ToList();
        return new CurationResult(
            weighted,
            "random control (weight): each row weighted by how often a uniform draw with replacement picked it\n\n"
                + LevelDistribution.Table(rows, weighted)
        );
    }

    private static JsonObject Weighted(JsonObject row, double weight)
    {
        var o = (JsonObject)row.DeepClone();
        o["weight"] = weight;
        return o;
    }
}
