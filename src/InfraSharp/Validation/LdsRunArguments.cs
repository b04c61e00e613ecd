namespace InfraSharp.Validation;

/// <summary>
/// What an LDS folder's retrainings are: the trained model (whose <c>training_args.json</c> says how to retrain), the
/// training rows the subsets are drawn from, the queries measured, and the subsets (count, fraction, seeds per
/// subset, drawing seed). Written whole into the folder's manifest and compared whole on a rerun: the retrained
/// models' measurements are only reusable for exactly these. The strategies scored against them are not part of
/// it (<see cref="LdsEvaluation"/>): adding one costs no retraining.
/// </summary>
public sealed record LdsRunArguments
{
    /// <summary>
    /// The trained model folder (written by <c>infra train</c>, so that it can be retrained the same way).
    /// </summary>
    public required string Model { get; init; }

    /// <summary>The training rows the subsets are drawn from.</summary>
    public required string Train { get; init; }

    /// <summary>The query rows each retrained model is measured on.</summary>
    public required string Queries { get; init; }

    /// <summary>Number of random subsets (at least 2).</summary>
    public int Subsets { get; init; } = 32;

    /// <summary>Each subset's share of the training rows.</summary>
    public double Fraction { get; init; } = 0.5;

    /// <summary>Trainings per subset (data-order seeds; the initialisation stays the original one), averaged.</summary>
    public int Seeds { get; init; } = 1;

    /// <summary>Seed of the subsets' draw.</summary>
    public long Seed { get; init; }

    /// <summary>A copy with the file paths made absolute (as manifests record them).</summary>
    public LdsRunArguments Normalized() =>
        this with
        {
            Model = Path.GetFullPath(Model),
            Train = Path.GetFullPath(Train),
            Queries = Path.GetFullPath(Queries),
        };

    /// <summary>
    /// Range checks and the inputs' presence, each message naming its property's path; the CLI writes its flag.
    /// </summary>
    public void Validate(ArgumentPath at = default)
    {
        if (Subsets < 2)
            throw InputError.ArgumentAt(
                $"{at / "subsets"} must be at least 2 (a correlation needs two points; got {Subsets})"
            );
        if (!(Fraction > 0 && Fraction <= 1))
            throw InputError.ArgumentAt($"{at / "fraction"} must be in (0, 1] (got {Fraction})");
        if (Seeds < 1)
            throw InputError.ArgumentAt($"{at / "seeds"} must be at least 1 (got {Seeds})");
        // A model folder's own problems (no config.json, ...) are named by the loader, with the flag.
        Models.LoadedModel.RequireFolder(Model, "--model");
        if (!File.Exists(Train))
            throw InputError.MissingFileAt($"{at / "train"} {Train}: no such file", Train);
        if (!File.Exists(Queries))
            throw InputError.MissingFileAt($"{at / "queries"} {Queries}: no such file", Queries);
    }
}
