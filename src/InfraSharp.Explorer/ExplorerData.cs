using System.Text.Json.Nodes;
using InfraSharp.Attribution;
using InfraSharp.Influence;
using InfraSharp.Storage;
using InfraSharp.Text;

namespace InfraSharp.Explorer;

/// <summary>
/// One query or training row as the explorer shows it: ids, attributes, prompt, answer, and its tokens' text.
/// </summary>
internal sealed record ExampleView(
    int Index,
    string Id,
    JsonObject Attributes,
    string Prompt,
    string Answer,
    string[] Tokens,
    string Source,
    int Line
);

/// <summary>
/// Everything the explorer serves, loaded once: the score matrices (pairwise, per-token when present), both sides'
/// rows with their text split at the tokens the scores are over, and each query's total influence. The rows must be
/// those the scores were computed on (same ids, same order), or the views would attach scores to other text.
/// </summary>
internal sealed class ExplorerData
{
    public required ScoreSet Scores { get; init; }
    public required IReadOnlyList<ExampleView> Queries { get; init; }
    public required IReadOnlyList<ExampleView> Train { get; init; }
    public required double[] QueryTotals { get; init; }
    public required string ModelDir { get; init; }

    /// <summary>The score folder's manifest: the settings a new answer is scored with.</summary>
    public required ScoreFolder ScoreFolder { get; init; }

    /// <summary>How the scores read: the manifest's measurement (the sign line) and the normalised readings.</summary>
    public required ScoreReading Reading { get; init; }

    public static ExplorerData Load(ExplorerOptions o)
    {
        var folder = ScoreFolder.Open(o.Scores);
        string model = o.Model ?? folder.Arguments.Model;
        var scores = ScoreSet.Load(o.Scores);
        var tok = Tokenizer.Load(model);
        var train = Views(o.Train, "--train", tok, scores.Train.Select(x => x.Id).ToList());
        var queries = Views(o.Queries, "--queries", tok, scores.Queries.Select(x => x.Id).ToList());
        var totals = Enumerable
            .Range(0, scores.Q)
            .Select(q =>
            {
                double s = 0;
                for (int j = 0; j < scores.N; j++)
                    s += scores.Pairwise[q, j];
                return s;
            })
            .ToArray();
        return new ExplorerData
        {
            Scores = scores,
            Queries = queries,
            Train = train,
            QueryTotals = totals,
            ModelDir = model,
            ScoreFolder = folder,
            Reading = ScoreReading.Of(folder, scores.N),
        };
    }

    private static List<ExampleView> Views(string path, string option, Tokenizer tok, IReadOnlyList<string> ids)
    {
        if (!File.Exists(path))
            throw InputError.MissingFile($"{option} {path}: no such file", path);
        var encoded = new ExampleEncoder(tok).EncodeFile(path);
        if (!encoded.Select(e => e.Id).SequenceEqual(ids))
            throw InputError.Data(
                $"{option} {path}: its rows are not those the scores were computed on (ids or order differ)"
            );
        var rows = DatasetReader.Read(path).ToList();
        return encoded
            .Select(
                (e, i) =>
                {
                    var f = rows[i].Fields;
                    string[] tokens =
                        e.Text is not null && e.Offsets is not null
                            ? e.Offsets.Select(x => e.Text[x.Start..x.End]).ToArray()
                            : e.InputIds.Select(id => tok.Decode([id])).ToArray();
                    return new ExampleView(
                        i,
                        e.Id,
                        e.Attributes,
                        Message(f, "user", "prompt"),
                        Message(f, "assistant", "completion"),
                        tokens,
                        e.SourceFile,
                        e.Line
                    );
                }
            )
            .ToList();
    }

    /// <summary>
    /// The first message of <paramref name="role"/> (chat rows), or the plain field (prompt/completion rows).
    /// </summary>
    private static string Message(JsonObject row, string role, string field)
    {
        if (row["messages"] is JsonArray messages)
        {
            var m =
                role == "user"
                    ? messages.FirstOrDefault(x => x?["role"]?.ToString() == role)
                    : messages.LastOrDefault(x => x?["role"]?.ToString() == role);
            return m?["content"]?.ToString() ?? "";
        }
        return row[field]?.ToString() ?? row[role == "user" ? "question" : "answer"]?.ToString() ?? "";
    }

    /// <summary>An attribute as text (strings bare, other JSON as written), for filters and display.</summary>
    public static string? Attribute(JsonObject attributes, string key) =>
        attributes[key] switch
        {
            null => null,
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            var n => n.ToJsonString(),
        };

    /// <summary>
    /// Whether a query is marked answered correctly (rows without the mark count as correct: they were kept so).
    /// </summary>
    public static bool Correct(ExampleView v) =>
        v.Attributes["correct"] is not JsonValue c || !c.TryGetValue<bool>(out var b) || b;
}
