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
}
