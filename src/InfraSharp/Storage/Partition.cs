namespace InfraSharp.Storage;

/// <summary>
/// Slice i of n (0-based) of a list, as contiguous ranges that cover it exactly: what a Slurm array task or a
/// Kubernetes Indexed Job runs.
/// </summary>
public sealed record Partition(int Index, int Count)
{
    /// <summary>The whole list as one share (0/1): what a run without partitioning does.</summary>
    public static readonly Partition Whole = new(0, 1);

    /// <summary>True for <see cref="Whole"/> (a count of 1).</summary>
    public bool IsWhole => Count == 1;

    /// <summary>
    /// <c>i/n</c>, or <c>auto</c> / <c>auto/n</c>: the share the scheduler gave this process (see
    /// <see cref="FromEnvironment"/>), read from the process's environment.
    /// </summary>
    public static Partition Parse(string? s, string option = "--partition")
    {
        if (string.IsNullOrWhiteSpace(s))
            return Whole;
        if (s == "auto" || s.StartsWith("auto/"))
        {
            int? count = null;
            if (s.Length > 4)
                count =
                    int.TryParse(s[5..], out int c) && c >= 1
                        ? c
                        : throw InputError.Argument(
                            $"{option} '{s}': the count after auto/ must be a positive integer"
                        );
            return FromEnvironment(Environment.GetEnvironmentVariable, count, option);
        }
        var parts = s.Split('/');
        if (
            parts.Length != 2
            || !int.TryParse(parts[0], out int i)
            || !int.TryParse(parts[1], out int n)
            || n < 1
            || i < 0
            || i >= n
        )
            throw InputError.Argument($"--partition '{s}' must be i/n with 0 <= i < n");
        return new Partition(i, n);
    }

    /// <summary>
    /// The partition of a scheduler's task: a Slurm job array (index SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN of
    /// SLURM_ARRAY_TASK_COUNT, step 1), a Kubernetes Indexed Job (JOB_COMPLETION_INDEX of <paramref name="count"/>,
    /// which Kubernetes does not pass to the pod), or a torchrun-style RANK of WORLD_SIZE, in that order. A count
    /// given with <c>auto/n</c> must agree with the scheduler's. Anything missing or inconsistent is one line.
    /// </summary>
    public static Partition FromEnvironment(Func<string, string?> env, int? count = null, string option = "--partition")
    {
        int? Int(string name)
        {
            string? v = env(name);
            if (v is null)
                return null;
            return int.TryParse(v, out int x)
                ? x
                : throw InputError.Argument($"{option} auto: {name}='{v}' is not an integer");
        }
        Partition Checked(int index, int n, string source)
        {
            if (n < 1)
                throw InputError.Argument($"{option} auto: {source} gives a count of {n}");
            if (count is int c && c != n)
                throw InputError.Argument($"{option} auto/{c}: {source} gives a count of {n}, not {c}");
            if (index < 0 || index >= n)
                throw InputError.Argument($"{option} auto: {source} gives index {index}, outside 0..{n - 1}");
            return new Partition(index, n);
        }
        if (Int("SLURM_ARRAY_TASK_ID") is int id)
        {
            int min = Int("SLURM_ARRAY_TASK_MIN")
                ?? throw InputError.Argument(
                    $"{option} auto: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_MIN is not"
                );
            int n = Int("SLURM_ARRAY_TASK_COUNT")
                ?? throw InputError.Argument(
                    $"{option} auto: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not"
                );
            if (Int("SLURM_ARRAY_TASK_STEP") is int step && step != 1)
                throw InputError.Argument(
                    $"{option} auto: the job array has step {step}; submit it as --array=0-{n - 1}"
                );
            return Checked(id - min, n, $"SLURM_ARRAY_TASK_ID={id} (min {min}, count {n})");
        }
        if (Int("JOB_COMPLETION_INDEX") is int k)
        {
            int n = count
                ?? throw InputError.Argument(
                    $"{option} auto: JOB_COMPLETION_INDEX={k} is set but Kubernetes gives no count; use {option} auto/N"
                );
            return Checked(k, n, $"JOB_COMPLETION_INDEX={k}");
        }
        if (Int("RANK") is int rank)
        {
            int n = Int("WORLD_SIZE") ?? throw InputError.Argument($"{option} auto: RANK is set but WORLD_SIZE is not");
            return Checked(rank, n, $"RANK={rank} of WORLD_SIZE={n}");
        }
        throw InputError.Argument($"{option} auto: none of SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX or RANK is set");
    }

    /// <summary>
    /// The half-open range [Start, End) of indices 0..<paramref name="length"/> that this share covers.
    /// </summary>
    public (int Start, int End) Range(int length) =>
        ((int)((long)length * Index / Count), (int)((long)length * (Index + 1) / Count));

    /// <summary>
    /// The file-name tag of this share's outputs, <c>IIII-of-NNNN</c> (zero-padded, so names sort by index).
    /// </summary>
    public string FileTag => $"{Index:D4}-of-{Count:D4}";

    /// <summary>The share as <c>i/n</c>, as <see cref="Parse"/> reads it.</summary>
    public override string ToString() => $"{Index}/{Count}";
}
