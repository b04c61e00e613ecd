using InfraSharp.Storage;
using InfraSharp.Training;

namespace InfraSharp.Validation;

/// <summary>
/// An LDS folder (what <see cref="LdsRun"/> writes): its kind, layout, the files it owns and its manifest's typed
/// parts; its tables' names are <see cref="LdsTables"/>'.
/// </summary>
public sealed record LdsFolder(string Dir, LdsRunArguments Arguments, LdsInputs Inputs, LdsPlan Plan)
{
    public const string Kind = "lds";

    public const string SubsetsFolder = "subsets";

    public const string RetrainFolder = "retrain";

    public const string MeasurementsFolder = "measurements";

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
    public required string Model { get; init; }
    public required string Train { get; init; }
    public required string Queries { get; init; }
    public required TrainingRunArguments TrainingArgs { get; init; }
    public required string? BaseModel { get; init; }
}

/// <summary>The subsets' size, drawn from the training rows.</summary>
public sealed record LdsPlan
{
    public required int SubsetSize { get; init; }
    public required int TrainRows { get; init; }
}

/// <summary>For readers only (never compared): the device and the sign convention.</summary>
public sealed record LdsInfo
{
    public required string Device { get; init; }
    public required string Sign { get; init; }
}
