using System.Text.Json.Serialization;
using InfraSharp.Storage;

namespace InfraSharp.Index;

/// <summary>
/// A gradient index folder (what <see cref="IndexBuildRun"/> writes): its kind, layout, the files it owns and its
/// manifest's typed parts. <see cref="GradientIndex"/> opens it here; the build writes its manifest here.
/// </summary>
public sealed record IndexFolder(string Dir, IndexArguments Arguments, IndexInputs Inputs, IndexPlan Plan)
{
    public const string Kind = "gradient_index";

    public const string SegmentsFile = "segments.json",
        ShardFolder = "shards",
        LockFile = "index.lock";

    /// <summary>What an index build writes into its folder: shards, row tables, segments, the preconditioner.</summary>
    public static readonly string[] OwnedFiles =
    [
        ShardFolder + "/**",
        SegmentsFile,
        IndexPreconditioner.Folder + "/**",
    ];

    public IndexInfo? Info { get; init; }

    /// <summary>The index folder <paramref name="dir"/> (named by <paramref name="option"/> in messages).</summary>
    public static IndexFolder Open(string dir, string option = "--index")
    {
        if (!Directory.Exists(dir))
            throw InputError.MissingFile($"{option} {dir}: no such folder", dir);
        var f = RunFolder.Open(dir, option, "gradient index", Kind);
        var json = IndexJson.Manifest;
        return new IndexFolder(
            dir,
            f.Arguments(json.IndexArguments),
            f.Inputs(json.IndexInputs),
            f.Plan(json.IndexPlan)
        )
        {
            Info = f.Info(json.IndexInfo),
        };
    }

    /// <summary>The manifest an index build writes (the arguments normalised).</summary>
    public static RunManifest Manifest(IndexArguments arguments, IndexInputs inputs, IndexPlan plan, IndexInfo info)
    {
        var json = IndexJson.Manifest;
        return new RunManifest(
            Kind,
            RunFolder.Node(arguments, json.IndexArguments),
            RunFolder.Node(inputs, json.IndexInputs),
            RunFolder.Node(plan, json.IndexPlan),
            RunFolder.Node(info, json.IndexInfo)
        )
        {
            Owns = OwnedFiles,
        };
    }
}

/// <summary>Fingerprints of the model the gradients are of, and of the exact factors projected (if any).</summary>
public sealed record IndexInputs
{
    public required string Model { get; init; }
    public required string Tokenizer { get; init; }

    /// <summary>The run fingerprint of the factor folder whose covariances were projected; null without one.</summary>
    public required string? Factors { get; init; }
}

/// <summary>The projection: the vectors' dimension, the tracked modules in vector order, each one's shape.</summary>
public sealed record IndexPlan
{
    public required int Dimension { get; init; }
    public required IReadOnlyList<string> Modules { get; init; }
    public required IReadOnlyList<IndexShape> Shapes { get; init; }
}

/// <summary>One module's widths and projected widths (<c>k_in</c>, <c>k_out</c>) in the index's vectors.</summary>
public sealed record IndexShape
{
    public required string Module { get; init; }
    public required int In { get; init; }
    public required int Out { get; init; }

    [JsonPropertyName("k_in")]
    public required int KIn { get; init; }

    [JsonPropertyName("k_out")]
    public required int KOut { get; init; }
}

/// <summary>For readers only (never compared): the sign convention and the layout of a row's vector.</summary>
public sealed record IndexInfo
{
    public required string Sign { get; init; }
    public required string Vector { get; init; }
}
