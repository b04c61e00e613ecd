namespace InfraSharp.Attribution;

/// <summary>Summary statistics with a seeded percentile bootstrap for the mean's 95% confidence interval.</summary>
public static class Statistics
{
    /// <summary>
    /// Summary of a sample: size, mean, median, sum and the mean's bootstrap 95% CI (NaN where empty).
    /// </summary>
    /// <param name="N">Sample size.</param>
    /// <param name="Mean">Arithmetic mean.</param>
    /// <param name="Median">Median.</param>
    /// <param name="Sum">Sum of the values.</param>
    /// <param name="CiLow">Lower end of the mean's 95% CI.</param>
    /// <param name="CiHigh">Upper end of the mean's 95% CI.</param>
    public sealed record Summary(int N, double Mean, double Median, double Sum, double CiLow, double CiHigh);

    /// <summary>The arithmetic mean; NaN for an empty list.</summary>
    public static double Mean(IReadOnlyList<double> xs) => xs.Count == 0 ? double.NaN : xs.Sum() / xs.Count;

    /// <summary>The median (mean of the middle two for an even count); NaN for an empty list.</summary>
    public static double Median(IReadOnlyList<double> xs)
    {
        if (xs.Count == 0)
            return double.NaN;
        var s = xs.OrderBy(x => x).ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : 0.5 * (s[s.Length / 2 - 1] + s[s.Length / 2]);
    }

    /// <summary>Percentile q in [0,1] with linear interpolation between order statistics (numpy's default).</summary>
    public static double Percentile(double[] sorted, double q)
    {
        if (sorted.Length == 0)
            return double.NaN;
        double pos = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(pos),
            hi = (int)Math.Ceiling(pos);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }

    /// <summary>95% CI of the mean: 2.5th and 97.5th percentiles of the means of resamples with replacement.</summary>
    public static (double Low, double High) BootstrapMeanCi(
        IReadOnlyList<double> xs,
        int resamples = 2000,
        int seed = 0
    )
    {
        if (xs.Count == 0)
            return (double.NaN, double.NaN);
        if (xs.Count == 1)
            return (xs[0], xs[0]);
        var rng = new Random(seed);
        var means = new double[resamples];
        for (int r = 0; r < resamples; r++)
        {
            double s = 0;
            for (int i = 0; i < xs.Count; i++)
                s += xs[rng.Next(xs.Count)];
            means[r] = s / xs.Count;
        }
        Array.Sort(means);
        return (Percentile(means, 0.025), Percentile(means, 0.975));
    }

    /// <summary>Summarises <paramref name="xs"/>, the CI bootstrapped with <paramref name="seed"/>.</summary>
    public static Summary Summarize(IReadOnlyList<double> xs, int seed = 0)
    {
        var (lo, hi) = BootstrapMeanCi(xs, seed: seed);
        return new Summary(xs.Count, Mean(xs), Median(xs), xs.Sum(), lo, hi);
    }
}
