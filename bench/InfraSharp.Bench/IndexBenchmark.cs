using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using InfraSharp.Index;
using InfraSharp.Storage;
using InfraSharp.Text;
using static TorchSharp.torch;

namespace InfraSharp.Bench;

/// <summary>
/// The gradient store at scale, without a model: a store of random float16 vectors written in the index's own
/// format (gradients for a million examples take hours here), then query latency for 1, 16 and 256 queries with a
/// cold page cache (each shard dropped with posix_fadvise) and a warm one, beside the machine's f32 matmul rate and
/// its cold sequential read rate, whichever binds. Also compares two score matrices (quality tables).
/// </summary>
public static class IndexBenchmark
{
    /// <summary>
    /// <c>index-store DIR ROWS DIM</c>: writes the synthetic store (skipped when it is already there).
    /// </summary>
    public static void Store(string dir, long rows, int dim, int shardRows = 65_536)
    {
        if (File.Exists(GradientIndex.SegmentsPath(dir)) && GradientIndex.ReadSegments(dir).Any(s => s.Complete))
        {
            Console.WriteLine($"{dir}: store already written");
            return;
        }
        var args = new IndexArguments
        {
            Model = "(synthetic)", ProjectionDim = $"{dim}", StoreDType = "float16", ShardRows = shardRows
        };
        new RunManifest(GradientIndex.Kind,
            JsonSerializer.SerializeToNode(args, IndexJson.Manifest.IndexArguments)!.AsObject(),
            new JsonObject { ["model"] = "synthetic" },
            new JsonObject { ["dimension"] = dim, ["modules"] = new JsonArray() },
            new JsonObject { ["note"] = "random N(0,1) vectors written by the benchmark" })
            .Prepare(dir, overwrite: true);
        Directory.CreateDirectory(Path.Combine(dir, GradientIndex.ShardFolder));
        var shards = new List<string>();
        var clock = Stopwatch.StartNew();
        using var gen = new Generator(12345);
        for (long start = 0, j = 0; start < rows; start += shardRows, j++)
        {
            long n = Math.Min(shardRows, rows - start);
            string rel = Path.Combine(GradientIndex.ShardFolder, $"seg000-part0000-of-0001-{j:D5}.shard");
            using var scope = NewDisposeScope();
            var v = randn([n, dim], generator: gen);
            var header = new ShardHeader
            {
                Rows = n, Dim = dim, DType = "float16", ProjectionSeed = 0, Projection = args.ProjectionDim,
                Model = "synthetic"
            };
            var path = Path.Combine(dir, rel);
            IndexRows.Write(IndexRows.PathFor(path), Enumerable.Range(0, (int)n)
                .Select(i => new EncodedExample($"row-{start + i:D7}", [], [], new JsonObject(), "synthetic",
                    (int)(start + i + 1))).ToList());
            ShardFile.Write(path, v, header);
            shards.Add(rel);
            Console.WriteLine($"  shard {j}: {n} rows, {clock.Elapsed.TotalSeconds:F0}s");
        }
        GradientIndex.WriteSegments(dir, [new IndexSegment
        {
            Number = 0, Train = "(synthetic)", Fingerprint = "synthetic", Rows = rows, Partitions = 1, Shards = shards,
        }]);
        Console.WriteLine($"wrote {rows} x {dim} float16 in {shards.Count} shards in {clock.Elapsed.TotalSeconds:F0}s");
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int posix_fadvise(int fd, long offset, long len, int advice);
    private const int DontNeed = 4;

    /// <summary>Drops every shard of the index from the page cache (clean pages only; nothing is written).</summary>
    private static void DropCache(GradientIndex index)
    {
        foreach (var s in index.Shards)
        {
            using var fs = new FileStream(s.Path, FileMode.Open, FileAccess.Read);
            int rc = posix_fadvise((int)fs.SafeFileHandle.DangerousGetHandle(), 0, 0, DontNeed);
            if (rc != 0) throw new IOException($"posix_fadvise failed on {s.Path}: {rc}");
        }
    }

    private static long CachedKiB() =>
        long.Parse(File.ReadLines("/proc/meminfo").First(l => l.StartsWith("Cached:"))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);

    /// <summary><c>index-latency DIR</c>: cold and warm query latency for 1, 16 and 256 queries.</summary>
    public static void Latency(string dir)
    {
        double before = MatmulRate.GflopsF32();
        Console.WriteLine($"f32 matmul 1024^2 before: {before:F1} GFLOP/s");
        using var index = GradientIndex.Open(dir);
        long bytes = index.Shards.Sum(s => new FileInfo(s.Path).Length);
        Console.WriteLine(
            $"store: {index.Rows} rows x {index.Dimension}, {bytes / 1e9:F2} GB in {index.Shards.Count} shards");
        // The disk's cold sequential read rate, on the first shard.
        DropCache(index);
        var sw = Stopwatch.StartNew();
        using (var fs = new FileStream(index.Shards[0].Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 23))
        {
            var buf = new byte[1 << 23];
            while (fs.Read(buf) > 0) { }
        }
        double disk = new FileInfo(index.Shards[0].Path).Length / 1e9 / sw.Elapsed.TotalSeconds;
        Console.WriteLine($"cold sequential read: {disk:F2} GB/s");
        _ = index.Ids(); // the id columns are read once per open index, not per query
        var scanner = new ShardScanner(index);
        Console.WriteLine(
            "| queries | cache | seconds | GB/s | GFLOP/s | of matmul | of disk read | page cache before |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (int q in new[] { 1, 16, 256 })
        {
            using var queries = randn([q, index.Dimension], generator: new Generator((ulong)q));
            foreach (var cache in new[] { "cold", "warm" })
            {
                if (cache == "cold") DropCache(index);
                long cached = CachedKiB();
                var r = scanner.Search(queries, 100);
                var s = r.Scan;
                Console.WriteLine($"| {q} | {cache} | {s.Seconds:F2} | {s.GigabytesPerSecond:F2} | "
                    + $"{s.GflopsPerSecond:F1} | {s.GflopsPerSecond / before:P0} | {s.GigabytesPerSecond / disk:P0} | "
                    + $"{cached / 1e6:F1} GB |");
            }
        }
        Console.WriteLine($"f32 matmul 1024^2 after: {MatmulRate.GflopsF32():F1} GFLOP/s");
    }

    /// <summary>
    /// <c>index-compare A B [N]</c>: per-query Pearson and Spearman correlation and top-N overlap between two score
    /// matrices (tensor <c>scores</c> [queries, rows] in each safetensors file), as means over queries.
    /// </summary>
    public static void Compare(string a, string b, int top = 100)
    {
        using var x = SafeTensorsFile.Open(a).Read("scores").to(ScalarType.Float64);
        using var y = SafeTensorsFile.Open(b).Read("scores").to(ScalarType.Float64);
        if (!x.shape.SequenceEqual(y.shape)) throw new ArgumentException($"shapes differ: {a} vs {b}");
        int nq = (int)x.shape[0], n = (int)x.shape[1], k = Math.Min(top, n);
        double pearson = 0, spearman = 0, overlap = 0;
        for (int q = 0; q < nq; q++)
        {
            var u = x[q].data<double>().ToArray();
            var v = y[q].data<double>().ToArray();
            pearson += Validation.RankCorrelation.Pearson(u, v);
            spearman += Validation.RankCorrelation.Spearman(u, v);
            var tu = Enumerable.Range(0, n).OrderByDescending(i => u[i]).Take(k).ToHashSet();
            overlap += Enumerable.Range(0, n).OrderByDescending(i => v[i]).Take(k).Count(tu.Contains) / (double)k;
        }
        Console.WriteLine(
            $"pearson {pearson / nq:F3} spearman {spearman / nq:F3} top{k}_overlap {overlap / nq:F3} queries {nq}");
    }
}
