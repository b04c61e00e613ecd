namespace InfraSharp.Storage;

/// <summary>
/// Slice i of n (0-based) of a list, as contiguous ranges that cover it exactly: what a Slurm array task or a
/// Kubernetes Indexed Job runs.
/// </summary>
public sealed record Partition(int Index, int Count)
{
    public static readonly Partition Whole = new(0, 1);
    public bool IsWhole => Count == 1;

    public static Partition Parse(string? s)
    {
        if (string.IsNullOrWhiteSpace(s)) return Whole;
        var parts = s.Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[0], out int i) || !int.TryParse(parts[1], out int n) || n < 1 || i < 0 || i >= n)
            throw InputError.Argument($"--partition '{s}' must be i/n with 0 <= i < n");
        return new Partition(i, n);
    }

    public (int Start, int End) Range(int length) => ((int)((long)length * Index / Count), (int)((long)length * (Index + 1) / Count));

    public string FileTag => $"{Index:D4}-of-{Count:D4}";
    public override string ToString() => $"{Index}/{Count}";
}
