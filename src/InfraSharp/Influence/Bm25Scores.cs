using InfraSharp.Models;
using InfraSharp.Storage;
using InfraSharp.Text;
using static TorchSharp.torch;

namespace InfraSharp.Influence;

/// <summary>
/// The lexical baseline: Okapi BM25 of each query against each training row, on the model tokenizer's token ids.
/// A document is a training row's whole encoded sequence (prompt, answer and the chat template's tokens, exactly
/// the ids the model sees; template tokens occur in every row, so their idf is ~0); a query is the query row's
/// sequence likewise; the corpus is the training set being scored (so the document frequencies and the mean length
/// are of the whole training set, whatever the partition or chunk).
/// <code>
/// idf(t)      = ln(1 + (N - n_t + 0.5) / (n_t + 0.5))
/// score(q, d) = Σ over the query's token occurrences t of
///               idf(t) · f(t,d)·(k1+1) / (f(t,d) + k1·(1 - b + b·|d|/avgdl))
/// </code>
/// A token that occurs twice in the query counts twice (the query is read as a sequence, not a set).
/// </summary>
internal sealed class Bm25Scores : BaselineScores
{
    /// <summary>Term-frequency saturation.</summary>
    public const double K1 = 1.2;

    /// <summary>Length normalisation.</summary>
    public const double B = 0.75;

    public override StrategyKind Kind => StrategyKind.Bm25;

    public override IChunkScorer Prepare(
        LoadedModel model,
        IReadOnlyList<EncodedExample> queries,
        IReadOnlyList<EncodedExample> train,
        ScoreArguments settings,
        RunOptions options
    )
    {
        var documents = train.Select(e => e.InputIds).ToList();
        return new Scorer(new Corpus(documents), documents, [.. queries.Select(e => e.InputIds)]);
    }

    /// <summary>Scores [queries, documents] (every document is in the corpus).</summary>
    public static double[,] Matrix(IReadOnlyList<int[]> queries, IReadOnlyList<int[]> documents)
    {
        var corpus = new Corpus(documents);
        var m = new double[queries.Count, documents.Count];
        for (int j = 0; j < documents.Count; j++)
        {
            var tf = TermCounts(documents[j]);
            for (int i = 0; i < queries.Count; i++)
                m[i, j] = corpus.Score(queries[i], tf, documents[j].Length);
        }
        return m;
    }

    private static Dictionary<int, int> TermCounts(int[] tokens)
    {
        var tf = new Dictionary<int, int>();
        foreach (int t in tokens)
            tf[t] = tf.GetValueOrDefault(t) + 1;
        return tf;
    }

    /// <summary>The corpus statistics: N, each token's document frequency, the mean document length.</summary>
    private sealed class Corpus
    {
        private readonly Dictionary<int, int> _df = [];
        private readonly double _avgdl;
        private readonly int _n;

        public Corpus(IReadOnlyList<int[]> documents)
        {
            _n = documents.Count;
            long total = 0;
            foreach (var d in documents)
            {
                total += d.Length;
                foreach (int t in d.Distinct())
                    _df[t] = _df.GetValueOrDefault(t) + 1;
            }
            _avgdl = _n == 0 ? 0 : (double)total / _n;
        }

        public double Idf(int token)
        {
            int nt = _df.GetValueOrDefault(token);
            return Math.Log(1 + (_n - nt + 0.5) / (nt + 0.5));
        }

        public double Score(int[] query, Dictionary<int, int> tf, int length)
        {
            // An empty corpus has no mean length: every document is then empty and scores 0.
            double norm = K1 * (1 - B + (_avgdl > 0 ? B * length / _avgdl : 0));
            double s = 0;
            foreach (int t in query)
                if (tf.TryGetValue(t, out int f))
                    s += Idf(t) * f * (K1 + 1) / (f + norm);
            return s;
        }
    }

    private sealed class Scorer(Corpus corpus, IReadOnlyList<int[]> documents, IReadOnlyList<int[]> queries)
        : IChunkScorer
    {
        public Tensor Score(int start, int end)
        {
            int n = end - start;
            var data = new float[queries.Count * n];
            for (int j = 0; j < n; j++)
            {
                var d = documents[start + j];
                var tf = TermCounts(d);
                for (int i = 0; i < queries.Count; i++)
                    data[i * n + j] = (float)corpus.Score(queries[i], tf, d.Length);
            }
            return tensor(data, [queries.Count, n]);
        }

        public void Dispose() { }
    }
}
