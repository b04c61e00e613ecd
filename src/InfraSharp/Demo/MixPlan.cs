using InfraSharp.Curation;
using InfraSharp.Influence;

namespace InfraSharp.Demo;

/// <summary>
/// One curated mix of a demo or an experiment: its name, the curation that selects it from the pool, and for a
/// ranking (influence-top) the score source run over the pool's rows (EK-FAC or a baseline).
/// </summary>
/// <param name="Name">The mix's name in tables, folders and files (<c>train-NAME.jsonl</c>).</param>
/// <param name="Strategy">The curation strategy.</param>
/// <param name="PoolScores">influence-top: which scores rank the pool's rows; else null.</param>
public sealed record MixPlan(string Name, CurationStrategy Strategy, StrategyKind? PoolScores = null)
{
    /// <summary>The demo's mixes: the paper's rule, the measured attributes, and the random control.</summary>
    public static readonly IReadOnlyList<MixPlan> Demo =
    [
        new("flip-difficulty", CurationStrategy.FlipDifficulty),
        new("attribute-influence", CurationStrategy.AttributeInfluence),
        new("random-control", CurationStrategy.RandomControl),
    ];

    /// <summary>
    /// The experiment's mixes besides the original: the rule, the measured attributes, the top rows by EK-FAC and by
    /// the two cheap baselines, and random rows, all drawn from the same pool.
    /// </summary>
    public static readonly IReadOnlyList<MixPlan> Experiment =
    [
        new("flip-difficulty", CurationStrategy.FlipDifficulty),
        new("attribute-influence", CurationStrategy.AttributeInfluence),
        new("influence-top", CurationStrategy.InfluenceTop, StrategyKind.Ekfac),
        new("repsim-top", CurationStrategy.InfluenceTop, StrategyKind.Repsim),
        new("bm25-top", CurationStrategy.InfluenceTop, StrategyKind.Bm25),
        new("random", CurationStrategy.RandomControl),
    ];
}
