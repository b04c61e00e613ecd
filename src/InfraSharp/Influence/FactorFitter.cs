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
public sealed class FactorFitter(CausalLM model, TrackedModules modules, InfluenceStrategy strategy, FactorArguments args, int padId = 0)
{
    public sealed record Result(bool Complete, string Message)
    {
        /// <summary>Seconds spent per stage in this run (covariance, eigen, lambda), for benchmarks and logs.</summary>
        public Dictionary<string, double> StageSeconds { get; init; } = [];
    }

    private readonly Dictionary<string, double> _stageSeconds = [];

    public Result Fit(IReadOnlyList<EncodedExample> data, string outDir, Partition partition, JsonObject? manifest = null,
        FactorStage stage = FactorStage.All)
    {
        if (data.Count == 0) throw InputError.Argument("no training examples to fit factors on (empty dataset)");
        Directory.CreateDirectory(outDir);
        if (manifest is not null) FactorFiles.WriteManifest(outDir, manifest);
        // Everything a stage accumulates or reads lives until the run returns, then is freed at once.
        var factors = modules.Names.ToDictionary(m => m, m => new ModuleFactors { Module = m });
        try { return FitStages(data, outDir, partition, stage, factors); }
        finally
        {
            foreach (var f in factors.Values) f.Dispose();
        }
    }

    private Result FitStages(IReadOnlyList<EncodedExample> data, string outDir, Partition partition, FactorStage stage,
        Dictionary<string, ModuleFactors> factors)
    {
        string eigenPath = FactorFiles.StagePath(outDir, FactorFiles.Eigen);
        if (strategy.NeedsCovariance)
        {
            // The covariances are only needed until the eigenbases exist.
            if (stage is FactorStage.Covariance || stage is FactorStage.All && !File.Exists(eigenPath))
            {
                var r = DataStage(FactorFiles.Covariance, data, outDir, partition, factors, AccumulateCovariance, FactorFiles.WriteCovariance);
                if (r is not null) return r;
                DisposeCovariances(factors.Values);
            }
            if (stage == FactorStage.Covariance)
                return new Result(true, $"covariance stage complete in {outDir}") { StageSeconds = _stageSeconds };
            if (stage == FactorStage.Eigen) return EigenSlice(outDir, partition);
            if (stage == FactorStage.All) EnsureEigen(outDir);
            if (!File.Exists(eigenPath))
                throw InputError.MissingFile($"{outDir}: the eigen stage is not complete; run infra factors --stage eigen first", eigenPath);
            FactorFiles.Read(eigenPath, FactorFiles.Eigen, factors);
        }
        else if (stage is FactorStage.Covariance or FactorStage.Eigen)
            return new Result(true, $"{strategy.Name} has no {stage.ToString().ToLowerInvariant()} stage") { StageSeconds = _stageSeconds };
        if (strategy.Lambda != LambdaKind.None)
        {
            var r = DataStage(FactorFiles.Lambda, data, outDir, partition, factors, AccumulateLambda, FactorFiles.WriteLambda);
            if (r is not null) return r;
        }
        return new Result(true, $"factors for {strategy.Name} complete in {outDir}") { StageSeconds = _stageSeconds };
    }

    private static void DisposeCovariances(IEnumerable<ModuleFactors> fs)
    {
        foreach (var f in fs)
        {
            f.ActivationCovarianceSum?.Dispose(); f.GradientCovarianceSum?.Dispose();
            f.ActivationCovarianceSum = f.GradientCovarianceSum = null;
        }
    }

    /// <summary>
    /// The eigenbases of every module, computed once per folder: partitions of a data stage that arrive here
    /// together wait on a file lock while the first computes them, then read its result.
    /// </summary>
    private void EnsureEigen(string outDir)
    {
        string eigenPath = FactorFiles.StagePath(outDir, FactorFiles.Eigen);
        if (File.Exists(eigenPath)) return;
        using var held = FileLock.Acquire(Path.Combine(outDir, "eigen.lock"));
        if (File.Exists(eigenPath) || FactorFiles.MergePartitionsIfComplete(outDir, FactorFiles.Eigen)) return;
        WriteEigen(outDir, modules.Names, eigenPath);
    }

