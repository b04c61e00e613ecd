using InfraSharp.Validation;

namespace InfraSharp.Tests.Validation;

/// <summary>The LDS's and the before/after table's statistics against hand-computed values and closed forms.</summary>
public class LdsStatisticsTests
{
    [Fact]
    public void SpearmanMatchesScipyAndHandRanks()
    {
        // scipy.stats.spearmanr([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) = 0.8207826816681233 (scipy's documented example).
        Assert.Equal(0.8207826816681233, RankCorrelation.Spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]), 12);
        Assert.Equal([1, 2, 3.5, 5, 3.5], RankCorrelation.AverageRanks([5, 6, 7, 8, 7]));
        Assert.Equal(-1.0, RankCorrelation.Spearman([1, 2, 3], [30, 20, 10]), 12);
        Assert.True(double.IsNaN(RankCorrelation.Spearman([1, 2, 3], [4, 4, 4])));
    }

    [Fact]
    public void SubsetSumsAndDrawsAreWhatTheyClaim()
    {
        double[,] scores =
        {
            { 1, 2, 3, 4 },
            { -1, 0.5, 0, 10 },
        };
        var sums = SubsetDraw.Sums(
            scores,
            [
                [0, 2],
                [1, 3],
                [0, 1, 2, 3],
            ]
        );
        Assert.Equal(
            new double[,]
            {
                { 4, -1 },
                { 6, 10.5 },
                { 10, 9.5 },
            },
            sums
        );

        var a = SubsetDraw.Draw(101, 0.5, seed: 3, subset: 7);
        Assert.Equal(51, a.Length);
        Assert.Equal(a.Distinct().OrderBy(i => i), a);
        Assert.All(a, i => Assert.InRange(i, 0, 100));
        Assert.Equal(a, SubsetDraw.Draw(101, 0.5, seed: 3, subset: 7));
        Assert.NotEqual(a, SubsetDraw.Draw(101, 0.5, seed: 3, subset: 8));
        Assert.NotEqual(a, SubsetDraw.Draw(101, 0.5, seed: 4, subset: 7));
        Assert.Equal(Enumerable.Range(0, 9), SubsetDraw.Draw(9, 1.0, 0, 0));
    }

    [Fact]
    public void McNemarExactPValues()
    {
        // b = 1, c = 9: 2 (C(10,0) + C(10,1)) / 2^10 = 22 / 1024.
        Assert.Equal(22.0 / 1024, McNemar.ExactP(1, 9), 12);
        Assert.Equal(22.0 / 1024, McNemar.ExactP(9, 1), 12);
        Assert.Equal(1.0, McNemar.ExactP(0, 0));
        Assert.Equal(1.0, McNemar.ExactP(5, 5));
        // b = 0, c = 6: 2 / 64.
        Assert.Equal(2.0 / 64, McNemar.ExactP(0, 6), 12);
        Assert.Equal((3, 1), McNemar.Discordant([true, true, true, false, false], [false, false, false, true, false]));
    }

    [Fact]
    public void PairedBootstrapMatchesTheNormalClosedForm()
    {
        // One seed, 400 problems: 60 gained, 30 lost. The bootstrap distribution of the mean difference has standard
        // error sqrt(var/n) with the plug-in variance, so its 95% interval is close to mean ± 1.96 se.
        int n = 400;
        var before = new bool[n];
        var after = new bool[n];
        for (int i = 0; i < 60; i++)
            after[i] = true;
        for (int i = 60; i < 90; i++)
            before[i] = true;
        for (int i = 90; i < 250; i++)
            before[i] = after[i] = true;
        var c = PairedComparison.Compute([before], [after], seed: 1, resamples: 20000);
        double mean = 30.0 / n,
            var = 90.0 / n - mean * mean,
            se = Math.Sqrt(var / n);
        Assert.Equal(mean, c.Difference, 12);
        Assert.Equal(mean - 1.96 * se, c.CiLow, 0.004);
        Assert.Equal(mean + 1.96 * se, c.CiHigh, 0.004);
        // One seed: the CI excludes 0, yet it covers problem sampling only, so the difference is not marked.
        Assert.True(c.CiLow > 0);
        Assert.False(c.Distinguishable);
        Assert.True(double.IsNaN(c.MinimalDetectable));
        Assert.Equal(McNemar.ExactP(30, 60), c.McNemarP[0], 12);
        // Three seeds of the same outcomes: no seed noise, so the interval and standard error are the same, now
        // distinguishable, with MDD (1.96 + 0.84) se.
        var three = PairedComparison.Compute([before, before, before], [after, after, after], 1, 20000);
        Assert.True(three.Distinguishable);
        Assert.Equal(se, three.StandardError, 0.001);
        Assert.Equal((1.959964 + 0.841621) * three.StandardError, three.MinimalDetectable, 12);

        // Every problem gained on every seed: no noise, the interval is the point.
        var all = PairedComparison.Compute(
            [new bool[50], new bool[50]],
            [Enumerable.Repeat(true, 50).ToArray(), Enumerable.Repeat(true, 50).ToArray()],
            2
        );
        Assert.Equal((1.0, 1.0, 1.0), (all.Difference, all.CiLow, all.CiHigh));

        // Identical outcomes: difference 0, interval [0, 0], not distinguishable.
        var same = PairedComparison.Compute([after], [after], 3);
        Assert.Equal((0.0, 0.0, 0.0), (same.Difference, same.CiLow, same.CiHigh));
        Assert.False(same.Distinguishable);
    }

    [Fact]
    public void LdsOfExactInfluenceIsHighAndOfRandomScoresNearZero()
    {
        var rng = new Random(5);
        var (exact, draws, measured) = RidgeRegression(rng);
        int queries = exact.GetLength(0),
            n = exact.GetLength(1);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        var lds = LinearDatamodelingScore.Compute("exact", exact, draws, measured, seed: 1);
        Assert.True(lds.Lds >= 0.9, $"LDS of exact influence {lds.Lds}");
        Assert.True(lds.CiLow <= lds.Lds && lds.Lds <= lds.CiHigh);
        Assert.Equal(queries, lds.Queries);

        var random = new double[queries, n];
        for (int q = 0; q < queries; q++)
        for (int i = 0; i < n; i++)
            random[q, i] = Normal();
        var noise = LinearDatamodelingScore.Compute("random", random, draws, measured, seed: 1);
        Assert.True(Math.Abs(noise.Lds) < 0.1, $"LDS of random scores {noise.Lds}");
    }

    /// <summary>
    /// Exact influence [queries, n] and measurements [subsets, queries] of a ridge regression.
    /// </summary>
    internal static (double[,] Exact, List<int[]> Draws, double[,] Measured) RidgeRegression(Random rng)
    {
        // Ridge regression, retrained in closed form on 100 random halves. For a linear measurement f_q = x_q·θ the
        // influence of up-weighting example i is x_q·H⁻¹x_i r_i (r_i its residual at the optimum): near-exact here.
        int n = 300,
            d = 5,
            queries = 40,
            subsets = 100;
        double lambda = 1.0;
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        var x = new double[n][];
        var y = new double[n];
        var truth = Enumerable.Range(0, d).Select(_ => Normal()).ToArray();
        for (int i = 0; i < n; i++)
        {
            x[i] = Enumerable.Range(0, d).Select(_ => Normal()).ToArray();
            y[i] = Dot(x[i], truth) + 0.5 * Normal();
        }
        var xq = Enumerable
            .Range(0, queries)
            .Select(_ => Enumerable.Range(0, d).Select(_ => Normal()).ToArray())
            .ToArray();
        var all = Enumerable.Range(0, n).ToArray();
        var theta = Fit(x, y, all, lambda);
        var h = Hessian(x, all, lambda);
        var exact = new double[queries, n];
        for (int q = 0; q < queries; q++)
        {
            var hq = Solve(h, xq[q]);
            for (int i = 0; i < n; i++)
                exact[q, i] = Dot(hq, x[i]) * (y[i] - Dot(x[i], theta));
        }
        var draws = Enumerable.Range(0, subsets).Select(s => SubsetDraw.Draw(n, 0.5, 9, s)).ToList();
        var measured = new double[subsets, queries];
        for (int s = 0; s < subsets; s++)
        {
            var th = Fit(x, y, draws[s], lambda);
            for (int q = 0; q < queries; q++)
                measured[s, q] = Dot(xq[q], th);
        }
        return (exact, draws, measured);
    }

    private static double Dot(double[] a, double[] b) => a.Zip(b, (u, v) => u * v).Sum();

    private static double[,] Hessian(double[][] x, int[] rows, double lambda)
    {
        int d = x[0].Length;
        var h = new double[d, d];
        foreach (int i in rows)
            for (int a = 0; a < d; a++)
            for (int b = 0; b < d; b++)
                h[a, b] += x[i][a] * x[i][b];
        for (int a = 0; a < d; a++)
            h[a, a] += lambda;
        return h;
    }

    private static double[] Fit(double[][] x, double[] y, int[] rows, double lambda)
    {
        var rhs = new double[x[0].Length];
        foreach (int i in rows)
            for (int a = 0; a < rhs.Length; a++)
                rhs[a] += x[i][a] * y[i];
        return Solve(Hessian(x, rows, lambda), rhs);
    }

    /// <summary>Gaussian elimination with partial pivoting (the systems are small and well conditioned).</summary>
    private static double[] Solve(double[,] m, double[] rhs)
    {
        int d = rhs.Length;
        var a = (double[,])m.Clone();
        var b = (double[])rhs.Clone();
        for (int c = 0; c < d; c++)
        {
            int p = Enumerable.Range(c, d - c).MaxBy(r => Math.Abs(a[r, c]));
            for (int k = 0; k < d; k++)
                (a[c, k], a[p, k]) = (a[p, k], a[c, k]);
            (b[c], b[p]) = (b[p], b[c]);
            for (int r = c + 1; r < d; r++)
            {
                double f = a[r, c] / a[c, c];
                for (int k = c; k < d; k++)
                    a[r, k] -= f * a[c, k];
                b[r] -= f * b[c];
            }
        }
        var xs = new double[d];
        for (int r = d - 1; r >= 0; r--)
        {
            double t = b[r];
            for (int k = r + 1; k < d; k++)
                t -= a[r, k] * xs[k];
            xs[r] = t / a[r, r];
        }
        return xs;
    }
}
