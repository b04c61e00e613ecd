using System.Text.Json;
using System.Text.Json.Nodes;
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
    public const string Kind = "factors";

    /// <summary>What a factors run writes into its folder (stage files, module groups, data partitions).</summary>
    public static readonly string[] OwnedFiles = ["*.safetensors", "partitions/**"];

    public const string Conventions =
        "covariance.safetensors holds sums over real tokens of a·aᵀ and g·gᵀ (g: gradient of each example's summed "
        + "loss w.r.t. the layer output; a with a trailing 1 for layers with a bias) and num_tokens; "
        + "lambda.safetensors "
        + "holds sums over examples and num_examples; eigen.safetensors holds float32 eigenpairs of the symmetrised "
        + "means, computed in float64.";

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
        var manifest = new RunManifest(
            Kind,
            Arguments: JsonSerializer.SerializeToNode(args, InfluenceJson.Manifest.FactorRunArguments)!.AsObject(),
            Inputs: new JsonObject
            {
                ["model"] = lm.Fingerprint,
                ["tokenizer"] = lm.TokenizerFingerprint,
                ["data"] = ExampleFingerprint.Of(train),
            },
            Plan: new JsonObject { ["tokens_per_batch"] = tokens, ["modules"] = Names(modules.Names) },
            Info: new JsonObject
            {
                ["examples"] = train.Count,
                ["tokens"] = train.Sum(e => (long)e.Length),
                ["conventions"] = Conventions,
                ["device"] = options.Device,
            }
        );
        manifest = manifest with { Owns = OwnedFiles };
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

    private static JsonArray Names(IEnumerable<string> names) => new(names.Select(n => (JsonNode)n).ToArray());

    /// <summary>A finished (or partly finished) factor folder, as a score run reads it.</summary>
    public sealed record Folder(
        string Dir,
        FactorRunArguments Arguments,
        string ModelFingerprint,
        IReadOnlyList<string> Modules
    )
    {
        public InfluenceStrategy Strategy => InfluenceStrategy.Get(Arguments.Fit.Strategy);

        /// <summary>A fingerprint of the folder's run (its manifest without the informational part).</summary>
        public required string RunFingerprint { get; init; }
    }

    public static Folder Open(string dir)
    {
        var m = RunManifest.Read(dir)
            ?? throw InputError.MissingFile(
                $"--factors {dir}: no manifest.json (not a factor folder)",
                RunManifest.PathIn(dir)
            );
        if (m["kind"]?.ToString() != Kind)
            throw InputError.Data(
                $"--factors {dir}: manifest.json is not a factor run's (kind '{m["kind"]}'); refit the factors"
            );
        FactorRunArguments? args;
        try
        {
            args = m["arguments"].Deserialize(InfluenceJson.Manifest.FactorRunArguments);
        }
        catch (JsonException e)
        {
            throw InputError.Data($"{RunManifest.PathIn(dir)}: arguments: {e.Message}");
        }
        var modules = m["plan"]?["modules"]?.AsArray().Select(x => x!.ToString()).ToList();
        string? model = m["inputs"]?["model"]?.ToString();
        if (args is null || modules is null || model is null)
            throw InputError.Data($"{RunManifest.PathIn(dir)}: arguments, plan.modules or inputs.model is missing");
        m.Remove("info");
        return new Folder(dir, args, model, modules) { RunFingerprint = Fingerprint.Text(m.ToJsonString()) };
    }
}
