using System.Text.Json.Serialization;
using InfraSharp.Storage;

namespace InfraSharp.Index;

/// <summary>
/// A gradient index folder (what <see cref="IndexBuildRun"/> writes): its kind, layout, the files it owns and its
/// manifest's typed parts. <see cref="GradientIndex"/> opens it here; the build writes its manifest here.
/// </summary>
public sealed record IndexFolder(string Dir, IndexArguments Arguments, IndexInputs Inputs, IndexPlan Plan)
{
    /// <summary>The run kind of an index folder's manifest.</summary>
    public const string Kind = "gradient_index";

    /// <summary>The file listing the index's segments and their shards, in row order.</summary>
    public const string SegmentsFile = "segments.json";

    /// <summary>The folder holding the shard files and their row tables.</summary>
    public const string ShardFolder = "shards";

    /// <summary>The lock builds and appends take on the index.</summary>
    public const string LockFile = "index.lock";

    /// <summary>What an index build writes into its folder: shards, row tables, segments, the preconditioner.</summary>
    public static readonly string[] OwnedFiles =
    [
        ShardFolder + "/**",
        SegmentsFile,
        IndexPreconditioner.Folder + "/**",
    ];

    /// <summary>Sign convention and vector layout; null in a manifest without them.</summary>
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
    /// <summary>Fingerprint of the model whose gradients are indexed.</summary>
    public required string Model { get; init; }

    /// <summary>Fingerprint of the model's tokenizer.</summary>
    public required string Tokenizer { get; init; }

    /// <summary>The run fingerprint of the factor folder whose covariances were projected; null without one.</summary>
    public required string? Factors { get; init; }
}

/// <summary>The projection: the vectors' dimension, the tracked modules in vector order, each one's shape.</summary>
public sealed record IndexPlan
{
    /// <summary>Length of a row's vector: the sum over modules of k_out x k_in.</summary>
    public required int Dimension { get; init; }

    /// <summary>The tracked modules, in the order their blocks appear in a vector.</summary>
    public required IReadOnlyList<string> Modules { get; init; }

    /// <summary>Each module's widths and projected widths, in <see cref="Modules"/> order.</summary>
    public required IReadOnlyList<IndexShape> Shapes { get; init; }
}

/// <summary>One module's widths and projected widths (<c>k_in</c>, <c>k_out</c>) in the index's vectors.</summary>
public sealed record IndexShape
{
    /// <summary>The module's name (e.g. <c>model.layers.0.mlp.down_proj</c>).</summary>
    public required string Module { get; init; }

    /// <summary>The layer's input width (plus 1 for a bias).</summary>
    public required int In { get; init; }

    /// <summary>The layer's output width.</summary>
    public required int Out { get; init; }

    /// <summary>The projected input width.</summary>
    [JsonPropertyName("k_in")]
    public required int KIn { get; init; }

    /// <summary>The projected output width.</summary>
    [JsonPropertyName("k_out")]
    public required int KOut { get; init; }
}

/// <summary>For readers only (never compared): the sign convention and the layout of a row's vector.</summary>
public sealed record IndexInfo
{
    /// <summary>The sign convention of the scores (positive: up-weighting the row helps the query).</summary>
    public required string Sign { get; init; }

    /// <summary>
    /// How a row's vector is laid out (per module, projected gradient flattened row-major, in plan order).
    /// </summary>
    public required string Vector { get; init; }
}
