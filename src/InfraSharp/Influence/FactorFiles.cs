using System.Text.Json;
using System.Text.Json.Nodes;
using InfraSharp.Storage;
using TorchSharp;
using static TorchSharp.torch;

namespace InfraSharp.Influence;

/// <summary>
/// The factor folder: one safetensors file per stage (<c>covariance</c>, <c>eigen</c>, <c>lambda</c>) with tensors
/// named <c>{module}.{what}</c>, or with K module partitions one file per group of modules
/// (<c>{stage}.modules-0000-of-000K.safetensors</c>, so that no step holds every module's statistics at once);
/// data-partition files under <c>partitions/</c> (<c>{stage}-000i-of-000n[.modules-...].safetensors</c>), and
/// <c>manifest.json</c>. Covariance and lambda files hold float32 means with their counts (<c>num_tokens</c>,
/// <c>num_examples</c>): half the bytes of float64 sums, and partitions still merge exactly up to float32 rounding
/// (the merged mean is the count-weighted mean, formed in float64). Folders written before hold float64 sums, which
/// are read as such (a float64 tensor is a sum, a float32 one a mean).
/// </summary>
internal static class FactorFiles
{
    public const string Covariance = "covariance",
        Eigen = "eigen",
        Lambda = "lambda";

    /// <summary>The file of a stage, or of one module group of it (none or a whole group: the single file).</summary>
    public static string StagePath(string dir, string stage, Partition? group = null) =>
        Path.Combine(dir, stage + GroupSuffix(group) + ".safetensors");

    public static string PartitionPath(string dir, string stage, Partition p, Partition? group = null) =>
        Path.Combine(dir, "partitions", $"{stage}-{p.FileTag}{GroupSuffix(group)}.safetensors");

    private static string GroupSuffix(Partition? group) =>
        group is null || group.IsWhole ? "" : ".modules-" + group.FileTag;

    /// <summary>Whether every module group's file of the stage is written.</summary>
    public static bool StageComplete(string dir, string stage, int groups) =>
        Enumerable.Range(0, groups).All(g => File.Exists(StagePath(dir, stage, new Partition(g, groups))));

    /// <summary>The files that hold a stage: the single file, or the module groups' files (all of them).</summary>
    public static List<string> StageFiles(string dir, string stage)
    {
        string single = StagePath(dir, stage);
        if (File.Exists(single))
            return [single];
        var groups = Directory.Exists(dir)
            ? Directory.GetFiles(dir, stage + ".modules-*-of-*.safetensors").Order(StringComparer.Ordinal).ToList()
            : [];
        if (groups.Count == 0)
            throw InputError.MissingFile(
                $"{dir}: stage '{stage}' is missing (not fitted, or partitions not merged)",
                single
            );
        int k = int.Parse(Path.GetFileNameWithoutExtension(groups[0]).Split("-of-")[^1]);
        if (groups.Count != k)
            throw InputError.MissingFile(
                $"{dir}: {groups.Count} of the {k} module groups of stage '{stage}' are written",
                single
            );
        return groups;
    }

    /// <summary>Reads a stage's factors of <paramref name="factors"/>' modules from whichever of its files hold
    /// them.</summary>
    public static void ReadStage(
        string dir,
        string stage,
        IReadOnlyDictionary<string, ModuleFactors> factors,
        Device? device = null
    )
    {
        var files = StageFiles(dir, stage);
        if (files.Count == 1)
        {
            Read(files[0], stage, factors, device);
            return;
        }
        var left = new Dictionary<string, ModuleFactors>(factors);
        foreach (var file in files)
        {
            var here = SafeTensorsFile.Open(file).Entries.Keys.Select(ModuleOf).ToHashSet();
            var mine = left.Where(kv => here.Contains(kv.Key)).ToDictionary();
            if (mine.Count == 0)
                continue;
            Read(file, stage, mine, device);
            foreach (var m in mine.Keys)
                left.Remove(m);
        }
        if (left.Count > 0)
            throw InputError.Data(
                $"{dir}: no '{stage}' factors for module '{left.Keys.First()}'; the factors were fitted for other "
                    + $"modules"
            );
    }

    private static string ModuleOf(string tensorName) => tensorName[..tensorName.LastIndexOf('.')];

    /// <summary>A running float64 sum over <paramref name="count"/> items as the float32 mean a file stores.</summary>
    private static Tensor Mean(Tensor sum, long count) =>
        (sum.to(ScalarType.Float64) / Math.Max(1, count)).to(ScalarType.Float32);

