namespace InfraSharp.Validation;

/// <summary>Percentile bootstrap helpers (seeded, so a rerun prints the same interval).</summary>
internal static class Bootstrap
{
    public const int DefaultResamples = 2000;

    /// <summary>
    /// The (1 − level)/2 and (1 + level)/2 quantiles of <paramref name="values"/>, linearly interpolated.
    /// </summary>
    public static (double Low, double High) PercentileInterval(double[] values, double level = 0.95)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).OrderBy(v => v).ToArray();
        if (sorted.Length == 0)
            return (double.NaN, double.NaN);
        return (Quantile(sorted, (1 - level) / 2), Quantile(sorted, (1 + level) / 2));
    }

    public static double Quantile(double[] sorted, double p)
    {
        double h = (sorted.Length - 1) * p;
        int lo = (int)Math.Floor(h),
            hi = Math.Min(sorted.Length - 1, lo + 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }

    /// <summary>The mean of <paramref name="values"/> with a percentile bootstrap CI (resampling the values).</summary>
    public static (double Mean, double Low, double High) MeanInterval(
        IReadOnlyList<double> values,
        long seed,
        int resamples = DefaultResamples,
        double level = 0.95
    )
    {
        if (values.Count == 0)
            return (double.NaN, double.NaN, double.NaN);
        var rng = new Random(unchecked((int)seed));
        var means = new double[resamples];
        for (int b = 0; b < resamples; b++)
        {
            double t = 0;
            for (int i = 0; i < values.Count; i++)
                t += values[rng.Next(values.Count)];
            means[b] = t / values.Count;
        }
        var (lo, hi) = PercentileInterval(means, level);
        return (values.Average(), lo, hi);
    }
}
