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
    /// <summary>What a score run did.</summary>
    /// <param name="Complete">True when the final score files are assembled; false after one partition while others
    /// remain.</param>
    /// <param name="Message">One line saying what was written or what remains.</param>
    public sealed record Result(bool Complete, string Message);

    /// <summary>
    /// The sign convention of every measurement at once, for files written before the measurement is known (an index
    /// build); a score folder's manifest states its own measurement's line (<see cref="ScoreReading.SignLine"/>).
    /// </summary>
    public const string Sign =
        "positive = up-weighting the training example improves the query (lowers its loss / raises its log-likelihood)";

    /// <summary>What a score run writes into its folder (scores, their table, chunks of partitions).</summary>
    public static readonly string[] OwnedFiles = ["*.safetensors", "pairwise.parquet", "examples.json", "chunks/**"];

    /// <summary>
    /// The run kind of a score folder of <paramref name="kind"/> (as <see cref="ScoreFolder.KindName"/>).
    /// </summary>
    public static string KindName(ScoreKind kind) => kind == ScoreKind.Self ? "self_scores" : "pairwise_scores";

    /// <summary>
    /// Computes pairwise or self-influence scores into <paramref name="outDir"/>, this process's partition of the
    /// training examples, in resumable chunks.
    /// </summary>
    /// <returns>Whether the scores are assembled, and what was written.</returns>
    public static Result Run(ScoreRunArguments arguments, string outDir, RunOptions? options = null)
    {
        options ??= new RunOptions();
        var args = arguments.Normalized();
        args.Validate();
        if (args.Strategy is StrategyKind b && BaselineScores.Registry.TryGetValue(b, out var baseline))
            return RunBaseline(args, baseline, outDir, options);
        int k = args.Score.ModulePartitions;
        // With module groups, each group's factors are loaded in turn, below.
        using var session = ScoringSession.Open(args, options, loadFactors: k == 1);
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
                    Strategy = session.Strategy.Kind,
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

        var chunks = Begin(
            args,
            outDir,
            options,
            lm,
            trainEx,
            queryEx,
            session.Factors?.RunFingerprint,
            new ScorePlan
            {
                TokensPerBatch = tokens,
                Strategy = session.Strategy.Name,
                Modules = session.Modules.Names,
            }
        );
        var part = options.Partition;
        string kind = args.Kind == ScoreKind.Self ? "self" : "pairwise";
        // Each query's self-influence, summed over the module groups (every partition computes the same values).
        double[]? querySelf = null;
        foreach (var (group, modules) in groups)
        {
            var factors = k == 1 ? session.ModuleFactors : session.LoadFactors(modules.Names);
            try
            {
                // The session's scorer has the requested token budget; this one the resolved budget.
                var scorer = session.Scorer(score, options, modules, factors);
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
                    var self = pq.Self.to(ScalarType.Float64).cpu().data<double>().ToArray();
                    querySelf = querySelf is null ? self : [.. querySelf.Zip(self, (x, y) => x + y)];
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
        if (querySelf is not null)
            ScoreFiles.WriteQuerySelf(outDir, querySelf);
        return Finish(outDir, kind, trainEx.Count, part);
    }

    /// <summary>
    /// Writes (or, resuming, checks) the manifest and the examples' file, and returns this partition's chunks of
    /// training examples, cut at the global batch plan of the plan's token budget.
    /// </summary>
    private static List<(int Start, int End)> Begin(
        ScoreRunArguments args,
        string outDir,
        RunOptions options,
        LoadedModel lm,
        List<EncodedExample> trainEx,
        List<EncodedExample> queryEx,
        string? factors,
        ScorePlan plan
    )
    {
        var manifest = ScoreFolder.Manifest(
            args,
            new ScoreInputs
            {
                Model = lm.Fingerprint,
                Tokenizer = lm.TokenizerFingerprint,
                Train = ExampleFingerprint.Of(trainEx),
                Queries = args.Kind == ScoreKind.Self ? null : ExampleFingerprint.Of(queryEx),
                Factors = factors,
            },
            plan,
            new ScoreInfo
            {
                TrainExamples = trainEx.Count,
                Queries = queryEx.Count,
                Sign = ScoreReading.SignLine(args.Score.Measurement),
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
        var (start, end) = TokenBatches.PartitionRange(trainEx, options.Partition, plan.TokensPerBatch);
        return TokenBatches.Chunks(trainEx, start, end, plan.TokensPerBatch, args.Score.ChunkSize);
    }

    /// <summary>
    /// Pairwise scores of a baseline (no factors, no gradients) in the same folder, chunks and files as a
    /// strategy's: the plan records the baseline's name and no modules.
    /// </summary>
    private static Result RunBaseline(
        ScoreRunArguments args,
        BaselineScores baseline,
        string outDir,
        RunOptions options
    )
    {
        using var lm = LoadedModel.Load(args.Model, args.DType, options.Device);
        var trainEx = lm.Encode(args.Train);
        var queryEx = lm.Encode(args.Queries!);
        int longest = Math.Max(trainEx.Max(e => e.Length), queryEx.Count > 0 ? queryEx.Max(e => e.Length) : 0);
        int tokens = Math.Max(args.Score.TokensPerBatch, longest);
        var score = args.Score with { TokensPerBatch = tokens };
        var plan = new ScorePlan
        {
            TokensPerBatch = tokens,
            Strategy = EnumNames.Of(baseline.Kind),
            Modules = [],
        };
        var chunks = Begin(args, outDir, options, lm, trainEx, queryEx, null, plan);
        using (var scorer = baseline.Prepare(lm, queryEx, trainEx, score, options))
            ScoreFiles.RunChunks(
                outDir,
                "pairwise",
                chunks,
                (s, e) => [KeyValuePair.Create(ScoreFolder.ScoresTensor, scorer.Score(s, e))],
                cancel: options.Cancellation,
                sink: options.Progress
            );
        return Finish(outDir, "pairwise", trainEx.Count, options.Partition);
    }

    private static Result Finish(string outDir, string kind, int trainCount, Partition part)
    {
        bool complete = ScoreFiles.Assemble(outDir, kind, trainCount, throwIfIncomplete: part.IsWhole);
        return new Result(
            complete,
            complete
                ? $"wrote {Path.Combine(outDir, kind + ".safetensors")}"
                : $"partition {part} done; the last partition to finish (or infra merge --scores {outDir}) "
                    + $"assembles the scores"
        );
    }
}
