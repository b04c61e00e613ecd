using System.Text.Json.Nodes;
using InfraSharp.Models;
using InfraSharp.Storage;
using InfraSharp.Text;
using static TorchSharp.torch;

namespace InfraSharp.Influence;

/// <summary>
/// Fits the factors a strategy needs, stage by stage, each stage written atomically before the next starts:
/// covariances (sums of a·aᵀ and g·gᵀ over real tokens: float32 per batch, float64 across batches), their
/// eigenbases (float64), then the eigenvalue matrix (EK-FAC's corrected eigenvalues, or the diagonal Fisher). A
/// stage already on disk is reused, so an interrupted run resumes at the stage it was in. Partitions are ranges
/// i/n of a stage's own axis: of the global batch plan for the data stages (covariance, lambda), of the module
/// list for the eigen stage; the slices are merged (<see cref="FactorFiles.MergePartitions"/>) once all exist.
/// </summary>
public sealed class FactorFitter(
    CausalLM model,
    TrackedModules modules,
    InfluenceStrategy strategy,
    FactorArguments args,
    int padId = 0
)
{
    /// <summary>
    /// Checked before every batch and every module's eigendecomposition: a cancelled fit stops there, and what it
    /// wrote (whole stage and partition files only) is what the same run resumes from.
    /// </summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>Where each stage reports its batches and modules (none: silent).</summary>
    public IProgress<RunProgress>? Progress { get; init; }

    /// <summary>What a fit did.</summary>
    /// <param name="Complete">True when every stage the strategy needs is on disk; false after one data partition's
    /// share of a stage, or one module group of the eigen stage, while others remain.</param>
    /// <param name="Message">One line saying what was written or what remains.</param>
    public sealed record Result(bool Complete, string Message)
    {
        /// <summary>Seconds spent per stage in this run (covariance, eigen, lambda), for benchmarks and logs.</summary>
        public Dictionary<string, double> StageSeconds { get; init; } = [];
    }

    private readonly Dictionary<string, double> _stageSeconds = [];

    /// <summary>The module groups: one pass over the data per group, each holding only its modules'
    /// statistics.</summary>
    private IReadOnlyList<(Partition Group, List<string> Names)> Groups() =>
        modules.Groups(args.ModulePartitions).Select(g => (g.Group, g.Modules.Names.ToList())).ToList();

    /// <summary>
    /// Fits <paramref name="stage"/> (or every stage) on this partition's share of <paramref name="data"/>, into
    /// <paramref name="outDir"/>; stages already on disk are reused.
    /// </summary>
    public Result Fit(
        IReadOnlyList<EncodedExample> data,
        string outDir,
        Partition partition,
        FactorStage stage = FactorStage.All
    )
    {
        if (data.Count == 0)
            throw InputError.Argument("no training examples to fit factors on (empty dataset)");
        Directory.CreateDirectory(outDir);
        var groups = Groups();
        int k = groups.Count;
        if (strategy.NeedsCovariance)
        {
            // The covariances are only needed until the eigenbases exist.
            bool eigenDone = FactorFiles.StageComplete(outDir, FactorFiles.Eigen, k);
            if (stage is FactorStage.Covariance || stage is FactorStage.All && !eigenDone)
            {
                var r = DataStage(
                    FactorFiles.Covariance,
                    data,
                    outDir,
                    partition,
                    groups,
                    AccumulateCovariance,
                    FactorFiles.WriteCovariance
                );
                if (r is not null)
                    return r;
            }
            if (stage == FactorStage.Covariance)
                return new Result(true, $"covariance stage complete in {outDir}") { StageSeconds = _stageSeconds };
            if (stage == FactorStage.Eigen)
                return EigenSlice(outDir, partition, groups);
            if (stage == FactorStage.All)
                EnsureEigen(outDir, groups);
            if (!FactorFiles.StageComplete(outDir, FactorFiles.Eigen, k))
                throw InputError.MissingFile(
                    $"{outDir}: the eigen stage is not complete; run infra factors --stage eigen first",
                    FactorFiles.StagePath(outDir, FactorFiles.Eigen)
                );
        }
        else if (stage is FactorStage.Covariance or FactorStage.Eigen)
            return new Result(true, $"{strategy.Name} has no {stage.ToString().ToLowerInvariant()} stage")
            {
                StageSeconds = _stageSeconds,
            };
        if (strategy.Lambda != LambdaKind.None)
        {
            var r = DataStage(
                FactorFiles.Lambda,
                data,
                outDir,
                partition,
                groups,
                AccumulateLambda,
                FactorFiles.WriteLambda
            );
            if (r is not null)
                return r;
        }
        return new Result(true, $"factors for {strategy.Name} complete in {outDir}") { StageSeconds = _stageSeconds };
    }

    /// <summary>
    /// The eigenbases of every module, computed once per folder: partitions of a data stage that arrive here
    /// together wait on a file lock while the first computes them, then read its result.
    /// </summary>
    private void EnsureEigen(string outDir, IReadOnlyList<(Partition Group, List<string> Names)> groups)
    {
        if (FactorFiles.StageComplete(outDir, FactorFiles.Eigen, groups.Count))
            return;
        using var held = FileLock.Acquire(Path.Combine(outDir, "eigen.lock"));
        FactorFiles.MergePartitionsIfComplete(outDir, FactorFiles.Eigen);
        foreach (var (group, names) in groups)
        {
            string target = FactorFiles.StagePath(outDir, FactorFiles.Eigen, group);
            if (!File.Exists(target))
                WriteEigen(outDir, names, target);
        }
    }

    /// <summary>
    /// The eigen stage for one share of the modules: without module partitions a range i/n of the module list
    /// (merged once all are written); with K module partitions, group i of K (its own file, nothing to merge).
    /// </summary>
    private Result EigenSlice(
        string outDir,
        Partition partition,
        IReadOnlyList<(Partition Group, List<string> Names)> groups
    )
    {
        int k = groups.Count;
        if (FactorFiles.StageComplete(outDir, FactorFiles.Eigen, k))
            return new Result(true, $"eigen stage already complete in {outDir}");
        if (k > 1)
        {
            if (!partition.IsWhole && partition.Count != k)
                throw InputError.Argument(
                    $"--partition {partition}: with --module-partitions {k} the eigen stage is split by module "
                        + $"group: use i/{k}"
                );
            foreach (var (group, names) in groups.Where(g => partition.IsWhole || g.Group.Index == partition.Index))
            {
                string path = FactorFiles.StagePath(outDir, FactorFiles.Eigen, group);
                if (!File.Exists(path))
                    WriteEigen(outDir, names, path);
            }
            bool done = FactorFiles.StageComplete(outDir, FactorFiles.Eigen, k);
            return new Result(
                done,
                done ? $"eigen stage complete in {outDir}" : $"eigen module group {partition} written"
            )
            {
                StageSeconds = _stageSeconds,
            };
        }
        if (partition.Count > modules.Names.Count)
            throw InputError.Argument(
                $"--partition {partition}: the eigen stage has only {modules.Names.Count} modules to share"
            );
        var (m0, m1) = partition.Range(modules.Names.Count);
        string eigenPath = FactorFiles.StagePath(outDir, FactorFiles.Eigen);
        string target = partition.IsWhole ? eigenPath : FactorFiles.PartitionPath(outDir, FactorFiles.Eigen, partition);
        if (!File.Exists(target))
            WriteEigen(outDir, modules.Names.Skip(m0).Take(m1 - m0).ToList(), target);
        bool complete = partition.IsWhole || FactorFiles.MergePartitionsIfComplete(outDir, FactorFiles.Eigen);
        return new Result(
            complete,
            complete
                ? $"eigen stage complete in {outDir}"
                : $"eigen partition {partition} written (modules {m0}-{m1 - 1}); the stage is merged when all are"
        )
        {
            StageSeconds = _stageSeconds,
        };
    }

    /// <summary>
    /// Decomposes the covariances of <paramref name="names"/>, one module at a time: only that module's covariance
    /// and its float64 copies are resident (each inside its own dispose scope), then the eigenpairs are written.
    /// </summary>
    private void WriteEigen(string outDir, IReadOnlyList<string> names, string target)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var progress = new ProgressMeter(Progress, "eigendecomposition", names.Count, "modules");
        var done = new List<ModuleFactors>();
        try
        {
            foreach (var name in names)
            {
                Cancellation.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var f = new ModuleFactors { Module = name };
                FactorFiles.ReadStage(
                    outDir,
                    FactorFiles.Covariance,
                    new Dictionary<string, ModuleFactors> { [name] = f },
                    model.Device
                );
                (f.ActivationEigenvalues, f.ActivationEigenvectors) = EigenBasis.Decompose(
                    f.ActivationCovariance,
                    name,
                    "activation"
                );
                (f.GradientEigenvalues, f.GradientEigenvectors) = EigenBasis.Decompose(
                    f.GradientCovariance,
                    name,
                    "gradient"
                );
                foreach (
                    var t in new[]
                    {
                        f.ActivationEigenvalues,
                        f.ActivationEigenvectors,
                        f.GradientEigenvalues,
                        f.GradientEigenvectors,
                    }
                )
                    t.MoveToOuterDisposeScope();
                f.ActivationCovarianceSum = f.GradientCovarianceSum = null; // disposed with the scope
                done.Add(f);
                progress.Report(done.Count);
            }
            FactorFiles.WriteEigen(target, done);
        }
        finally
        {
            foreach (var f in done)
                f.Dispose();
        }
        _stageSeconds[FactorFiles.Eigen] = _stageSeconds.GetValueOrDefault(FactorFiles.Eigen) + sw.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// Runs (or reuses) a data stage, one pass over this partition's batches per module group, each group's
    /// result written before the next starts (so a killed run resumes at the group it was in); returns a result
    /// when the run must stop here (a partition's slice is done).
    /// </summary>
    private Result? DataStage(
        string stage,
        IReadOnlyList<EncodedExample> data,
        string outDir,
        Partition partition,
        IReadOnlyList<(Partition Group, List<string> Names)> groups,
        Action<BatchGradients, Dictionary<string, ModuleFactors>> accumulate,
        Action<string, IEnumerable<ModuleFactors>> write
    )
    {
        int k = groups.Count;
        // A partition finishing the set merges it, so the next run finds the stage file.
        if (!FactorFiles.StageComplete(outDir, stage, k))
            FactorFiles.MergePartitionsIfComplete(outDir, stage);
        if (FactorFiles.StageComplete(outDir, stage, k))
            return null;
        var (start, end) = TokenBatches.PartitionRange(data, partition, args.TokensPerBatch);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        foreach (var (group, names) in groups)
        {
            string target = partition.IsWhole
                ? FactorFiles.StagePath(outDir, stage, group)
                : FactorFiles.PartitionPath(outDir, stage, partition, group);
            if (File.Exists(target))
                continue;
            var factors = names.ToDictionary(m => m, m => new ModuleFactors { Module = m });
            try
            {
                // The lambda stage rotates into the eigenbases of this group's modules only.
                if (stage == FactorFiles.Lambda && strategy.NeedsCovariance)
                    FactorFiles.ReadStage(outDir, FactorFiles.Eigen, factors, model.Device);
                string what =
                    $"{stage}{(partition.IsWhole ? "" : " " + partition)}{(k > 1 ? $" modules {group}" : "")}";
                var progress = new ProgressMeter(Progress, what, end - start, "examples");
                foreach (var (s, n) in TokenBatches.Plan(data, start, end, args.TokensPerBatch))
                {
                    Cancellation.ThrowIfCancellationRequested();
                    using var scope = NewDisposeScope();
                    var chunk = data.Skip(s).Take(n).ToList();
                    long[]? seeds =
                        args.Fisher == FisherMode.Sampled
                            ? Enumerable.Range(s, n).Select(i => args.Seed * 1_000_003L + i).ToArray()
                            : null;
                    var bg = BatchGradients.Compute(
                        model,
                        chunk,
                        names,
                        args.Fisher,
                        seeds,
                        Measurement.Loss,
                        padId,
                        args.StatisticsDType
                    );
                    accumulate(bg, factors);
                    progress.Report(s + n - start);
                }
                write(target, factors.Values);
            }
            finally
            {
                foreach (var f in factors.Values)
                    f.Dispose();
            }
        }
        _stageSeconds[stage] = clock.Elapsed.TotalSeconds;
        if (partition.IsWhole)
            return null;
        // The last partition to finish merges the stage (each partition stops after its slice of one stage).
        bool merged =
            FactorFiles.MergePartitionsIfComplete(outDir, stage) && FactorFiles.StageComplete(outDir, stage, k);
        return new Result(
            false,
            merged
                ? $"{stage} partition {partition} written and the stage merged; run the next stage"
                : $"{stage} partition {partition} written; the last of the {partition.Count} to finish merges the stage"
        );
    }

    /// <summary>
    /// Adds a batch's float32 statistic to a float64 running sum: the sum then doesn't depend on how the data
    /// was batched or partitioned beyond float64 rounding, so merged partitions equal one run.
    /// </summary>
    private static Tensor Add(Tensor? acc, Tensor x)
    {
        // The sum belongs to its ModuleFactors (disposed with it), not to the batch's dispose scope.
        if (acc is null)
            return x.detach().to(ScalarType.Float64).DetachFromDisposeScope();
        acc.add_(x.to(ScalarType.Float64));
        return acc;
    }

    /// <summary>Adds a batch's a·aᵀ and g·gᵀ sums (and token count) to each module's float64 sums.</summary>
    internal static void AccumulateCovariance(BatchGradients bg, Dictionary<string, ModuleFactors> factors)
    {
        long tokens = bg.Lengths.Sum(n => (long)n); // counted on the host: no device sync per batch
        foreach (var (m, f) in factors)
        {
            // One module's temporaries at a time (its float32 products and their float64 copies), not the group's.
            using var scope = NewDisposeScope();
            var a = bg.A[m].reshape(-1, bg.A[m].shape[2]);
            var g = bg.G[m].reshape(-1, bg.G[m].shape[2]);
            f.ActivationCovarianceSum = Add(f.ActivationCovarianceSum, matmul(a.transpose(0, 1), a));
            f.GradientCovarianceSum = Add(f.GradientCovarianceSum, matmul(g.transpose(0, 1), g));
            f.Tokens += tokens;
        }
    }

    private void AccumulateLambda(BatchGradients bg, Dictionary<string, ModuleFactors> factors)
    {
        foreach (var (m, f) in factors)
        {
            using var scope = NewDisposeScope();
            Tensor stat;
            if (strategy.Lambda == LambdaKind.EigenCorrected)
            {
                // (Q_Gᵀ G_e Q_A)² with G_e = Σ_t g_t a_tᵀ: rotate g and a first, then form each example's matrix.
                // In the statistics dtype: the float32 eigenbases are cast to it for the rotation.
                var gr = matmul(bg.G[m], f.GradientEigenvectors!.to(bg.G[m].dtype));
                var ar = matmul(bg.A[m], f.ActivationEigenvectors!.to(bg.A[m].dtype));
                stat = einsum("bto,bti->boi", gr, ar).pow(2).sum(dim: 0);
            }
            else
                stat = bg.PerExample(m).pow(2).sum(dim: 0);
            f.LambdaSum = Add(f.LambdaSum, stat);
            f.Examples += bg.Lengths.Length;
        }
    }

    /// <summary>Loads every factor stage the strategy needs from a finished factor folder.</summary>
    internal static Dictionary<string, ModuleFactors> Load(
        string dir,
        IReadOnlyList<string> modules,
        InfluenceStrategy strategy,
        Device? device = null
    )
    {
        var factors = modules.ToDictionary(m => m, m => new ModuleFactors { Module = m });
        // Scoring needs the eigenbases and eigenvalue matrices only: the covariances (the largest factor files,
        // float64 out² + in² per module) stay on disk.
        foreach (var stage in Stages(strategy).Where(s => s != FactorFiles.Covariance))
            FactorFiles.ReadStage(dir, stage, factors, device);
        foreach (var f in factors.Values)
        {
            using var scope = NewDisposeScope();
            if (f.LambdaSum is not null && !f.LambdaSum.isfinite().all().item<bool>())
                throw InputError.Data($"{dir}: module '{f.Module}': the eigenvalue matrix holds NaN or Inf");
        }
        return factors;
    }

    /// <summary>
    /// The factor stage names a strategy needs, in the order they are fitted (covariance, eigen, lambda).
    /// </summary>
    public static IEnumerable<string> Stages(InfluenceStrategy s)
    {
        if (s.NeedsCovariance)
        {
            yield return FactorFiles.Covariance;
            yield return FactorFiles.Eigen;
        }
        if (s.Lambda != LambdaKind.None)
            yield return FactorFiles.Lambda;
    }
}
