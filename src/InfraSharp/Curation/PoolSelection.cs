using System.Text.Json.Nodes;
using InfraSharp.Text;

namespace InfraSharp.Curation;

/// <summary>
/// Replace mode with <c>--pool</c>: the mix is selected from a candidate pool without replacement, so that no row
/// trains twice. Each domain keeps the original's row count and, within <see cref="Tolerance"/>, its length budget
/// (tokens, or characters without a tokenizer), so that a mix differs from the original by which rows it holds, not
/// by how many or how long. Within a domain a rule (flip-difficulty, attribute-influence, the random control) gives
/// each level a count, and a level the pool cannot fill passes its shortfall to the nearest levels that can; a ranking
/// (influence-top and the baselines) takes the domain's highest-ranked rows.
/// </summary>
internal static class PoolSelection
{
    /// <summary>The largest relative difference from the original's length budget a mix may have.</summary>
    public const double Tolerance = 0.02;

    // Balancing aims inside half the tolerance per domain, so that the whole mix is well inside it.
    private const double Aim = Tolerance / 2;

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
    /// One pool row as a candidate: its place in the pool, domain, level, length and rank (higher is wanted).
    /// </summary>
    private sealed record Candidate(int Index, string Domain, int Level, int Length, double Priority);

    /// <summary>
    /// Selects, per domain and level, <paramref name="targets"/>' counts from <paramref name="pool"/> (seeded, so
    /// within a level the rows are a uniform draw), then balances each domain's length against
    /// <paramref name="budgets"/>: first by exchanging rows within a level, and only where that cannot reach the
    /// budget, with the nearest levels. A domain whose pool is smaller than its target is bad input.
    /// </summary>
    public static List<JsonObject> Select(
        IReadOnlyList<JsonObject> pool,
        IReadOnlyDictionary<(string Domain, int Level), int> targets,
        IReadOnlyDictionary<string, long> budgets,
        Func<JsonObject, int> length,
        string poolPath,
        int seed
    )
    {
        var rng = new Random(seed);
        // The seeded shuffle is each row's rank within its level: the first rows of a level are its uniform draw.
        var order = Enumerable.Range(0, pool.Count).ToArray();
        rng.Shuffle(order);
        var rank = new double[pool.Count];
        for (int i = 0; i < order.Length; i++)
            rank[order[i]] = -i;
        var chosen = new List<Candidate>();
        var all = new List<Candidate>();
        foreach (var domain in Domains(targets.Keys.Select(k => k.Domain)))
        {
            var candidates = Candidates(pool, domain, length, i => rank[i]);
            var levels = targets
                .Keys.Where(k => k.Domain == domain)
                .Select(k => k.Level)
                .Concat(candidates.Select(c => c.Level))
                .Distinct()
                .Order()
                .ToList();
            var byLevel = levels.ToDictionary(
                l => l,
                l => candidates.Where(c => c.Level == l).OrderByDescending(c => c.Priority).ToList()
            );
            int Target(int l) => targets.GetValueOrDefault((domain, l));
            int need = levels.Sum(Target);
            if (candidates.Count < need)
                throw InputError.Data($"--pool {poolPath}: {candidates.Count} {domain} rows, and the mix needs {need}");
            var take = levels.ToDictionary(l => l, l => Math.Min(Target(l), byLevel[l].Count));
            foreach (var lacking in levels.Where(l => Target(l) > byLevel[l].Count))
            {
                int missing = Target(lacking) - byLevel[lacking].Count;
                foreach (var l in levels.OrderBy(l => Math.Abs(l - lacking)).ThenBy(l => l))
                {
                    int spare = Math.Min(missing, byLevel[l].Count - take[l]);
                    take[l] += spare;
                    missing -= spare;
                }
            }
            chosen.AddRange(levels.SelectMany(l => byLevel[l].Take(take[l])));
            all.AddRange(candidates);
        }
        return Written(pool, Balance(chosen, all, budgets.Values.Sum(), sameLevel: true), rng);
    }

    /// <summary>
    /// Selects each domain's <paramref name="counts"/> highest-ranked rows by <paramref name="rank"/> (one value per
    /// pool row; ties by pool order), then balances each domain's length against <paramref name="budgets"/> by
    /// exchanging the lowest-ranked rows for the best-ranked rows that bring it closer.
    /// </summary>
    public static List<JsonObject> SelectRanked(
        IReadOnlyList<JsonObject> pool,
        IReadOnlyList<double> rank,
        IReadOnlyDictionary<string, int> counts,
        IReadOnlyDictionary<string, long> budgets,
        Func<JsonObject, int> length,
        string poolPath,
        int seed
    )
    {
        var chosen = new List<Candidate>();
        var all = new List<Candidate>();
        foreach (var domain in Domains(counts.Keys))
        {
            var candidates = Candidates(pool, domain, length, i => rank[i]);
            int need = counts[domain];
            if (candidates.Count < need)
                throw InputError.Data($"--pool {poolPath}: {candidates.Count} {domain} rows, and the mix needs {need}");
            chosen.AddRange(candidates.OrderByDescending(c => c.Priority).ThenBy(c => c.Index).Take(need));
            all.AddRange(candidates);
        }
        return Written(pool, Balance(chosen, all, budgets.Values.Sum(), sameLevel: false), new Random(seed));
    }

