using InfraSharp.Models;
using InfraSharp.Storage;

namespace InfraSharp.Influence;

/// <summary>
/// The memory model of the influence runs, from a model's config alone (no weights): per stage, the bytes of
/// every resident piece at the stage's peak. It follows the code: a batch's dispose scope keeps every
/// intermediate of the forward pass until the batch ends (activations, logits), the captured a and g are cast
/// to the statistics dtype, each module's temporaries are freed before the next module's are made, module
/// groups are contiguous ranges of the module list, and the eigendecomposition goes one module at a time. Pieces
/// that are sizes of tensors the runs allocate (weights, captured a/g, sums, eigenbases, query gradients, score
/// buffers) are exact; the forward pass's intermediates and the LAPACK workspace are counted from the
/// operations, and checked against measured peak RSS in the benchmark.
/// </summary>
public static class MemoryPlanner
{
    /// <summary>The stage names of a plan, in run order.</summary>
    public const string Covariance = "covariance",
        Eigen = "eigen",
        Lambda = "lambda",
        Queries = "queries",
        Scores = "scores";

    /// <summary>The process before any tensor: the .NET runtime, libtorch's code and allocator, the
    /// tokenizer.</summary>
    public const long RuntimeBytes = 600L << 20;

    private sealed record Linear(string Name, long Out, long In)
    {
        public long OutIn => Out * In;
    }

    /// <summary>
    /// Plans the influence runs of <paramref name="args"/> on a model of <paramref name="config"/>'s shape: what each
    /// stage keeps resident, the batch and module partitions that fit the memory bound, and the disk written.
    /// </summary>
    public static MemoryPlan Plan(ModelConfig config, PlanArguments args)
    {
        args.Validate();
        var strategy = InfluenceStrategy.Get(args.Strategy);
        var modules = TrackedModules.Resolve(config, args.Modules);
        // Only the model says how many modules there are to share, so this check names the flag itself.
        if (args.ModulePartitions is int k0 && (k0 < 1 || k0 > modules.Names.Count))
            throw InputError.Argument($"--module-partitions must be in [1, {modules.Names.Count}] (got {k0})");
        int minTokens = args.SequenceLength,
            maxTokens = Math.Max(args.TokensPerBatch, args.SequenceLength);
        if (args.MaxMemoryBytes is not long max)
            return Build(config, modules, strategy, args, args.ModulePartitions ?? 1, maxTokens);
        // The fewest module groups, then the most tokens per batch, that fit the bound.
        var ks = args.ModulePartitions is int k ? [k] : Enumerable.Range(1, modules.Names.Count);
        foreach (int groups in ks)
        {
            if (Build(config, modules, strategy, args, groups, minTokens).PeakBytes > max)
                continue;
            int lo = minTokens,
                hi = maxTokens;
            while (lo < hi)
            {
                int mid = lo + (hi - lo + 1) / 2;
                if (Build(config, modules, strategy, args, groups, mid).PeakBytes <= max)
                    lo = mid;
                else
                    hi = mid - 1;
            }
            return Build(config, modules, strategy, args, groups, lo);
        }
        // Nothing fits: refuse, naming the stage and its largest piece at the smallest batch and most groups.
        var least = Build(config, modules, strategy, args, ks.Last(), minTokens);
        var worst = least.Stages.MaxBy(s => s.PeakBytes)!;
        var piece = worst.Pieces.MaxBy(p => p.Bytes)!;
        throw InputError.Argument(
            $"--max-memory {Size(max)} does not fit: the {worst.Name} stage needs {Size(worst.PeakBytes)} "
                + $"even with {ks.Last()} module partitions and {minTokens} tokens per batch; its largest piece is "
                + $"'{piece.Name}' ({Size(piece.Bytes)})"
        );
    }

    /// <summary>Tokens per batch that fit <paramref name="maxBytes"/> for a run with a fixed module-partition
    /// count.</summary>
    public static int TokensPerBatch(ModelConfig config, PlanArguments args, long maxBytes) =>
        Plan(config, args with { MaxMemoryBytes = maxBytes }).TokensPerBatch;

