using System.Diagnostics;
using System.Runtime.InteropServices;
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
            Model = "(synthetic)",
            ProjectionDim = ProjectionSpec.Parse($"{dim}"),
            StoreDType = StoreDType.Float16,
            ShardRows = shardRows,
        };
        IndexFolder
            .Manifest(
                args,
                new IndexInputs
                {
                    Model = "synthetic",
                    Tokenizer = "synthetic",
                    Factors = null,
                },
                new IndexPlan
                {
                    Dimension = dim,
                    Modules = [],
                    Shapes = [],
                },
                new IndexInfo { Sign = IndexBuildRun.Sign, Vector = "random N(0,1) vectors written by the benchmark" }
            )
            .Prepare(dir, overwrite: true);
        Directory.CreateDirectory(Path.Combine(dir, IndexFolder.ShardFolder));
        var shards = new List<string>();
        var clock = Stopwatch.StartNew();
        using var gen = new Generator(12345);
        for (long start = 0, j = 0; start < rows; start += shardRows, j++)
        {
            long n = Math.Min(shardRows, rows - start);
            string rel = Path.Combine(IndexFolder.ShardFolder, $"seg000-part0000-of-0001-{j:D5}.shard");
            using var scope = NewDisposeScope();
            var v = randn([n, dim], generator: gen);
            var header = new ShardHeader
            {
                Rows = n,
                Dim = dim,
                DType = "float16",
                ProjectionSeed = 0,
                Projection = args.ProjectionDim.Text,
                Model = "synthetic",
            };
            var path = Path.Combine(dir, rel);
            IndexRows.Write(
                IndexRows.PathFor(path),
                Enumerable
                    .Range(0, (int)n)
                    .Select(i => new EncodedExample(
                        $"row-{start + i:D7}",
                        [],
                        [],
                        new JsonObject(),
                        "synthetic",
                        (int)(start + i + 1)
                    ))
                    .ToList()
            );
            ShardFile.Write(path, v, header);
            shards.Add(rel);
            Console.WriteLine($"  shard {j}: {n} rows, {clock.Elapsed.TotalSeconds:F0}s");
        }
        GradientIndex.WriteSegments(
            dir,
            [
                new IndexSegment
                {
                    Number = 0,
                    Train = "(synthetic)",
                    Fingerprint = "synthetic",
                    Rows = rows,
                    Partitions = 1,
                    Shards = shards,
                },
            ]
        );
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
            if (rc != 0)
                throw new IOException($"posix_fadvise failed on {s.Path}: {rc}");
        }
    }

    private static long CachedKiB() =>
        long.Parse(
            File.ReadLines("/proc/meminfo")
                .First(l => l.StartsWith("Cached:"))
                .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]
        );

    /// <summary>
    /// <c>store-scan DIR [QUERIES]</c> (QUERIES: comma-separated counts, default 1,16,256): the warm scan's rate
    /// against the page cache's own, in one line per query count. P is measured in the same run by reading the same
    /// shard files sequentially into one reused buffer (after a first pass that makes them warm); each scan runs once
    /// to warm up and is then timed.
    /// </summary>
    public static void StoreScan(string dir, string queries = "1,16,256")
    {
        using var index = GradientIndex.Open(dir);
        _ = index.Ids();
        var buffer = new byte[1 << 24];
        double PageCacheRead()
        {
            long read = 0;
            var sw = Stopwatch.StartNew();
            foreach (var s in index.Shards)
            {
                using var fs = new FileStream(s.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
                int got;
                while ((got = fs.Read(buffer)) > 0)
                    read += got;
            }
            return read / 1e9 / sw.Elapsed.TotalSeconds;
        }
        PageCacheRead();
        double p = PageCacheRead();
        var scanner = new ShardScanner(index);
        foreach (int q in queries.Split(',').Select(int.Parse))
        {
            using var vectors = randn([q, index.Dimension], generator: new Generator((ulong)q));
            scanner.Search(vectors, 100);
            var stats = scanner.Search(vectors, 100).Scan;
            Console.WriteLine(
                $"store scan: {q} queries, {index.Rows} rows x {index.Dimension}, warm {stats.Seconds:F2} s, "
                    + $"{stats.GigabytesPerSecond:F2} GB/s; page-cache read {p:F2} GB/s; "
                    + $"ratio {stats.GigabytesPerSecond / p:F2}"
            );
        }
    }

    /// <summary><c>index-latency DIR</c>: cold and warm query latency for 1, 16 and 256 queries.</summary>
    public static void Latency(string dir)
    {
        double before = MatmulRate.GflopsF32();
        Console.WriteLine($"f32 matmul 1024^2 before: {before:F1} GFLOP/s");
        using var index = GradientIndex.Open(dir);
        long bytes = index.Shards.Sum(s => new FileInfo(s.Path).Length);
        Console.WriteLine(
            $"store: {index.Rows} rows x {index.Dimension}, {bytes / 1e9:F2} GB in {index.Shards.Count} shards"
        );
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
            "| queries | cache | seconds | GB/s | GFLOP/s | of matmul | of disk read | page cache before |"
        );
        Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (int q in new[] { 1, 16, 256 })
        {
            using var queries = randn([q, index.Dimension], generator: new Generator((ulong)q));
            foreach (var cache in new[] { "cold", "warm" })
            {
                if (cache == "cold")
                    DropCache(index);
                long cached = CachedKiB();
                var r = scanner.Search(queries, 100);
                var s = r.Scan;
                Console.WriteLine(
                    $"| {q} | {cache} | {s.Seconds:F2} | {s.GigabytesPerSecond:F2} | "
                        + $"{s.GflopsPerSecond:F1} | {s.GflopsPerSecond / before:P0} | "
                        + $"{s.GigabytesPerSecond / disk:P0} | "
                        + $"{cached / 1e6:F1} GB |"
                );
            }
        }
        Console.WriteLine($"f32 matmul 1024^2 after: {MatmulRate.GflopsF32():F1} GFLOP/s");
    }

    /// <summary>
    /// <c>index-check-cost DIR</c>: what the integrity checks cost a warm query. The scanner (every block checked
    /// against its checksum, scores checked finite) against the same scan without checks, written here from the
    /// documented shard layout (copy each block from the mapping, widen, multiply, keep the top k), alternated three
    /// times for 1 and 16 queries; then XXH3-64 alone over every shard's rows, and <c>infra index verify</c>'s pass.
    /// </summary>
    public static void CheckCost(string dir)
    {
        using var index = GradientIndex.Open(dir);
        long bytes = index.Shards.Sum(s => new FileInfo(s.Path).Length);
        Console.WriteLine(
            $"store: {index.Rows} rows x {index.Dimension}, {bytes / 1e9:F2} GB in {index.Shards.Count} " + "shards"
        );
        _ = index.Ids();
        var scanner = new ShardScanner(index);
        foreach (var s in index.Shards)
            UncheckedScan(s, randn([1, index.Dimension]), 100); // warm the page cache
        Console.WriteLine("| queries | checked s | unchecked s | cost |");
        Console.WriteLine("| --- | --- | --- | --- |");
        foreach (int q in new[] { 1, 16 })
        {
            using var queries = randn([q, index.Dimension], generator: new Generator((ulong)q));
            var ch = new List<double>();
            var un = new List<double>();
            for (int rep = 0; rep < 3; rep++)
            {
                ch.Add(scanner.Search(queries, 100).Scan.Seconds);
                var sw = Stopwatch.StartNew();
                foreach (var s in index.Shards)
                    UncheckedScan(s, queries, 100);
                un.Add(sw.Elapsed.TotalSeconds);
            }
            double c = ch.Min(),
                u = un.Min();
            Console.WriteLine($"| {q} | {c:F2} | {u:F2} | {(c - u) / u:P1} |");
        }
        var hashClock = Stopwatch.StartNew();
        var buffer = new byte[1 << 24];
        foreach (var s in index.Shards)
        {
            using var fs = new FileStream(s.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
            int n;
            var h = new System.IO.Hashing.XxHash3();
            while ((n = fs.Read(buffer)) > 0)
                h.Append(buffer.AsSpan(0, n));
        }
        double rate = bytes / 1e9 / hashClock.Elapsed.TotalSeconds;
        Console.WriteLine($"XXH3-64 over the shard files (read + hash): {rate:F2} GB/s");
        var verify = IndexVerifier.Verify(dir, preconditioner: false); // the synthetic store has none
        Console.WriteLine($"infra index verify: {verify.Seconds:F2}s ({verify.Bytes / 1e9 / verify.Seconds:F2} GB/s)");
    }

    /// <summary>One shard scanned without any check, from the layout ShardFile documents.</summary>
    private static void UncheckedScan(ShardFile shard, Tensor queries, int k)
    {
        var h = shard.Header;
        static long Align(long x) => (x + 63) / 64 * 64;
        long blocks = (h.Rows + h.ChecksumRows - 1) / h.ChecksumRows,
            table = Align(ShardFile.HeaderBytes + 4 * h.Rows);
        long data = Align(table + 8 * blocks);
        using var map = System.IO.MemoryMappedFiles.MemoryMappedFile.CreateFromFile(
            shard.Path,
            FileMode.Open,
            null,
            0,
            System.IO.MemoryMappedFiles.MemoryMappedFileAccess.Read
        );
        void Copy(long offset, Tensor into)
        {
            using var view = map.CreateViewAccessor(
                offset,
                into.numel() * into.ElementSize,
                System.IO.MemoryMappedFiles.MemoryMappedFileAccess.Read
            );
            view.SafeMemoryMappedViewHandle.ReadSpan((ulong)view.PointerOffset, into.bytes);
        }
        using var q = queries.to(ScalarType.Float32).contiguous();
        for (long s = 0; s < h.Rows; s += 8192)
        {
            using var scope = NewDisposeScope();
            long n = Math.Min(8192, h.Rows - s);
            var rows = empty([n, h.Dim], dtype: h.DType == "float16" ? ScalarType.Float16 : ScalarType.Float32);
            var scales = empty(n, dtype: ScalarType.Float32);
            Copy(ShardFile.HeaderBytes + 4 * s, scales);
            Copy(data + s * h.Dim * h.ElementBytes, rows);
            var scores = matmul(q, rows.to(ScalarType.Float32).transpose(0, 1)) * scales.unsqueeze(0);
            var kk = (int)Math.Min(2 * k, n);
            scores.topk(kk, dim: 1, largest: true, sorted: false);
            scores.topk(kk, dim: 1, largest: false, sorted: false);
        }
    }

    /// <summary>
    /// <c>index-compare A B [N]</c>: per-query Pearson and Spearman correlation and top-N overlap between two score
    /// matrices (tensor <c>scores</c> [queries, rows] in each safetensors file), as means over queries.
    /// </summary>
    public static void Compare(string a, string b, int top = 100)
    {
        using var x = SafeTensorsFile.Open(a).Read(IndexQueryFolder.ScoresTensor).to(ScalarType.Float64);
        using var y = SafeTensorsFile.Open(b).Read(IndexQueryFolder.ScoresTensor).to(ScalarType.Float64);
        if (!x.shape.SequenceEqual(y.shape))
            throw new ArgumentException($"shapes differ: {a} vs {b}");
        int nq = (int)x.shape[0],
            n = (int)x.shape[1],
            k = Math.Min(top, n);
        double pearson = 0,
            spearman = 0,
            overlap = 0;
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
            $"pearson {pearson / nq:F3} spearman {spearman / nq:F3} top{k}_overlap {overlap / nq:F3} queries {nq}"
        );
    }
}
