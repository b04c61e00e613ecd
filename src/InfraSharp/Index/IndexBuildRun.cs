using System.Diagnostics;
using System.Text.Json.Nodes;
using InfraSharp.Influence;
using InfraSharp.Models;
using InfraSharp.Storage;
using InfraSharp.Text;
using static TorchSharp.torch;

namespace InfraSharp.Index;

/// <summary>
/// Builds (or appends to) a gradient index: every training row's projected loss gradient, once, into shards. A
/// build task takes a contiguous share of the global batch plan (<c>--partition</c>), writes its shards (each
/// beside its row table and its projected covariance statistics; a shard on disk is complete, so a killed task
/// resumes at its first missing shard), and the last task of a segment to finish lists the segment's shards in
/// row order and refits the preconditioner over the whole index. Shards are never rewritten: partitions and
/// appends only add files.
/// </summary>
public static class IndexBuildRun
{
    /// <summary>What a build task did.</summary>
    /// <param name="Complete">True when the segment is complete (its last partition finished and the preconditioner was
    /// fitted); false for a partition whose siblings are still running.</param>
    /// <param name="Message">One line saying what was written.</param>
    /// <param name="Rows">Rows this task wrote.</param>
    /// <param name="Dimension">Length of every row's projected vector.</param>
    /// <param name="Seconds">Wall time of this task.</param>
    public sealed record Result(bool Complete, string Message, long Rows, int Dimension, double Seconds);

    /// <summary>
    /// The sign convention of index scores, the same as pairwise scores' (<see cref="ScoreRun.Sign"/>).
    /// </summary>
    public const string Sign = ScoreRun.Sign;

    /// <summary>
    /// Builds the index in <paramref name="outDir"/> (or appends a segment), this process's partition of it.
    /// </summary>
    public static Result Run(IndexBuildRunArguments arguments, string outDir, RunOptions? options = null)
    {
        options ??= new RunOptions();
        var args = arguments.Normalized();
        var ix = args.Index;
        args.Validate();
        var clock = Stopwatch.StartNew();
        var strategy = InfluenceStrategy.Get(ix.StrategyName);
        var spec = ix.ProjectionDim;
        using var lm = LoadedModel.Load(ix.Model, ix.DType, options.Device);
        var modules = TrackedModules.Resolve(lm.Model.Config, ix.Modules);
        var exact = ix.Factors is null ? null : FactorFolder.Open(ix.Factors);
        if (exact is not null && exact.ModelFingerprint != lm.Fingerprint)
            throw InputError.Data(
                $"--factors {ix.Factors}: these factors were fitted for another model than {ix.Model}"
            );
        if (exact is not null && !strategy.NeedsCovariance)
            throw InputError.Argument($"--factors: the {strategy.Name} preconditioner uses no covariances to project");
        using var projection = GradientProjection.Create(lm.Model, modules.Names, ix.ProjectionDim, ix.Seed);

        var manifest = Manifest(ix, lm, modules, projection, exact);
        var inputs = RunInput.Of(("--model", ix.Model), ("--train", args.Train), ("--factors", ix.Factors)).ToList();
        OutputGuard.Folder(outDir, "--out", inputs);
        if (args.Append && RunManifest.Read(outDir) is null)
            throw InputError.Argument(
                $"--append: {outDir} holds no index to append to; build it first (without --append)"
            );
        var train = lm.Encode(args.Train);
        if (options.Overwrite && !args.Append)
            StartOver(outDir, manifest, train, options.Progress);
        manifest.Prepare(outDir, options.Overwrite && !args.Append, inputs, options.Progress);
        Directory.CreateDirectory(Path.Combine(outDir, IndexFolder.ShardFolder));

        var part = options.Partition;
        var segment = RegisterSegment(args, outDir, train, part, options.Progress);
        var batches = TokenBatches.Plan(train, 0, train.Count, ix.TokensPerBatch).ToList();
        if (part.Count > batches.Count)
            throw InputError.Argument(
                $"--partition {part}: only {batches.Count} batches to share; use at most {batches.Count} partitions"
            );
        var (b0, b1) = part.Range(batches.Count);
        var shards = ShardPlan(batches.Skip(b0).Take(b1 - b0).ToList(), ix.ShardRows);
        var header = new ShardHeader
        {
            Rows = 0,
            Dim = projection.Dimension,
            DType = EnumNames.Of(ix.StoreDType),
            ProjectionSeed = ix.Seed,
            Projection = ix.ProjectionDim.Text,
            Model = lm.Fingerprint,
        };
        var writer = new ShardWriter(lm, modules, projection, strategy.NeedsCovariance && exact is null, train);
        var names = WriteShards(outDir, segment, part, shards, header, writer, options);
        AtomicFile.WriteAllText(
            DoneMarker(outDir, segment.Number, part),
            new JsonArray(names.Select(n => (JsonNode)n).ToArray()).ToJsonString() + "\n"
        );
        bool complete = FinishSegment(outDir, segment.Number, strategy, projection, exact, options.Progress);
        double seconds = clock.Elapsed.TotalSeconds;
        string message = complete
            ? $"index {outDir}: segment {segment.Number} complete "
                + $"({train.Count} rows, dimension {projection.Dimension})"
            : $"index {outDir}: partition {part} of segment {segment.Number} written; "
                + "the last partition to finish lists the segment and fits the preconditioner";
        return new Result(complete, message, shards.Sum(sh => sh.Sum(b => b.Count)), projection.Dimension, seconds);
    }

