namespace InfraSharp.Attribution;

/// <summary>The tables <c>infra analyze</c> produces (one record type per file).</summary>
public sealed record ExampleLevelRow(
    string QueryGroup,
    string TrainGroup,
    Statistics.Summary Stats,
    double MeanRaw,
    string Normalization
);

/// <summary>
/// One of a query's top proponents or opponents: the raw score, normalised by the query's mean |score|, over the
/// query's self-influence (NaN without it) and the predicted change of the answer's mean log-likelihood (NaN for a
/// loss run); see <see cref="InfraSharp.Influence.ScoreReading"/>.
/// </summary>
public sealed record TopExampleRow(
    string QueryId,
    string QueryGroup,
    string Kind,
    int Rank,
    string TrainId,
    string TrainGroup,
    double Score,
    double Normalized,
    string Snippet,
    double RelativeToSelf = double.NaN,
    double DeltaMeanLogProb = double.NaN
);

public sealed record SequenceRow(string QueryGroup, string Tag, Statistics.Summary Stats);

public sealed record CounterfactualRow(
    string QueryGroup,
    double MeanWith,
    double MeanWithout,
    Statistics.Summary Change
);

public sealed record TokenRow(
    string QueryGroup,
    string Token,
    string Category,
    int Count,
    double Mean,
    double ShareTop1Pct
);

public sealed record TokenCategoryRow(string QueryGroup, string Category, Statistics.Summary Stats);

/// <summary>One training example's tokens with their influence on a query (for the report's heatmaps).</summary>
public sealed record TokenHeat(string TrainId, double Score, IReadOnlyList<(string Token, double Value)> Tokens);

public sealed record AnalysisResult
{
    /// <summary>How the scores read (the measurement's sign line, the readings), from the score folder.</summary>
    public required InfraSharp.Influence.ScoreReading Reading { get; init; }
    public required string Normalization { get; init; }
    public required IReadOnlyList<string> TrainKeys { get; init; }
    public required IReadOnlyList<string> QueryKeys { get; init; }
    public required List<ExampleLevelRow> ExampleLevel { get; init; }
    public required List<TopExampleRow> TopExamples { get; init; }
    public List<SequenceRow> SequenceLevel { get; init; } = [];
    public List<CounterfactualRow> Counterfactual { get; init; } = [];
    public List<TokenRow> TokenLevel { get; init; } = [];
    public List<TokenCategoryRow> TokenCategories { get; init; } = [];

    /// <summary>For the chosen query: its id and the most influential training examples' token heatmaps.</summary>
    public (string QueryId, List<TokenHeat> Examples)? Heatmaps { get; init; }
}
