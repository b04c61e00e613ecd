using InfraSharp.Models;
using InfraSharp.Storage;
using InfraSharp.Text;
using static TorchSharp.torch;

namespace InfraSharp.Influence;

/// <summary>
/// The score run: pairwise (optionally per-token) or self-influence scores of <see cref="ScoreRunArguments"/> into
/// a folder with a manifest, in resumable chunks of training examples, partitionable over the global batch plan
/// (the same scheme as the factors' data stages); the last partition to finish assembles the final files.
/// </summary>
public static class ScoreRun
{
    public sealed record Result(bool Complete, string Message);

    public const string Sign =
        "positive = up-weighting the training example improves the query (lowers its loss / raises its log-likelihood)";

    /// <summary>
    /// A model with the factors and settings of a score run, ready to score: what <see cref="Run"/> uses, and what
    /// the analysis uses to rescore edited training examples with exactly the same settings.
    /// </summary>
    public sealed class Session : IDisposable
    {
        public required LoadedModel Model { get; init; }
        public required InfluenceStrategy Strategy { get; init; }
        public required TrackedModules Modules { get; init; }
        public required FactorFolder? Factors { get; init; }
        public required InfluenceScorer Scorer { get; init; }
        public required IReadOnlyDictionary<string, ModuleFactors> ModuleFactors { get; init; }

        public void Dispose()
        {
            foreach (var f in ModuleFactors.Values)
                f.Dispose();
            Model.Dispose();
        }
    }

    /// <summary>Loads the model and factors of <paramref name="args"/> (checking that they belong together).</summary>
    public static Session Open(
        ScoreRunArguments args,
        ScoreArguments? score = null,
        bool loadFactors = true,
        string device = ComputeDevice.Cpu
    )
    {
        var lm = LoadedModel.Load(args.Model, args.DType, device);
        try
        {
            var folder = args.Factors is null ? null : FactorRun.Open(args.Factors);
            if (folder is not null && folder.ModelFingerprint != lm.Fingerprint)
                throw InputError.Data(
                    $"--factors {folder.Dir}: these factors were fitted for another model ({folder.Arguments.Model}); "
                        + $"refit them for {args.Model}"
                );
            var strategy = InfluenceStrategy.Get(args.Strategy ?? folder?.Arguments.Fit.Strategy ?? "identity");
            if (strategy.NeedsAnyFactor && folder is null)
                throw InputError.Argument($"strategy {strategy.Name} needs --factors");
            var modules = folder is null
                ? TrackedModules.Resolve(lm.Model.Config, "all")
                : new TrackedModules(folder.Arguments.Fit.Modules, folder.Modules);
            var known = lm.Model.Config.LinearModuleNames().ToHashSet();
            foreach (var m in modules.Names)
                if (!known.Contains(m))
                    throw InputError.Data(
                        $"--factors {folder!.Dir}: module '{m}' of the factors does not exist in {args.Model}"
                    );
            var factors = loadFactors ? LoadFactors(folder, strategy, modules.Names, lm.Model.Device) : [];
            var scorer = new InfluenceScorer(lm.Model, modules, strategy, factors, score ?? args.Score, lm.PadId);
            return new Session
            {
                Model = lm,
                Strategy = strategy,
                Modules = modules,
                Factors = folder,
                Scorer = scorer,
                ModuleFactors = factors,
            };
        }
        catch
        {
            lm.Dispose();
            throw;
        }
    }

    private static Dictionary<string, ModuleFactors> LoadFactors(
        FactorFolder? folder,
        InfluenceStrategy strategy,
        IReadOnlyList<string> names,
        Device device
    ) =>
        strategy.NeedsAnyFactor
            ? FactorFitter.Load(folder!.Dir, names, strategy, device)
            : names.ToDictionary(m => m, m => new ModuleFactors { Module = m });