    /// <summary>
    /// A stored statistic back as a float64 sum: a float32 mean times its count, or an older float64 sum.
    /// </summary>
    private static Tensor Sum(Tensor stored, long count) =>
        stored.dtype == ScalarType.Float64 ? stored : stored.to(ScalarType.Float64) * count;

    public static void WriteCovariance(string path, IEnumerable<ModuleFactors> fs)
    {
        using var scope = NewDisposeScope();
        SafeTensorsFile.Write(
            path,
            fs.SelectMany(f =>
                    new[]
                    {
                        KeyValuePair.Create(
                            f.Module + ".activation_covariance",
                            Mean(f.ActivationCovarianceSum!, f.Tokens)
                        ),
                        KeyValuePair.Create(
                            f.Module + ".gradient_covariance",
                            Mean(f.GradientCovarianceSum!, f.Tokens)
                        ),
                        KeyValuePair.Create(f.Module + ".num_tokens", tensor(new[] { f.Tokens })),
                    }
                )
                .ToList()
        );
    }

    public static void WriteEigen(string path, IEnumerable<ModuleFactors> fs) =>
        SafeTensorsFile.Write(
            path,
            fs.SelectMany(f =>
                new[]
                {
                    KeyValuePair.Create(f.Module + ".activation_eigenvalues", f.ActivationEigenvalues!),
                    KeyValuePair.Create(f.Module + ".activation_eigenvectors", f.ActivationEigenvectors!),
                    KeyValuePair.Create(f.Module + ".gradient_eigenvalues", f.GradientEigenvalues!),
                    KeyValuePair.Create(f.Module + ".gradient_eigenvectors", f.GradientEigenvectors!),
                }
            )
        );

    public static void WriteLambda(string path, IEnumerable<ModuleFactors> fs)
    {
        using var scope = NewDisposeScope();
        SafeTensorsFile.Write(
            path,
            fs.SelectMany(f =>
                    new[]
                    {
                        KeyValuePair.Create(f.Module + ".lambda", Mean(f.LambdaSum!, f.Examples)),
                        KeyValuePair.Create(f.Module + ".num_examples", tensor(new[] { f.Examples })),
                    }
                )
                .ToList()
        );
    }

    /// <summary>
    /// Reads a stage file into <paramref name="factors"/>, the matrices onto <paramref name="device"/> (the counts
    /// stay on the host); a missing module, or a tensor holding NaN or Inf, is an error naming it.
    /// </summary>
    public static void Read(
        string path,
        string stage,
        IReadOnlyDictionary<string, ModuleFactors> factors,
        Device? device = null
    )
    {
        var st = SafeTensorsFile.Open(path);
        Tensor Get(string module, string what)
        {
            string name = module + "." + what;
            if (!st.Entries.ContainsKey(name))
                throw InputError.Data(
                    $"{path}: no factors for module '{module}' (tensor '{name}'); the factors were fitted for other "
                        + $"modules"
                );
            var t = st.Read(name);
            // Checked once here, where the file and module are known: a NaN eigenvalue or lambda would otherwise
            // flow into every score without an error (NaN compares as neither high nor low).
            if (t.is_floating_point() && !t.isfinite().all().item<bool>())
            {
                t.Dispose();
                throw InputError.Data(
                    $"{path}: tensor '{name}' of module '{module}' holds NaN or Inf; "
                        + "the factor file is corrupt or was fitted on non-finite values: refit it"
                );
            }
            if (device is null || device.type == DeviceType.CPU || what.StartsWith("num_"))
                return t;
            var moved = t.to(device);
            t.Dispose();
            return moved;
        }
        foreach (var (m, f) in factors)
        {
            switch (stage)
            {
                case Covariance:
                    f.Tokens = Get(m, "num_tokens").item<long>();
                    f.ActivationCovarianceSum = Sum(Get(m, "activation_covariance"), f.Tokens);
                    f.GradientCovarianceSum = Sum(Get(m, "gradient_covariance"), f.Tokens);
                    break;
                case Eigen:
                    f.ActivationEigenvalues = Get(m, "activation_eigenvalues");
                    f.ActivationEigenvectors = Get(m, "activation_eigenvectors");
                    f.GradientEigenvalues = Get(m, "gradient_eigenvalues");
                    f.GradientEigenvectors = Get(m, "gradient_eigenvectors");
                    break;
                case Lambda:
                    f.Examples = Get(m, "num_examples").item<long>();
                    f.LambdaSum = Sum(Get(m, "lambda"), f.Examples);
                    break;
            }
        }
    }

