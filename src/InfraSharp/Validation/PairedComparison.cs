namespace InfraSharp.Validation;

/// <summary>
/// The difference in accuracy between two training mixes evaluated on the same problems, seed by seed (seed k of
/// one paired with seed k of the other): the mean difference, a paired bootstrap CI that resamples seeds and
/// problems together (both sources of noise, the pairing kept), and McNemar's exact test per seed. With fewer than
/// <see cref="MinimumSeeds"/> seeds the interval cannot see training noise (a CI over problems alone is too narrow:
/// seed-to-seed spread of a small model's accuracy can exceed the difference), so nothing is marked distinguishable
/// and no minimal detectable difference is given.
/// </summary>
public sealed record PairedComparison(
    double Difference,
    double CiLow,
    double CiHigh,
    int Problems,
    int Seeds,
    IReadOnlyList<double> McNemarP
)
{
    /// <summary>The fewest seeds whose spread the interval can be said to cover.</summary>
    public const int MinimumSeeds = 3;

    // Two-sided 5% test with 80% power: z(0.975) + z(0.80).
    private const double DetectableZ = 1.959964 + 0.841621;

    /// <summary>
    /// The bootstrap standard error of <see cref="Difference"/> (the standard deviation of the resampled means).
    /// </summary>
    public double StandardError { get; init; } = double.NaN;

    /// <summary>
    /// Whether the CI excludes zero with at least <see cref="MinimumSeeds"/> seeds: the difference is distinguishable
    /// from seed and problem noise. With fewer seeds, false: the interval covers problem sampling only.
    /// </summary>
    public bool Distinguishable => Seeds >= MinimumSeeds && (CiLow > 0 || CiHigh < 0);

    /// <summary>
    /// The minimal detectable difference at this number of seeds and problems: the smallest true difference a
    /// two-sided 5% test finds with 80% power, (z₀.₉₇₅ + z₀.₈₀) × the standard error; NaN under
    /// <see cref="MinimumSeeds"/> seeds.
    /// </summary>
    public double MinimalDetectable => Seeds >= MinimumSeeds ? DetectableZ * StandardError : double.NaN;

    /// <summary>
    /// Compares <paramref name="after"/> with <paramref name="before"/>, both indexed [seed][problem].
    /// </summary>
    public static PairedComparison Compute(
        IReadOnlyList<bool[]> before,
        IReadOnlyList<bool[]> after,
        long seed,
        int resamples = Bootstrap.DefaultResamples,
        double level = 0.95
    )
    {
        if (before.Count != after.Count || before.Count == 0)
            throw new ArgumentException(
                $"paired comparison needs the same number of seeds on both sides ({before.Count} vs {after.Count})"
            );
        int n = before[0].Length,
            k = before.Count;
        for (int s = 0; s < k; s++)
            if (before[s].Length != n || after[s].Length != n)
                throw new ArgumentException(
                    $"seed {s}: outcomes on {before[s].Length} and {after[s].Length} problems, expected {n}"
                );
        var diff = new double[k][];
        for (int s = 0; s < k; s++)
            diff[s] = Enumerable.Range(0, n).Select(i => (after[s][i] ? 1.0 : 0) - (before[s][i] ? 1.0 : 0)).ToArray();
        double mean = n == 0 ? double.NaN : diff.Average(d => d.Average());
        var rng = new Random(unchecked((int)seed));
        var stats = new double[resamples];
        var seeds = new int[k];
        for (int b = 0; b < resamples && n > 0; b++)
        {
            // One draw of problems for all seeds: a problem's outcomes across seeds stay together, as they are
            // correlated.
            for (int s = 0; s < k; s++)
                seeds[s] = k == 1 ? 0 : rng.Next(k);
            double t = 0;
            for (int i = 0; i < n; i++)
            {
                int pick = rng.Next(n);
                for (int s = 0; s < k; s++)
                    t += diff[seeds[s]][pick];
            }
            stats[b] = t / (n * (double)k);
        }
        var (lo, hi) = n == 0 ? (double.NaN, double.NaN) : Bootstrap.PercentileInterval(stats, level);
        var p = Enumerable
            .Range(0, k)
            .Select(s =>
            {
                var (lost, gained) = McNemar.Discordant(before[s], after[s]);
                return McNemar.ExactP(lost, gained);
            })
            .ToList();
        double se = double.NaN;
        if (n > 0)
        {
            double m = stats.Average();
            se = Math.Sqrt(stats.Sum(x => (x - m) * (x - m)) / Math.Max(1, resamples - 1));
        }
        return new PairedComparison(mean, lo, hi, n, k, p) { StandardError = se };
    }
}
