using System.Text.Json.Nodes;

namespace InfraSharp.Attribution;

/// <summary>
/// Influence grouped by data attributes (example level), by reasoning step (sequence level) and by token.
/// Scores are normalised per query first: each query's row is divided by its mean absolute score over the
/// training set, so that a query with large gradients cannot dominate a group; raw means are kept beside.
/// Per-token scores are per input position (kronfluence's convention: position t contributes
/// ⟨P(G_q), g_t a_tᵀ⟩); position t is credited to the token at t. Prompt positions carry influence too
/// (through attention), and form their own "prompt" step; token tables cover response tokens.
/// </summary>
internal sealed class AttributionAnalyzer(ScoreSet scores, Lexicon lexicon)
{
    public const string NormalizationNote = "score / mean |score| of the query over all training examples";

    public int TopK { get; init; } = 5;

    /// <summary>The score folder's reading: with it, top examples carry × self and Δ beside the raw score.</summary>
    public Influence.ScoreReading? Reading { get; init; }
    public int MinTokenCount { get; init; } = 5;
    public int Seed { get; init; }

    private double[]? _scale;

    /// <summary>Per-query scale: mean absolute score (1 when a query's scores are all zero).</summary>
    public double[] QueryScale =>
        _scale ??= Enumerable
            .Range(0, scores.Q)
            .Select(q =>
            {
                double s = 0;
                for (int e = 0; e < scores.N; e++)
                    s += Math.Abs(scores.Pairwise[q, e]);
                s /= Math.Max(1, scores.N);
                return s > 0 ? s : 1.0;
            })
            .ToArray();

    public double Normalized(int q, int e) => scores.Pairwise[q, e] / QueryScale[q];

    public static Dictionary<string, List<int>> Groups(string[] keys) =>
        keys.Select((k, i) => (k, i))
            .GroupBy(x => x.k)
            .OrderBy(g => g.Key, Comparer<string>.Create(GroupKeys.Compare))
            .ToDictionary(g => g.Key, g => g.Select(x => x.i).ToList());

    public List<ExampleLevelRow> ExampleLevel(string[] queryKeys, string[] trainKeys)
    {
        var rows = new List<ExampleLevelRow>();
        foreach (var (qg, qs) in Groups(queryKeys))
        foreach (var (tg, es) in Groups(trainKeys))
        {
            // One value per training example: its mean normalised influence on the group's queries.
            var values = es.Select(e => qs.Average(q => Normalized(q, e))).ToList();
            double raw = es.Average(e => qs.Average(q => scores.Pairwise[q, e]));
            rows.Add(new ExampleLevelRow(qg, tg, Statistics.Summarize(values, Seed), raw, NormalizationNote));
        }
        return rows;
    }

    public List<TopExampleRow> TopExamples(string[] queryKeys, string[] trainKeys, IReadOnlyList<string> snippets)
    {
        var rows = new List<TopExampleRow>();
        for (int q = 0; q < scores.Q; q++)
        {
            var order = Enumerable
                .Range(0, scores.N)
                .OrderByDescending(e => scores.Pairwise[q, e])
                .ThenBy(e => e)
                .ToList();
            for (int r = 0; r < Math.Min(TopK, order.Count); r++)
            {
                int e = order[r];
                rows.Add(
                    new TopExampleRow(
                        scores.Queries[q].Id,
                        queryKeys[q],
                        "proponent",
                        r + 1,
                        scores.Train[e].Id,
                        trainKeys[e],
                        scores.Pairwise[q, e],
                        Normalized(q, e),
                        snippets[e],
                        Reading?.RelativeToSelf(q, scores.Pairwise[q, e]) ?? double.NaN,
                        Reading?.Change(scores.Pairwise[q, e]) ?? double.NaN
                    )
                );
            }
            for (int r = 0; r < Math.Min(TopK, order.Count); r++)
            {
                int e = order[^(r + 1)];
                rows.Add(
                    new TopExampleRow(
                        scores.Queries[q].Id,
                        queryKeys[q],
                        "opponent",
                        r + 1,
                        scores.Train[e].Id,
                        trainKeys[e],
                        scores.Pairwise[q, e],
                        Normalized(q, e),
                        snippets[e],
                        Reading?.RelativeToSelf(q, scores.Pairwise[q, e]) ?? double.NaN,
                        Reading?.Change(scores.Pairwise[q, e]) ?? double.NaN
                    )
                );
            }
        }
        return rows;
    }

    /// <summary>Position t's per-token score for a query group, normalised (mean over the group's queries).</summary>
    private double TokenValue(List<int> qs, int e, int token) =>
        token >= scores.PerToken!.GetLength(2) ? 0 : qs.Average(q => scores.PerToken![q, e, token] / QueryScale[q]);

    /// <summary>Influence of each step: the sum of its tokens' per-token scores (normalised, mean over the group's
    /// queries).</summary>
    public List<(string QueryGroup, int Example, string Tag, double Value, string Text)> StepValues(
        string[] queryKeys,
        IReadOnlyList<TrainingText> texts
    )
    {
        if (scores.PerToken is null)
            throw InputError.Invalid(
                "sequence-level analysis needs per-token scores (infra scores pairwise --per-token)"
            );
        var list = new List<(string, int, string, double, string)>();
        foreach (var (qg, qs) in Groups(queryKeys))
            for (int e = 0; e < texts.Count; e++)
                foreach (var (step, tokens) in texts[e].Steps)
                    list.Add(
                        (
                            qg,
                            e,
                            step.Text == TrainingText.PromptTag && step.End == 0
                                ? "prompt"
                                : lexicon.TagStep(step.Text, step.IsCode),
                            tokens.Sum(t => TokenValue(qs, e, t)),
                            step.Text
                        )
                    );
        return list;
    }

