using InfraSharp.Storage;
using InfraSharp.Training;

namespace InfraSharp.Validation;

/// <summary>
/// An LDS folder (what <see cref="LdsRun"/> writes): its kind, layout, the files it owns and its manifest's typed
/// parts; its tables' names are <see cref="LdsTables"/>'.
/// </summary>
public sealed record LdsFolder(string Dir, LdsRunArguments Arguments, LdsInputs Inputs, LdsPlan Plan)
{
    /// <summary>The run kind of an LDS folder's manifest.</summary>
    public const string Kind = "lds";

    /// <summary>The drawn subsets' training indices.</summary>
    public const string SubsetsFolder = "subsets";

    /// <summary>The retrained models, one per subset and seed.</summary>
    public const string RetrainFolder = "retrain";

    /// <summary>What each retrained model measured on the queries.</summary>
    public const string MeasurementsFolder = "measurements";

    /// <summary>The factor and score runs of the strategies the run fits itself.</summary>
    public const string StrategiesFolder = "strategies";

    /// <summary>What an LDS run writes into its folder: subsets, retrainings, measurements, scores, tables.</summary>
    public static readonly string[] OwnedFiles =
    [
        SubsetsFolder + "/**",
        RetrainFolder + "/**",
        MeasurementsFolder + "/**",
        StrategiesFolder + "/**",
        LdsTables.LdsFile,
        LdsTables.PointsFile,
        LdsTables.SummaryFile,
        "report.html", // written by the CLI beside the tables
    ];

    /// <summary>Device and sign convention; null in a manifest without them.</summary>
    public LdsInfo? Info { get; init; }

    /// <summary>The LDS folder <paramref name="dir"/> (named by <paramref name="option"/> in messages).</summary>
    public static LdsFolder Open(string dir, string option = "--lds")
    {
        var f = RunFolder.Open(dir, option, "LDS folder", Kind);
        var json = ValidationJson.Manifest;
        return new LdsFolder(dir, f.Arguments(json.LdsRunArguments), f.Inputs(json.LdsInputs), f.Plan(json.LdsPlan))
        {
            Info = f.Info(json.LdsInfo),
        };
    }

    /// <summary>The manifest an LDS run writes (the arguments normalised).</summary>
    public static RunManifest Manifest(LdsRunArguments arguments, LdsInputs inputs, LdsPlan plan, LdsInfo info)
    {
        var json = ValidationJson.Manifest;
        return new RunManifest(
            Kind,
            RunFolder.Node(arguments, json.LdsRunArguments),
            RunFolder.Node(inputs, json.LdsInputs),
            RunFolder.Node(plan, json.LdsPlan),
            RunFolder.Node(info, json.LdsInfo)
        )
        {
            Owns = OwnedFiles,
        };
    }
}

/// <summary>
/// What the retrainings depend on: the model and data's fingerprints, the model's training arguments (each subset is
/// retrained with them) and the fingerprint of the base model they start from, if any.
/// </summary>
public sealed record LdsInputs
{
    /// <summary>Fingerprint of the trained model.</summary>
    public required string Model { get; init; }

    /// <summary>Fingerprint of the training rows.</summary>
    public required string Train { get; init; }

    /// <summary>Fingerprint of the query rows.</summary>
    public required string Queries { get; init; }

    /// <summary>The model's own training arguments, with which every subset is retrained.</summary>
    public required TrainingRunArguments TrainingArgs { get; init; }

    /// <summary>
    /// Fingerprint of the base model the training started from, or null when it was initialised from a shape.
    /// </summary>
    public required string? BaseModel { get; init; }
}

/// <summary>The subsets' size, drawn from the training rows.</summary>
public sealed record LdsPlan
{
    /// <summary>Training rows per subset.</summary>
    public required int SubsetSize { get; init; }

    /// <summary>Training rows the subsets are drawn from.</summary>
    public required int TrainRows { get; init; }
}

/// <summary>For readers only (never compared): the device and the sign convention.</summary>
public sealed record LdsInfo
{
    /// <summary>The device the retrainings ran on.</summary>
    public required string Device { get; init; }

    /// <summary>The sign convention (a positive LDS: larger summed scores, better measured query).</summary>
    public required string Sign { get; init; }
}
