using InfraSharp.Storage;

namespace InfraSharp.Influence;

/// <summary>
/// A score folder (what <see cref="ScoreRun"/> writes): its kinds, file and tensor names, the files it owns and its
/// manifest's typed parts. Every reader (the analysis, curation, LDS, the explorer, <c>infra merge</c>) opens it here,
/// and the score run builds its manifest here.
/// </summary>
public sealed record ScoreFolder(string Dir, ScoreRunArguments Arguments, ScoreInputs Inputs, ScorePlan Plan)
{
    /// <summary>The run kind of a pairwise score folder.</summary>
    public const string PairwiseKind = "pairwise_scores";

    /// <summary>The run kind of a self-influence score folder.</summary>
    public const string SelfKind = "self_scores";

    /// <summary>[queries, train] (one row with aggregated queries), tensor <see cref="ScoresTensor"/>.</summary>
    public const string PairwiseFile = "pairwise.safetensors";

    /// <summary>[queries, train, T], tensor <see cref="ScoresTensor"/> (chunks: <see
    /// cref="PerTokenTensor"/>).</summary>
    public const string PerTokenFile = "per_token.safetensors";

    /// <summary>[train], tensor <see cref="ScoresTensor"/>.</summary>
    public const string SelfFile = "self.safetensors";

    /// <summary>
    /// [queries] ([1] with aggregated queries), tensor <see cref="ScoresTensor"/>: each query's self-influence
    /// ⟨P(G_q), G_q⟩ under the run's measurement, the scale of the normalised reading. Absent in folders written
    /// before it was stored: readers then show raw scores only.
    /// </summary>
    public const string QuerySelfFile = "query_self.safetensors";

    /// <summary>The long table: one row per (query, training example) with both sides' attributes.</summary>
    public const string TableFile = "pairwise.parquet";

    /// <summary>Ids and attributes of both sides, in score order.</summary>
    public const string ExamplesFile = "examples.json";

    /// <summary>The partitions' chunk files, merged into the final score files when all exist.</summary>
    public const string ChunksFolder = "chunks";

    /// <summary>The tensor of every score file (and of a chunk's pairwise or self scores).</summary>
    public const string ScoresTensor = "scores";

    /// <summary>A chunk's per-token scores, beside its <see cref="ScoresTensor"/>.</summary>
    public const string PerTokenTensor = "per_token";

    /// <summary>What a score run writes into its folder (scores, their table, chunks of partitions).</summary>
    public static readonly string[] OwnedFiles = ["*.safetensors", TableFile, ExamplesFile, ChunksFolder + "/**"];

    /// <summary>Counts, sign convention and device; null in a manifest without them.</summary>
    public ScoreInfo? Info { get; init; }

    /// <summary>The run kind of a score folder of <paramref name="kind"/>.</summary>
    public static string KindName(ScoreKind kind) => kind == ScoreKind.Self ? SelfKind : PairwiseKind;

    /// <summary>Fingerprint of the model the scores are of.</summary>
    public string ModelFingerprint => Inputs.Model;

    /// <summary>What the scores measure (the sign convention of the query side).</summary>
    public Measurement Measurement => Arguments.Score.Measurement;

    /// <summary>The path of the pairwise score file (<see cref="PairwiseFile"/>).</summary>
    public string PairwisePath => Path.Combine(Dir, PairwiseFile);

    /// <summary>The pairwise score folder <paramref name="dir"/>.</summary>
    public static ScoreFolder Open(string dir, string option = "--scores") => Open(dir, option, ScoreKind.Pairwise);

    /// <summary>The score folder <paramref name="dir"/> of one of <paramref name="kinds"/>.</summary>
    public static ScoreFolder Open(string dir, string option, params ScoreKind[] kinds) =>
        From(
            RunFolder.Open(
                dir,
                option,
                kinds is [ScoreKind.Pairwise] ? "pairwise score folder" : "score folder",
                [.. kinds.Select(KindName)]
            )
        );

    /// <summary>The typed score folder of a manifest opened as one of the score kinds.</summary>
    public static ScoreFolder From(RunFolder f)
    {
        if (f.Kind is not (PairwiseKind or SelfKind))
            throw new ArgumentException($"{f.ManifestPath}: a '{f.Kind}' run, not scores", nameof(f));
        var json = InfluenceJson.Manifest;
        return new ScoreFolder(
            f.Dir,
            f.Arguments(json.ScoreRunArguments),
            f.Inputs(json.ScoreInputs),
            f.Plan(json.ScorePlan)
        )
        {
            Info = f.Info(json.ScoreInfo),
        };
    }

    /// <summary>The manifest a score run writes (the arguments normalised).</summary>
    public static RunManifest Manifest(ScoreRunArguments arguments, ScoreInputs inputs, ScorePlan plan, ScoreInfo info)
    {
        var json = InfluenceJson.Manifest;
        return new RunManifest(
            KindName(arguments.Kind),
            RunFolder.Node(arguments, json.ScoreRunArguments),
            RunFolder.Node(inputs, json.ScoreInputs),
            RunFolder.Node(plan, json.ScorePlan),
            RunFolder.Node(info, json.ScoreInfo)
        )
        {
            Owns = OwnedFiles,
        };
    }
}

/// <summary>Fingerprints of what the scores were computed from (the factors': their run fingerprint).</summary>
public sealed record ScoreInputs
{
    /// <summary>Fingerprint of the model.</summary>
    public required string Model { get; init; }

    /// <summary>Fingerprint of the model's tokenizer.</summary>
    public required string Tokenizer { get; init; }

    /// <summary>Fingerprint of the training rows.</summary>
    public required string Train { get; init; }

    /// <summary>Null for self scores.</summary>
    public required string? Queries { get; init; }

    /// <summary>Null without a factor folder (the identity strategy).</summary>
    public required string? Factors { get; init; }
}

/// <summary>What the score run derived from its arguments and factors that changes its results.</summary>
public sealed record ScorePlan
{
    /// <summary>Padded tokens per batch used.</summary>
    public required int TokensPerBatch { get; init; }

    /// <summary>The strategy the scores were computed with.</summary>
    public required string Strategy { get; init; }

    /// <summary>The tracked modules' full names.</summary>
    public required IReadOnlyList<string> Modules { get; init; }
}

/// <summary>For readers only (never compared): counts, the sign convention, the device.</summary>
public sealed record ScoreInfo
{
    /// <summary>Training examples scored.</summary>
    public required int TrainExamples { get; init; }

    /// <summary>Queries scored (0 for self scores).</summary>
    public required int Queries { get; init; }

    /// <summary>The sign convention (positive: up-weighting the training example helps the query).</summary>
    public required string Sign { get; init; }

    /// <summary>The device the scores were computed on.</summary>
    public required string Device { get; init; }
}