    public List<SequenceRow> SequenceLevel(string[] queryKeys, IReadOnlyList<TrainingText> texts) =>
        StepValues(queryKeys, texts)
            .GroupBy(s => (s.QueryGroup, s.Tag))
            .OrderBy(g => g.Key.QueryGroup, StringComparer.Ordinal)
            .ThenBy(g => g.Key.Tag, StringComparer.Ordinal)
            .Select(g => new SequenceRow(
                g.Key.QueryGroup,
                g.Key.Tag,
                Statistics.Summarize(g.Select(x => x.Value).ToList(), Seed)
            ))
            .ToList();

    /// <summary>Token-level tables: per token string (min count) and per lexicon category.</summary>
    public (List<TokenRow> Tokens, List<TokenCategoryRow> Categories) TokenLevel(
        string[] queryKeys,
        IReadOnlyList<TrainingText> texts
    )
    {
        if (scores.PerToken is null)
            throw InputError.Invalid("token-level analysis needs per-token scores (infra scores pairwise --per-token)");
        var tokens = new List<TokenRow>();
        var cats = new List<TokenCategoryRow>();
        foreach (var (qg, qs) in Groups(queryKeys))
        {
            var occ = new List<(string Key, double Value)>();
            for (int e = 0; e < texts.Count; e++)
            {
                var ex = texts[e].Example;
                for (int j = 0; j < ex.Length; j++)
                    if (ex.Labels[j] != InfraSharp.Text.EncodedExample.IgnoreIndex)
                        occ.Add((Lexicon.TokenKey(texts[e].TokenStrings[j]), TokenValue(qs, e, j)));
            }
            if (occ.Count == 0)
                continue;
            var sorted = occ.Select(o => o.Value).OrderBy(v => v).ToArray();
            double top1 = Statistics.Percentile(sorted, 0.99);
            foreach (var g in occ.GroupBy(o => o.Key).Where(g => g.Count() >= MinTokenCount))
                tokens.Add(
                    new TokenRow(
                        qg,
                        g.Key,
                        lexicon.CategorizeToken(g.Key),
                        g.Count(),
                        g.Average(x => x.Value),
                        g.Count(x => x.Value >= top1) / (double)g.Count()
                    )
                );
            foreach (
                var g in occ.GroupBy(o => lexicon.CategorizeToken(o.Key)).OrderBy(g => g.Key, StringComparer.Ordinal)
            )
                cats.Add(new TokenCategoryRow(qg, g.Key, Statistics.Summarize(g.Select(x => x.Value).ToList(), Seed)));
        }
        return (tokens.OrderBy(t => t.QueryGroup, StringComparer.Ordinal).ThenByDescending(t => t.Mean).ToList(), cats);
    }

    /// <summary>Token heatmaps of the most influential training examples for query <paramref name="q"/>.</summary>
    public List<TokenHeat> Heatmaps(int q, IReadOnlyList<TrainingText> texts, int count = 3)
    {
        if (scores.PerToken is null)
            return [];
        var order = Enumerable.Range(0, scores.N).OrderByDescending(e => Math.Abs(scores.Pairwise[q, e])).Take(count);
        return order
            .Select(e =>
            {
                var ex = texts[e].Example;
                var toks = Enumerable
                    .Range(0, ex.Length)
                    .Select(j =>
                        (
                            texts[e].TokenStrings[j],
                            j < scores.PerToken.GetLength(2) ? scores.PerToken[q, e, j] / QueryScale[q] : 0.0
                        )
                    )
                    .ToList();
                return new TokenHeat(scores.Train[e].Id, scores.Pairwise[q, e], toks);
            })
            .ToList();
    }

    /// <summary>
    /// The counterfactual of the sequence level: each example's normalised influence with and without its
    /// exploratory steps (scores of the edited examples from <paramref name="rescored"/> [Q, M], in the
    /// order of <paramref name="edited"/>).
    /// </summary>
    public List<CounterfactualRow> Counterfactual(string[] queryKeys, IReadOnlyList<int> edited, double[,] rescored)
    {
        var rows = new List<CounterfactualRow>();
        foreach (var (qg, qs) in Groups(queryKeys))
        {
            var with = edited.Select(e => qs.Average(q => Normalized(q, e))).ToList();
            var without = edited.Select((_, m) => qs.Average(q => rescored[q, m] / QueryScale[q])).ToList();
            var change = with.Select((w, i) => without[i] - w).ToList();
            rows.Add(
                new CounterfactualRow(
                    qg,
                    Statistics.Mean(with),
                    Statistics.Mean(without),
                    Statistics.Summarize(change, Seed)
                )
            );
        }
        return rows;
    }

    public static string Snippet(JsonObject? row, int max = 160)
    {
        string text = row?["messages"] is JsonArray m
            ? m.LastOrDefault(x => x?["role"]?.ToString() == "assistant")?["content"]?.ToString() ?? ""
            : row?["completion"]?.ToString() ?? row?["text"]?.ToString() ?? "";
        text = text.Replace('\n', ' ');
        return text.Length > max ? text[..max] + "…" : text;
    }
}