    private static MemoryPlan Build(
        ModelConfig c,
        TrackedModules modules,
        InfluenceStrategy strategy,
        PlanArguments a,
        int k,
        int tokens
    )
    {
        int w = a.DType.Size(),
            s = a.StatisticsDType.Size();
        long n = tokens,
            perExample = Math.Max(1, tokens / a.SequenceLength);
        var all = modules.Names.Select(m => Shape(c, m)).ToList();
        // A stage holds one module group at a time: each group-sized piece is its largest group's (a bound on the
        // stage's peak when the groups differ, exact when they don't).
        var groups = modules.Groups(k).Select(g => g.Modules.Names.Select(m => Shape(c, m)).ToList()).ToList();
        long GroupSum(Func<Linear, long> bytes) => groups.Max(g => g.Sum(bytes));
        long GroupMax(Func<Linear, long> bytes) => groups.Max(g => g.Max(bytes));

        long weights = c.ParameterShapes().Sum(p => p.Shape.Aggregate(1L, (x, y) => x * y)) * w;
        var fixedPieces = new List<MemoryPiece>
        {
            new("runtime (CLR, libtorch)", RuntimeBytes),
            new("weights", weights),
        };
        List<MemoryPiece> Batch() =>
            [
                new("activations", n * ActivationBytesPerToken(c, w)),
                new("logits", n * LogitBytesPerToken(c, w)),
                new("captured a/g", GroupSum(l => n * (l.In + l.Out) * s)),
            ];
        double tokensTotal = (double)a.Examples * a.SequenceLength;
        double passFlops = 4.0 * weights / w * tokensTotal; // forward and the backward to layer outputs
        var stages = new List<StagePlan>();

        long covSum(Linear l) => 8 * (l.In * l.In + l.Out * l.Out);
        long eigenBytes(Linear l) => 4 * (l.In * l.In + l.In + l.Out * l.Out + l.Out);
        long lambdaBytes(Linear l) => 8 * l.OutIn;
        // On disk the covariances and eigenvalue matrices are float32 means (FactorFiles), half the running sums.
        long covFile(Linear l) => covSum(l) / 2;
        long lambdaFile(Linear l) => lambdaBytes(l) / 2;
        if (strategy.NeedsCovariance)
        {
            stages.Add(
                new StagePlan(
                    Covariance,
                    [
                        .. fixedPieces,
                        .. Batch(),
                        new("covariance sums", GroupSum(covSum)),
                        new("covariance temporaries", GroupMax(l => (s + 8) * (l.In * l.In + l.Out * l.Out))),
                    ],
                    k * passFlops + all.Sum(l => 2.0 * tokensTotal * (l.In * l.In + l.Out * l.Out))
                )
            );
            // One module: its two float64 sums and the means, then for the larger side a float64 copy, the
            // symmetrised matrix, the eigenvectors and LAPACK's syevd workspace (about 2n²), and float32 copies.
            stages.Add(
                new StagePlan(
                    Eigen,
                    [
                        .. fixedPieces,
                        new("covariances being decomposed", all.Max(l => 2 * covSum(l))),
                        new(
                            "eigendecomposition workspace",
                            all.Max(l => Math.Max(l.In, l.Out) is var m ? (8 * 5 + 4) * m * m : 0)
                        ),
                        new("eigenbases", GroupSum(eigenBytes)),
                    ],
                    all.Sum(l => 9.0 * (Math.Pow(l.In, 3) + Math.Pow(l.Out, 3)))
                )
            );
        }
        if (strategy.Lambda != LambdaKind.None)
        {
            bool rotate = strategy.NeedsCovariance;
            var pieces = new List<MemoryPiece>(fixedPieces);
            pieces.AddRange(Batch());
            if (rotate)
                pieces.Add(new("eigenbases", GroupSum(eigenBytes)));
            pieces.Add(new("lambda sums", GroupSum(lambdaBytes)));
            // One module: rotated g and a, per-example matrices and their squares, the float64 copy of their sum.
            pieces.Add(
                new(
                    "lambda temporaries",
                    GroupMax(l =>
                        (rotate ? n * (l.In + l.Out) * s : 0) + 2 * perExample * l.OutIn * s + (s + 8) * l.OutIn
                    )
                )
            );
            stages.Add(
                new StagePlan(
                    Lambda,
                    pieces,
                    k * passFlops
                        + all.Sum(l =>
                            2.0 * tokensTotal * (rotate ? l.In * l.In + l.Out * l.Out : 0) + 2.0 * tokensTotal * l.OutIn
                        )
                )
            );
        }
        long q = a.Queries;
        if (q > 0)
        {
            bool early = a.QueryRank > 0;
            long kept(Linear l) => early ? 4 * q * a.QueryRank * (l.In + l.Out) : 4 * q * l.OutIn;
            long qBatch = Math.Min(q, perExample);
            // Preconditioning one module's batch: its per-example gradients, the float64 rotation and quotient, the
            // damped eigenvalues, the result; at rank R also the factorisation's float64 copies.
            long precondition(Linear l) =>
                qBatch * l.OutIn * (s + 4 + 8 + 8 + 4) + 8 * l.OutIn + (early ? qBatch * l.OutIn * 8 * 2 : 0);
            // Scoring holds the eigenbases and eigenvalue matrices of its module group (the covariances stay on disk).
            var factorPieces = new List<MemoryPiece>();
            if (strategy.NeedsCovariance)
                factorPieces.Add(new("eigenbases", GroupSum(eigenBytes)));
            if (strategy.Lambda != LambdaKind.None)
                factorPieces.Add(new("eigenvalue matrices", GroupSum(lambdaBytes)));
            stages.Add(
                new StagePlan(
                    Queries,
                    [
                        .. fixedPieces,
                        .. Batch(),
                        .. factorPieces,
                        new("query gradients", GroupSum(kept)),
                        new("query temporaries", GroupMax(precondition)),
                    ],
                    k * 4.0 * weights / w * q * a.SequenceLength
                )
            );
            long buffers = 4 * q * Math.Min(a.ChunkSize, Math.Max(1, a.Examples == 0 ? a.ChunkSize : a.Examples)) * 2;
            long scoreTemp(Linear l) =>
                early
                    ? 3L * 4 * q * n * a.QueryRank + 4 * n * (l.In + l.Out) + 4 * q * n
                    : perExample * l.OutIn * (s + 4) + 4 * n * (l.In + l.Out);
            stages.Add(
                new StagePlan(
                    Scores,
                    [
                        .. fixedPieces,
                        .. Batch(),
                        .. factorPieces,
                        new("query gradients", GroupSum(kept)),
                        new("score temporaries", GroupMax(scoreTemp)),
                        new("score buffers", buffers),
                    ],
                    k * passFlops
                        + all.Sum(l =>
                            early
                                ? 4.0 * q * tokensTotal * a.QueryRank * (l.In + l.Out)
                                : 2.0 * tokensTotal * l.OutIn + 2.0 * q * a.Examples * l.OutIn
                        )
                )
            );
        }
        long disk = 0;
        if (strategy.NeedsCovariance)
            disk += all.Sum(l => covFile(l) + 8 + eigenBytes(l));
        if (strategy.Lambda != LambdaKind.None)
            disk += all.Sum(l => lambdaFile(l) + 8);
        return new MemoryPlan
        {
            Arguments = a,
            Stages = stages,
            ModulePartitions = k,
            TokensPerBatch = tokens,
            FactorsDiskBytes = disk,
            ScoresDiskBytes = 4L * q * a.Examples,
        };
    }

