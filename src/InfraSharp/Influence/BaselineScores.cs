using InfraSharp.Models;
using InfraSharp.Storage;
using InfraSharp.Text;
using static TorchSharp.torch;

namespace InfraSharp.Influence;

/// <summary>
/// A score source that needs no factors (random, representation similarity, BM25): it declares how a chunk of
/// training examples is scored against the queries, and <see cref="ScoreRun"/> writes its scores into the same
/// folder, files, chunks and sign convention as a gradient strategy's (larger = the training row is more similar to,
/// so read as more helpful for, the query), so every reader takes them unchanged.
/// </summary>
internal abstract class BaselineScores
{
    /// <summary>Which score source this is.</summary>
    public abstract StrategyKind Kind { get; }

    /// <summary>
    /// Whatever is computed once (the corpus statistics, the query representations), then a function that scores
    /// training examples [start, end) against every query: float32 [queries, end - start] on the CPU.
    /// </summary>
    public abstract IChunkScorer Prepare(
        LoadedModel model,
        IReadOnlyList<EncodedExample> queries,
        IReadOnlyList<EncodedExample> train,
        ScoreArguments settings,
        RunOptions options
    );

    /// <summary>
    /// The scores of one chunk of training examples; disposing frees what <see cref="Prepare"/> kept.
    /// </summary>
    public interface IChunkScorer : IDisposable
    {
        /// <summary>Float32 [queries, end - start] on the CPU.</summary>
        Tensor Score(int start, int end);
    }

    /// <summary>The one instance of each baseline.</summary>
    public static readonly IReadOnlyDictionary<StrategyKind, BaselineScores> Registry = new Dictionary<
        StrategyKind,
        BaselineScores
    >
    {
        [StrategyKind.Random] = new RandomScores(),
        [StrategyKind.Repsim] = new RepresentationSimilarity(),
        [StrategyKind.Bm25] = new Bm25Scores(),
    };

    /// <summary>Whether <paramref name="kind"/> is a baseline (no factors, no gradients).</summary>
    public static bool IsBaseline(StrategyKind kind) => Registry.ContainsKey(kind);

    /// <summary>
    /// What the CLI's help says the baselines are (one definition for every command that lists them).
    /// </summary>
    public const string Help =
        "baselines without factors: random (seeded N(0,1) scores, --seed), repsim (cosine of the mean last hidden "
        + "state over the answer tokens), bm25 (Okapi BM25, k1 = 1.2, b = 0.75, on the model tokenizer's tokens of "
        + "the whole row as encoded, each query token occurrence counted)";
}
