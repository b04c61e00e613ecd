using InfraSharp.Influence;

namespace InfraSharp.Launch;

/// <summary>
/// A launched chain: the factor run and (optionally) the score run as a local command would take them, how many
/// data partitions (array tasks per data stage), the shared output folder, the resources per task and the
/// command that runs <c>infra</c> on the nodes.
/// </summary>
public sealed record LaunchArguments
{
    /// <summary>The factor run, as a local <c>infra factors</c> would take it (paths as the nodes see them).</summary>
    public required FactorRunArguments Factors { get; init; }

    /// <summary>The score run that follows the factors; null: factors only.</summary>
    public ScoreRunArguments? Scores { get; init; }

    /// <summary>
    /// The shared output folder: the chain writes <c>OUT/launch</c>, <c>OUT/factors</c> and <c>OUT/scores</c>.
    /// </summary>
    public required string Out { get; init; }

    /// <summary>
    /// Array tasks per data stage (covariance, lambda, scores): each runs one share of the batch plan.
    /// </summary>
    public int DataPartitions { get; init; } = 1;

    /// <summary>The device the tasks compute on (<c>cpu</c>, <c>cuda</c>, <c>cuda:N</c>).</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>What each task asks the scheduler for.</summary>
    public LaunchResources Resources { get; init; } = new();

    /// <summary>How a node runs <c>infra</c> (default: the same executable that writes the job files).</summary>
    public required string InfraCommand { get; init; }

    /// <summary>
    /// The runs' own checks (under <c>factors</c> and <c>scores</c>), the partitions, the model folder's presence
    /// and the output's place, each message naming its property's path; the CLI writes its flag. For paths on
    /// this machine (a pod's are checked where they are: <see cref="CheckOutput"/> only).
    /// </summary>
    public void Validate(ArgumentPath at = default)
    {
        if (DataPartitions < 1)
            throw InputError.ArgumentAt($"{at / "data_partitions"} must be at least 1 (got {DataPartitions})");
        Factors.Validate(at / "factors");
        if (!Directory.Exists(Factors.Model))
            throw InputError.MissingFileAt(
                $"{at / "factors" / "model"} {Factors.Model}: no such folder",
                Factors.Model
            );
        Scores?.Validate(at / "scores");
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
