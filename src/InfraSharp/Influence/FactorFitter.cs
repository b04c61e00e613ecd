using System.Text.Json.Nodes;
using InfraSharp.Models;
using InfraSharp.Storage;
using InfraSharp.Text;
using static TorchSharp.torch;

namespace InfraSharp.Influence;

/// <summary>
/// Fits the factors a strategy needs, stage by stage, each stage written atomically before the next starts:
/// covariances (sums of a·aᵀ and g·gᵀ over real tokens: float32 per batch, float64 across batches), their eigenbases (float64), then the eigenvalue
/// matrix (EK-FAC's corrected eigenvalues, or the diagonal Fisher). A stage already on disk is reused, so an
/// interrupted run resumes at the stage it was in; with a partition, a data stage fits one slice and
/// <see cref="FactorFiles.MergePartitions"/> combines the slices.
/// </summary>
public sealed class FactorFitter(CausalLM model, TrackedModules modules, InfluenceStrategy strategy, FactorArguments args, int padId = 0)
{
    public sealed record Result(bool Complete, string Message)
    {
        /// <summary>Seconds spent per stage in this run (covariance, eigen, lambda), for benchmarks and logs.</summary>
        public Dictionary<string, double> StageSeconds { get; init; } = [];
    }

    private readonly Dictionary<string, double> _stageSeconds = [];

    public Result Fit(IReadOnlyList<EncodedExample> data, string outDir, Partition partition, JsonObject manifest)
    {
        if (data.Count == 0) throw new ArgumentException("no training examples to fit factors on (empty dataset)");
        Directory.CreateDirectory(outDir);
        FactorFiles.WriteManifest(outDir, manifest);
        var factors = modules.Names.ToDictionary(m => m, m => new ModuleFactors { Module = m });
        if (strategy.NeedsCovariance)
        {
            var r = DataStage(FactorFiles.Covariance, data, outDir, partition, factors, AccumulateCovariance, FactorFiles.WriteCovariance);
            if (r is not null) return r;
            if (!File.Exists(FactorFiles.StagePath(outDir, FactorFiles.Eigen)))
            {
                var sw = System.Diagnostics.Stopwatch.StartNew();
                var progress = new ProgressLog("eigendecomposition", factors.Count);
                int i = 0;
                foreach (var f in factors.Values)
                {
                    (f.ActivationEigenvalues, f.ActivationEigenvectors) = EigenBasis.Decompose(f.ActivationCovariance, f.Module, "activation");
                    (f.GradientEigenvalues, f.GradientEigenvectors) = EigenBasis.Decompose(f.GradientCovariance, f.Module, "gradient");
                    progress.Report(++i);
                }
                FactorFiles.WriteEigen(FactorFiles.StagePath(outDir, FactorFiles.Eigen), factors.Values);
                _stageSeconds[FactorFiles.Eigen] = sw.Elapsed.TotalSeconds;
            }
            else FactorFiles.Read(FactorFiles.StagePath(outDir, FactorFiles.Eigen), FactorFiles.Eigen, factors);
        }
        if (strategy.Lambda != LambdaKind.None)
        {
            var r = DataStage(FactorFiles.Lambda, data, outDir, partition, factors, AccumulateLambda, FactorFiles.WriteLambda);
            if (r is not null) return r;
        }
        return new Result(true, $"factors for {strategy.Name} complete in {outDir}") { StageSeconds = _stageSeconds };
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
        return new Result(false, $"{stage} partition {partition} written; when all {partition.Count} are done: infra merge --factors {outDir}, then run infra factors again");
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
        foreach (var stage in Stages(strategy))
        {
            string p = FactorFiles.StagePath(dir, stage);
            if (!File.Exists(p)) throw new FileNotFoundException($"{dir}: stage '{stage}' of the {strategy.Name} factors is missing (not fitted, or partitions not merged)", p);
            FactorFiles.Read(p, stage, factors);
        }
        foreach (var f in factors.Values)
        {
            if (f.ActivationCovarianceSum is not null && f.Tokens == 0) throw new InvalidDataException($"{dir}: module '{f.Module}' saw no tokens");
            if (f.LambdaSum is not null && !f.LambdaSum.isfinite().all().item<bool>())
                throw new InvalidDataException($"{dir}: module '{f.Module}': the eigenvalue matrix holds NaN or Inf");
        }
        return factors;
    }

    public static IEnumerable<string> Stages(InfluenceStrategy s)
    {
        if (s.NeedsCovariance) { yield return FactorFiles.Covariance; yield return FactorFiles.Eigen; }
        if (s.Lambda != LambdaKind.None) yield return FactorFiles.Lambda;
    }
}
