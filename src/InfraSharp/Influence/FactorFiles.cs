using System.Text.Json;
using System.Text.Json.Nodes;
using InfraSharp.Storage;
using static TorchSharp.torch;

namespace InfraSharp.Influence;

/// <summary>
/// The factor folder: one safetensors file per stage (<c>covariance</c>, <c>eigen</c>, <c>lambda</c>) with tensors
/// named <c>{module}.{what}</c>, partition files under <c>partitions/</c>, and <c>manifest.json</c>.
/// Covariance and lambda files hold sums and counts (<c>num_tokens</c>, <c>num_examples</c>).
/// </summary>
public static class FactorFiles
{
    public const string Covariance = "covariance", Eigen = "eigen", Lambda = "lambda";

    public static string StagePath(string dir, string stage) => Path.Combine(dir, stage + ".safetensors");
    public static string PartitionPath(string dir, string stage, Partition p) => Path.Combine(dir, "partitions", $"{stage}-{p.FileTag}.safetensors");

    public static void WriteCovariance(string path, IEnumerable<ModuleFactors> fs) =>
        SafeTensorsFile.Write(path, fs.SelectMany(f => new[]
        {
            KeyValuePair.Create(f.Module + ".activation_covariance", f.ActivationCovarianceSum!),
            KeyValuePair.Create(f.Module + ".gradient_covariance", f.GradientCovarianceSum!),
            KeyValuePair.Create(f.Module + ".num_tokens", tensor(new[] { f.Tokens })),
        }));

    public static void WriteEigen(string path, IEnumerable<ModuleFactors> fs) =>
        SafeTensorsFile.Write(path, fs.SelectMany(f => new[]
        {
            KeyValuePair.Create(f.Module + ".activation_eigenvalues", f.ActivationEigenvalues!),
            KeyValuePair.Create(f.Module + ".activation_eigenvectors", f.ActivationEigenvectors!),
            KeyValuePair.Create(f.Module + ".gradient_eigenvalues", f.GradientEigenvalues!),
            KeyValuePair.Create(f.Module + ".gradient_eigenvectors", f.GradientEigenvectors!),
        }));

    public static void WriteLambda(string path, IEnumerable<ModuleFactors> fs) =>
        SafeTensorsFile.Write(path, fs.SelectMany(f => new[]
        {
            KeyValuePair.Create(f.Module + ".lambda", f.LambdaSum!),
            KeyValuePair.Create(f.Module + ".num_examples", tensor(new[] { f.Examples })),
        }));

    /// <summary>Reads a stage file into <paramref name="factors"/>; a missing module is an error naming it.</summary>
    public static void Read(string path, string stage, IReadOnlyDictionary<string, ModuleFactors> factors)
    {
        var st = SafeTensorsFile.Open(path);
        Tensor Get(string module, string what)
        {
            string name = module + "." + what;
            if (!st.Entries.ContainsKey(name))
                throw InputError.Data($"{path}: no factors for module '{module}' (tensor '{name}'); the factors were fitted for other modules");
            var t = st.Read(name);
            return t;
        }
        foreach (var (m, f) in factors)
        {
            switch (stage)
            {
                case Covariance:
                    f.ActivationCovarianceSum = Get(m, "activation_covariance");
                    f.GradientCovarianceSum = Get(m, "gradient_covariance");
                    f.Tokens = Get(m, "num_tokens").item<long>();
                    break;
                case Eigen:
                    f.ActivationEigenvalues = Get(m, "activation_eigenvalues");
                    f.ActivationEigenvectors = Get(m, "activation_eigenvectors");
                    f.GradientEigenvalues = Get(m, "gradient_eigenvalues");
                    f.GradientEigenvectors = Get(m, "gradient_eigenvectors");
                    break;
                case Lambda:
                    f.LambdaSum = Get(m, "lambda");
                    f.Examples = Get(m, "num_examples").item<long>();
                    break;
            }
        }
    }

    /// <summary>
    /// Sums the partition files of a data stage into its stage file, once all n are present: sums of
    /// covariances and lambdas with their counts are exactly the single-run sums.
    /// </summary>
    public static bool MergePartitions(string dir, string stage) => Merge(dir, stage, requireAll: true);

    /// <summary>Merges when every partition of the stage is present; otherwise leaves things as they are.</summary>
    public static bool MergePartitionsIfComplete(string dir, string stage) => Merge(dir, stage, requireAll: false);

    private static bool Merge(string dir, string stage, bool requireAll)
    {
        string pdir = Path.Combine(dir, "partitions");
        if (!Directory.Exists(pdir)) return false;
        var files = Directory.GetFiles(pdir, stage + "-*-of-*.safetensors").OrderBy(f => f, StringComparer.Ordinal).ToList();
        if (files.Count == 0) return false;
        int n = int.Parse(Path.GetFileNameWithoutExtension(files[0]).Split("-of-")[1]);
        if (files.Count != n)
        {
            if (!requireAll) return false;
            var present = files.Select(f => int.Parse(Path.GetFileNameWithoutExtension(f)[(stage.Length + 1)..].Split("-of-")[0])).ToHashSet();
            var missing = Enumerable.Range(0, n).Where(i => !present.Contains(i)).Select(i => $"{i}/{n}");
            throw InputError.Data($"{pdir}: '{stage}' partitions {string.Join(", ", missing)} are missing; run them first");
        }
        var sums = new SortedDictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var f in files)
        {
            foreach (var (name, t) in SafeTensorsFile.ReadAll(f))
                sums[name] = sums.TryGetValue(name, out var acc) ? acc + t : t;
        }
        SafeTensorsFile.Write(StagePath(dir, stage), sums);
        return true;
    }

    /// <summary>Merges every stage whose partitions are all present and whose stage file is not yet written.</summary>
    public static string MergeAll(string dir)
    {
        var merged = new[] { Covariance, Eigen, Lambda }.Where(stage => !File.Exists(StagePath(dir, stage)) && MergePartitions(dir, stage)).ToList();
        return merged.Count == 0 ? $"{dir}: nothing to merge" : $"merged {string.Join(", ", merged)} partitions in {dir}";
    }

    public static void WriteManifest(string dir, JsonObject manifest) =>
        AtomicFile.WriteAllText(Path.Combine(dir, "manifest.json"), manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
}
