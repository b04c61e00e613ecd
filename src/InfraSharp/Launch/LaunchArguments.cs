using InfraSharp.Influence;

namespace InfraSharp.Launch;

/// <summary>
/// A launched chain: the factor run and (optionally) the score run as a local command would take them, how many
/// data partitions (array tasks per data stage), the shared output folder, the resources per task and the
/// command that runs <c>infra</c> on the nodes.
/// </summary>
public sealed record LaunchArguments
{
    public required FactorRunArguments Factors { get; init; }
    public ScoreRunArguments? Scores { get; init; }
    public required string Out { get; init; }
    public int DataPartitions { get; init; } = 1;
    public string Device { get; init; } = "cpu";
    public LaunchResources Resources { get; init; } = new();

    /// <summary>How a node runs <c>infra</c> (default: the same executable that writes the job files).</summary>
    public required string InfraCommand { get; init; }

    public void Validate()
    {
        if (DataPartitions < 1)
            throw InputError.Argument($"--data-partitions must be at least 1 (got {DataPartitions})");
        if (Factors.Fit.ModulePartitions < 1)
            throw InputError.Argument($"--module-partitions must be at least 1 (got {Factors.Fit.ModulePartitions})");
        if (!File.Exists(Factors.Data))
            throw InputError.MissingFile($"--data {Factors.Data}: no such file", Factors.Data);
        if (!Directory.Exists(Factors.Model))
            throw InputError.MissingFile($"--model {Factors.Model}: no such folder", Factors.Model);
        if (Scores?.Queries is string q && !File.Exists(q))
            throw InputError.MissingFile($"--queries {q}: no such file", q);
        CheckOutput();
    }

    /// <summary>
    /// The chain writes OUT/launch, OUT/factors and OUT/scores: none of it may land on an input (paths compared as
    /// given, so this holds for a pod's paths too).
    /// </summary>
    public void CheckOutput() =>
        Storage.OutputGuard.Folder(
            Out,
            "--out",
            Storage.RunInput.Of(("--model", Factors.Model), ("--data", Factors.Data), ("--queries", Scores?.Queries))
        );
}