    /// <summary>What a shard is written from: the model, its tracked modules and projection, and the rows.</summary>
    private sealed record ShardWriter(
        LoadedModel Model,
        TrackedModules Modules,
        GradientProjection Projection,
        bool Statistics,
        List<EncodedExample> Train
    );

    /// <summary>
    /// Writes this partition's shards of the segment that are not on disk yet (a shard on disk is whole), checking
    /// for cancellation between shards; returns every shard's path relative to the index, in order.
    /// </summary>
    private static List<string> WriteShards(
        string outDir,
        IndexSegment segment,
        Partition part,
        List<List<(int Start, int Count)>> shards,
        ShardHeader header,
        ShardWriter writer,
        RunOptions options
    )
    {
        int rowsHere = shards.Sum(s => s.Sum(b => b.Count));
        string stage = $"index segment {segment.Number}{(part.IsWhole ? "" : " " + part)}";
        var progress = new ProgressMeter(options.Progress, stage, rowsHere, "rows");
        int done = 0;
        var names = new List<string>();
        for (int j = 0; j < shards.Count; j++)
        {
            options.Cancellation.ThrowIfCancellationRequested();
            string rel = Path.Combine(IndexFolder.ShardFolder, ShardName(segment.Number, part, j));
            names.Add(rel);
            string path = Path.Combine(outDir, rel);
            int rows = shards[j].Sum(b => b.Count);
            if (!File.Exists(path))
                WriteShard(writer, shards[j], path, header with { Rows = rows });
            done += rows;
            progress.Report(done);
        }
        return names;
    }

    /// <summary>The index's manifest: the projection's plan (dimension, modules, shapes) and its inputs.</summary>
    private static RunManifest Manifest(
        IndexArguments ix,
        LoadedModel lm,
        TrackedModules modules,
        GradientProjection projection,
        FactorFolder? exact
    )
    {
        var shapes = projection.Shapes.Select(s => new IndexShape
        {
            Module = s.Module,
            In = s.InWidth,
            Out = s.OutWidth,
            KIn = s.In,
            KOut = s.Out,
        });
        return IndexFolder.Manifest(
            ix,
            new IndexInputs
            {
                Model = lm.Fingerprint,
                Tokenizer = lm.TokenizerFingerprint,
                Factors = exact?.RunFingerprint,
            },
            new IndexPlan
            {
                Dimension = projection.Dimension,
                Modules = modules.Names,
                Shapes = [.. shapes],
            },
            new IndexInfo
            {
                Sign = Sign,
                Vector = "per module, P_out·G·P_inᵀ flattened row-major, modules in plan order",
            }
        );
    }

