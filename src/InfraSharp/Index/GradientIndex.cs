using System.Text.Json;
using InfraSharp.Storage;

namespace InfraSharp.Index;

/// <summary>
/// An index folder as a reader sees it: its arguments (from the manifest), its segments, and the shards of the
/// complete ones, opened (memory-mapped) and checked against the manifest: a shard written for another model,
/// projection seed or dimension is refused, naming the file.
/// </summary>
internal sealed class GradientIndex : IDisposable
{
    public required string Dir { get; init; }
    public required IndexArguments Arguments { get; init; }
    public required string ModelFingerprint { get; init; }
    public required int Dimension { get; init; }
    public required IReadOnlyList<string> Modules { get; init; }
    public required IReadOnlyList<IndexSegment> Segments { get; init; }

    /// <summary>The shards of every complete segment, in row order.</summary>
    public required IReadOnlyList<ShardFile> Shards { get; init; }
    public long Rows => Shards.Sum(s => s.Header.Rows);
    private string[]? _ids;

    public static string SegmentsPath(string dir) => Path.Combine(dir, IndexFolder.SegmentsFile);

    public static List<IndexSegment> ReadSegments(string dir)
    {
        string path = SegmentsPath(dir);
        if (!File.Exists(path))
            return [];
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), IndexJson.Manifest.ListIndexSegment)
                ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            throw InputError.Data($"{path}: corrupt segment list ({e.Message})");
        }
    }

    public static void WriteSegments(string dir, List<IndexSegment> segments) =>
        AtomicFile.WriteAllText(
            SegmentsPath(dir),
            JsonSerializer.Serialize(segments, IndexJson.Manifest.ListIndexSegment) + "\n"
        );

    public static GradientIndex Open(string dir, string option = "--index")
    {
        var folder = IndexFolder.Open(dir, option);
        var (args, model, dim) = (folder.Arguments, folder.Inputs.Model, folder.Plan.Dimension);
        var segments = ReadSegments(dir);
        var shards = new List<ShardFile>();
        try
        {
            foreach (var seg in segments.Where(s => s.Complete))
            foreach (var rel in seg.Shards)
            {
                var shard = ShardFile.Open(Path.Combine(dir, rel));
                shards.Add(shard);
                Check(shard, args, model, dim);
            }
        }
        catch
        {
            foreach (var s in shards)
                s.Dispose();
            throw;
        }
        if (shards.Count == 0)
            throw InputError.Data(
                $"{option} {dir}: no complete segment yet (a build task is still running or was stopped)"
            );
        return new GradientIndex
        {
            Dir = dir,
            Arguments = args,
            ModelFingerprint = model,
            Dimension = dim,
            Modules = folder.Plan.Modules,
            Segments = segments,
            Shards = shards,
        };
    }

    /// <summary>Refuses a shard that does not belong to this index, naming what differs.</summary>
    public static void Check(ShardFile shard, IndexArguments args, string model, int dim)
    {
        var h = shard.Header;
        string? why =
            h.Model != model ? $"was written for another model ({Short(h.Model)}, the index's is {Short(model)})"
            : h.ProjectionSeed != args.Seed ? $"has projection seed {h.ProjectionSeed}, the index's is {args.Seed}"
            : h.Projection != args.ProjectionDim.Text
                ? $"has projection '{h.Projection}', the index's is '{args.ProjectionDim}'"
            : h.Dim != dim ? $"has dimension {h.Dim}, the index's is {dim}"
            : h.DType != EnumNames.Of(args.StoreDType)
                ? $"stores {h.DType}, the index stores {EnumNames.Of(args.StoreDType)}"
            : null;
        if (why is not null)
            throw InputError.Data($"{shard.Path}: this shard {why}; it belongs to another index");
    }

    private static string Short(string fingerprint) => fingerprint.Length > 12 ? fingerprint[..12] : fingerprint;

    /// <summary>Every row's id, in index order (read from the row tables once).</summary>
    public IReadOnlyList<string> Ids() =>
        _ids ??= Shards.SelectMany(s => IndexRows.ReadStrings(IndexRows.PathFor(s.Path), "id")).ToArray();

    /// <summary>Every row's source file and line, in index order (where exact rescoring reads rows again).</summary>
    public (string[] Sources, long[] Lines) Origins() =>
        (
            Shards.SelectMany(s => IndexRows.ReadStrings(IndexRows.PathFor(s.Path), "source")).ToArray(),
            Shards.SelectMany(s => IndexRows.ReadLongs(IndexRows.PathFor(s.Path), "line")).ToArray()
        );

    public void Dispose()
    {
        foreach (var s in Shards)
            s.Dispose();
    }
}
