using System.Diagnostics;
using InfraSharp.Influence;
using static TorchSharp.torch;

namespace InfraSharp.Index;

/// <summary>
/// <c>infra index verify</c>: reads every byte an index's queries depend on and checks it. Every shard's header and
/// table checksums (as any open does), every block against its checksum, the alignment gaps (zero), every row finite,
/// each row table holding as many rows as its shard, and the preconditioner's factor files (finite, covering these
/// shards). The first problem is bad input naming the file (and block or row); a query checks the same checksums for
/// the blocks it scans, so verifying is for an index that sits unread, or before it is copied.
/// </summary>
public static class IndexVerifier
{
    /// <summary>What a verification read and checked.</summary>
    /// <param name="Shards">Shard files checked.</param>
    /// <param name="Rows">Rows checked.</param>
    /// <param name="Blocks">Checksum blocks verified.</param>
    /// <param name="Bytes">Bytes read.</param>
    /// <param name="Seconds">Wall time.</param>
    public sealed record Result(int Shards, long Rows, long Blocks, long Bytes, double Seconds)
    {
        /// <summary>
        /// One line naming <paramref name="dir"/> and the counts, as <c>infra index verify</c> prints it.
        /// </summary>
        public string Message(string dir) =>
            $"{dir}: {Shards} shards, {Rows} rows, {Blocks} checksum blocks verified "
            + $"({Bytes / 1e6:F1} MB in {Seconds:F1}s)";
    }

    /// <summary>Reads and checks every shard, row table and (optionally) preconditioner file of an index.</summary>
    /// <param name="dir">The index folder.</param>
    /// <param name="preconditioner">Also load the preconditioner (off for a synthetic store: it has none).</param>
    /// <param name="sink">Where the progress over shards is reported (none: silent).</param>
    /// <returns>What was read; the first problem found is thrown as bad input naming the file.</returns>
    public static Result Verify(string dir, bool preconditioner = true, IProgress<RunProgress>? sink = null)
    {
        var clock = Stopwatch.StartNew();
        using var index = GradientIndex.Open(dir);
        long rows = 0,
            blocks = 0,
            bytes = 0;
        var progress = new ProgressMeter(sink, "verify", index.Rows, "rows");
        foreach (var shard in index.Shards)
        {
            if (!shard.PaddingIsZero())
                throw InputError.Data($"{shard.Path}: nonzero bytes between sections: the shard is corrupt");
            string table = IndexRows.PathFor(shard.Path);
            long listed = IndexRows.ReadStrings(table, "id").LongLength;
            if (listed != shard.Header.Rows)
                throw InputError.Data($"{table}: {listed} rows, its shard holds {shard.Header.Rows}");
            long step = shard.WholeBlocks(1); // one checksum block (at most 16 MiB) at a time
            for (long s = 0; s < shard.Header.Rows; s += step)
            {
                using var scope = NewDisposeScope();
                long n = Math.Min(step, shard.Header.Rows - s);
                var (stored, scales) = shard.Block(s, n); // checks the blocks' checksums
                if (ShardFile.FirstNonFiniteStoredRow(stored, scales) is long bad)
                    throw InputError.Data(
                        $"{shard.Path}: row {s + bad} (id '{index.Ids()[(int)(rows + s + bad)]}') "
                            + "holds NaN or Inf; rebuild the index"
                    );
                progress.Report((int)Math.Min(int.MaxValue, rows + s + n));
            }
            rows += shard.Header.Rows;
            blocks += shard.BlockCount;
            bytes += new FileInfo(shard.Path).Length;
        }
        if (preconditioner)
        {
            var strategy = InfluenceStrategy.Get(index.Arguments.StrategyName);
            foreach (var f in IndexPreconditioner.Load(index, strategy, CPU).Values)
                f.Dispose();
        }
        return new Result(index.Shards.Count, rows, blocks, bytes, clock.Elapsed.TotalSeconds);
    }
}
