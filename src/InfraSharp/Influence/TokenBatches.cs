using InfraSharp.Storage;
using InfraSharp.Text;

namespace InfraSharp.Influence;

/// <summary>
/// Consecutive examples grouped so that a padded batch stays within a token budget. The plan is made once
/// over the whole dataset; partitions and resumable chunks are cut at its batch boundaries, so every example
/// is computed in exactly the same batch whether the work runs whole, partitioned or resumed (float32 results
/// depend on batch shapes; this makes merged partitions equal one run).
/// </summary>
internal static class TokenBatches
{
    public static IEnumerable<(int Start, int Count)> Plan(
        IReadOnlyList<EncodedExample> examples,
        int start,
        int end,
        int tokenBudget
    )
    {
        int i = start;
        while (i < end)
        {
            int longest = examples[i].Length,
                n = 1;
            while (i + n < end)
            {
                int l = Math.Max(longest, examples[i + n].Length);
                if (l * (n + 1) > tokenBudget)
                    break;
                longest = l;
                n++;
            }
            yield return (i, n);
            i += n;
        }
    }

    /// <summary>The examples of partition <paramref name="p"/>: a contiguous run of whole batches of the global
    /// plan.</summary>
    public static (int Start, int End) PartitionRange(
        IReadOnlyList<EncodedExample> examples,
        Partition p,
        int tokenBudget
    )
    {
        var batches = Plan(examples, 0, examples.Count, tokenBudget).ToList();
        if (p.Count > batches.Count)
            throw InputError.Argument(
                $"--partition {p}: only {batches.Count} batches to share; use at most {batches.Count} partitions"
            );
        var (b0, b1) = p.Range(batches.Count);
        return (batches[b0].Start, b1 < batches.Count ? batches[b1].Start : examples.Count);
    }

    /// <summary>
    /// Resumable chunks of about <paramref name="chunkSize"/> examples of [<paramref name="start"/>,
    /// <paramref name="end"/>) (a partition's range), cut at the global plan's batch boundaries.
    /// </summary>
    public static List<(int Start, int End)> Chunks(
        IReadOnlyList<EncodedExample> examples,
        int start,
        int end,
        int tokenBudget,
        int chunkSize
    )
    {
        var chunks = new List<(int, int)>();
        int from = start;
        foreach (var (s, n) in Plan(examples, start, end, tokenBudget))
        {
            if (s + n - from >= chunkSize)
            {
                chunks.Add((from, s + n));
                from = s + n;
            }
        }
        if (from < end)
            chunks.Add((from, end));
        return chunks;
    }
}
