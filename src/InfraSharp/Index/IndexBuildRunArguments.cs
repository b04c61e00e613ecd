namespace InfraSharp.Index;

/// <summary>
/// One build of (or addition to) an index: the index's own arguments, the training rows to add, and whether they
/// are appended as a new segment to an index that already exists.
/// </summary>
public sealed record IndexBuildRunArguments
{
    public required IndexArguments Index { get; init; }
    public required string Train { get; init; }
    public bool Append { get; init; }

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
