using System.Diagnostics;
using static TorchSharp.torch;

namespace InfraSharp.Index;

/// <summary>
/// Streams an index's shards through a blocked float32 matmul with the query vectors (on all cores): each block of
/// stored rows is copied from the mapping, widened and multiplied, and only each query's best and worst candidates
/// survive the block (and, on request, the whole [queries, rows] matrix). Needs no model: the benchmark drives it
/// with random queries against a store of random vectors.
/// </summary>
internal sealed class ShardScanner(GradientIndex index)
{
    private readonly GradientIndex _index = index;

    /// <summary>Rows converted and multiplied per step: 8,192 rows of d = 4,096 are 64 MiB of float16.</summary>
    public int BlockRows { get; init; } = 8192;

    /// <summary>
    /// Scores every row of the index (or those <paramref name="include"/> keeps) against the query vectors,
    /// streaming the shards; keeps the top and bottom <paramref name="k"/> per query.
    /// </summary>
    public IndexResult Search(
        Tensor queryVectors,
        int k,
        bool[]? include = null,
        bool fullScores = false,
        IProgress<RunProgress>? sink = null,
        CancellationToken cancel = default
    )
    {
        if (k < 1)
            throw InputError.Argument($"--top-k must be at least 1 (got {k})");
        long total = _index.Rows;
        if (include is not null && include.LongLength != total)
            throw new ArgumentException($"the row filter has {include.Length} entries, the index {total} rows");
        // Checked here: a width mismatch inside matmul would abort the process, not throw.
        if (queryVectors.dim() != 2 || queryVectors.shape[1] != _index.Dimension)
            throw new ArgumentException(
                $"query vectors of shape [{string.Join(", ", queryVectors.shape)}]; "
                    + $"the index holds vectors of dimension {_index.Dimension}"
            );
        int nq = (int)queryVectors.shape[0];
        using var q = queryVectors.to(ScalarType.Float32).cpu().contiguous();
        // Checked first, so that a non-finite score below can only come from the stored rows.
        if (ShardFile.FirstNonFiniteRow(q) is long badQuery)
            throw InputError.Data(
                $"query {badQuery}: its gradient holds NaN or Inf; the model or the query row gives "
                    + "non-finite values"
            );
        Tensor? full = fullScores ? zeros(nq, total, dtype: ScalarType.Float32) : null;
        Tensor? topV = null,
            topI = null,
            botV = null,
            botI = null;
        var clock = Stopwatch.StartNew();
        long bytes = 0,
            offset = 0;
        var progress = new ProgressMeter(sink, "scan", total, "rows");
        // One set of block buffers (stored rows, scales, widened rows), reused by every block of every shard.
        long widest = Math.Max(1, _index.Shards.Count == 0 ? 0 : _index.Shards.Max(sh => sh.WholeBlocks(BlockRows)));
        using var buffer = empty([widest, _index.Dimension], dtype: ScalarType.Float32);
        using var scaleBuffer = empty(widest, dtype: ScalarType.Float32);
        var storedBuffers = new Dictionary<ScalarType, Tensor>();
        try
        {
            foreach (var shard in _index.Shards)
            {
                // Whole checksum blocks per step, so that every block read is checked whole (ShardFile.Block).
                long step = shard.WholeBlocks(BlockRows);
                for (long s = 0; s < shard.Header.Rows; s += step)
                {
                    cancel.ThrowIfCancellationRequested();
                    using var scope = NewDisposeScope();
                    long n = Math.Min(step, shard.Header.Rows - s);
                    if (!storedBuffers.TryGetValue(shard.StoredType, out var storedBuffer))
                        storedBuffers[shard.StoredType] = storedBuffer = empty(
                                [widest, _index.Dimension],
                                dtype: shard.StoredType
                            )
                            .DetachFromDisposeScope();
                    var stored = storedBuffer.narrow(0, 0, n);
                    var scales = scaleBuffer.narrow(0, 0, n);
                    shard.BlockInto(s, n, stored, scales);
                    bytes += stored.numel() * stored.ElementSize + 4 * n;
                    var wide = RowWidening.ToFloat32(stored, buffer);
                    var scores = matmul(q, wide.transpose(0, 1)) * scales.unsqueeze(0);
                    long at = offset + s;
                    // A NaN score is neither high nor low, so the row would silently drop out of every top-k: refuse
                    // it.
                    // Checked on the [queries, n] scores, a small fraction of the block's work.
                    if (!scores.isfinite().all().item<bool>())
                        throw NonFinite(shard, s, at, stored, scales, scores);
                    full?.narrow(1, at, n).copy_(scores);
                    Tensor forTop = scores,
                        forBottom = scores;
                    if (include is not null)
                    {
                        var keep = tensor(include.AsSpan((int)at, (int)n).ToArray()).unsqueeze(0);
                        forTop = where(keep, scores, float.NegativeInfinity);
                        forBottom = where(keep, scores, float.PositiveInfinity);
                    }
                    // Twice k candidates are kept, so that rows tied at the k-th score (duplicated training rows) are
                    // all still there when the final order breaks ties by row.
                    int kk = (int)Math.Min(2 * k, n);
                    var (tv, ti) = forTop.topk(kk, dim: 1, largest: true, sorted: false);
                    var (bv, bi) = forBottom.topk(kk, dim: 1, largest: false, sorted: false);
                    (topV, topI) = Merge(topV, topI, tv, ti + at, 2 * k, largest: true);
                    (botV, botI) = Merge(botV, botI, bv, bi + at, 2 * k, largest: false);
                    progress.Report((int)Math.Min(int.MaxValue, at + n));
                }
                offset += shard.Header.Rows;
            }
        }
        finally
        {
            foreach (var b in storedBuffers.Values)
                b.Dispose();
        }
        var scan = new ScanStats(total, bytes, clock.Elapsed.TotalSeconds, 2.0 * nq * total * _index.Dimension);
        var ids = _index.Ids();
        var top = Hits(topV!, topI!, ids, k, largest: true);
        var bottom = Hits(botV!, botI!, ids, k, largest: false);
        topV!.Dispose();
        topI!.Dispose();
        botV!.Dispose();
        botI!.Dispose();
        return new IndexResult(top, bottom, full, scan);
    }

