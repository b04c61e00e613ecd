using System.Text.Json.Nodes;
using InfraSharp.Influence;

namespace InfraSharp.Explorer;

/// <summary>
/// The read-only views, computed on the server from the loaded scores: a page of the query list, a query's
/// proponents and opponents, a training row's per-token scores for a query, a training row's queries helped and
/// hurt. Each takes checked parameters and returns JSON; nothing sends the whole matrix to the page.
/// </summary>
internal sealed class ExplorerQueries(ExplorerData data)
{
    public const int MaxPageSize = 200,
        MaxK = 200;
    private const int PromptStart = 160;

    public JsonObject Info(bool scoring) =>
        new()
        {
            ["queries"] = data.Queries.Count,
            ["train"] = data.Train.Count,
            ["per_token"] = data.Scores.PerToken is not null,
            ["scoring"] = scoring,
            ["train_attributes"] = Values(data.Train),
            ["query_attributes"] = Values(data.Queries),
            // How to read the numbers, from the score folder's manifest: every view shows these lines.
            ["measurement"] = data.Reading.MeasurementName,
            ["sign"] = data.Reading.Sign,
            ["readings"] = data.Reading.Readings,
            ["has_self"] = data.Reading.HasSelf,
            ["has_change"] = data.Reading.HasChange,
        };

    /// <summary>
    /// Sets a score and its readings on <paramref name="o"/>: raw, × self (with <paramref name="self"/>, the query's
    /// self-influence) and Δ, the predicted change of the answer's mean log-likelihood (null where they don't apply).
    /// </summary>
    public JsonObject Scored(JsonObject o, double score, double? self)
    {
        o["score"] = score;
        o["relative"] = ScoreReading.Relative(score, self);
        o["change"] = data.Reading.Change(score);
        return o;
    }

    /// <summary>Each short attribute's distinct values (the filters the page offers).</summary>
    private static JsonObject Values(IEnumerable<ExampleView> rows)
    {
        var o = new JsonObject();
        foreach (
            var g in rows.SelectMany(r =>
                    r.Attributes.Select(kv => (kv.Key, Value: ExplorerData.Attribute(r.Attributes, kv.Key)))
                )
                .Where(x => x.Value is { Length: <= 40 })
                .GroupBy(x => x.Key)
        )
        {
            var values = g.Select(x => x.Value!).Distinct().Order(StringComparer.Ordinal).ToList();
            if (values.Count <= 20)
                o[g.Key] = new JsonArray(values.Select(v => (JsonNode)v).ToArray());
        }
        return o;
    }

    public JsonObject QueryPage(
        string? search,
        IReadOnlyList<(string Key, string Value)> filters,
        string sort,
        int page,
        int size
    )
    {
        IEnumerable<ExampleView> rows = data.Queries.Where(q => Matches(q, filters));
        if (!string.IsNullOrWhiteSpace(search))
            rows = rows.Where(q =>
                q.Id.Contains(search, StringComparison.OrdinalIgnoreCase)
                || q.Prompt.Contains(search, StringComparison.OrdinalIgnoreCase)
            );
        rows = sort switch
        {
            "total" => rows.OrderByDescending(q => data.QueryTotals[q.Index]),
            "correct" => rows.OrderByDescending(ExplorerData.Correct).ThenBy(q => q.Index),
            _ => rows.OrderBy(q => q.Index),
        };
        var list = rows.ToList();
        return new JsonObject
        {
            ["total"] = list.Count,
            ["page"] = page,
            ["size"] = size,
            ["items"] = new JsonArray(
                list.Skip(page * size)
                    .Take(size)
                    .Select(q =>
                        (JsonNode)
                            new JsonObject
                            {
                                ["index"] = q.Index,
                                ["id"] = q.Id,
                                ["prompt"] = Start(q.Prompt),
                                ["attributes"] = q.Attributes.DeepClone(),
                                ["total"] = data.QueryTotals[q.Index],
                                ["total_relative"] = data.Reading.RelativeToSelf(q.Index, data.QueryTotals[q.Index]),
                                ["total_change"] = data.Reading.Change(data.QueryTotals[q.Index]),
                                ["correct"] = ExplorerData.Correct(q),
                            }
                    )
                    .ToArray()
            ),
        };
    }