    /// <summary>The eigen stage for one range of modules (a module partition), merged once all ranges are written.</summary>
    private Result EigenSlice(string outDir, Partition partition)
    {
        string eigenPath = FactorFiles.StagePath(outDir, FactorFiles.Eigen);
        if (File.Exists(eigenPath)) return new Result(true, $"eigen stage already complete in {outDir}");
        if (partition.Count > modules.Names.Count)
            throw InputError.Argument($"--partition {partition}: the eigen stage has only {modules.Names.Count} modules to share");
        var (m0, m1) = partition.Range(modules.Names.Count);
        string target = partition.IsWhole ? eigenPath : FactorFiles.PartitionPath(outDir, FactorFiles.Eigen, partition);
        if (!File.Exists(target)) WriteEigen(outDir, modules.Names.Skip(m0).Take(m1 - m0).ToList(), target);
        bool complete = partition.IsWhole || FactorFiles.MergePartitionsIfComplete(outDir, FactorFiles.Eigen);
        return new Result(complete, complete ? $"eigen stage complete in {outDir}"
            : $"eigen partition {partition} written (modules {m0}-{m1 - 1}); the stage is merged when all are") { StageSeconds = _stageSeconds };
    }

    /// <summary>
    /// Decomposes the covariances of <paramref name="names"/>, one module at a time: only that module's covariance
    /// and its float64 copies are resident (each inside its own dispose scope), then the eigenpairs are written.
    /// </summary>
    private void WriteEigen(string outDir, IReadOnlyList<string> names, string target)
    {
        string covPath = FactorFiles.StagePath(outDir, FactorFiles.Covariance);
        if (!File.Exists(covPath))
            throw InputError.MissingFile($"{outDir}: the covariance stage is not complete (run or merge its partitions first)", covPath);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var progress = new ProgressLog("eigendecomposition", names.Count);
        var done = new List<ModuleFactors>();
        foreach (var name in names)
        {
            using var scope = NewDisposeScope();
            var f = new ModuleFactors { Module = name };
            FactorFiles.Read(covPath, FactorFiles.Covariance, new Dictionary<string, ModuleFactors> { [name] = f });
            (f.ActivationEigenvalues, f.ActivationEigenvectors) = EigenBasis.Decompose(f.ActivationCovariance, name, "activation");
            (f.GradientEigenvalues, f.GradientEigenvectors) = EigenBasis.Decompose(f.GradientCovariance, name, "gradient");
            foreach (var t in new[] { f.ActivationEigenvalues, f.ActivationEigenvectors, f.GradientEigenvalues, f.GradientEigenvectors })
                t.MoveToOuterDisposeScope();
            done.Add(f);
            progress.Report(done.Count);
        }
        FactorFiles.WriteEigen(target, done);
        foreach (var f in done)
            foreach (var t in new[] { f.ActivationEigenvalues, f.ActivationEigenvectors, f.GradientEigenvalues, f.GradientEigenvectors })
                t!.Dispose();
        _stageSeconds[FactorFiles.Eigen] = sw.Elapsed.TotalSeconds;
    }

