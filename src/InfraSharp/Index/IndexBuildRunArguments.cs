namespace InfraSharp.Index;

/// <summary>
/// One build of (or addition to) an index: the index's own arguments, the training rows to add, and whether they
/// are appended as a new segment to an index that already exists.
/// </summary>
public sealed record IndexBuildRunArguments
{
    /// <summary>What defines the index (compared with an existing index's manifest on append).</summary>
    public required IndexArguments Index { get; init; }

    /// <summary>The training rows to add (JSONL or Parquet).</summary>
    public required string Train { get; init; }

    /// <summary>Add <see cref="Train"/> as a new segment of an existing index instead of building a new one.</summary>
    public bool Append { get; init; }

    /// <summary>A copy with the paths made absolute (as manifests record them).</summary>
    public IndexBuildRunArguments Normalized() =>
        this with
        {
            Index = Index.Normalized(),
            Train = Path.GetFullPath(Train),
        };

    /// <summary>The index's checks (under <c>index</c>) and the training rows' presence.</summary>
    public void Validate(ArgumentPath at = default)
    {
        Index.Validate(at / "index");
        if (!File.Exists(Train))
            throw InputError.MissingFileAt($"{at / "train"} {Train}: no such file", Train);
    }
}
