using System.CommandLine;
using InfraSharp.Cli.Commands;
using InfraSharp.Index;

namespace InfraSharp.Cli.Binding;

/// <summary>The options of <see cref="IndexQueryRunArguments"/> (a query of an index), with its defaults.</summary>
public sealed class IndexQueryRunArgumentsBinder : ArgumentsBinder<IndexQueryRunArguments>
{
    private static readonly IndexQueryRunArguments Defaults = new() { Index = "", Queries = "" };

    public Option<string> Index { get; }
    public Option<string?> Model { get; }
    public Option<string> Queries { get; }
    public Option<int> TopK { get; }
    public Option<RowFilter[]> Filters { get; }
    public Option<bool> FullScores { get; }
    public Option<Influence.Measurement> Measurement { get; }
    public Option<IndexPrecondition?> Precondition { get; }
    public Option<double?> Damping { get; }
    public Option<IndexRescore> Rescore { get; }
    public Option<string?> Factors { get; }
    public Option<int?> RescoreK { get; }

    public IndexQueryRunArgumentsBinder()
    {
        Index = Sets("index", CliOptions.Path("--index", "Index folder written by infra index build"));
        Model = Sets(
            "model",
            CliOptions.OptionalPath("--model", "Model folder (default: the one the index was built from)")
        );
        Queries = Sets("queries", CliOptions.Path("--queries", "Query rows (JSONL or Parquet)"));
        TopK = Sets("top_k", CliOptions.Int("--top-k", "Proponents and opponents kept per query", Defaults.TopK));
        Filters = Sets(
            "filters",
            CliOptions.ParsedList<RowFilter>(
                "--filter",
                "key=value on the training rows' attributes, such as domain=math (repeatable; all must hold)"
            )
        );
        FullScores = Sets(
            "full_scores",
            new Option<bool>("--full-scores") { Description = "Also write every score, [queries, rows]" }
        );
        Measurement = Sets(
            "measurement",
            InfluenceOptions.Measurement(Defaults.Measurement, "What the query gradient differentiates")
        );
        Precondition = Sets(
            "precondition",
            CliOptions.OptionalEnum<IndexPrecondition>(
                "--precondition",
                "Another preconditioner than the index's, among those its factors serve "
                    + "(ekfac also serves kfac and none)"
            )
        );
        Damping = Sets("damping", InfluenceOptions.Damping("Added to the eigenvalues (default 0.1 × their mean)"));
        Rescore = Sets(
            "rescore",
            CliOptions.Enum(
                "--rescore",
                "exact: score each query's top and bottom candidates again with full gradients and --factors, and "
                    + "rank by those scores (needs --model)",
                Defaults.Rescore
            )
        );
        Factors = Sets("factors", CliOptions.OptionalPath("--factors", "With --rescore exact: the factor folder"));
        RescoreK = Sets(
            "rescore_k",
            new Option<int?>("--rescore-k")
            {
                Description =
                    $"With --rescore exact: candidates per side scored again (default {Defaults.RescoreCandidates})",
            }
        );
    }

    public override IndexQueryRunArguments Bind(ParseResult result) =>
        new()
        {
            Index = result.GetValue(Index)!,
            Model = result.GetValue(Model),
            Queries = result.GetValue(Queries)!,
            TopK = result.GetValue(TopK),
            Filters = result.GetValue(Filters) ?? [],
            FullScores = result.GetValue(FullScores),
            Measurement = result.GetValue(Measurement),
            Precondition = result.GetValue(Precondition),
            Damping = result.GetValue(Damping),
            Rescore = result.GetValue(Rescore),
            Factors = result.GetValue(Factors),
            RescoreK = result.GetValue(RescoreK),
        };
}