    /// <summary>
    /// Every intermediate of one token's forward pass, in the model's dtype: per layer two RMSNorms (squares,
    /// normalised, weighted; a float32 copy when computing in bfloat16), q/k/v with rotary embedding (products,
    /// rotate-half, sum), key/value heads repeated for grouped-query attention, the fused attention's output and
    /// float32 logsumexp, the heads' reshaped copy, the output projection and residual; gate, up, SiLU, product,
    /// down projection and residual.
    /// </summary>
    public static long ActivationBytesPerToken(ModelConfig c, int w)
    {
        long h = c.HiddenSize,
            q = (long)c.NumHeads * c.HeadDim,
            kv = (long)c.NumKvHeads * c.HeadDim,
            i = c.IntermediateSize;
        long rms = w == 4 ? 3 * 4 * h : (3 * 4 + 2 * 2) * h;
        long rope(long x) => (long)(5.5 * x) * w;
        long repeat = c.NumKvHeads == c.NumHeads ? 0 : 2 * q * w;
        long attention = rope(q) + rope(kv) + kv * w + repeat + 2 * q * w + 4L * c.NumHeads + 2 * h * w;
        long mlp = 4 * i * w + 2 * h * w;
        return c.NumLayers * (2 * rms + attention + mlp) + h * w;
    }

    /// <summary>
    /// The logits of one token and what the loss keeps: the projection (model dtype), a float32 copy in bfloat16,
    /// the shifted copy and log-softmax of cross-entropy, and in backward the logits' and log-softmax's gradients.
    /// </summary>
    public static long LogitBytesPerToken(ModelConfig c, int w) => c.VocabSize * (w + (w == 4 ? 0 : 4) + 4 * 4L);

    private static Linear Shape(ModelConfig c, string module)
    {
        string shortName = TrackedModules.ShortName(module);
        int q = c.NumHeads * c.HeadDim,
            kv = c.NumKvHeads * c.HeadDim;
        var (o, i) = shortName switch
        {
            "self_attn.q_proj" => (q, c.HiddenSize),
            "self_attn.k_proj" or "self_attn.v_proj" => (kv, c.HiddenSize),
            "self_attn.o_proj" => (c.HiddenSize, q),
            "mlp.down_proj" => (c.HiddenSize, c.IntermediateSize),
            _ => (c.IntermediateSize, c.HiddenSize),
        };
        // A layer with a bias is captured in homogeneous coordinates: one more input.
        return new Linear(module, o, i + (c.LinearHasBias(shortName) ? 1 : 0));
    }

    /// <summary><paramref name="bytes"/> in binary units (KiB, MiB or GiB), as plans print them.</summary>
    public static string Size(long bytes) =>
        bytes >= 1L << 30 ? $"{bytes / (double)(1L << 30):F2} GiB"
        : bytes >= 1L << 20 ? $"{bytes / (double)(1L << 20):F1} MiB"
        : $"{bytes / 1024.0:F1} KiB";
}
