using System.Text.Json.Serialization;

namespace InfraSharp.Curation;

/// <summary>Which rule or measurement the next training mix follows.</summary>
public enum CurationStrategy
{
    /// <summary>
    /// The Infra paper's rule: shift each domain's mass between difficulty levels
    /// (<see cref="CurationRunArguments.Flip"/>).
    /// </summary>
    [JsonStringEnumMemberName("flip-difficulty")]
    FlipDifficulty,

    /// <summary>
    /// Keep the training rows with the highest aggregated influence on the target queries of
    /// <see cref="CurationRunArguments.Scores"/>.
    /// </summary>
    [JsonStringEnumMemberName("influence-top")]
    InfluenceTop,

    /// <summary>
    /// Reweight attribute groups by their measured mean influence (from the analysis folder
    /// <see cref="CurationRunArguments.Analysis"/>).
    /// </summary>
    [JsonStringEnumMemberName("attribute-influence")]
    AttributeInfluence,

    /// <summary>Rows drawn uniformly with replacement (seeded): the control the other mixes are measured by.</summary>
    [JsonStringEnumMemberName("random-control")]
    RandomControl,
}

/// <summary>A curation of a training set: strategy, mode and the strategy's settings (written beside the
/// output).</summary>
public sealed record CurationRunArguments
{
    /// <summary>The training rows to curate (JSONL).</summary>
    public required string Data { get; init; }

    /// <summary>Which rule or measurement drives the curation.</summary>
    public CurationStrategy Strategy { get; init; } = CurationStrategy.FlipDifficulty;

    /// <summary>Whether rows are drawn or weighted.</summary>
    public CurationMode Mode { get; init; } = CurationMode.Replace;

    /// <summary>flip-difficulty: direction per domain (up, down, keep).</summary>
    public DifficultyFlip Flip { get; init; } = DifficultyFlip.Infra;

    /// <summary>flip-difficulty: exponent of the level multipliers.</summary>
    public double Strength { get; init; } = 1.0;

    /// <summary>influence-top: score folder of the target queries.</summary>
    public string? Scores { get; init; }

    /// <summary>influence-top: fraction kept.</summary>
    public double Fraction { get; init; } = 0.5;

    /// <summary>attribute-influence: folder written by the analysis run.</summary>
    public string? Analysis { get; init; }

    /// <summary>influence-top (weight) and attribute-influence: larger moves less.</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>
    /// Replace mode: candidate rows (JSONL) the mix is selected from without replacement instead of redrawing the
    /// training rows, with the training set's row count, domain counts and length budget (within 2%); influence-top
    /// then needs scores computed over the pool. Null: redraw the training rows (and report the duplicates). Not
    /// written when null, so manifests from before it keep their bytes.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Pool { get; init; }

    /// <summary>
    /// With <see cref="Pool"/>: a model or tokenizer folder whose tokenizer and chat template measure the length
    /// budget in tokens; null: in characters of the messages. Not written when null.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Tokenizer { get; init; }

    /// <summary>Seed of the draws (replace mode, and random-control in either mode).</summary>
    public int Seed { get; init; }

    /// <summary>
    /// Range checks, what the strategy needs, and the data's presence, each message naming its property's path.
    /// </summary>
    public void Validate(ArgumentPath at = default)
    {
        if (!File.Exists(Data))
            throw InputError.MissingFileAt($"{at / "data"} {Data}: no such file", Data);
        if (!(Strength > 0 && double.IsFinite(Strength)))
            throw InputError.ArgumentAt($"{at / "strength"} must be > 0 (got {Strength})");
        if (!(Temperature > 0 && double.IsFinite(Temperature)))
            throw InputError.ArgumentAt($"{at / "temperature"} must be > 0 (got {Temperature})");
        if (Fraction is not (> 0 and <= 1))
            throw InputError.ArgumentAt($"{at / "fraction"} must be in (0, 1] (got {Fraction})");
        if (Strategy == CurationStrategy.InfluenceTop && Scores is null)
            throw InputError.ArgumentAt($"influence-top needs {at / "scores"}");
        if (Strategy == CurationStrategy.AttributeInfluence && Analysis is null)
            throw InputError.ArgumentAt($"attribute-influence needs {at / "analysis"}");
        if (Pool is null)
        {
            if (Tokenizer is not null)
                throw InputError.ArgumentAt(
                    $"{at / "tokenizer"} measures a pool selection's budget: it needs {at / "pool"}"
                );
            return;
        }
        if (Mode != CurationMode.Replace)
            throw InputError.ArgumentAt(
                $"{at / "pool"} selects rows: it needs mode replace (weight mode weights --data)"
            );
        if (!File.Exists(Pool))
            throw InputError.MissingFileAt($"{at / "pool"} {Pool}: no such file", Pool);
        if (Tokenizer is not null && !File.Exists(System.IO.Path.Combine(Tokenizer, "tokenizer.json")))
            throw InputError.MissingFileAt(
                $"{at / "tokenizer"} {Tokenizer}: no tokenizer.json there",
                System.IO.Path.Combine(Tokenizer, "tokenizer.json")
            );
    }
}
