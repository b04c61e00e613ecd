namespace InfraSharp.Validation;

/// <summary>
/// The random training subsets of a linear datamodeling score: <c>count</c> subsets, each of round(α·n) distinct
/// examples drawn uniformly without replacement, subset s from its own seeded generator (so a subset does not
/// depend on how many others are drawn). Indices are sorted, 0-based positions in the training file.
/// </summary>
internal static class SubsetDraw
{
    public static int Size(int n, double fraction) =>
        Math.Clamp((int)Math.Round(fraction * n, MidpointRounding.AwayFromZero), 1, n);

    public static int[] Draw(int n, double fraction, long seed, int subset)
    {
        // System.Random with a seed is a fixed algorithm across .NET versions: the same seed draws the same subset.
        var rng = new Random(unchecked((int)(seed * 1_000_003 + subset * 7_919 + 17)));
        var all = Enumerable.Range(0, n).ToArray();
        int k = Size(n, fraction);
        for (int i = 0; i < k; i++)
        {
            int j = i + rng.Next(n - i);
            (all[i], all[j]) = (all[j], all[i]);
        }
        var chosen = all[..k];
        Array.Sort(chosen);
        return chosen;
    }

    /// <summary>
    /// For each subset s and query q, Σ_{i ∈ S_s} scores[q, i]: the influence's prediction of the subset's effect.
    /// </summary>
    public static double[,] Sums(double[,] scores, IReadOnlyList<int[]> subsets)
    {
        int q = scores.GetLength(0);
        var sums = new double[subsets.Count, q];
        for (int s = 0; s < subsets.Count; s++)
        for (int j = 0; j < q; j++)
        {
            double t = 0;
            foreach (int i in subsets[s])
                t += scores[j, i];
            sums[s, j] = t;
        }
        return sums;
    }
}
