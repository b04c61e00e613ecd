using System.Diagnostics;
using System.Text.Json.Nodes;
using InfraSharp.Influence;
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
    /// <summary>What a query did.</summary>
    /// <param name="Queries">Queries scored.</param>
    /// <param name="Rows">Index rows scanned per query.</param>
    /// <param name="Stages">Each stage's name and seconds, in order.</param>
    /// <param name="Scan">Throughput of the shard scan.</param>
    public sealed record Result(
        int Queries,
        long Rows,
        IReadOnlyList<(string Stage, double Seconds)> Stages,
        ScanStats Scan
    );

    /// <summary>
    /// Scores the queries against the index and writes the top and bottom rows (and full scores) into <paramref
    /// name="outDir"/>.
    /// </summary>
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
            RunInput.Of(
                ("--index", args.Index),
                ("--queries", args.Queries),
                ("--model", args.Model),
                ("--factors", args.Factors)
            )
        );
        RunManifest.Claim(outDir, IndexQueryFolder.Kind);
        using var searcher = IndexSearcher.Open(args.Index, args.Model, options.Device, args.Precondition);
        OutputFolder.Create(outDir);
        var queries = searcher.Model.Encode(args.Queries);
        var include = searcher.RowFilter(filters);
        Stage("open index and model");
        using var vectors = searcher.QueryVectors(queries, args.Measurement, args.Damping);
        Stage("query gradients");
        options.Cancellation.ThrowIfCancellationRequested();
        bool exact = args.Rescore == IndexRescore.Exact;
        var result = searcher.Search(
            vectors,
            exact ? args.RescoreCandidates : args.TopK,
            include,
            args.FullScores,
            options.Progress,
            options.Cancellation
        );
        Stage("scan");
        var (top, bottom) = (result.Top, result.Bottom);
        if (exact)
        {
            (top, bottom) = ExactRescoring.Rescore(searcher.Index, result, args, options);
            Stage($"rescore {args.RescoreCandidates} candidates per side exactly");
        }
        var lines = queries.Select(
            (q, i) =>
                new JsonObject
                {
                    ["query_id"] = q.Id,
                    ["top_ids"] = Ids(top[i]),
                    ["top_scores"] = Scores(top[i]),
                    ["bottom_ids"] = Ids(bottom[i]),
                    ["bottom_scores"] = Scores(bottom[i]),
                }.ToJsonString()
        );
        AtomicFile.WriteAllLines(Path.Combine(outDir, IndexQueryFolder.TopFile), lines);
        if (result.Scores is not null)
        {
            try
            {
                SafeTensorsFile.Write(
                    Path.Combine(outDir, IndexQueryFolder.ScoresFile),
                    [KeyValuePair.Create(IndexQueryFolder.ScoresTensor, result.Scores)]
                );
            }
            finally
            {
                result.Scores.Dispose();
            }
        }
        IndexQueryFolder
            .Manifest(
                args,
                new IndexQueryInputs { Model = searcher.Index.ModelFingerprint },
                new IndexQueryInfo
                {
                    Queries = [.. queries.Select(q => q.Id)],
                    Rows = searcher.Index.Rows,
                    Sign = ScoreReading.SignLine(args.Measurement),
                    Reading = Reading(args, searcher.Index.Rows).Readings,
                    Scores = "[queries, rows] in index row order (segments, then shards)",
                    RowIdsSha256 = IndexQueryFolder.RowIdsFingerprint(searcher.Index.Ids()),
                }
            )
            .Write(outDir);
        Stage("write");
        return new Result(queries.Count, searcher.Index.Rows, stages, result.Scan);
    }

    /// <summary>
    /// How the index's scores read: raw (no self-influence of the queries is formed from the projected gradients)
    /// and, for mean-logprob, Δ = score / rows.
    /// </summary>
    public static ScoreReading Reading(IndexQueryRunArguments args, long rows) =>
        new()
        {
            Measurement = args.Measurement,
            TrainCount = (int)Math.Min(int.MaxValue, rows),
            NoSelfReason = "the index stores no query self-influence",
        };

    private static JsonArray Ids(IReadOnlyList<IndexHit> hits) => new(hits.Select(h => (JsonNode)h.Id).ToArray());

    private static JsonArray Scores(IReadOnlyList<IndexHit> hits) => new(hits.Select(h => (JsonNode)h.Score).ToArray());
}