    /// <summary>
    /// <c>--overwrite</c> of an index of other data. The data is not in the manifest (segments grow by appending), so
    /// starting over is explicit here. Give it to one task only: the others of a partitioned build would delete
    /// each other's shards.
    /// </summary>
    private static void StartOver(
        string outDir,
        RunManifest manifest,
        List<EncodedExample> train,
        IProgress<RunProgress>? progress
    )
    {
        string fp = ExampleFingerprint.Of(train);
        // Claim refuses anything but an index (as Prepare would next), and returns the earlier index's manifest.
        if (
            RunManifest.Claim(outDir, IndexFolder.Kind) is { } old
            && GradientIndex.ReadSegments(outDir).Any(s => s.Fingerprint != fp)
        )
            manifest.RemoveRun(outDir, old, "(an index of other data)", progress);
    }

    /// <summary>
    /// Consecutive batches grouped into shards of at least <paramref name="shardRows"/> rows (the last may be short).
    /// </summary>
    private static List<List<(int Start, int Count)>> ShardPlan(List<(int Start, int Count)> batches, int shardRows)
    {
        var shards = new List<List<(int, int)>>();
        var current = new List<(int, int)>();
        int rows = 0;
        foreach (var b in batches)
        {
            current.Add(b);
            rows += b.Count;
            if (rows >= shardRows)
            {
                shards.Add(current);
                current = [];
                rows = 0;
            }
        }
        if (current.Count > 0)
            shards.Add(current);
        return shards;
    }

    private static string ShardName(int segment, Partition part, int j) =>
        $"seg{segment:D3}-part{part.FileTag}-{j:D5}.shard";

    private static string DoneMarker(string dir, int segment, Partition part) =>
        Path.Combine(dir, IndexFolder.ShardFolder, $"seg{segment:D3}-part{part.FileTag}.done.json");

    /// <summary>
    /// The segment this training file is (resuming a build, or another partition of it), or a new one: a new
    /// segment needs <c>--append</c> once the index holds data, and its ids must be new to the index.
    /// </summary>
    private static IndexSegment RegisterSegment(
        IndexBuildRunArguments args,
        string dir,
        List<EncodedExample> train,
        Partition part,
        IProgress<RunProgress>? progress
    )
    {
        string fp = ExampleFingerprint.Of(train);
        using var held = FileLock.Acquire(Path.Combine(dir, IndexFolder.LockFile), progress);
        var segments = GradientIndex.ReadSegments(dir);
        var same = segments.FirstOrDefault(s => s.Fingerprint == fp);
        if (same is not null)
        {
            if (same.Partitions != part.Count)
                throw InputError.Argument(
                    $"--partition {part}: segment {same.Number} ({same.Train}) is being built in "
                        + $"{same.Partitions} partitions; use i/{same.Partitions}"
                );
            return same;
        }
        if (segments.Count > 0 && !args.Append)
            throw InputError.Argument(
                $"{dir} already indexes {segments[0].Train}; use --append to add {args.Train}, "
                    + "or --overwrite to start over"
            );
        // The encoder refused ids repeated within the file; here the ids of the rows already indexed join them.
        var ids = new UniqueIds();
        foreach (var seg in segments.Where(s => s.Complete))
        foreach (var rel in seg.Shards)
        foreach (var (id, source, line) in IndexRows.Origins(IndexRows.PathFor(Path.Combine(dir, rel))))
            ids.Add(id, source, line);
        foreach (var e in train)
            ids.Add(e.Id, e.SourceFile, e.Line, " (already in the index)");
        var segment = new IndexSegment
        {
            Number = segments.Count,
            Train = args.Train,
            Fingerprint = fp,
            Rows = train.Count,
            Partitions = part.Count,
        };
        segments.Add(segment);
        GradientIndex.WriteSegments(dir, segments);
        return segment;
    }

