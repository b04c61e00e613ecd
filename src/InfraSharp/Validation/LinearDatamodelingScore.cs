namespace InfraSharp.Validation;

/// <summary>
/// A strategy's linear datamodeling score: for each query, the Spearman correlation over the random subsets between
/// the summed scores of each subset's examples (the prediction) and what the query measured on the model retrained
/// on that subset; the LDS is the mean over queries, with a bootstrap CI over queries.
/// </summary>
public sealed record LinearDatamodelingScore(
    string Strategy,
    double Lds,
    double CiLow,
    double CiHigh,
    int Queries,
    int Subsets,
    IReadOnlyList<double> PerQuery
)
{
    /// <summary>The LDS of one strategy's scores against the retrained models' measurements.</summary>
    /// <param name="strategy">The strategy's name, as the result records it.</param>
    /// <param name="scores">[queries, train], positive = helps.</param>
    /// <param name="subsets">The training indices of each subset.</param>
    /// <param name="measured">[subsets, queries]: the retrained models' measurements, oriented so that larger is
    /// better (log-likelihood, or minus the loss), so that a perfect prediction has LDS 1.</param>
    /// <param name="seed">Seed of the bootstrap over queries.</param>
    /// <param name="resamples">Bootstrap resamples for the CI.</param>
    public static LinearDatamodelingScore Compute(
        string strategy,
        double[,] scores,
        IReadOnlyList<int[]> subsets,
        double[,] measured,
        long seed,
        int resamples = Bootstrap.DefaultResamples
    )
    {
        int q = scores.GetLength(0);
        if (measured.GetLength(0) != subsets.Count || measured.GetLength(1) != q)
            throw new ArgumentException(
                $"measurements are [{measured.GetLength(0)}, {measured.GetLength(1)}], "
                    + $"expected [{subsets.Count} subsets, {q} queries]"
            );
        var predicted = SubsetDraw.Sums(scores, subsets);
        var perQuery = new double[q];
        for (int j = 0; j < q; j++)
        {
            var x = Enumerable.Range(0, subsets.Count).Select(s => predicted[s, j]).ToArray();
            var y = Enumerable.Range(0, subsets.Count).Select(s => measured[s, j]).ToArray();
            perQuery[j] = RankCorrelation.Spearman(x, y);
        }
        // A query whose measurement (or prediction) does not vary has no ranking to predict: left out, and counted.
        var defined = perQuery.Where(v => !double.IsNaN(v)).ToList();
        var (mean, lo, hi) = Bootstrap.MeanInterval(defined, seed, resamples);
        return new LinearDatamodelingScore(strategy, mean, lo, hi, defined.Count, subsets.Count, perQuery);
    }
}
