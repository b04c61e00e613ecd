namespace InfraSharp.Evaluation;

/// <summary>The unbiased pass@k estimator of Chen et al. (2021): 1 - C(n-c, k) / C(n, k).</summary>
internal static class PassAtK
{
    public static double Estimate(int n, int correct, int k)
    {
        if (k > n)
            throw InputError.Argument($"pass@{k} needs at least {k} samples, got {n}");
        if (n - correct < k)
            return 1.0;
        // Product form avoids huge binomials: prod_{i=n-c+1}^{n} (1 - k/i).
        double p = 1.0;
        for (int i = n - correct + 1; i <= n; i++)
            p *= 1.0 - (double)k / i;
        return 1.0 - p;
    }
}
