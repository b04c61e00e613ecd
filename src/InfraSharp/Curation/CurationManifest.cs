using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using InfraSharp.Storage;

namespace InfraSharp.Curation;

/// <summary>
/// The manifest of a curated file, written beside it (<c>OUT.manifest.json</c>): a curation's output is one JSONL file
/// that training reads as it is, not a folder, so its record of arguments and input fingerprints cannot be a folder's
/// <c>manifest.json</c>. It has a run manifest's shape and version (kind <c>curation</c>, owning nothing), and is
/// read and written only here.
/// </summary>
public sealed record CurationManifest(string ManifestPath, CurationRunArguments Arguments, CurationInputs Inputs)
{
    /// <summary>The run kind a curation manifest records.</summary>
    public const string Kind = "curation";

    /// <summary>Row counts in and out; null in a manifest that has none.</summary>
    public CurationInfo? Info { get; init; }

    /// <summary>Where the manifest of <paramref name="outFile"/> goes: beside it, <c>OUT.manifest.json</c>.</summary>
    public static string PathFor(string outFile) => outFile + ".manifest.json";

    /// <summary>The manifest of the curated file <paramref name="outFile"/>.</summary>
    public static CurationManifest Open(string outFile)
    {
        var f = RunFolder.OpenFile(PathFor(outFile), "curation manifest", Kind);
        var json = CurationJson.Manifest;
        return new CurationManifest(
            f.ManifestPath,
            f.Arguments(json.CurationRunArguments),
            f.Inputs(json.CurationInputs)
        )
        {
            Info = f.Info(json.CurationInfo),
        };
    }

    /// <summary>The manifest of a curation (its arguments as given; nothing planned).</summary>
    public static RunManifest Manifest(CurationRunArguments arguments, CurationInputs inputs, CurationInfo info)
    {
        var json = CurationJson.Manifest;
        return new RunManifest(
            Kind,
            RunFolder.Node(arguments, json.CurationRunArguments),
            RunFolder.Node(inputs, json.CurationInputs),
            new JsonObject(),
            RunFolder.Node(info, json.CurationInfo)
        );
    }

    /// <summary>Writes the manifest beside <paramref name="outFile"/>, atomically.</summary>
    public static void Write(
        string outFile,
        CurationRunArguments arguments,
        CurationInputs inputs,
        CurationInfo info
    ) =>
        AtomicFile.WriteAllText(
            PathFor(outFile),
            Manifest(arguments, inputs, info).ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true })
                + "\n"
        );
}

/// <summary>Fingerprints of the rows curated and (influence-top) of the pairwise scores followed.</summary>
public sealed record CurationInputs
{
    /// <summary>Fingerprint of the curated data file.</summary>
    public required string Data { get; init; }

    /// <summary>Fingerprint of the score folder followed (influence-top), else null.</summary>
    public required string? Scores { get; init; }

    /// <summary>Fingerprint of the pool selected from (<c>--pool</c>), else null and not written.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Pool { get; init; }
}

/// <summary>For readers only: how many rows went in and came out.</summary>
public sealed record CurationInfo
{
    /// <summary>Training rows read.</summary>
    public required int RowsIn { get; init; }

    /// <summary>Rows written (replace mode draws; weight mode keeps every row).</summary>
    public required int RowsOut { get; init; }

    /// <summary>
    /// Replace mode: written rows that repeat a row written already; weight mode: null, and then not written, so a
    /// manifest that has none writes the bytes it was read from.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Duplicates { get; init; }
}
