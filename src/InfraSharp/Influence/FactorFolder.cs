using InfraSharp.Storage;

namespace InfraSharp.Influence;

/// <summary>
/// A factor folder (what <see cref="FactorRun"/> writes): its kind, the files it owns and its manifest's typed parts.
/// A score run, an index build and <c>infra merge</c> open it here; the factor run builds its manifest here.
/// </summary>
public sealed record FactorFolder(string Dir, FactorRunArguments Arguments, FactorInputs Inputs, FactorPlan Plan)
{
    /// <summary>The run kind of a factor folder's manifest.</summary>
    public const string Kind = "factors";

    /// <summary>What a factors run writes into its folder (stage files, module groups, data partitions).</summary>
    public static readonly string[] OwnedFiles = ["*.safetensors", "partitions/**"];

    /// <summary>Counts, conventions and device; null in a manifest without them.</summary>
    public FactorInfo? Info { get; init; }

    /// <summary>A fingerprint of the folder's run (its manifest without the informational part).</summary>
    public required string RunFingerprint { get; init; }

    /// <summary>Fingerprint of the model the factors were fitted for.</summary>
    public string ModelFingerprint => Inputs.Model;

    /// <summary>The tracked modules, resolved when the factors were fitted.</summary>
    public IReadOnlyList<string> Modules => Plan.Modules;

    /// <summary>The strategy the factors were fitted for.</summary>
    public InfluenceStrategy Strategy => InfluenceStrategy.Get(Arguments.Fit.Strategy);

    /// <summary>The factor folder <paramref name="dir"/> (named by <paramref name="option"/> in messages).</summary>
    public static FactorFolder Open(string dir, string option = "--factors")
    {
        var f = RunFolder.Open(dir, option, "factor folder", Kind);
        var json = InfluenceJson.Manifest;
        return new FactorFolder(
            dir,
            f.Arguments(json.FactorRunArguments),
            f.Inputs(json.FactorInputs),
            f.Plan(json.FactorPlan)
        )
        {
            Info = f.Info(json.FactorInfo),
            RunFingerprint = f.RunFingerprint(),
        };
    }

    /// <summary>The manifest a factor run writes (the arguments normalised).</summary>
    public static RunManifest Manifest(
        FactorRunArguments arguments,
        FactorInputs inputs,
        FactorPlan plan,
        FactorInfo info
    )
    {
        var json = InfluenceJson.Manifest;
        return new RunManifest(
            Kind,
            RunFolder.Node(arguments, json.FactorRunArguments),
            RunFolder.Node(inputs, json.FactorInputs),
            RunFolder.Node(plan, json.FactorPlan),
            RunFolder.Node(info, json.FactorInfo)
        )
        {
            Owns = OwnedFiles,
        };
    }
}

/// <summary>Fingerprints of what the factors were fitted on.</summary>
public sealed record FactorInputs
{
    /// <summary>Fingerprint of the model.</summary>
    public required string Model { get; init; }

    /// <summary>Fingerprint of the model's tokenizer.</summary>
    public required string Tokenizer { get; init; }

    /// <summary>Fingerprint of the training data the factors were fitted on.</summary>
    public required string Data { get; init; }
}

/// <summary>What the factor run derived from its arguments and inputs that changes its results.</summary>
public sealed record FactorPlan
{
    /// <summary>Padded tokens per batch the data stages used.</summary>
    public required int TokensPerBatch { get; init; }

    /// <summary>The tracked modules' full names, in fitting order.</summary>
    public required IReadOnlyList<string> Modules { get; init; }
}

/// <summary>For readers only (never compared): counts, the stored conventions, the device.</summary>
public sealed record FactorInfo
{
    /// <summary>Training examples the factors were fitted on.</summary>
    public required int Examples { get; init; }

    /// <summary>Real (non-padding) tokens the covariances summed over.</summary>
    public required long Tokens { get; init; }

    /// <summary>What the factor files hold: sums over real tokens or examples, eigenpairs of the means.</summary>
    public required string Conventions { get; init; }

    /// <summary>The device the fit ran on.</summary>
    public required string Device { get; init; }
}