    /// <summary>
    /// Merges the partition files of a data stage into its stage file, once all n are present: counts add, and each
    /// mean becomes the count-weighted mean of the partitions' means (in float64), which is the single run's mean up
    /// to float32 rounding; the eigen stage's partitions hold disjoint modules and are simply gathered.
    /// </summary>
    public static bool MergePartitions(string dir, string stage) => Merge(dir, stage, requireAll: true);

    /// <summary>Merges when every partition of the stage is present; otherwise leaves things as they are.</summary>
    public static bool MergePartitionsIfComplete(string dir, string stage) => Merge(dir, stage, requireAll: false);

    private static bool Merge(string dir, string stage, bool requireAll)
    {
        string pdir = Path.Combine(dir, "partitions");
        if (!Directory.Exists(pdir))
            return false;
        // Files of one module group (or of the whole module list) are summed into that group's stage file.
        var byGroup = Directory
            .GetFiles(pdir, stage + "-*-of-*.safetensors")
            .Order(StringComparer.Ordinal)
            .GroupBy(f =>
                Path.GetFileNameWithoutExtension(f).Split(".modules-") is { Length: 2 } parts ? parts[1] : ""
            );
        bool merged = false;
        foreach (var g in byGroup)
        {
            var group = g.Key.Length == 0 ? null : ParseTag(g.Key);
            string target = StagePath(dir, stage, group);
            if (File.Exists(target))
                continue;
            var files = g.ToList();
            int n = ParseTag(
                Path.GetFileNameWithoutExtension(files[0]).Split(".modules-")[0][(stage.Length + 1)..]
            ).Count;
            if (files.Count != n)
            {
                if (!requireAll)
                    continue;
                var present = files
                    .Select(f =>
                        ParseTag(Path.GetFileNameWithoutExtension(f).Split(".modules-")[0][(stage.Length + 1)..]).Index
                    )
                    .ToHashSet();
                var missing = Enumerable.Range(0, n).Where(i => !present.Contains(i)).Select(i => $"{i}/{n}");
                string which = group is null ? "" : $" (module group {group})";
                throw InputError.Data(
                    $"{pdir}: '{stage}' partitions {string.Join(", ", missing)}{which} are missing; run them first"
                );
            }
            using var scope = NewDisposeScope();
            SafeTensorsFile.Write(target, Merged(files.Select(SafeTensorsFile.ReadAll).ToList()));
            merged = true;
        }
        return merged;
    }

    /// <summary>
    /// The stage file of partitions' tensors: a <c>num_*</c> count is summed, a statistic of the same module is the
    /// count-weighted mean of its float32 means (or the sum of older float64 sums), and a tensor only one partition
    /// holds is kept.
    /// </summary>
    private static SortedDictionary<string, Tensor> Merged(List<Dictionary<string, Tensor>> parts)
    {
        static string? CountOf(string name, IReadOnlyDictionary<string, Tensor> part)
        {
            string module = ModuleOf(name);
            foreach (var count in new[] { "num_tokens", "num_examples" })
                if (part.ContainsKey($"{module}.{count}"))
                    return $"{module}.{count}";
            return null;
        }
        var merged = new SortedDictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var name in parts.SelectMany(p => p.Keys).Distinct())
        {
            var holders = parts.Where(p => p.ContainsKey(name)).ToList();
            string? count = CountOf(name, holders[0]);
            if (holders.Count == 1)
                merged[name] = holders[0][name];
            else if (name.EndsWith(".num_tokens") || name.EndsWith(".num_examples") || count is null)
                merged[name] = holders.Select(p => p[name]).Aggregate((a, b) => a + b);
            else if (holders[0][name].dtype == ScalarType.Float64)
                merged[name] = holders.Select(p => p[name]).Aggregate((a, b) => a + b);
            else
            {
                long total = holders.Sum(p => p[count].item<long>());
                var sum = holders
                    .Select(p => p[name].to(ScalarType.Float64) * p[count].item<long>())
                    .Aggregate((a, b) => a + b);
                merged[name] = (sum / Math.Max(1, total)).to(ScalarType.Float32);
            }
        }
        return merged;
    }

    /// <summary><c>0001-of-0003</c> as the partition 1/3.</summary>
    private static Partition ParseTag(string tag)
    {
        var parts = tag.Split("-of-");
        return new Partition(int.Parse(parts[0]), int.Parse(parts[1]));
    }

    /// <summary>Merges every stage whose partitions are all present and whose stage file is not yet written.</summary>
    public static string MergeAll(string dir)
    {
        var merged = new[] { Covariance, Eigen, Lambda }.Where(stage => MergePartitions(dir, stage)).ToList();
        return merged.Count == 0
            ? $"{dir}: nothing to merge"
            : $"merged {string.Join(", ", merged)} partitions in {dir}";
    }
}
