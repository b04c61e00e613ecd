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
/// One of a query's top proponents or opponents (<c>top_examples</c>): the raw score, normalised by the query's mean
/// |score|, over the query's self-influence (NaN without it) and the predicted change of the answer's mean
/// log-likelihood (NaN for a loss run); see <see cref="InfraSharp.Influence.ScoreReading"/>.
/// </summary>
/// <param name="QueryId">The query's id.</param>
/// <param name="QueryGroup">The query's group key (its attributes, e.g. <c>domain=math|difficulty=3</c>).</param>
/// <param name="Kind"><c>proponent</c> (highest scores) or <c>opponent</c> (lowest).</param>
/// <param name="Rank">1-based rank within its kind.</param>
/// <param name="TrainId">The training example's id.</param>
/// <param name="TrainGroup">The training example's group key.</param>
/// <param name="Score">The raw pairwise score (positive: up-weighting the example helps the query).</param>
/// <param name="Normalized"><paramref name="Score"/> divided by the query's mean absolute score.</param>
/// <param name="Snippet">The start of the example's response text.</param>
/// <param name="RelativeToSelf"><paramref name="Score"/> over the query's self-influence (NaN without it).</param>
/// <param name="DeltaMeanLogProb">Predicted change of the answer's mean log-likelihood when the example's weight
/// rises by 1/n (score / n; NaN for a loss run).</param>
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

/// <summary>
/// Influence of one kind of reasoning step on a query group (<c>sequence_level</c>): per example, the summed normalised
/// per-token scores of its steps with this tag.
/// </summary>
/// <param name="QueryGroup">The query group key.</param>
/// <param name="Tag">The step tag from the lexicon (<c>exploration</c>, <c>code</c>, <c>prompt</c>, ...).</param>
/// <param name="Stats">Summary over the tagged steps' values.</param>
public sealed record SequenceRow(string QueryGroup, string Tag, Statistics.Summary Stats);

/// <summary>
/// The counterfactual of the sequence level (<c>counterfactual</c>): mean normalised influence of the edited examples
/// with and without their exploratory steps.
/// </summary>
/// <param name="QueryGroup">The query group key.</param>
/// <param name="MeanWith">Mean normalised influence of the original examples.</param>
/// <param name="MeanWithout">Mean normalised influence of the examples rescored without those steps.</param>
/// <param name="Change">Summary of the per-example change (without minus with).</param>
public sealed record CounterfactualRow(
    string QueryGroup,
    double MeanWith,
    double MeanWithout,
    Statistics.Summary Change
);

/// <summary>
/// Influence credited to one response token string (<c>token_level</c>), over tokens seen at least the minimum count.
/// </summary>
/// <param name="QueryGroup">The query group key.</param>
/// <param name="Token">The token's display key (trimmed text, or &lt;indent&gt;, &lt;newline&gt;,
/// &lt;space&gt;).</param>
/// <param name="Category">The lexicon category of the token (<c>other</c> when none).</param>
/// <param name="Count">Occurrences among the training responses.</param>
/// <param name="Mean">Mean normalised per-token score of its occurrences.</param>
/// <param name="ShareTop1Pct">Fraction of its occurrences in the top 1% of all token scores of the group.</param>
public sealed record TokenRow(
    string QueryGroup,
    string Token,
    string Category,
    int Count,
    double Mean,
    double ShareTop1Pct
);

/// <summary>Normalised per-token influence summarised per lexicon category (<c>token_categories</c>).</summary>
/// <param name="QueryGroup">The query group key.</param>
/// <param name="Category">The lexicon category (<c>other</c> when none matches).</param>
/// <param name="Stats">Summary over the category's token occurrences.</param>
public sealed record TokenCategoryRow(string QueryGroup, string Category, Statistics.Summary Stats);

/// <summary>One training example's tokens with their influence on a query (for the report's heatmaps).</summary>
public sealed record TokenHeat(string TrainId, double Score, IReadOnlyList<(string Token, double Value)> Tokens);

/// <summary>
/// Everything an analysis computed: the tables <see cref="Reporting.AnalysisWriter"/> writes and the HTML report shows.
/// </summary>
public sealed record AnalysisResult
{
    /// <summary>How the scores read (the measurement's sign line, the readings), from the score folder.</summary>
    public required InfraSharp.Influence.ScoreReading Reading { get; init; }

    /// <summary>How scores were normalised before grouping (score / mean absolute score of the query).</summary>
    public required string Normalization { get; init; }

    /// <summary>
    /// The training-row attributes that form the training groups (e.g. <c>domain</c>, <c>difficulty</c>).
    /// </summary>
    public required IReadOnlyList<string> TrainKeys { get; init; }

    /// <summary>The query attributes that form the query groups.</summary>
    public required IReadOnlyList<string> QueryKeys { get; init; }

    /// <summary>Mean normalised influence of each training group on each query group.</summary>
    public required List<ExampleLevelRow> ExampleLevel { get; init; }

    /// <summary>The top proponents and opponents of each query.</summary>
    public required List<TopExampleRow> TopExamples { get; init; }

    /// <summary>Influence per reasoning-step tag (empty without per-token scores).</summary>
    public List<SequenceRow> SequenceLevel { get; init; } = [];

    /// <summary>Influence with and without exploratory steps (empty unless requested).</summary>
    public List<CounterfactualRow> Counterfactual { get; init; } = [];

    /// <summary>Influence per response token string (empty without per-token scores).</summary>
    public List<TokenRow> TokenLevel { get; init; } = [];

    /// <summary>Influence per token category (empty without per-token scores).</summary>
    public List<TokenCategoryRow> TokenCategories { get; init; } = [];

    /// <summary>For the chosen query: its id and the most influential training examples' token heatmaps.</summary>
    public (string QueryId, List<TokenHeat> Examples)? Heatmaps { get; init; }
}
