using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using InfraSharp.Influence;
using InfraSharp.Storage;

namespace InfraSharp.Index;

/// <summary>
/// An index query folder (what <see cref="IndexQueryRun"/> writes): its kind, file and tensor names, the files it
/// owns and its manifest's typed parts. The query has no plan (nothing is compared: a query is rerun whole).
/// </summary>
public sealed record IndexQueryFolder(
    string Dir,
    IndexQueryRunArguments Arguments,
    IndexQueryInputs Inputs,
    IndexQueryInfo Info
)
{
    /// <summary>The run kind of an index query folder's manifest.</summary>
    public const string Kind = "index_query";

    /// <summary>Per query, the ids and scores of the top and bottom k rows, best first.</summary>
    public const string TopFile = "top.jsonl";

    /// <summary>With full scores: [queries, rows] in index row order, tensor <see cref="ScoresTensor"/>.</summary>
    public const string ScoresFile = "scores.safetensors";

    /// <summary>The same tensor name, and sign, as a score folder's.</summary>
    public const string ScoresTensor = ScoreFolder.ScoresTensor;

    /// <summary>What an index query writes into its folder.</summary>
    public static readonly string[] OwnedFiles = [TopFile, ScoresFile];

    /// <summary>What the query scores measure (see <see cref="Influence.Measurement"/>).</summary>
    public Measurement Measurement => Arguments.Measurement;

    /// <summary>The full score matrix's path (<see cref="ScoresFile"/>), written only with full scores.</summary>
    public string ScoresPath => Path.Combine(Dir, ScoresFile);

    /// <summary>The index query folder <paramref name="dir"/> (<paramref name="option"/> in messages).</summary>
    public static IndexQueryFolder Open(string dir, string option) =>
        From(RunFolder.Open(dir, option, "index query folder", Kind));

    /// <summary>The typed folder of a manifest opened as an index query's.</summary>
    public static IndexQueryFolder From(RunFolder f)
    {
        if (f.Kind != Kind)
            throw new ArgumentException($"{f.ManifestPath}: a '{f.Kind}' run, not an index query", nameof(f));
        var json = IndexJson.Manifest;
        return new IndexQueryFolder(
            f.Dir,
            f.Arguments(json.IndexQueryRunArguments),
            f.Inputs(json.IndexQueryInputs),
            f.Info(json.IndexQueryInfo) ?? throw InputError.Data($"{f.ManifestPath}: no info")
        );
    }

    /// <summary>The manifest an index query writes (the arguments normalised).</summary>
    public static RunManifest Manifest(IndexQueryRunArguments arguments, IndexQueryInputs inputs, IndexQueryInfo info)
    {
        var json = IndexJson.Manifest;
        return new RunManifest(
            Kind,
            RunFolder.Node(arguments, json.IndexQueryRunArguments),
            RunFolder.Node(inputs, json.IndexQueryInputs),
            Plan: new JsonObject(),
            RunFolder.Node(info, json.IndexQueryInfo)
        )
        {
            Owns = OwnedFiles,
        };
    }

    /// <summary>
    /// What the index's rows were when the scores were computed (a later append changes the index, not them).
    /// </summary>
    public static string RowIdsFingerprint(IEnumerable<string> ids) => Fingerprint.Text(string.Join("\n", ids));
}

/// <summary>The fingerprint of the model the index (and so the query) is of.</summary>
public sealed record IndexQueryInputs
{
    /// <summary>Fingerprint of the model the index, and the query's gradients, are of.</summary>
    public required string Model { get; init; }
}

/// <summary>What the scores are over: the queries and the index's rows, in order.</summary>
public sealed record IndexQueryInfo
{
    /// <summary>The query ids, in score-row order.</summary>
    public required IReadOnlyList<string> Queries { get; init; }

    /// <summary>The index's row count when the query ran.</summary>
    public required long Rows { get; init; }

    /// <summary>What a positive score means for the query's measurement.</summary>
    public required string Sign { get; init; }

    /// <summary>Which reading the scores are (raw) and how to convert them; null (and not written) in folders
    /// written before.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Reading { get; init; }

    /// <summary>The layout of <see cref="IndexQueryFolder.ScoresFile"/>.</summary>
    public required string Scores { get; init; }

    /// <summary>See <see cref="IndexQueryFolder.RowIdsFingerprint"/>.</summary>
    [JsonPropertyName("row_ids_sha256")]
    public required string RowIdsSha256 { get; init; }
}
