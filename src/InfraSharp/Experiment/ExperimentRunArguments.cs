using InfraSharp.Demo;

namespace InfraSharp.Experiment;

/// <summary>
/// An experiment: the demo's setting (<see cref="Setup"/>: data sizes, model, training, answers, seed) with its
/// seeds the experiment's K, every mix of <see cref="MixPlan.Experiment"/> drawn from the same pool. Written whole
/// into the folder's manifest, so that a rerun (or another partition) continues only the same experiment.
/// </summary>
public sealed record ExperimentRunArguments
{
    /// <summary>
    /// The default: the full demo's data and model with 5 seeds. Measured on this 2-core machine: see the README's
    /// experiment section (wall time and the original's seed-to-seed sd).
    /// </summary>
    public static DemoRunArguments DefaultSetup { get; } = DemoRunArguments.Full with { Seeds = 5 };

    /// <summary>A small experiment for trying the command (minutes): the quick demo with 3 seeds.</summary>
    public static DemoRunArguments QuickSetup { get; } = DemoRunArguments.Quick with { Seeds = 3 };

    /// <summary>Data, model, training, answers, the first seed and K (<see cref="DemoRunArguments.Seeds"/>).</summary>
    public DemoRunArguments Setup { get; init; } = DefaultSetup;

    /// <summary>Range checks before anything is written, naming the CLI option where there is one.</summary>
    public void Validate() => Setup.Validate();
}
