using System.Text.Json.Nodes;
using InfraSharp.Storage;

namespace InfraSharp.Reporting;

/// <summary>
/// An analysis folder (what <see cref="AnalysisRun"/> writes): its kind, its tables' file and column names, the files
/// it owns and its manifest's typed parts. Curation and the explorer read its tables by these names.
/// </summary>
public sealed record AnalysisFolder(string Dir, AnalysisRunArguments Arguments, AnalysisInputs Inputs)
{
    /// <summary>The run kind of an analysis folder's manifest.</summary>
    public const string Kind = "analysis";

    /// <summary>The tables, each written as <c>NAME.csv</c> and <c>NAME.parquet</c> with the same columns.</summary>
    public const string ExampleLevel = "example_level";

    /// <summary>Influence per reasoning-step tag and query group.</summary>
    public const string SequenceLevel = "sequence_level";

    /// <summary>Influence per response token and query group.</summary>
    public const string TokenLevel = "token_level";

    /// <summary>The top proponents and opponents of each query.</summary>
    public const string TopExamples = "top_examples";

    /// <summary>The attribute tables (example, sequence and token level), in the order they are shown.</summary>
    public static readonly string[] AttributeTables = [ExampleLevel, SequenceLevel, TokenLevel];

    /// <summary>Columns of <see cref="ExampleLevel"/> that curation reads: the groups, their mean influence.</summary>
    public const string QueryGroupColumn = "query_group";

    /// <summary>The training group column of <see cref="ExampleLevel"/>.</summary>
    public const string TrainGroupColumn = "train_group";

    /// <summary>The mean normalised influence column of <see cref="ExampleLevel"/>.</summary>
    public const string MeanColumn = "mean";

    /// <summary>The Markdown summary of the analysis.</summary>
    public const string SummaryFile = "summary.md";

    /// <summary>The self-contained HTML report.</summary>
    public const string ReportFile = "report.html";

    /// <summary>What an analysis run writes into its folder: the tables, the summary and the report.</summary>
    public static readonly string[] OwnedFiles = ["*.csv", "*.parquet", SummaryFile, ReportFile];

    /// <summary>
    /// The CSV file of <paramref name="table"/> (one of the table names above) in <paramref name="dir"/>.
    /// </summary>
    public static string CsvPath(string dir, string table) => Path.Combine(dir, table + ".csv");

    /// <summary>
    /// The Parquet file of <paramref name="table"/> (one of the table names above) in <paramref name="dir"/>.
    /// </summary>
    public static string ParquetPath(string dir, string table) => Path.Combine(dir, table + ".parquet");

    /// <summary>The analysis folder <paramref name="dir"/> (named by <paramref name="option"/> in messages).</summary>
    public static AnalysisFolder Open(string dir, string option = "--analysis")
    {
        var f = RunFolder.Open(dir, option, "analysis folder", Kind);
        var json = ReportingJson.Manifest;
        return new AnalysisFolder(dir, f.Arguments(json.AnalysisRunArguments), f.Inputs(json.AnalysisInputs));
    }

    /// <summary>The manifest an analysis run writes (the arguments normalised; nothing planned, no info).</summary>
    public static RunManifest Manifest(AnalysisRunArguments arguments, AnalysisInputs inputs)
    {
        var json = ReportingJson.Manifest;
        return new RunManifest(
            Kind,
            RunFolder.Node(arguments, json.AnalysisRunArguments),
            RunFolder.Node(inputs, json.AnalysisInputs),
            Plan: new JsonObject()
        )
        {
            Owns = OwnedFiles,
        };
    }
}

/// <summary>The fingerprint of the score folder's manifest and pairwise scores.</summary>
public sealed record AnalysisInputs
{
    /// <summary>Fingerprint of the score folder (its manifest and pairwise scores).</summary>
    public required string Scores { get; init; }
}