    /// <summary>
    /// A query's top-k proponents (highest scores first) and opponents (lowest first) among the filtered rows.
    /// </summary>
    public JsonObject Influence(int q, int k, IReadOnlyList<(string Key, string Value)> filters)
    {
        var candidates = data.Train.Where(t => Matches(t, filters)).ToList();
        var byScore = candidates.OrderByDescending(t => data.Scores.Pairwise[q, t.Index]).ThenBy(t => t.Index).ToList();
        var worst = candidates.OrderBy(t => data.Scores.Pairwise[q, t.Index]).ThenBy(t => t.Index);
        return new JsonObject
        {
            ["query"] = Full(data.Queries[q], data.QueryTotals[q]),
            ["self"] = data.Reading.SelfOf(q),
            ["candidates"] = candidates.Count,
            ["proponents"] = Rows(byScore.Take(k), t => data.Scores.Pairwise[q, t.Index], data.Reading.SelfOf(q)),
            ["opponents"] = Rows(worst.Take(k), t => data.Scores.Pairwise[q, t.Index], data.Reading.SelfOf(q)),
        };
    }

    /// <summary>
    /// A training row's tokens with their per-token scores for query <paramref name="q"/> (null scores without them).
    /// </summary>
    public JsonObject Tokens(int q, int t)
    {
        var row = data.Train[t];
        var pt = data.Scores.PerToken;
        return new JsonObject
        {
            ["query"] = data.Queries[q].Id,
            ["train"] = Full(row, data.Scores.Pairwise[q, t]),
            ["row"] = Scored(new JsonObject(), data.Scores.Pairwise[q, t], data.Reading.SelfOf(q)),
            ["per_token"] = pt is not null,
            ["tokens"] = new JsonArray(
                row.Tokens.Select(
                        (s, i) =>
                            (JsonNode)
                                new JsonObject
                                {
                                    ["text"] = s,
                                    ["score"] = pt is null || i >= pt.GetLength(2) ? null : (double)pt[q, t, i],
                                }
                    )
                    .ToArray()
            ),
        };
    }

    /// <summary>The queries a training row helps most (highest scores) and hurts most (lowest).</summary>
    public JsonObject TrainRow(int t, int k)
    {
        var qs = Enumerable.Range(0, data.Queries.Count).ToList();
        JsonArray Q(IEnumerable<int> order) =>
            new(
                order
                    .Take(k)
                    .Select(q =>
                        (JsonNode)Scored(
                            new JsonObject
                            {
                                ["index"] = q,
                                ["id"] = data.Queries[q].Id,
                                ["prompt"] = Start(data.Queries[q].Prompt),
                                ["attributes"] = data.Queries[q].Attributes.DeepClone(),
                            },
                            data.Scores.Pairwise[q, t],
                            data.Reading.SelfOf(q)
                        )
                    )
                    .ToArray()
            );
        return new JsonObject
        {
            ["train"] = Full(data.Train[t], null),
            ["helps"] = Q(qs.OrderByDescending(q => data.Scores.Pairwise[q, t]).ThenBy(q => q)),
            ["hurts"] = Q(qs.OrderBy(q => data.Scores.Pairwise[q, t]).ThenBy(q => q)),
        };
    }

    /// <summary>Training rows with their scores for one query (whose self-influence is <paramref name="self"/>).
    /// </summary>
    public JsonArray Rows(IEnumerable<ExampleView> rows, Func<ExampleView, double> score, double? self) =>
        new(
            rows.Select(t =>
                    (JsonNode)Scored(
                        new JsonObject
                        {
                            ["index"] = t.Index,
                            ["id"] = t.Id,
                            ["attributes"] = t.Attributes.DeepClone(),
                            ["prompt"] = Start(t.Prompt),
                            ["answer"] = t.Answer,
                        },
                        score(t),
                        self
                    )
                )
                .ToArray()
        );

    private static JsonObject Full(ExampleView v, double? score) =>
        new()
        {
            ["index"] = v.Index,
            ["id"] = v.Id,
            ["prompt"] = v.Prompt,
            ["answer"] = v.Answer,
            ["attributes"] = v.Attributes.DeepClone(),
            ["score"] = score,
            ["source"] = $"{Path.GetFileName(v.Source)}:{v.Line}",
        };

    private static string Start(string s) => s.Length <= PromptStart ? s : s[..PromptStart] + "…";

    public static bool Matches(ExampleView v, IReadOnlyList<(string Key, string Value)> filters) =>
        filters.All(f => ExplorerData.Attribute(v.Attributes, f.Key) == f.Value);
}
