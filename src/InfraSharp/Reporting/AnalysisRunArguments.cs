namespace InfraSharp.Reporting;

/// <summary>What an analysis folder is computed from and how (written whole into its manifest).</summary>
public sealed record AnalysisRunArguments
{
    /// <summary>The pairwise score folder analysed (with per-token scores for the sequence and token levels).</summary>
    public required string Scores { get; init; }

    /// <summary>The training rows the scores are of, whose attributes form the training groups.</summary>
    public required string Train { get; init; }

    /// <summary>The query rows the scores are of, whose attributes form the query groups.</summary>
    public required string Queries { get; init; }

    /// <summary>
    /// Training-row attributes to group by (any field, or <c>length_bucket</c>: quartiles of the token count).
    /// </summary>
    public string[] GroupBy { get; init; } = ["domain", "difficulty"];

    /// <summary>Query attributes to group by.</summary>
    public string[] QueryGroupBy { get; init; } = ["domain"];

    /// <summary>
    /// A lexicon JSON file of step tags and token categories; null: <see cref="Attribution.Lexicon.Default"/>.
    /// </summary>
    public string? Lexicon { get; init; }

    /// <summary>Model/tokenizer folder (default: the one the scores were computed with).</summary>
    public string? Model { get; init; }

    /// <summary>Proponents and opponents kept per query.</summary>
    public int TopK { get; init; } = 5;

    /// <summary>The query whose top examples get token heatmaps in the report; null: the first query.</summary>
    public string? HeatmapQuery { get; init; }

    /// <summary>Rescore the training examples without their exploratory steps (needs per-token scores).</summary>
    public bool Counterfactual { get; init; } = true;

    /// <summary>The report's title.</summary>
    public string Title { get; init; } = "InfraSharp influence report";

    /// <summary>An LDS folder (<c>infra validate lds</c>) whose table and scatterplots the report includes.</summary>
    public string? Lds { get; init; }

    /// <summary>A copy with the file paths made absolute (as manifests record them).</summary>
    public AnalysisRunArguments Normalized() =>
        this with
        {
            Scores = Path.GetFullPath(Scores),
            Train = Path.GetFullPath(Train),
            Queries = Path.GetFullPath(Queries),
            Lexicon = Lexicon is null ? null : Path.GetFullPath(Lexicon),
            Model = Model is null ? null : Path.GetFullPath(Model),
            Lds = Lds is null ? null : Path.GetFullPath(Lds),
        };

    /// <summary>Range checks, each message naming its property's path; the folders are checked when read.</summary>
    public void Validate(ArgumentPath at = default)
    {
        if (TopK < 1)
            throw InputError.ArgumentAt($"{at / "top_k"} must be at least 1 (got {TopK})");
        if (GroupBy.Length == 0 || QueryGroupBy.Length == 0)
            throw InputError.ArgumentAt($"{at / "group_by"} and {at / "query_group_by"} need at least one key");
    }
}
