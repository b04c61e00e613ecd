using System.Text.Json.Serialization;
using InfraSharp.Influence;
using InfraSharp.Models;

namespace InfraSharp.Index;

/// <summary>
/// What defines a gradient index, written whole into its manifest and compared on every build and append: the
/// model, the tracked modules, the projection (dimensions and seed), the preconditioner and how vectors are stored.
/// The training data is not here: an index grows by appending segments of data (see <see cref="IndexSegment"/>).
/// </summary>
public sealed record IndexArguments
{
    /// <summary>The model folder whose gradients are indexed.</summary>
    public required string Model { get; init; }

    /// <summary>Which linear modules' gradients are projected into the vectors.</summary>
    public ModuleSelection Modules { get; init; } = ModuleSelection.Mlp;

    /// <summary>See <see cref="ProjectionSpec"/>: <c>16</c>, <c>full</c>, <c>8:32</c>, <c>mlp=16,attn=8</c>.</summary>
    public ProjectionSpec ProjectionDim { get; init; } = ProjectionSpec.Default;

    /// <summary>
    /// <c>none</c>, or a strategy of the registry (<c>kfac</c>, <c>ekfac</c>, <c>diagonal</c>) fitted in the projected
    /// space.
    /// </summary>
    public IndexPrecondition Precondition { get; init; } = IndexPrecondition.Ekfac;

    /// <summary>A factor folder of the same model whose covariances are projected instead of re-estimated.</summary>
    public string? Factors { get; init; }

    /// <summary>Seed of the projection matrices.</summary>
    public long Seed { get; init; }

    /// <summary><c>float16</c> (half the bytes; rows scaled by their largest magnitude) or <c>float32</c>.</summary>
    public StoreDType StoreDType { get; init; } = StoreDType.Float16;

    /// <summary>Rows per shard file (a shard ends at the first batch boundary at or past it).</summary>
    public int ShardRows { get; init; } = 65_536;

    /// <summary>Tokens per batch while computing gradients (a memory bound; does not change the vectors).</summary>
    public int TokensPerBatch { get; init; } = 4096;

    /// <summary>The model's compute dtype while computing gradients.</summary>
    [JsonPropertyName("dtype")]
    public ComputeDType DType { get; init; } = ComputeDType.Float32;

    /// <summary>
    /// The strategy the preconditioner is fitted and applied as (<c>none</c> is the identity). Derived, yet written
    /// into manifests (<c>strategy_name</c>) as it always was.
    /// </summary>
    public StrategyKind StrategyName => Precondition.Strategy();

    /// <summary>A copy with the model and factor paths made absolute (as manifests record them).</summary>
    public IndexArguments Normalized() =>
        this with
        {
            Model = Path.GetFullPath(Model),
            Factors = Factors is null ? null : Path.GetFullPath(Factors),
        };

    /// <summary>
    /// Range checks and the factor folder's presence, each message naming its property's path under
    /// <paramref name="at"/>; a malformed projection is refused by <see cref="ProjectionSpec.Validate"/>.
    /// </summary>
    public void Validate(ArgumentPath at = default)
    {
        ProjectionDim.Validate();
        if (!Enum.IsDefined(StoreDType))
            throw InputError.ArgumentAt($"{at / "store_d_type"} must be float16 or float32 (got {StoreDType})");
        if (!Enum.IsDefined(Precondition))
            throw InputError.ArgumentAt($"{at / "precondition"} is not a preconditioner ({Precondition})");
        if (ShardRows < 1)
            throw InputError.ArgumentAt($"{at / "shard_rows"} must be at least 1 (got {ShardRows})");
        if (TokensPerBatch < 1)
            throw InputError.ArgumentAt($"{at / "tokens_per_batch"} must be at least 1 (got {TokensPerBatch})");
        if (Factors is not null && !Directory.Exists(Factors))
            throw InputError.MissingFileAt($"{at / "factors"} {Factors}: no such folder", Factors);
    }
}
