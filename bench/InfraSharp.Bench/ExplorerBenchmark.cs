using System.Diagnostics;
using System.Text.Json.Nodes;
using InfraSharp.Explorer;
using InfraSharp.Influence;
using InfraSharp.Storage;
using InfraSharp.Text;
using InfraSharp.Training.Synthetic;
using static TorchSharp.torch;

namespace InfraSharp.Bench;

/// <summary>
/// <c>explore-latency MODEL [TRAIN=10000] [QUERIES=100]</c>: the explorer's API latency per view on a score folder of
/// TRAIN synthetic training rows × QUERIES queries (random pairwise and per-token scores of the right shapes, the
/// rows encoded with MODEL's tokenizer), median and worst of 20 requests each, over HTTP on loopback.
/// </summary>
public static class ExplorerBenchmark
{
    public static void Run(string model, int trainRows = 10_000, int queryRows = 100)
    {
        Console.WriteLine($"f32 matmul 1024^2 before: {MatmulRate.GflopsF32():F1} GFLOP/s");
        string dir = Path.Combine(Path.GetTempPath(), "infra-explore-bench");
        if (Directory.Exists(dir))
            Directory.Delete(dir, recursive: true);
        // The generator has a few hundred distinct statements per cell; larger sets repeat rows under new ids.
        var splits = SyntheticDataset.Generate(
            new SyntheticDataset.Options
            {
                Seed = 7,
                Size = Math.Min(trainRows, 2000),
                QueriesPerCell = (queryRows + 9) / 10,
                EvalPerCell = 0,
            }
        );
        var rows = Enumerable
            .Range(0, trainRows)
            .Select(i =>
            {
                var r = (JsonObject)splits.Train[i % splits.Train.Count].DeepClone();
                r["id"] = $"{r["id"]}-r{i / splits.Train.Count}";
                return r;
            })
            .ToList();
        SyntheticDataset.Write(dir, splits with { Train = rows, Queries = splits.Queries.Take(queryRows).ToList() });
        string train = Path.Combine(dir, "train.jsonl"),
            queries = Path.Combine(dir, "queries.jsonl");
        var tok = Tokenizer.Load(model);
        var trainEx = new ExampleEncoder(tok).EncodeFile(train);
        var queryEx = new ExampleEncoder(tok).EncodeFile(queries);
        int width = trainEx.Max(e => e.Length);
        string scores = Path.Combine(dir, "scores");
        Directory.CreateDirectory(scores);
        using (var gen = new Generator(1))
        {
            using var pt = randn([queryEx.Count, trainEx.Count, width], generator: gen);
            using var pw = pt.sum([2L]);
            SafeTensorsFile.Write(
                Path.Combine(scores, ScoreFolder.PairwiseFile),
                [KeyValuePair.Create(ScoreFolder.ScoresTensor, pw)]
            );
            SafeTensorsFile.Write(
                Path.Combine(scores, ScoreFolder.PerTokenFile),
                [KeyValuePair.Create(ScoreFolder.ScoresTensor, pt)]
            );
        }
        ScoreFiles.WriteExamples(scores, queryEx, trainEx);
        // The explorer reads the settings of the folder's manifest; the scores are random, so are their fingerprints.
        ScoreFolder
            .Manifest(
                new ScoreRunArguments
                {
                    Model = model,
                    Train = train,
                    Queries = queries,
                }.Normalized(),
                new ScoreInputs
                {
                    Model = "synthetic",
                    Tokenizer = "synthetic",
                    Train = "synthetic",
                    Queries = "synthetic",
                    Factors = null,
                },
                new ScorePlan
                {
                    TokensPerBatch = 0,
                    Strategy = "identity",
                    Modules = [],
                },
                new ScoreInfo
                {
                    TrainExamples = trainEx.Count,
                    Queries = queryEx.Count,
                    Sign = ScoreRun.Sign,
                    Device = "cpu",
                }
            )
            .Write(scores);
        Console.WriteLine($"score folder: {queryEx.Count} queries x {trainEx.Count} training rows x {width} tokens");

        var load = Stopwatch.StartNew();
        var server = ExplorerServer
            .StartAsync(
                new ExplorerOptions
                {
                    Scores = scores,
                    Train = train,
                    Queries = queries,
                    Port = 0,
                }
            )
            .GetAwaiter()
            .GetResult();
        Console.WriteLine($"server start (loads scores and rows): {load.Elapsed.TotalSeconds:F1}s");
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        var views = new (string View, string Path)[]
        {
            ("query list, first page", "/api/queries"),
            ("query list, search", "/api/queries?search=Python"),
            ("query list, filter + sort by total", "/api/queries?filter=domain=code&sort=total"),
            ("query: proponents and opponents", "/api/queries/17?k=10"),
            ("query, training rows filtered", "/api/queries/17?k=10&filter=difficulty=5"),
            ("token heatmap", "/api/queries/17/tokens/4321"),
            ("training row: queries helped and hurt", "/api/train/4321?k=10"),
            ("page itself", "/"),
        };
        Console.WriteLine("| view | request | median ms | worst ms | bytes |");
        Console.WriteLine("| --- | --- | --- | --- | --- |");
        foreach (var (view, path) in views)
        {
            var times = new List<double>();
            long bytes = 0;
            for (int i = 0; i < 21; i++)
            {
                var sw = Stopwatch.StartNew();
                var body = http.GetByteArrayAsync(path).GetAwaiter().GetResult();
                if (i > 0)
                    times.Add(sw.Elapsed.TotalMilliseconds); // the first request warms the JIT
                bytes = body.Length;
            }
            times.Sort();
            Console.WriteLine($"| {view} | `{path}` | {times[times.Count / 2]:F1} | {times[^1]:F1} | {bytes} |");
        }
        server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Console.WriteLine($"f32 matmul 1024^2 after: {MatmulRate.GflopsF32():F1} GFLOP/s");
    }
}
