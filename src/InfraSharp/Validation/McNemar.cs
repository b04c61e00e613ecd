namespace InfraSharp.Validation;

/// <summary>
/// McNemar's exact test for paired binary outcomes: of the discordant pairs (b: right before and wrong after; c:
/// the reverse), under no difference each is b or c with probability ½, so the two-sided p-value is
/// min(1, 2·P[Binomial(b + c, ½) ≤ min(b, c)]).
/// </summary>
internal static class McNemar
{
    public static double ExactP(int b, int c)
    {
        if (b < 0 || c < 0)
            throw new ArgumentOutOfRangeException(nameof(b), "counts must be non-negative");
        int n = b + c,
            k = Math.Min(b, c);
        if (n == 0)
            return 1.0;
        // Σ_{i ≤ k} C(n, i) / 2^n in log space (n can be thousands).
        double logHalfN = n * Math.Log(0.5),
            sum = 0,
            logC = 0;
        for (int i = 0; i <= k; i++)
        {
            if (i > 0)
                logC += Math.Log(n - i + 1) - Math.Log(i);
            sum += Math.Exp(logC + logHalfN);
        }
        return Math.Min(1.0, 2 * sum);
    }

    /// <summary>
    /// Discordant counts of paired outcomes: (right before and wrong after, wrong before and right after).
    /// </summary>
    public static (int Lost, int Gained) Discordant(IReadOnlyList<bool> before, IReadOnlyList<bool> after)
    {
        if (before.Count != after.Count)
            throw new ArgumentException($"paired outcomes differ in length ({before.Count} vs {after.Count})");
        int lost = 0,
            gained = 0;
        for (int i = 0; i < before.Count; i++)
        {
            if (before[i] && !after[i])
                lost++;
            if (!before[i] && after[i])
                gained++;
        }
        return (lost, gained);
    }
}
