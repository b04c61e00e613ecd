using System.Text.Json.Nodes;
using InfraSharp.Storage;
using InfraSharp.Text;
using static TorchSharp.torch;

namespace InfraSharp.Influence;

/// <summary>
/// The score folder: <c>pairwise.safetensors</c> (tensor <c>scores</c> [queries, train]), <c>per_token.safetensors</c>
/// (<c>scores</c> [queries, train, T]), <c>self.safetensors</c> (<c>scores</c> [train]), the long table
/// <c>pairwise.parquet</c>, <c>examples.json</c> (ids and attributes of both sides) and <c>manifest.json</c>.
/// Work is done in chunks of training examples under <c>chunks/</c>: a killed run skips the chunks it finished,
/// and partitions are just disjoint sets of chunks that <see cref="Assemble"/> concatenates.
/// </summary>
internal static class ScoreFiles
{
    private const string Scores = ScoreFolder.ScoresTensor;

    public static string ChunkPath(string dir, string kind, int start, int end) =>
        Path.Combine(dir, ScoreFolder.ChunksFolder, $"{kind}-{start:D9}-{end:D9}.safetensors");

    public static void WriteExamples(
        string dir,
        IReadOnlyList<EncodedExample> queries,
        IReadOnlyList<EncodedExample> train
    )
    {
        JsonArray Rows(IEnumerable<EncodedExample> xs) =>
            new(
                xs.Select(e =>
                        (JsonNode)
                            new JsonObject
                            {
                                ["id"] = e.Id,
                                ["length"] = e.Length,
                                ["attributes"] = e.Attributes.DeepClone(),
                            }
                    )
                    .ToArray()
            );
        var o = new JsonObject { ["queries"] = Rows(queries), ["train"] = Rows(train) };
        AtomicFile.WriteAllText(Path.Combine(dir, ScoreFolder.ExamplesFile), o.ToJsonString(JsonlFile.Options));
    }

    public static (
        List<(string Id, JsonObject Attributes)> Queries,
        List<(string Id, JsonObject Attributes)> Train
    ) ReadExamples(string dir)
    {
        string p = Path.Combine(dir, ScoreFolder.ExamplesFile);
        if (!File.Exists(p))
            throw InputError.MissingFile($"{dir}: no {ScoreFolder.ExamplesFile} (not a score folder)", p);
        var o = JsonNode.Parse(File.ReadAllText(p))!.AsObject();
        List<(string, JsonObject)> Read(string k) =>
            o[k]!.AsArray().Select(x => (x!["id"]!.GetValue<string>(), x["attributes"]!.AsObject())).ToList();
        return (Read("queries"), Read("train"));
    }

    /// <summary>
    /// Writes the queries' self-influence (<see cref="ScoreFolder.QuerySelfFile"/>); partitions write the same values,
    /// so whichever writes last leaves them.
    /// </summary>
    public static void WriteQuerySelf(string dir, IReadOnlyList<double> self)
    {
        using var t = tensor(self.ToArray(), dtype: ScalarType.Float64);
        SafeTensorsFile.Write(Path.Combine(dir, ScoreFolder.QuerySelfFile), [KeyValuePair.Create(Scores, t)]);
    }

    /// <summary>
    /// The queries' self-influence, or null for a folder written before it was stored (or of self scores).
    /// </summary>
    public static double[]? ReadQuerySelf(string dir)
    {
        string p = Path.Combine(dir, ScoreFolder.QuerySelfFile);
        if (!File.Exists(p))
            return null;
        using var scope = NewDisposeScope();
        return SafeTensorsFile.Open(p).Read(Scores).to(ScalarType.Float64).contiguous().data<double>().ToArray();
    }

    /// <summary>A module group's share of a chunk, kept until the last group adds it into the chunk.</summary>
    public static string GroupChunkPath(string dir, string kind, int start, int end, Partition group) =>
        Path.Combine(
            dir,
            ScoreFolder.ChunksFolder,
            "groups",
            $"{kind}-{start:D9}-{end:D9}.modules-{group.FileTag}.safetensors"
        );

    /// <summary>
    /// Runs <paramref name="compute"/> for every chunk whose file is not there yet. With module groups (scores are
    /// sums over modules, computed one group at a time so that only its factors and query gradients are resident)
    /// each group writes its share of a chunk, and the last group adds the shares into the chunk file.
    /// </summary>
    public static void RunChunks(
        string dir,
        string kind,
        IReadOnlyList<(int Start, int End)> chunks,
        Func<int, int, IEnumerable<KeyValuePair<string, Tensor>>> compute,
        Partition? group = null,
        CancellationToken cancel = default,
        IProgress<RunProgress>? sink = null
    )
    {
        if (chunks.Count == 0)
            return;
        group ??= Partition.Whole;
        int start = chunks[0].Start,
            end = chunks[^1].End;
        string stage = $"{kind} scores{(group.IsWhole ? "" : $" modules {group}")}";
        var progress = new ProgressMeter(sink, stage, end - start, "examples");
        foreach (var (s, e) in chunks)
        {
            cancel.ThrowIfCancellationRequested();
            string path = ChunkPath(dir, kind, s, e);
            string mine = GroupChunkPath(dir, kind, s, e, group);
            if (!File.Exists(path) && (group.IsWhole || !File.Exists(mine)))
            {
                using var scope = NewDisposeScope();
                var result = compute(s, e).ToList();
                if (group.IsWhole)
                    SafeTensorsFile.Write(path, result);
                else if (group.Index < group.Count - 1)
                    SafeTensorsFile.Write(mine, result);
                else
                {
                    var others = Enumerable
                        .Range(0, group.Count - 1)
                        .Select(g => GroupChunkPath(dir, kind, s, e, new Partition(g, group.Count)))
                        .ToList();
                    var sums = result.ToDictionary(kv => kv.Key, kv => kv.Value);
                    foreach (var other in others)
                    foreach (var (name, t) in SafeTensorsFile.ReadAll(other))
                        sums[name] = sums[name] + t;
                    SafeTensorsFile.Write(path, sums);
                    foreach (var other in others)
                        File.Delete(other);
                }
            }
            progress.Report(e - start);
        }
    }

