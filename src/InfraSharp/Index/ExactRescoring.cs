using InfraSharp.Influence;
using InfraSharp.Storage;
using InfraSharp.Text;

namespace InfraSharp.Index;

/// <summary>
/// The second stage of a two-stage query: each query's top and bottom candidates from the store are read again
/// from their source rows and scored with the full gradients and the factors, exactly as <see cref="ScoreRun"/>
/// scores them, then ranked by those scores (ties by index row). A candidate list of k' rows per side keeps the true
/// top k wherever the store ranks each of them within its first k'.
/// </summary>
internal static class ExactRescoring
{
    public static (IReadOnlyList<IndexHit>[] Top, IReadOnlyList<IndexHit>[] Bottom) Rescore(
        GradientIndex index,
        IndexResult candidates,
        IndexQueryRunArguments args,
        RunOptions options
    )
    {
        var rows = candidates
            .Top.Concat(candidates.Bottom)
            .SelectMany(hits => hits.Take(args.RescoreCandidates))
            .Select(h => h.Row)
            .Distinct()
            .Order()
            .ToList();
        var (sources, lines) = index.Origins();
        using var session = ScoringSession.Open(
            new ScoreRunArguments
            {
                Model = args.Model!,
                Factors = args.Factors,
                Train = args.Queries,
                Queries = args.Queries,
                Score = new ScoreArguments { Measurement = args.Measurement, Damping = args.Damping },
            },
            options
        );
        var train = Read(rows, sources, lines, index.Ids(), session);
        var queries = session.Encode(DatasetReader.Read(args.Queries).Select(r => r.Fields));
        var exact = session.Score(queries, train, options);
        // A NaN is neither high nor low: it would land anywhere in the ranking with exit 0. Refuse it, naming it.
        for (int q = 0; q < queries.Count; q++)
        for (int j = 0; j < train.Count; j++)
            if (!double.IsFinite(exact[q, j]))
                throw InputError.Data(
                    $"--rescore exact: query '{queries[q].Id}' scores row '{train[j].Id}' as {exact[q, j]}; the model "
                        + "or the row gives non-finite values"
                );
        var column = rows.Select((r, j) => (r, j)).ToDictionary(x => x.r, x => x.j);
        var ids = index.Ids();
        IReadOnlyList<IndexHit> Ranked(int q, IEnumerable<IndexHit> hits, bool largest)
        {
            var scored = hits.Select(h => new IndexHit(h.Row, ids[(int)h.Row], exact[q, column[h.Row]])).ToList();
            var order = largest ? scored.OrderByDescending(h => h.Score) : scored.OrderBy(h => h.Score);
            return order.ThenBy(h => h.Row).Take(args.TopK).ToList();
        }
        var pool = Enumerable
            .Range(0, queries.Count)
            .Select(q =>
                candidates
                    .Top[q]
                    .Take(args.RescoreCandidates)
                    .Concat(candidates.Bottom[q].Take(args.RescoreCandidates))
                    .DistinctBy(h => h.Row)
            )
            .ToList();
        return (
            Enumerable.Range(0, queries.Count).Select(q => Ranked(q, pool[q], largest: true)).ToArray(),
            Enumerable.Range(0, queries.Count).Select(q => Ranked(q, pool[q], largest: false)).ToArray()
        );
    }

    /// <summary>
    /// The candidates' rows, read from their source files and encoded by the session; a row that is gone, or whose
    /// id changed, is bad data naming the file and line (the store no longer describes it).
    /// </summary>
    private static List<EncodedExample> Read(
        List<long> rows,
        string[] sources,
        long[] lines,
        IReadOnlyList<string> ids,
        ScoringSession session
    )
    {
        var wanted = rows.GroupBy(r => sources[r]).ToDictionary(g => g.Key, g => g.ToDictionary(r => lines[r]));
        var found = new Dictionary<long, EncodedExample>();
        foreach (var (source, byLine) in wanted)
        {
            if (!File.Exists(source))
                throw InputError.MissingFile(
                    $"--rescore exact: {source}, which the index's rows come from, is gone",
                    source
                );
            foreach (var row in DatasetReader.Read(source))
                if (byLine.TryGetValue(row.Line, out long r))
                {
                    var e = session.Encode(row.Fields);
                    if (e.Id != ids[(int)r])
                        throw InputError.Data(
                            $"{row.Where}: holds '{e.Id}', the index's row {r} is '{ids[(int)r]}'; the file changed "
                                + "since the index was built"
                        );
                    found[r] = e;
                }
        }
        var missing = rows.FirstOrDefault(r => !found.ContainsKey(r), -1);
        if (missing >= 0)
            throw InputError.Data(
                $"{sources[missing]}: line {lines[missing]} (the index's row '{ids[(int)missing]}') is gone"
            );
        return rows.Select(r => found[r]).ToList();
    }
}
