using System.Text.Json.Nodes;

namespace InfraSharp.Curation;

/// <summary>
/// The shared mechanism of every strategy: a target multiplier per row group, applied by weights (each row
/// of a group gets the group's normalised multiplier) or by replacement (each group gets a number of rows
/// proportional to its size x multiplier, drawn from the group's own rows without repetition first, with
/// repetition only when it runs short), keeping the total size.
/// </summary>
internal static class Reweighting
{
    /// <summary>
    /// <paramref name="groupOf"/> names each row's group; <paramref name="multiplier"/> gives each group's
    /// relative weight; <paramref name="blockOf"/> names blocks whose total size is kept (e.g. domains).
    /// </summary>
    public static List<JsonObject> Apply(
        IReadOnlyList<JsonObject> rows,
        Func<JsonObject, string> groupOf,
        Func<string, double> multiplier,
        Func<JsonObject, string> blockOf,
        CurationMode mode,
        int seed
    )
    {
        var rng = new Random(seed);
        var result = new List<JsonObject>();
        foreach (var block in rows.GroupBy(blockOf).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var groups = block.GroupBy(groupOf).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
            double mass = groups.Sum(g => g.Count() * multiplier(g.Key));
            if (mass <= 0)
                throw InputError.Argument($"every group of '{block.Key}' got a zero multiplier");
            int n = block.Count();
            if (mode == CurationMode.Weight)
            {
                // Weights with mean 1 over the block: its total (weighted) size is kept.
                double scale = n / mass;
                foreach (var g in groups)
                foreach (var r in g)
                {
                    var o = (JsonObject)r.DeepClone();
                    o["weight"] = multiplier(g.Key) * scale;
                    result.Add(o);
                }
                continue;
            }
            // Largest-remainder rounding of the target counts.
            var exact = groups.Select(g => g.Count() * multiplier(g.Key) / mass * n).ToArray();
            var counts = exact.Select(x => (int)Math.Floor(x)).ToArray();
            foreach (
                var i in exact
                    .Select((x, i) => (Frac: x - Math.Floor(x), i))
                    .OrderByDescending(t => t.Frac)
                    .ThenBy(t => t.i)
                    .Take(n - counts.Sum())
                    .Select(t => t.i)
            )
                counts[i]++;
            for (int gi = 0; gi < groups.Count; gi++)
            {
                var pool = groups[gi].ToList();
                var order = Enumerable.Range(0, pool.Count).ToArray();
                rng.Shuffle(order);
                for (int k = 0; k < counts[gi]; k++)
                {
                    if (k > 0 && k % pool.Count == 0)
                        rng.Shuffle(order);
                    var o = (JsonObject)pool[order[k % pool.Count]].DeepClone();
                    o["weight"] = 1.0;
                    result.Add(o);
                }
            }
        }
        // Interleave blocks and groups (seeded) so that the output isn't sorted by level.
        return result.OrderBy(_ => rng.Next()).ToList();
    }
}