    /// <summary>Runs (or reuses) a data stage; returns a result when the run must stop here (a partition's slice is done).</summary>
    private Result? DataStage(string stage, IReadOnlyList<EncodedExample> data, string outDir, Partition partition,
        Dictionary<string, ModuleFactors> factors, Action<BatchGradients, Dictionary<string, ModuleFactors>> accumulate,
        Action<string, IEnumerable<ModuleFactors>> write)
    {
        string final = FactorFiles.StagePath(outDir, stage);
        // A partition finishing the set merges it, so the next run finds the stage file.
        if (!File.Exists(final)) FactorFiles.MergePartitionsIfComplete(outDir, stage);
        if (File.Exists(final))
        {
            FactorFiles.Read(final, stage, factors);
            return null;
        }
        string target = partition.IsWhole ? final : FactorFiles.PartitionPath(outDir, stage, partition);
        if (!partition.IsWhole && File.Exists(target))
            return new Result(false, $"{stage} partition {partition} already done; merge when all partitions are: infra merge --factors {outDir}");
        var (start, end) = TokenBatches.PartitionRange(data, partition, args.TokensPerBatch);
        var progress = new ProgressLog($"{stage} {(partition.IsWhole ? "" : partition.ToString())}".Trim(), end - start);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        foreach (var (s, n) in TokenBatches.Plan(data, start, end, args.TokensPerBatch))
        {
            using var scope = NewDisposeScope();
            var chunk = data.Skip(s).Take(n).ToList();
            long[]? seeds = args.Fisher == FisherMode.Sampled ? Enumerable.Range(s, n).Select(i => args.Seed * 1_000_003L + i).ToArray() : null;
            var bg = BatchGradients.Compute(model, chunk, modules.Names, args.Fisher, seeds, Measurement.Loss, padId);
            accumulate(bg, factors);
            foreach (var f in factors.Values)
            {
                f.ActivationCovarianceSum?.MoveToOuterDisposeScope(); f.GradientCovarianceSum?.MoveToOuterDisposeScope();
                f.LambdaSum?.MoveToOuterDisposeScope();
            }
            progress.Report(s + n - start);
        }
        write(target, factors.Values);
        _stageSeconds[stage] = clock.Elapsed.TotalSeconds;
        if (partition.IsWhole) return null;
        // The last partition to finish merges the stage (each partition stops after its slice of one stage).
        bool merged = FactorFiles.MergePartitionsIfComplete(outDir, stage);
        return new Result(false, merged ? $"{stage} partition {partition} written and the stage merged; run the next stage"
            : $"{stage} partition {partition} written; the last of the {partition.Count} to finish merges the stage");
    }

    /// <summary>
    /// Adds a batch's float32 statistic to a float64 running sum: the sum then doesn't depend on how the data
    /// was batched or partitioned beyond float64 rounding, so merged partitions equal one run.
    /// </summary>
    private static Tensor Add(Tensor? acc, Tensor x)
    {
        if (acc is null) return x.detach().to(ScalarType.Float64);
        acc.add_(x.to(ScalarType.Float64));
        return acc;
    }

    private static void AccumulateCovariance(BatchGradients bg, Dictionary<string, ModuleFactors> factors)
    {
        long tokens = (long)bg.Mask.sum().item<float>();
        foreach (var (m, f) in factors)
        {
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
            Tensor stat;
            if (strategy.Lambda == LambdaKind.EigenCorrected)
            {
                // (Q_Gᵀ G_e Q_A)² with G_e = Σ_t g_t a_tᵀ: rotate g and a first, then form the per-example matrices.
                var gr = matmul(bg.G[m], f.GradientEigenvectors!);
                var ar = matmul(bg.A[m], f.ActivationEigenvectors!);
                stat = einsum("bto,bti->boi", gr, ar).pow(2).sum(dim: 0);
            }
            else stat = bg.PerExample(m).pow(2).sum(dim: 0);
            f.LambdaSum = Add(f.LambdaSum, stat);
            f.Examples += bg.Lengths.Length;
        }
    }

    /// <summary>Loads every factor stage the strategy needs from a finished factor folder.</summary>
    public static Dictionary<string, ModuleFactors> Load(string dir, IReadOnlyList<string> modules, InfluenceStrategy strategy)
    {
        var factors = modules.ToDictionary(m => m, m => new ModuleFactors { Module = m });
        // Scoring needs the eigenbases and eigenvalue matrices only: the covariances (the largest factor files,
        // float64 out² + in² per module) stay on disk.
        foreach (var stage in Stages(strategy).Where(s => s != FactorFiles.Covariance))
        {
            string p = FactorFiles.StagePath(dir, stage);
            if (!File.Exists(p)) throw InputError.MissingFile($"{dir}: stage '{stage}' of the {strategy.Name} factors is missing (not fitted, or partitions not merged)", p);
            FactorFiles.Read(p, stage, factors);
        }
        foreach (var f in factors.Values)
        {
            using var scope = NewDisposeScope();
            if (f.LambdaSum is not null && !f.LambdaSum.isfinite().all().item<bool>())
                throw InputError.Data($"{dir}: module '{f.Module}': the eigenvalue matrix holds NaN or Inf");
        }
        return factors;
    }

    public static IEnumerable<string> Stages(InfluenceStrategy s)
    {
        if (s.NeedsCovariance) { yield return FactorFiles.Covariance; yield return FactorFiles.Eigen; }
        if (s.Lambda != LambdaKind.None) yield return FactorFiles.Lambda;
    }
}
