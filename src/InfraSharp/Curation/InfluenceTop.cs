using System.Text.Json.Nodes;
using InfraSharp.Attribution;

namespace InfraSharp.Curation;

/// <summary>
/// General data selection: each training row's aggregated influence on a target query set (mean over queries
/// of the per-query normalised score, as the analysis normalises) ranks the rows. Replace mode keeps exactly
/// the top fraction (ties broken by row order); weight mode keeps every row with weight exp(z / T),
/// normalised to mean 1.
/// </summary>
internal static class InfluenceTop
{
    public static double[] Aggregate(ScoreSet scores)
    {
        var an = new AttributionAnalyzer(scores, Lexicon.Load(null));
        return Enumerable
            .Range(0, scores.N)
            .Select(e => Enumerable.Range(0, scores.Q).Average(q => an.Normalized(q, e)))
            .ToArray();
    }

    /// <summary>
    /// The aggregated influence of each pool row, from scores computed with the pool as training set
    /// (<c>--train POOL</c>): the scores must cover exactly the pool's rows, in order, by id.
    /// </summary>
    public static double[] PoolRanks(IReadOnlyList<JsonObject> pool, ScoreSet scores, string scoresDir)
    {
        if (pool.Count != scores.N)
            throw InputError.Argument(
                $"--scores {scoresDir}: the scores cover {scores.N} training rows, the pool has {pool.Count} "
                    + "(score the pool: infra scores pairwise --train POOL)"
            );
        for (int i = 0; i < pool.Count; i++)
            if (pool[i]["id"] is JsonNode id && id.ToString() != scores.Train[i].Id)
                throw InputError.Argument(
                    $"--scores {scoresDir}: pool row {i + 1} is '{id}', the scores' training row {i + 1} is "
                        + $"'{scores.Train[i].Id}' (score the pool: infra scores pairwise --train POOL)"
                );
        return Aggregate(scores);
    }

    public static CurationResult Apply(
        IReadOnlyList<JsonObject> rows,
        ScoreSet scores,
        double fraction,
        CurationMode mode,
        double temperature = 1.0
    )
    {
        if (rows.Count != scores.N)
            throw InputError.Argument($"{rows.Count} rows, but the scores cover {scores.N} training examples");
        for (int i = 0; i < rows.Count; i++)
            if (rows[i]["id"] is JsonNode id && id.ToString() != scores.Train[i].Id)
                throw InputError.Argument(
                    $"row {i + 1} has id '{id}', the scores' training example {i + 1} is '{scores.Train[i].Id}'"
                );
        if (fraction is <= 0 or > 1)
            throw InputError.Argument("--fraction must be in (0, 1]");
        var z = Aggregate(scores);
        List<JsonObject> result;
        if (mode == CurationMode.Replace)
        {
            int k = (int)Math.Ceiling(fraction * rows.Count);
            var keep = Enumerable
                .Range(0, rows.Count)
                .OrderByDescending(i => z[i])
                .ThenBy(i => i)
                .Take(k)
                .Order()
                .ToList();
            result = keep.Select(i =>
                {
                    var o = (JsonObject)rows[i].DeepClone();
                    o["weight"] = 1.0;
                    o["influence"] = z[i];
                    return o;
                })
                .ToList();
        }
        else
        {
            double max = z.Max();
            var w = z.Select(x => Math.Exp((x - max) / temperature)).ToArray();
            double mean = w.Average();
            result = rows.Select(
                    (r, i) =>
                    {
                        var o = (JsonObject)r.DeepClone();
                        o["weight"] = w[i] / mean;
                        o["influence"] = z[i];
                        return o;
                    }
                )
                .ToList();
        }
        double after = result.Average(r => r["influence"]!.GetValue<double>());
        string summary =
            $"influence-top ({mode.ToString().ToLowerInvariant()}, fraction {fraction}): {result.Count} rows; mean "
            + $"aggregated influence {z.Average():+0.000;-0.000} -> {after:+0.000;-0.000}\n\n"
            + LevelDistribution.Table(rows, result);
        return new CurationResult(result, summary);
    }
}
