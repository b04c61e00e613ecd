using System.Text.Json.Nodes;
using InfraSharp.Text;

namespace InfraSharp.Curation;

/// <summary>
/// Replace mode with <c>--pool</c>: the mix is selected from a candidate pool without replacement, so that no row
/// trains twice. Each domain keeps the original's row count; within a domain each level gets the strategy's target
/// count, and a level the pool cannot fill passes its shortfall to the nearest levels that can.
/// </summary>
internal static class PoolSelection
{
    /// <summary>
    /// The pool's rows; a missing or empty pool, a row in it twice, or a row also in the training set (by id or by
    /// its messages) is bad input naming <c>--pool</c>.
    /// </summary>
    public static List<JsonObject> Read(string path, IReadOnlyList<JsonObject> train)
    {
        if (!File.Exists(path))
            throw InputError.MissingFile($"--pool {path}: no such file", path);
        var pool = DatasetReader.Read(path).Select(r => r.Fields).ToList();
        if (pool.Count == 0)
            throw InputError.Argument($"--pool {path}: the pool is empty");
        var trainKeys = train.SelectMany(Keys).ToHashSet(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in pool)
        foreach (var k in Keys(r))
        {
            if (trainKeys.Contains(k))
                throw InputError.Data($"--pool {path}: row '{r["id"]}' is also in the training set (--data)");
            if (!seen.Add(k))
                throw InputError.Data($"--pool {path}: row '{r["id"]}' is in the pool twice");
        }
        return pool;
    }

    // A row is the same row by id or by its conversation: a pool regenerated with new ids must still not repeat
    // a training problem.
    private static IEnumerable<string> Keys(JsonObject r)
    {
        if (r["id"] is JsonNode id)
            yield return "id:" + id.ToJsonString();
        if (r["messages"] is JsonNode m)
            yield return "messages:" + m.ToJsonString();
    }

    /// <summary>
    /// Selects, per domain and level, <paramref name="targets"/>' counts from <paramref name="pool"/> (seeded),
    /// each row at most once, with weight 1; a domain whose pool is smaller than its target is bad input.
    /// </summary>
    public static List<JsonObject> Select(
        IReadOnlyList<JsonObject> pool,
        IReadOnlyDictionary<(string Domain, int Level), int> targets,
        string poolPath,
        int seed
    )
    {
        var rng = new Random(seed);
        var cells = pool.GroupBy(r => (LevelDistribution.Domain(r), LevelDistribution.Level(r)))
            .OrderBy(g => g.Key.Item1, StringComparer.Ordinal)
            .ThenBy(g => g.Key.Item2)
            .ToDictionary(
                g => g.Key,
                g =>
                {
                    var xs = g.ToArray();
                    rng.Shuffle(xs);
                    return xs;
                }
            );
        var result = new List<JsonObject>();
        foreach (var domain in targets.Keys.Select(k => k.Domain).Distinct().Order(StringComparer.Ordinal))
        {
            var levels = targets
                .Keys.Where(k => k.Domain == domain)
                .Select(k => k.Level)
                .Concat(cells.Keys.Where(k => k.Item1 == domain).Select(k => k.Item2))
                .Distinct()
                .Order()
                .ToList();
            int Available(int l) => cells.TryGetValue((domain, l), out var xs) ? xs.Length : 0;
            int Target(int l) => targets.GetValueOrDefault((domain, l));
            int need = levels.Sum(Target),
                have = levels.Sum(Available);
            if (have < need)
                throw InputError.Data($"--pool {poolPath}: {have} {domain} rows, and the mix needs {need}");
            var take = levels.ToDictionary(l => l, l => Math.Min(Target(l), Available(l)));
            foreach (var lacking in levels.Where(l => Target(l) > Available(l)))
            {
                int missing = Target(lacking) - Available(lacking);
                foreach (var l in levels.OrderBy(l => Math.Abs(l - lacking)).ThenBy(l => l))
                {
                    int spare = Math.Min(missing, Available(l) - take[l]);
                    take[l] += spare;
                    missing -= spare;
                }
            }
            foreach (var l in levels)
                for (int i = 0; i < take[l]; i++)
                {
                    var o = (JsonObject)cells[(domain, l)][i].DeepClone();
                    o["weight"] = 1.0;
                    result.Add(o);
                }
        }
        // Interleave domains and levels (seeded) so that the output isn't sorted by level.
        return result.OrderBy(_ => rng.Next()).ToList();
    }

    /// <summary>Rows per (domain, level) of <paramref name="rows"/>: the counts a mix drawn from them has.</summary>
    public static Dictionary<(string Domain, int Level), int> Counts(IEnumerable<JsonObject> rows) =>
        rows.GroupBy(r => (LevelDistribution.Domain(r), LevelDistribution.Level(r)))
            .ToDictionary(g => g.Key, g => g.Count());
}
