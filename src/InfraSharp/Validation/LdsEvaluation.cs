using InfraSharp.Influence;

namespace InfraSharp.Validation;

/// <summary>
/// What an LDS folder's measurements are compared with: strategies whose factors and pairwise scores the run computes
/// itself (each a factor run and a score run with manifests of their own under <c>strategies/NAME/</c>), and score
/// folders computed elsewhere.
/// </summary>
public sealed record LdsEvaluation
{
    /// <summary>Strategies whose factors and scores the run fits itself (default: all four).</summary>
    public IReadOnlyList<StrategyKind> Strategies { get; init; } =
    [StrategyKind.Identity, StrategyKind.Diagonal, StrategyKind.Kfac, StrategyKind.Ekfac];

    /// <summary>Pairwise score folders computed elsewhere, scored as they are.</summary>
    public IReadOnlyList<string> Scores { get; init; } = [];

    /// <summary>Modules the strategies track (the Infra paper's setting: the MLP layers).</summary>
    public ModuleSelection Modules { get; init; } = ModuleSelection.Mlp;

    /// <summary>
    /// What the strategies' scores measure; a given score folder's own measurement is read from its manifest.
    /// </summary>
    public Measurement Measurement { get; init; } = Measurement.MeanLogProb;

    /// <summary>Padded tokens per batch of the strategies' factor and score runs.</summary>
    public int TokensPerBatch { get; init; } = 4096;

    /// <summary>What there is to compare, each message naming its property's path; the CLI writes its flag.</summary>
    public void Validate(ArgumentPath at = default)
    {
        var (strategies, scores) = (at / "strategies", at / "scores");
        foreach (var s in Scores)
            if (!Directory.Exists(s))
                throw InputError.MissingFileAt($"{scores} {s}: no such folder", s);
        if (Strategies.Count + Scores.Count == 0)
            throw InputError.ArgumentAt($"give {strategies} or {scores}: there is nothing to validate");
        if (Strategies.Distinct().Count() != Strategies.Count)
            throw InputError.ArgumentAt($"{strategies} names a strategy twice");
        if (TokensPerBatch < 1)
            throw InputError.ArgumentAt($"{at / "tokens_per_batch"} must be at least 1 (got {TokensPerBatch})");
    }
}