    /// <summary>
    /// Concatenates the chunks of <paramref name="kind"/> into the final files, after checking that they cover
    /// the training set exactly once; returns false (and says what is missing) when they don't yet.
    /// </summary>
    public static bool Assemble(string dir, string kind, int trainCount, bool throwIfIncomplete)
    {
        string cdir = Path.Combine(dir, ScoreFolder.ChunksFolder);
        var chunks = (Directory.Exists(cdir) ? Directory.GetFiles(cdir, kind + "-*.safetensors") : [])
            .Select(f =>
            {
                var p = Path.GetFileNameWithoutExtension(f).Split('-');
                return (Start: int.Parse(p[1]), End: int.Parse(p[2]), File: f);
            })
            .OrderBy(c => c.Start)
            .ToList();
        int covered = 0;
        foreach (var c in chunks)
        {
            if (c.Start != covered)
            {
                string msg =
                    $"{dir}: {kind} scores for training examples [{covered}, {c.Start}) are missing; run the "
                    + $"partitions that cover them";
                if (throwIfIncomplete)
                    throw InputError.Data(msg);
                return false;
            }
            covered = c.End;
        }
        if (covered != trainCount)
        {
            string msg =
                $"{dir}: {kind} scores cover {covered} of {trainCount} training examples; run the missing partitions";
            if (throwIfIncomplete)
                throw InputError.Data(msg);
            return false;
        }
        var files = chunks.Select(c => SafeTensorsFile.Open(c.File)).ToList();
        if (kind == "self")
        {
            SafeTensorsFile.Write(
                Path.Combine(dir, ScoreFolder.SelfFile),
                [KeyValuePair.Create(ScoreFolder.ScoresTensor, cat(files.Select(f => f.Read(Scores)).ToList(), 0))]
            );
            return true;
        }
        var pairwise = cat(files.Select(f => f.Read(Scores)).ToList(), 1);
        SafeTensorsFile.Write(Path.Combine(dir, ScoreFolder.PairwiseFile), [KeyValuePair.Create(Scores, pairwise)]);
        if (files[0].Entries.ContainsKey(ScoreFolder.PerTokenTensor))
            SafeTensorsFile.Write(
                Path.Combine(dir, ScoreFolder.PerTokenFile),
                [KeyValuePair.Create(Scores, cat(files.Select(f => f.Read(ScoreFolder.PerTokenTensor)).ToList(), 1))]
            );
        WriteLongTable(dir, pairwise);
        return true;
    }

    /// <summary>One row per (query, training example): ids, score, and every attribute of both, prefixed.</summary>
    public static void WriteLongTable(string dir, Tensor pairwise)
    {
        var (queries, train) = ReadExamples(dir);
        int q = (int)pairwise.shape[0],
            n = (int)pairwise.shape[1];
        if (n != train.Count)
            throw InputError.Data(
                $"{dir}: scores have {n} columns, {ScoreFolder.ExamplesFile} lists {train.Count} training rows"
            );
        var scores = pairwise.to(ScalarType.Float64).contiguous().data<double>().ToArray();
        var qIds = q == queries.Count ? queries : [("aggregate", new JsonObject())];
        var table = new ParquetTable();
        table.Add("query_id", Enumerable.Range(0, q * n).Select(i => (string?)qIds[i / n].Id).ToArray());
        table.Add("train_id", Enumerable.Range(0, q * n).Select(i => (string?)train[i % n].Id).ToArray());
        table.Add("score", scores);
        foreach (var key in qIds.SelectMany(x => x.Attributes.Select(kv => kv.Key)).Distinct().Where(k => !IsBulky(k)))
            table.Add(
                "query_" + key,
                Enumerable.Range(0, q * n).Select(i => Str(qIds[i / n].Attributes[key])).ToArray()
            );
        foreach (var key in train.SelectMany(x => x.Attributes.Select(kv => kv.Key)).Distinct().Where(k => !IsBulky(k)))
            table.Add(
                "train_" + key,
                Enumerable.Range(0, q * n).Select(i => Str(train[i % n].Attributes[key])).ToArray()
            );
        table.Write(Path.Combine(dir, ScoreFolder.TableFile));
    }

    private static bool IsBulky(string key) => key is "id" or "test" or "canonical_solution" or "entry_point";

    private static string? Str(JsonNode? n) =>
        n switch
        {
            null => null,
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            _ => n.ToJsonString(),
        };

    /// <summary>Assembles the chunks of every kind present; refuses (naming the missing range) while any is
    /// missing.</summary>
    public static string MergeAll(string dir)
    {
        int n = ReadExamples(dir).Train.Count;
        string chunks = Path.Combine(dir, ScoreFolder.ChunksFolder);
        var kinds = new[] { "pairwise", "self" }
            .Where(k => Directory.Exists(chunks) && Directory.GetFiles(chunks, k + "-*").Length > 0)
            .ToList();
        foreach (var kind in kinds)
            Assemble(dir, kind, n, throwIfIncomplete: true);
        return kinds.Count == 0 ? $"{dir}: nothing to merge" : $"assembled {string.Join(", ", kinds)} scores in {dir}";
    }
}
