using InfraSharp.Models;
using InfraSharp.Storage;
using InfraSharp.Text;

namespace InfraSharp.Influence;

/// <summary>
/// The factor run: fits the factors of <see cref="FactorRunArguments"/> into a folder with a manifest, stage by
/// stage, resumable, partitionable (<see cref="RunOptions.Partition"/> and <see cref="FactorStage"/>).
/// </summary>
public static class FactorRun
{
    /// <summary>
    /// What the factor files hold, recorded in every factor folder's manifest (<see cref="FactorInfo.Conventions"/>).
    /// </summary>
    public const string Conventions =
        "covariance.safetensors holds sums over real tokens of a·aᵀ and g·gᵀ (g: gradient of each example's "
        + "summed "
        + "loss w.r.t. the layer output; a with a trailing 1 for layers with a bias) and num_tokens; "
        + "lambda.safetensors "
        + "holds sums over examples and num_examples; eigen.safetensors holds float32 eigenpairs of the symmetrised "
        + "means, computed in float64.";

    /// <summary>
    /// Fits the EK-FAC (or other strategy's) factors of a model on training data into <paramref name="outDir"/>, this
    /// process's partition and stage of the fit; a rerun resumes at the first stage not on disk.
    /// </summary>
    /// <returns>Whether the factors are complete, and what was written.</returns>
    public static FactorFitter.Result Run(
        FactorRunArguments arguments,
        string outDir,
        RunOptions? options = null,
        FactorStage stage = FactorStage.All
    )
    {
        options ??= new RunOptions();
        var args = arguments.Normalized();
        args.Validate();
        var strategy = InfluenceStrategy.Get(args.Fit.Strategy);
        using var lm = LoadedModel.Load(args.Model, args.DType, options.Device);
        var modules = TrackedModules.Resolve(lm.Model.Config, args.Fit.Modules);
        var train = lm.Encode(args.Data, args.Fit.MaxExamples);
        int longest = train.Max(e => e.Length);
        // A memory bound sets the tokens per batch through the planner's model of this run (refused, naming the piece
        // that does not fit, when not even one sequence per batch does).
        int tokens = args.MaxMemoryBytes is long bytes
            ? MemoryPlanner.TokensPerBatch(
                lm.Model.Config,
                new PlanArguments
                {
                    Modules = args.Fit.Modules,
                    Strategy = args.Fit.Strategy,
                    SequenceLength = longest,
                    Examples = train.Count,
                    TokensPerBatch = (int)Math.Min(int.MaxValue, train.Sum(e => (long)e.Length)),
                    ModulePartitions = args.Fit.ModulePartitions,
                    DType = args.DType,
                    StatisticsDType = args.Fit.StatisticsDType,
                },
                bytes
            )
            : args.Fit.TokensPerBatch;
        tokens = Math.Max(tokens, longest);
        var manifest = FactorFolder.Manifest(
            args,
            new FactorInputs
            {
                Model = lm.Fingerprint,
                Tokenizer = lm.TokenizerFingerprint,
                Data = ExampleFingerprint.Of(train),
            },
            new FactorPlan { TokensPerBatch = tokens, Modules = modules.Names },
            new FactorInfo
            {
                Examples = train.Count,
                Tokens = train.Sum(e => (long)e.Length),
                Conventions = Conventions,
                Device = options.Device,
            }
        );
        manifest.Prepare(
            outDir,
            options.Overwrite,
            RunInput.Of(("--model", args.Model), ("--data", args.Data)),
            options.Progress
        );
        var fit = args.Fit with { TokensPerBatch = tokens };
        var fitter = new FactorFitter(lm.Model, modules, strategy, fit, lm.PadId)
        {
            Cancellation = options.Cancellation,
            Progress = options.Progress,
        };
        return fitter.Fit(train, outDir, options.Partition, stage);
    }

    /// <summary>The factor folder <paramref name="dir"/>; see <see cref="FactorFolder.Open"/>.</summary>
    public static FactorFolder Open(string dir) => FactorFolder.Open(dir);
}
