using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using InfraSharp.Storage;
using static TorchSharp.torch;

namespace InfraSharp.Index;

/// <summary>
/// <c>infra index query</c>: the queries' top-k proponents and bottom-k opponents from an index, into
/// <c>DIR/top.jsonl</c> (and <c>DIR/scores.safetensors</c>, tensor <c>scores</c> [queries, rows], with full scores),
/// with the time of every stage.
/// </summary>
public static class IndexQueryRun
{
    public const string Kind = "index_query";

    public sealed record Result(
        int Queries,
        long Rows,
        IReadOnlyList<(string Stage, double Seconds)> Stages,
        ScanStats Scan
    );

    public static Result Run(IndexQueryRunArguments arguments, string outDir, RunOptions? options = null)
    {
        options ??= new RunOptions();
        var args = arguments.Normalized();
        args.Validate();
        var filters = args.Filters.Select(f => (f.Key, f.Value)).ToList();
        var stages = new List<(string, double)>();
        var clock = Stopwatch.StartNew();
        void Stage(string name)
        {
            stages.Add((name, clock.Elapsed.TotalSeconds));
            ProgressMeter.Note(options.Progress, $"{name}: {clock.Elapsed.TotalSeconds:F2}s");
            clock.Restart();
        }
        OutputGuard.Folder(
            outDir,
            "--out",
            RunInput.Of(("--index", args.Index), ("--queries", args.Queries), ("--model", args.Model))
        );
        RunManifest.Claim(outDir, Kind);
        using var searcher = IndexSearcher.Open(args.Index, args.Model, options.Device, args.Precondition);
        OutputFolder.Create(outDir);
        var queries = searcher.Model.Encode(args.Queries);
        var include = searcher.RowFilter(filters);
        Stage("open index and model");
        using var vectors = searcher.QueryVectors(queries, args.Measurement, args.Damping);
        Stage("query gradients");
        options.Cancellation.ThrowIfCancellationRequested();
        var result = searcher.Search(
            vectors,
            args.TopK,
            include,
            args.FullScores,
            options.Progress,
            options.Cancellation
        );
        Stage("scan");
        var lines = queries.Select(
            (q, i) =>
                new JsonObject
                {
                    ["query_id"] = q.Id,
                    ["top_ids"] = Ids(result.Top[i]),
                    ["top_scores"] = Scores(result.Top[i]),
                    ["bottom_ids"] = Ids(result.Bottom[i]),
                    ["bottom_scores"] = Scores(result.Bottom[i]),
                }.ToJsonString()
        );
        AtomicFile.WriteAllLines(Path.Combine(outDir, "top.jsonl"), lines);
        if (result.Scores is not null)
        {
            try
            {
                SafeTensorsFile.Write(
                    Path.Combine(outDir, "scores.safetensors"),
                    [KeyValuePair.Create("scores", result.Scores)]
                );
            }
            finally
            {
                result.Scores.Dispose();
            }
        }
        var manifest = new JsonObject
        {
            ["format"] = RunManifest.Format,
            ["kind"] = Kind,
            ["infrasharp"] = RunManifest.Version,
            ["arguments"] = JsonSerializer.SerializeToNode(args, IndexJson.Manifest.IndexQueryRunArguments),
            ["inputs"] = new JsonObject { ["model"] = searcher.Index.ModelFingerprint },
            ["info"] = new JsonObject
            {
                ["queries"] = new JsonArray(queries.Select(q => (JsonNode)q.Id).ToArray()),
                ["rows"] = searcher.Index.Rows,
                ["sign"] = IndexBuildRun.Sign,
                ["scores"] = "[queries, rows] in index row order (segments, then shards)",
                // What the rows were when these scores were computed: a later append changes the index, not them.
                ["row_ids_sha256"] = RowIdsFingerprint(searcher.Index.Ids()),
            },
        };
        AtomicFile.WriteAllText(
            RunManifest.PathIn(outDir),
            manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n"
        );
        Stage("write");
        return new Result(queries.Count, searcher.Index.Rows, stages, result.Scan);
    }

    public static string RowIdsFingerprint(IEnumerable<string> ids) => Fingerprint.Text(string.Join("\n", ids));

    private static JsonArray Ids(IReadOnlyList<IndexHit> hits) => new(hits.Select(h => (JsonNode)h.Id).ToArray());

    private static JsonArray Scores(IReadOnlyList<IndexHit> hits) => new(hits.Select(h => (JsonNode)h.Score).ToArray());
}