    public static Result Run(ScoreRunArguments arguments, string outDir, RunOptions? options = null)
    {
        options ??= new RunOptions();
        var args = arguments.Normalized();
        Validate(args);
        int k = args.Score.ModulePartitions;
        // With module groups, each group's factors are loaded in turn, below.
        using var session = Open(args, loadFactors: k == 1, device: options.Device);
        var lm = session.Model;
        var groups = session.Modules.Groups(k);
        var trainEx = lm.Encode(args.Train);
        var queryEx = args.Kind == ScoreKind.Self ? [] : lm.Encode(args.Queries!);
        int longest = Math.Max(trainEx.Max(e => e.Length), queryEx.Count > 0 ? queryEx.Max(e => e.Length) : 0);
        int tokens = args.Score.TokensPerBatch;
        if (args.MaxMemoryBytes is long bytes)
            tokens = MemoryPlanner.TokensPerBatch(
                lm.Model.Config,
                new PlanArguments
                {
                    Modules = session.Modules.Selector,
                    Strategy = session.Strategy.Name,
                    SequenceLength = longest,
                    Examples = trainEx.Count,
                    Queries = Math.Max(1, queryEx.Count),
                    QueryRank = args.Score.QueryRank,
                    TokensPerBatch = (int)Math.Min(int.MaxValue, trainEx.Sum(e => (long)e.Length)),
                    ModulePartitions = k,
                    ChunkSize = args.Score.ChunkSize,
                    DType = args.DType,
                    StatisticsDType = args.Score.StatisticsDType,
                },
                bytes
            );
        tokens = Math.Max(tokens, longest);
        var score = args.Score with { TokensPerBatch = tokens };

        var manifest = ScoreFolder.Manifest(
            args,
            new ScoreInputs
            {
                Model = lm.Fingerprint,
                Tokenizer = lm.TokenizerFingerprint,
                Train = ExampleFingerprint.Of(trainEx),
                Queries = args.Kind == ScoreKind.Self ? null : ExampleFingerprint.Of(queryEx),
                Factors = session.Factors?.RunFingerprint,
            },
            new ScorePlan
            {
                TokensPerBatch = tokens,
                Strategy = session.Strategy.Name,
                Modules = session.Modules.Names,
            },
            new ScoreInfo
            {
                TrainExamples = trainEx.Count,
                Queries = queryEx.Count,
                Sign = Sign,
                Device = options.Device,
            }
        );
        manifest.Prepare(
            outDir,
            options.Overwrite,
            RunInput.Of(
                ("--model", args.Model),
                ("--factors", args.Factors),
                ("--train", args.Train),
                ("--queries", args.Queries)
            ),
            options.Progress
        );
        ScoreFiles.WriteExamples(outDir, queryEx, trainEx);

        var part = options.Partition;
        var (start, end) = TokenBatches.PartitionRange(trainEx, part, tokens);
        var chunks = TokenBatches.Chunks(trainEx, start, end, tokens, score.ChunkSize);
        string kind = args.Kind == ScoreKind.Self ? "self" : "pairwise";
        foreach (var (group, modules) in groups)
        {
            var factors =
                k == 1
                    ? session.ModuleFactors
                    : LoadFactors(session.Factors, session.Strategy, modules.Names, lm.Model.Device);
            try
            {
                // The session's scorer has the requested token budget; this one the resolved budget.
                var scorer = new InfluenceScorer(lm.Model, modules, session.Strategy, factors, score, lm.PadId)
                {
                    Cancellation = options.Cancellation,
                    Progress = options.Progress,
                };
                if (args.Kind == ScoreKind.Self)
                    ScoreFiles.RunChunks(
                        outDir,
                        kind,
                        chunks,
                        (s, e) => [KeyValuePair.Create(ScoreFolder.ScoresTensor, scorer.SelfScores(trainEx, s, e))],
                        group,
                        options.Cancellation,
                        options.Progress
                    );
                else
                {
                    int width = trainEx.Max(e => e.Length);
                    using var pq = scorer.PrepareQueries(queryEx);
                    ScoreFiles.RunChunks(
                        outDir,
                        kind,
                        chunks,
                        (s, e) =>
                        {
                            var (pw, pt) = scorer.ScoreTraining(pq, trainEx, s, e, width);
                            var list = new List<KeyValuePair<string, Tensor>>
                            {
                                KeyValuePair.Create(ScoreFolder.ScoresTensor, pw),
                            };
                            if (pt is not null)
                                list.Add(KeyValuePair.Create(ScoreFolder.PerTokenTensor, pt));
                            return list;
                        },
                        group,
                        options.Cancellation,
                        options.Progress
                    );
                }
            }
            finally
            {
                if (k > 1)
                    foreach (var f in factors.Values)
                        f.Dispose();
            }
        }
        bool complete = ScoreFiles.Assemble(outDir, kind, trainEx.Count, throwIfIncomplete: part.IsWhole);
        return new Result(
            complete,
            complete
                ? $"wrote {Path.Combine(outDir, kind == "self" ? ScoreFolder.SelfFile : ScoreFolder.PairwiseFile)}"
                : $"partition {part} done; the last partition to finish (or infra merge --scores {outDir}) assembles the scores"
        );
    }

    private static void Validate(ScoreRunArguments a)
    {
        var s = a.Score;
        if (s.TokensPerBatch < 1)
            throw InputError.Argument($"--tokens-per-batch must be at least 1 (got {s.TokensPerBatch})");
        if (s.ChunkSize < 1)
            throw InputError.Argument($"--chunk-size must be at least 1 (got {s.ChunkSize})");
        if (s.ModulePartitions < 1)
            throw InputError.Argument($"--module-partitions must be at least 1 (got {s.ModulePartitions})");
        if (s.QueryRank < 0)
            throw InputError.Argument($"--query-rank must be 0 (full) or more (got {s.QueryRank})");
        if (s.Damping is double d && !(d >= 0 && double.IsFinite(d)))
            throw InputError.Argument($"--damping must be a finite value >= 0 (got {d})");
        if (a.MaxMemoryBytes is <= 0)
            throw InputError.Argument($"--max-memory must be positive (got {a.MaxMemoryBytes})");
        if (!File.Exists(a.Train))
            throw InputError.MissingFile($"--train {a.Train}: no such file", a.Train);
        if (a.Kind == ScoreKind.Pairwise)
        {
            if (a.Queries is null)
                throw InputError.Argument("pairwise scores need --queries");
            if (!File.Exists(a.Queries))
                throw InputError.MissingFile($"--queries {a.Queries}: no such file", a.Queries);
        }
        else if (s.PerToken || s.AggregateQueries || s.QueryRank != 0 || a.Queries is not null)
            throw InputError.Argument("self scores take no queries, --per-token, --aggregate-queries or --query-rank");
        if (a.Factors is not null && !Directory.Exists(a.Factors))
            throw InputError.MissingFile($"--factors {a.Factors}: no such folder", a.Factors);
    }
}
