namespace InfraSharp;

/// <summary>
/// Where a value sits in an arguments record, spelled as in the run's manifest (snake_case, dot-separated:
/// <c>fit.module_partitions</c>), which is also how a rerun's diff names it. Validation messages hold these rather
/// than CLI flags, so that the library speaks of its own API and the CLI renders each path as its flag.
/// </summary>
public readonly record struct ArgumentPath
{
    private readonly string? _path;

    /// <summary>A path such as <c>fit.module_partitions</c> (snake_case segments joined by dots).</summary>
    public ArgumentPath(string path) => _path = path;

    /// <summary>The record itself (also <c>default</c>): children are named without a prefix.</summary>
    public static ArgumentPath Root => default;

    /// <summary>The dot-separated path; empty for <see cref="Root"/>.</summary>
    public string Path => _path ?? "";

    /// <summary>A property (or nested record) of the record at this path.</summary>
    public static ArgumentPath operator /(ArgumentPath parent, string child) =>
        new(parent.Path.Length == 0 ? child : $"{parent.Path}.{child}");

    /// <inheritdoc/>
    public bool Equals(ArgumentPath other) => Path == other.Path;

    /// <inheritdoc/>
    public override int GetHashCode() => Path.GetHashCode(StringComparison.Ordinal);

    /// <summary>The path as written in manifests and messages (<see cref="Path"/>).</summary>
    public override string ToString() => Path;
}