    private static IEnumerable<string> Domains(IEnumerable<string> domains) =>
        domains.Distinct().Order(StringComparer.Ordinal);

    private static List<Candidate> Candidates(
        IReadOnlyList<JsonObject> pool,
        string domain,
        Func<JsonObject, int> length,
        Func<int, double> priority
    ) =>
        Enumerable
            .Range(0, pool.Count)
            .Where(i => LevelDistribution.Domain(pool[i]) == domain)
            .Select(i => new Candidate(i, domain, LevelDistribution.Level(pool[i]), length(pool[i]), priority(i)))
            .ToList();

    /// <summary>
    /// Exchanges selected rows for unselected ones of the same domain until the whole selection's length is within
    /// <see cref="Aim"/> of <paramref name="budget"/> (a budget of 0: none): the mix as a whole keeps the training
    /// set's length, so that a rule lengthening one domain and shortening the other needs few exchanges. Each
    /// exchange takes the lowest-ranked selected row that can move the length towards the budget, and the
    /// best-ranked unselected row that does so without overshooting further than it stands; with
    /// <paramref name="sameLevel"/>, rows of the same level are
    /// tried first and then the nearest levels, so a rule's level counts change only where lengths force it.
    /// </summary>
    private static IEnumerable<int> Balance(List<Candidate> selected, List<Candidate> all, long budget, bool sameLevel)
    {
        if (budget <= 0)
            return selected.Select(c => c.Index);
        var inMix = selected.Select(c => c.Index).ToHashSet();
        var spare = all.Where(c => !inMix.Contains(c.Index))
            .OrderByDescending(c => c.Priority)
            .ThenBy(c => c.Index)
            .ToList();
        var mix = selected.OrderBy(c => c.Priority).ThenByDescending(c => c.Index).ToList();
        long total = mix.Sum(c => (long)c.Length);
        // Level distance 0 first, then 1, ... (a ranking has no levels to keep: any distance at once).
        int maxDistance = sameLevel ? 4 : int.MaxValue;
        for (int distance = 0; distance <= maxDistance && Outside(total, budget); distance++)
        {
            bool exchanged = true;
            while (exchanged && Outside(total, budget))
            {
                exchanged = false;
                long excess = total - budget;
                for (int si = 0; si < mix.Count && !exchanged; si++)
                {
                    var s = mix[si];
                    for (int ui = 0; ui < spare.Count; ui++)
                    {
                        var u = spare[ui];
                        if (u.Domain != s.Domain || (sameLevel && Math.Abs(u.Level - s.Level) > distance))
                            continue;
                        long change = u.Length - s.Length;
                        if (change == 0 || Math.Sign(change) == Math.Sign(excess))
                            continue;
                        if (Math.Abs(excess + change) >= Math.Abs(excess))
                            continue;
                        mix[si] = u;
                        spare[ui] = s;
                        total += change;
                        exchanged = true;
                        break;
                    }
                }
                if (exchanged)
                {
                    mix.Sort((x, y) => x.Priority != y.Priority ? x.Priority.CompareTo(y.Priority) : y.Index - x.Index);
                    spare.Sort(
                        (x, y) => x.Priority != y.Priority ? y.Priority.CompareTo(x.Priority) : x.Index - y.Index
                    );
                }
            }
            if (!sameLevel)
                break;
        }
        return mix.Select(c => c.Index);
    }

    private static bool Outside(long total, long budget) => Math.Abs(total - budget) > Aim * budget;

    // Weight 1 each, interleaved (seeded) so that the output isn't sorted by domain, level or rank.
    private static List<JsonObject> Written(IReadOnlyList<JsonObject> pool, IEnumerable<int> chosen, Random rng) =>
        chosen
            .Select(i =>
            {
                var o = (JsonObject)pool[i].DeepClone();
                o["weight"] = 1.0;
                return o;
            })
            .OrderBy(_ => rng.Next())
            .ToList();

    /// <summary>Rows per (domain, level) of <paramref name="rows"/>: the counts a mix drawn from them has.</summary>
    public static Dictionary<(string Domain, int Level), int> Counts(IEnumerable<JsonObject> rows) =>
        rows.GroupBy(r => (LevelDistribution.Domain(r), LevelDistribution.Level(r)))
            .ToDictionary(g => g.Key, g => g.Count());

    /// <summary>Each domain's summed length of <paramref name="rows"/> (a mix keeps their sum).</summary>
    public static Dictionary<string, long> Budgets(IEnumerable<JsonObject> rows, Func<JsonObject, int> length) =>
        rows.GroupBy(LevelDistribution.Domain).ToDictionary(g => g.Key, g => g.Sum(r => (long)length(r)));
}