    /// <summary>The one-line error for a block whose scores are not all finite, naming the shard, row and id.</summary>
    private Exception NonFinite(ShardFile shard, long start, long at, Tensor stored, Tensor scales, Tensor scores)
    {
        long j = scores.isfinite().all(0).logical_not().nonzero()[0, 0].item<long>();
        using var row = stored[j].to(ScalarType.Float32) * scales[j];
        string id = _index.Ids()[(int)(at + j)];
        string what = row.isfinite().all().item<bool>()
            ? "gives a non-finite score (its values overflow float32)"
            : "holds NaN or Inf";
        return InputError.Data($"{shard.Path}: row {start + j} (id '{id}') {what}; rebuild the index");
    }

    /// <summary>
    /// The running best k joined with a block's best k, cut back to k (outside the block's dispose scope).
    /// </summary>
    private static (Tensor Values, Tensor Indices) Merge(
        Tensor? values,
        Tensor? indices,
        Tensor v,
        Tensor i,
        int k,
        bool largest
    )
    {
        var av = values is null ? v : cat([values, v], 1);
        var ai = indices is null ? i : cat([indices, i], 1);
        int kk = (int)Math.Min(k, av.shape[1]);
        var (sv, si) = av.topk(kk, dim: 1, largest: largest, sorted: false);
        var result = (sv.DetachFromDisposeScope(), ai.gather(1, si).DetachFromDisposeScope());
        values?.Dispose();
        indices?.Dispose();
        return result;
    }

    /// <summary>
    /// Each query's k best candidates, best first; equal scores in row order (so results are reproducible).
    /// </summary>
    private static IReadOnlyList<IndexHit>[] Hits(
        Tensor values,
        Tensor indices,
        IReadOnlyList<string> ids,
        int k,
        bool largest
    )
    {
        int nq = (int)values.shape[0],
            m = (int)values.shape[1];
        var v = values.to(ScalarType.Float64).contiguous().data<double>().ToArray();
        var r = indices.contiguous().data<long>().ToArray();
        return Enumerable
            .Range(0, nq)
            .Select(q =>
            {
                var finite = Enumerable.Range(q * m, m).Where(j => double.IsFinite(v[j]));
                var order = largest ? finite.OrderByDescending(j => v[j]) : finite.OrderBy(j => v[j]);
                return (IReadOnlyList<IndexHit>)
                    order.ThenBy(j => r[j]).Take(k).Select(j => new IndexHit(r[j], ids[(int)r[j]], v[j])).ToList();
            })
            .ToArray();
    }
}
