using System.Text.Json.Nodes;
using InfraSharp.Influence;
using InfraSharp.Storage;
using static TorchSharp.torch;

namespace InfraSharp.Index;

/// <summary>
/// The index's preconditioner, fitted in the projected space and kept as a factor folder
/// (<c>IDX/preconditioner</c>, read by <see cref="FactorFitter.Load"/>): the projected covariances (summed from every
/// shard's statistics, or the exact factors' covariances projected, P·C·Pᵀ), their eigenbases, and the eigenvalue
/// matrix, which for EK-FAC needs no pass over the model: (Q_Sᵀ G' Q_A)² is formed from the stored projected
/// gradients G' themselves. Refitted whenever a segment completes, so an append equals a build of all rows at once.
/// </summary>
internal static class IndexPreconditioner
{
    public const string Folder = "preconditioner",
        CoversFile = "covers.json";

    public static string StatsPath(string shardPath) => Path.ChangeExtension(shardPath, ".stats.safetensors");

    /// <summary>Fits and writes the preconditioner over the given shards (a no-op for the identity).</summary>
    public static void Fit(
        string indexDir,
        InfluenceStrategy strategy,
        GradientProjection projection,
        IReadOnlyList<ShardFile> shards,
        FactorFolder? exact,
        IProgress<RunProgress>? progress = null
    )
    {
        // Written into a folder of its own and swapped into place, so that a reader never mixes an old eigenbasis
        // with new eigenvalues: it sees the old preconditioner, the new one, or (for an instant) none.
        string final = Path.Combine(indexDir, Folder),
            dir = AtomicFile.TemporaryName(final);
        Directory.CreateDirectory(dir);
        var factors = projection.Shapes.ToDictionary(s => s.Module, s => new ModuleFactors { Module = s.Module });
        try
        {
            if (strategy.NeedsCovariance)
            {
                if (exact is null)
                    SumStatistics(shards, factors);
                else
                    ProjectExact(exact, projection, factors);
                FactorFiles.WriteCovariance(FactorFiles.StagePath(dir, FactorFiles.Covariance), factors.Values);
                foreach (var f in factors.Values)
                {
                    using var scope = NewDisposeScope();
                    (f.ActivationEigenvalues, f.ActivationEigenvectors) = EigenBasis.Decompose(
                        f.ActivationCovariance,
                        f.Module,
                        "activation"
                    );
                    (f.GradientEigenvalues, f.GradientEigenvectors) = EigenBasis.Decompose(
                        f.GradientCovariance,
                        f.Module,
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
                }
                FactorFiles.WriteEigen(FactorFiles.StagePath(dir, FactorFiles.Eigen), factors.Values);
            }
            if (strategy.Lambda != LambdaKind.None)
            {
                LambdaFromStore(strategy, projection, shards, factors, progress);
                FactorFiles.WriteLambda(FactorFiles.StagePath(dir, FactorFiles.Lambda), factors.Values);
            }
            var covers = new JsonObject
            {
                ["strategy"] = strategy.Name,
                ["shards"] = new JsonArray(shards.Select(s => (JsonNode)Path.GetFileName(s.Path)).ToArray()),
            };
            AtomicFile.WriteAllText(Path.Combine(dir, CoversFile), covers.ToJsonString() + "\n");
            string old = final + $".old-{Guid.NewGuid():N}";
            if (Directory.Exists(final))
                Directory.Move(final, old);
            Directory.Move(dir, final);
            if (Directory.Exists(old))
                Directory.Delete(old, recursive: true);
        }
        finally
        {
            foreach (var f in factors.Values)
                f.Dispose();
            if (Directory.Exists(dir))
                Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Loads the preconditioner, refusing one fitted over other shards than the index now lists.</summary>
    public static Dictionary<string, ModuleFactors> Load(GradientIndex index, InfluenceStrategy strategy, Device device)
    {
        if (!strategy.NeedsAnyFactor)
            return index.Modules.ToDictionary(m => m, m => new ModuleFactors { Module = m });
        string dir = Path.Combine(index.Dir, Folder),
            covers = Path.Combine(dir, CoversFile);
        if (!File.Exists(covers))
            throw InputError.MissingFile(
                $"{dir}: no preconditioner ({CoversFile} missing); rerun infra index build "
                    + "(the last task of a segment fits it)",
                covers
            );
        var node = JsonNode.Parse(File.ReadAllText(covers));
        var listed = node?["shards"]?.AsArray().Select(x => x!.ToString()).ToList();
        string fitted = node?["strategy"]?.ToString() ?? "";
        // An EK-FAC fit also holds K-FAC's eigenbasis; any other strategy needs its own fit (a diagonal read from
        // EK-FAC's eigenvalue matrix would divide by eigenvalues of another basis).
        if (fitted != strategy.Name && !(fitted == "ekfac" && strategy.Name == "kfac"))
            throw InputError.Argument(
                $"--precondition {strategy.Name}: the index's preconditioner is {fitted}; "
                    + "query with it (an ekfac index also serves kfac and none), or build an index for it"
            );
        if (listed is null || !listed.SequenceEqual(index.Shards.Select(s => Path.GetFileName(s.Path))))
            throw InputError.Data(
                $"{dir}: the preconditioner does not cover the index's shards; "
                    + "rerun infra index build (it refits when the last task of a segment finishes)"
            );
        return FactorFitter.Load(dir, index.Modules, strategy, device);
    }

    /// <summary>Per-shard covariance statistics of the projected a and g, summed (float64) in shard order.</summary>
    private static void SumStatistics(IReadOnlyList<ShardFile> shards, Dictionary<string, ModuleFactors> factors)
    {
        foreach (var shard in shards)
        {
            var here = factors.Keys.ToDictionary(m => m, m => new ModuleFactors { Module = m });
            try
            {
                FactorFiles.Read(StatsPath(shard.Path), FactorFiles.Covariance, here);
                foreach (var (m, f) in factors)
                {
                    var h = here[m];
                    f.ActivationCovarianceSum = Add(f.ActivationCovarianceSum, h.ActivationCovarianceSum!);
                    f.GradientCovarianceSum = Add(f.GradientCovarianceSum, h.GradientCovarianceSum!);
                    f.Tokens += h.Tokens;
                }
            }
            finally
            {
                foreach (var f in here.Values)
                    f.Dispose();
            }
        }
    }

    private static Tensor Add(Tensor? acc, Tensor x)
    {
        if (acc is null)
            return x.to(ScalarType.Float64).clone().DetachFromDisposeScope();
        acc.add_(x.to(ScalarType.Float64));
        return acc;
    }

    /// <summary>The exact factors' covariances C, projected as P·C·Pᵀ (a side kept whole is taken as is).</summary>
    private static void ProjectExact(
        FactorFolder exact,
        GradientProjection projection,
        Dictionary<string, ModuleFactors> factors
    )
    {
        var read = factors.Keys.ToDictionary(m => m, m => new ModuleFactors { Module = m });
        try
        {
            FactorFiles.ReadStage(exact.Dir, FactorFiles.Covariance, read);
            foreach (var (m, f) in factors)
            {
                using var scope = NewDisposeScope();
                var (pin, pout) = projection.Matrices(m);
                var r = read[m];
                Tensor Project(Tensor c, Tensor? p)
                {
                    if (p is null)
                        return c.to(ScalarType.Float64);
                    var p64 = p.cpu().to(ScalarType.Float64);
                    return matmul(matmul(p64, c.to(ScalarType.Float64)), p64.transpose(0, 1));
                }
                f.ActivationCovarianceSum = Project(r.ActivationCovarianceSum!, pin).DetachFromDisposeScope();
                f.GradientCovarianceSum = Project(r.GradientCovarianceSum!, pout).DetachFromDisposeScope();
                f.Tokens = r.Tokens;
            }
        }
        finally
        {
            foreach (var f in read.Values)
                f.Dispose();
        }
    }

    /// <summary>
    /// The eigenvalue matrix from the stored projected gradients: the mean over rows of (Q_Sᵀ G' Q_A)² (EK-FAC) or
    /// of G'² (diagonal), streamed shard by shard in blocks.
    /// </summary>
    private static void LambdaFromStore(
        InfluenceStrategy strategy,
        GradientProjection projection,
        IReadOnlyList<ShardFile> shards,
        Dictionary<string, ModuleFactors> factors,
        IProgress<RunProgress>? sink
    )
    {
        const int block = 4096;
        var progress = new ProgressMeter(sink, "preconditioner eigenvalues", shards.Sum(s => s.Header.Rows), "rows");
        long done = 0;
        foreach (var shard in shards)
            for (long s = 0; s < shard.Header.Rows; s += block)
            {
                using var scope = NewDisposeScope();
                long n = Math.Min(block, shard.Header.Rows - s);
                var v = shard.Vectors(s, n);
                foreach (var (shape, g) in projection.Split(v))
                {
                    var f = factors[shape.Module];
                    var x = g.to(ScalarType.Float64);
                    if (strategy.Lambda == LambdaKind.EigenCorrected)
                        x = matmul(
                            matmul(f.GradientEigenvectors!.to(ScalarType.Float64).transpose(0, 1), x),
                            f.ActivationEigenvectors!.to(ScalarType.Float64)
                        );
                    var stat = x.pow(2).sum(dim: 0);
                    f.LambdaSum = Add(f.LambdaSum, stat);
                    f.Examples += n;
                }
                done += n;
                progress.Report((int)done);
            }
    }
}
