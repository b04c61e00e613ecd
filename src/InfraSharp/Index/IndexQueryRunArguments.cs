using System.Text.Json.Serialization;
using InfraSharp.Influence;

namespace InfraSharp.Index;

/// <summary>A query of an index: which queries, against which rows, what to keep.</summary>
public sealed record IndexQueryRunArguments
{
    /// <summary>The index folder to query.</summary>
    public required string Index { get; init; }

    /// <summary>The query rows (JSONL or Parquet).</summary>
    public required string Queries { get; init; }

    /// <summary>The model folder; by default the one the index was built from (its fingerprint is checked).</summary>
    public string? Model { get; init; }

    /// <summary>Rows kept per query at each end (top proponents and bottom opponents).</summary>
    public int TopK { get; init; } = 100;

    /// <summary><c>key=value</c> conditions on the training rows' attributes, all of which must hold.</summary>
    public IReadOnlyList<RowFilter> Filters { get; init; } = [];

    /// <summary>Also write the whole [queries, rows] score matrix.</summary>
    public bool FullScores { get; init; }

    /// <summary>What the query scores measure.</summary>
    public Measurement Measurement { get; init; } = Measurement.Loss;

    /// <summary>
    /// Another preconditioner than the index's, among those its fitted factors serve (an <c>ekfac</c> index also
    /// serves <c>kfac</c> and <c>none</c>); null: the index's own.
    /// </summary>
    public IndexPrecondition? Precondition { get; init; }

    /// <summary>Added to the eigenvalues before inversion; null: 0.1 × their mean per module.</summary>
    public double? Damping { get; init; }

    /// <summary>
    /// Two-stage queries: the store's candidates scored again exactly, or not. The rescoring properties are not
    /// written at their defaults, so that manifests of queries from before them keep their bytes.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public IndexRescore Rescore { get; init; } = IndexRescore.None;

    /// <summary>With <see cref="Rescore"/> exact: the factor folder the exact scores use.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Factors { get; init; }

    /// <summary>
    /// With <see cref="Rescore"/> exact: each query's top and bottom candidates scored again (null: 1,000).
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? RescoreK { get; init; }

    /// <summary>The candidates per side that exact rescoring scores again.</summary>
    [JsonIgnore]
    public int RescoreCandidates => RescoreK ?? 1000;

    /// <summary>A copy with the paths made absolute (as manifests record them).</summary>
    public IndexQueryRunArguments Normalized() =>
        this with
        {
            Index = Path.GetFullPath(Index),
            Queries = Path.GetFullPath(Queries),
            Model = Model is null ? null : Path.GetFullPath(Model),
            Factors = Factors is null ? null : Path.GetFullPath(Factors),
        };

    /// <summary>Range checks and the queries' presence, each message naming its property's path.</summary>
    public void Validate(ArgumentPath at = default)
    {
        if (TopK < 1)
            throw InputError.ArgumentAt($"{at / "top_k"} must be at least 1 (got {TopK})");
        if (Damping is double d && !(d >= 0 && double.IsFinite(d)))
            throw InputError.ArgumentAt($"{at / "damping"} must be a finite value >= 0 (got {d})");
        if (!File.Exists(Queries))
            throw InputError.MissingFileAt($"{at / "queries"} {Queries}: no such file", Queries);
        if (Rescore == IndexRescore.None)
        {
            if (Factors is not null)
                throw InputError.ArgumentAt(
                    $"{at / "factors"} is for exact rescoring: it needs {at / "rescore"} exact"
                );
            return;
        }
        if (RescoreCandidates < TopK)
            throw InputError.ArgumentAt(
                $"{at / "rescore_k"} must be at least {at / "top_k"} ({TopK}; got {RescoreCandidates})"
            );
        if (Model is null)
            throw InputError.ArgumentAt($"{at / "rescore"} exact needs {at / "model"} (the model the factors fit)");
        if (Factors is null)
            throw InputError.ArgumentAt($"{at / "rescore"} exact needs {at / "factors"}");
        if (!Directory.Exists(Factors))
            throw InputError.MissingFileAt($"{at / "factors"} {Factors}: no such folder", Factors);
    }
}
