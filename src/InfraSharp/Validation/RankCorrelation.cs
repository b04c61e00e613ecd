namespace InfraSharp.Validation;

/// <summary>
/// Pearson and Spearman correlation; Spearman uses average ranks for ties, as scipy's <c>spearmanr</c> does.
/// </summary>
internal static class RankCorrelation
{
    /// <summary>Ranks 1..n; tied values share the mean of the ranks they span.</summary>
    public static double[] AverageRanks(IReadOnlyList<double> x)
    {
        var order = Enumerable.Range(0, x.Count).OrderBy(i => x[i]).ToArray();
        var ranks = new double[x.Count];
        for (int i = 0; i < order.Length; )
        {
            int j = i;
            while (j + 1 < order.Length && x[order[j + 1]] == x[order[i]])
                j++;
            double mean = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++)
                ranks[order[k]] = mean;
            i = j + 1;
        }
        return ranks;
    }

    /// <summary>Pearson's r; NaN when either side is constant (the correlation is undefined there).</summary>
    public static double Pearson(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count != y.Count)
            throw new ArgumentException($"lengths differ ({x.Count} vs {y.Count})");
        int n = x.Count;
        if (n < 2)
            return double.NaN;
        double mx = x.Average(),
            my = y.Average(),
            sxy = 0,
            sxx = 0,
            syy = 0;
        for (int i = 0; i < n; i++)
        {
            double dx = x[i] - mx,
                dy = y[i] - my;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }
        return sxx == 0 || syy == 0 ? double.NaN : sxy / Math.Sqrt(sxx * syy);
    }

    public static double Spearman(IReadOnlyList<double> x, IReadOnlyList<double> y) =>
        Pearson(AverageRanks(x), AverageRanks(y));
}
