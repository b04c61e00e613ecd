namespace InfraSharp.Reporting;

/// <summary>What an analysis folder is computed from and how (written whole into its manifest).</summary>
public sealed record AnalysisRunArguments
{
    public required string Scores { get; init; }
    public required string Train { get; init; }
    public required string Queries { get; init; }
    public string[] GroupBy { get; init; } = ["domain", "difficulty"];
    public string[] QueryGroupBy { get; init; } = ["domain"];
    public string? Lexicon { get; init; }

    /// <summary>Model/tokenizer folder (default: the one the scores were computed with).</summary>
    public string? Model { get; init; }
    public int TopK { get; init; } = 5;
    public string? HeatmapQuery { get; init; }

    /// <summary>Rescore the training examples without their exploratory steps (needs per-token scores).</summary>
    public bool Counterfactual { get; init; } = true;
    public string Title { get; init; } = "InfraSharp influence report";

    /// <summary>An LDS folder (<c>infra validate lds</c>) whose table and scatterplots the report includes.</summary>
    public string? Lds { get; init; }

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