    /// <summary>
    /// One shard: each batch's captured a and g projected, per-example projected gradients formed, and (for a
    /// preconditioner with covariances) the projected covariance sums of the shard's tokens kept beside it.
    /// The row table and statistics are written first: the shard file itself marks the shard complete.
    /// </summary>
    private static void WriteShard(
        ShardWriter writer,
        List<(int Start, int Count)> batches,
        string path,
        ShardHeader header
    )
    {
        var (lm, modules, projection, statistics, train) = writer;
        var rows = batches.SelectMany(b => train.Skip(b.Start).Take(b.Count)).ToList();
        var parts = new List<Tensor>();
        var stats = modules.Names.ToDictionary(m => m, m => new ModuleFactors { Module = m });
        try
        {
            foreach (var (s, n) in batches)
            {
                using var scope = NewDisposeScope();
                var bg = BatchGradients.Compute(
                    lm.Model,
                    train.Skip(s).Take(n).ToList(),
                    modules.Names,
                    padId: lm.PadId
                );
                var p = projection.Apply(bg);
                // The index's covariances are the factor fitter's, over the projected a and g.
                if (statistics)
                    FactorFitter.AccumulateCovariance(p, stats);
                parts.Add(projection.Vectors(p).cpu().DetachFromDisposeScope());
            }
            using var all = cat(parts, 0);
            foreach (var t in parts)
                t.Dispose(); // the batches' copies: only the concatenation is needed now
            parts.Clear();
            // Before anything of the shard is written, naming the training row: a non-finite vector would score NaN
            // and drop out of every query's top-k without a word.
            if (ShardFile.FirstNonFiniteRow(all) is long bad)
                throw InputError.Data(
                    $"{path}: row {bad} ({rows[(int)bad].SourceFile}:{rows[(int)bad].Line}, id "
                        + $"'{rows[(int)bad].Id}') has a gradient holding NaN or Inf; the model or row gives "
                        + $"non-finite "
                        + "values"
                );
            IndexRows.Write(IndexRows.PathFor(path), rows);
            if (statistics)
            {
                var onHost = stats
                    .Values.Select(f => new ModuleFactors
                    {
                        Module = f.Module,
                        ActivationCovarianceSum = f.ActivationCovarianceSum!.cpu(),
                        GradientCovarianceSum = f.GradientCovarianceSum!.cpu(),
                        Tokens = f.Tokens,
                    })
                    .ToList();
                try
                {
                    FactorFiles.WriteCovariance(IndexPreconditioner.StatsPath(path), onHost);
                }
                finally
                {
                    foreach (var f in onHost)
                        f.Dispose();
                }
            }
            ShardFile.Write(path, all, header);
        }
        finally
        {
            foreach (var t in parts)
                t.Dispose();
            foreach (var f in stats.Values)
                f.Dispose();
        }
    }

    /// <summary>
    /// Once every partition of the segment has written its marker: lists the segment's shards in partition order
    /// and refits the preconditioner over all complete segments. Under the index's lock, so exactly one task does it.
    /// </summary>
    private static bool FinishSegment(
        string dir,
        int number,
        InfluenceStrategy strategy,
        GradientProjection projection,
        FactorFolder? exact,
        IProgress<RunProgress>? progress
    )
    {
        using var held = FileLock.Acquire(Path.Combine(dir, IndexFolder.LockFile), progress);
        var segments = GradientIndex.ReadSegments(dir);
        var seg = segments[number];
        if (seg.Complete)
            return true;
        var markers = Enumerable
            .Range(0, seg.Partitions)
            .Select(i => DoneMarker(dir, number, new Partition(i, seg.Partitions)))
            .ToList();
        if (!markers.All(File.Exists))
            return false;
        var shards = markers
            .SelectMany(m => JsonNode.Parse(File.ReadAllText(m))!.AsArray().Select(x => x!.ToString()))
            .ToList();
        segments[number] = seg with { Shards = shards };
        // In segment order (as readers list them), whichever segment happened to finish last.
        var all = segments.Where(s => s.Complete).SelectMany(s => s.Shards).ToList();
        var files = new List<ShardFile>();
        try
        {
            foreach (var rel in all)
                files.Add(ShardFile.Open(Path.Combine(dir, rel)));
            if (strategy.NeedsAnyFactor)
                IndexPreconditioner.Fit(dir, strategy, projection, files, exact, progress);
        }
        finally
        {
            foreach (var f in files)
                f.Dispose();
        }
        GradientIndex.WriteSegments(dir, segments);
        return true;
    }
}
