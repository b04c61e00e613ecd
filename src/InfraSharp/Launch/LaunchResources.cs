namespace InfraSharp.Launch;

/// <summary>What each task of a launched chain asks the scheduler for.</summary>
public sealed record LaunchResources
{
    /// <summary>CPU cores per task.</summary>
    public int Cpus { get; init; } = 4;

    /// <summary>Memory per task as the scheduler spells it (Slurm: 16G; Kubernetes: 16Gi).</summary>
    public string Memory { get; init; } = "16G";

    /// <summary>GPUs per task (0: none requested).</summary>
    public int Gpus { get; init; }

    /// <summary>Wall-clock limit per task (Slurm's D-HH:MM:SS).</summary>
    public string Time { get; init; } = "1-00:00:00";

    /// <summary>Slurm partition (queue) name.</summary>
    public string? Queue { get; init; }

    /// <summary>Slurm account charged; null: the user's default.</summary>
    public string? Account { get; init; }

    /// <summary>Further scheduler lines, as given (<c>--qos=high</c> becomes <c>#SBATCH --qos=high</c>).</summary>
    public IReadOnlyList<string> Extra { get; init; } = [];
}
