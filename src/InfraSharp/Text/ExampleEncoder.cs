using System.Text.Json.Nodes;

namespace InfraSharp.Text;

/// <summary>
/// Turns dataset rows into <see cref="EncodedExample"/>s; nobody else tokenizes. Row shapes, in order of
/// precedence: <c>input_ids</c> (+ <c>labels</c>) taken as already encoded; <c>messages</c> rendered with the
/// chat template (loss on assistant content and its closing end token); <c>prompt</c> + <c>completion</c>
/// (loss on the completion, end token appended); <c>text</c> (loss on every token). All other fields are kept
/// as attributes for grouping.
/// </summary>
public sealed class ExampleEncoder(Tokenizer tokenizer, EncodeOptions? options = null)
{
    /// <summary>The length, vocabulary and labelling rules applied while encoding.</summary>
    public EncodeOptions Options { get; } = options ?? new EncodeOptions();

    /// <summary>Row fields that are content (ids, messages, prompt, completion, text) rather than attributes.</summary>
    public static readonly HashSet<string> ContentFields =
    [
        "input_ids",
        "labels",
        "messages",
        "prompt",
        "completion",
        "text",
        "add_generation_prompt",
    ];

    /// <summary>Rows skipped under <see cref="EncodeOptions.SkipBadRows"/>, with their reasons.</summary>
    public List<DataRowException> Skipped { get; } = [];

    /// <summary>
    /// Every row of the JSONL or Parquet file at <paramref name="path"/>, encoded (see <see cref="EncodeAll"/>).
    /// </summary>
    public List<EncodedExample> EncodeFile(string path) =>
        EncodeAll(DatasetReader.Read(path, lenient: Options.SkipBadRows));

    /// <summary>
    /// Every row encoded; a repeated id is refused (naming both lines) unless
    /// <see cref="EncodeOptions.AllowRepeatedIds"/>.
    /// </summary>
    public List<EncodedExample> EncodeAll(IEnumerable<DataRow> rows)
    {
        var list = new List<EncodedExample>();
        var ids = Options.AllowRepeatedIds ? null : new UniqueIds();
        using var e = rows.GetEnumerator();
        while (true)
        {
            try
            {
                if (!e.MoveNext())
                    break;
                var example = Encode(e.Current);
                ids?.Add(example.Id, example.SourceFile, example.Line);
                list.Add(example);
            }
            catch (DataRowException ex) when (Options.SkipBadRows)
            {
                Skipped.Add(ex);
            }
        }
        return list;
    }

    /// <summary>
    /// Encodes one row; a row of no known shape, too long, or with ids outside the vocabulary is refused naming its
    /// line.
    /// </summary>
    public EncodedExample Encode(DataRow row)
    {
        if (row.ParseError is not null)
            throw Fail(row, row.ParseError);
        var f = row.Fields;
        var attrs = new JsonObject();
        foreach (var (k, v) in f)
            if (!ContentFields.Contains(k))
                attrs[k] = v?.DeepClone();
        string id = f["id"] is JsonValue idv ? idv.ToString() : $"{Path.GetFileName(row.File)}:{row.Line}";

        int[] ids,
            labels;
        string? text = null;
        (int, int)[]? offsets = null;
        if (f.ContainsKey("input_ids"))
        {
            ids = IntArray(row, "input_ids");
            labels = f.ContainsKey("labels") ? IntArray(row, "labels") : (int[])ids.Clone();
            if (labels.Length != ids.Length)
                throw Fail(row, $"field 'labels' has {labels.Length} entries, 'input_ids' has {ids.Length}");
            int vocab = tokenizer.Bpe.VocabSize;
            int bad = Array.FindIndex(ids, x => x < 0 || x >= vocab);
            if (bad >= 0)
                throw Fail(
                    row,
                    $"field 'input_ids' holds id {ids[bad]} at position {bad}, outside the vocabulary (size {vocab})"
                );
        }
        else if (f.ContainsKey("messages"))
        {
            var messages = Messages(row);
            bool genPrompt = f["add_generation_prompt"]?.GetValue<bool>() ?? false;
            RenderedChat chat;
            try
            {
                chat = tokenizer.RequireTemplate().Render(messages, genPrompt);
            }
            catch (NotSupportedException ex)
            {
                throw Fail(row, ex.Message);
            }
            var enc = tokenizer.Bpe.EncodeWithOffsets(chat.Text);
            ids = enc.Ids;
            text = chat.Text;
            offsets = enc.Offsets;
            labels = new int[ids.Length];
            for (int i = 0; i < ids.Length; i++)
            {
                int s = enc.Offsets[i].Start;
                bool inside = Options.LabelAllTokens || chat.AssistantSpans.Any(sp => s >= sp.Start && s < sp.End);
                labels[i] = inside ? ids[i] : EncodedExample.IgnoreIndex;
            }
        }
        else if (f.ContainsKey("prompt") || f.ContainsKey("completion"))
        {
            string prompt = Str(row, "prompt"),
                completion = Str(row, "completion");
            text = prompt + completion;
            var enc = tokenizer.Bpe.EncodeWithOffsets(text, Options.AddSpecialTokens);
            var idl = enc.Ids.ToList();
            var lab = new List<int>();
            var offl = enc.Offsets.ToList();
            for (int i = 0; i < enc.Ids.Length; i++)
                lab.Add(
                    Options.LabelAllTokens || enc.Offsets[i].Start >= prompt.Length
                        ? enc.Ids[i]
                        : EncodedExample.IgnoreIndex
                );
            if (tokenizer.EosId is int eos && (idl.Count == 0 || idl[^1] != eos))
            {
                idl.Add(eos);
                lab.Add(eos);
                offl.Add((text.Length, text.Length));
            }
            ids = idl.ToArray();
            labels = lab.ToArray();
            offsets = offl.ToArray();
        }
        else if (f.ContainsKey("text"))
        {
            text = Str(row, "text");
            var enc = tokenizer.Bpe.EncodeWithOffsets(text, Options.AddSpecialTokens);
            ids = enc.Ids;
            labels = (int[])ids.Clone();
            offsets = enc.Offsets;
        }
        else
            throw Fail(row, "no content field: a row needs 'messages', 'prompt'+'completion', 'text' or 'input_ids'");

        if (ids.Length == 0)
            throw Fail(row, "the row encodes to zero tokens");
        if (Options.MaxLength is int max && ids.Length > max)
            throw Fail(row, $"sequence of {ids.Length} tokens exceeds the context length {max}");
        if (Options.VocabSize is int vocabSize)
        {
            // Checked here, naming the row: an id outside the embedding or the logits aborts inside libtorch.
            int bad = Array.FindIndex(ids, i => i < 0 || i >= vocabSize);
            if (bad >= 0)
                throw Fail(
                    row,
                    $"field input_ids: token id {ids[bad]} at position {bad} is outside the vocabulary of {vocabSize}"
                );
            bad = Array.FindIndex(labels, l => l != EncodedExample.IgnoreIndex && (l < 0 || l >= vocabSize));
            if (bad >= 0)
                throw Fail(
                    row,
                    $"field labels: label {labels[bad]} at position {bad} is outside the vocabulary of {vocabSize} "
                        + $"(and not -100)"
                );
        }
        return new EncodedExample(id, ids, labels, attrs, row.File, row.Line, text, offsets);
    }

    private static DataRowException Fail(DataRow row, string message) => new(row.File, row.Line, message);

    private static string Str(DataRow row, string field) =>
        row.Fields[field] switch
        {
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            null => throw Fail(row, $"missing field '{field}'"),
            _ => throw Fail(row, $"field '{field}' must be a string"),
        };

    private static int[] IntArray(DataRow row, string field)
    {
        if (row.Fields[field] is not JsonArray a)
            throw Fail(row, $"field '{field}' must be an array of integers");
        var r = new int[a.Count];
        for (int i = 0; i < a.Count; i++)
        {
            if (a[i] is not JsonValue v || !v.TryGetValue<int>(out r[i]))
            {
                if (a[i] is JsonValue d && d.TryGetValue<double>(out var x) && x == Math.Floor(x))
                {
                    r[i] = (int)x;
                    continue;
                }
                throw Fail(row, $"field '{field}' entry {i} is not an integer");
            }
        }
        return r;
    }

    private static List<ChatMessage> Messages(DataRow row)
    {
        if (row.Fields["messages"] is not JsonArray a || a.Count == 0)
            throw Fail(row, "field 'messages' must be a non-empty array of {role, content}");
        var list = new List<ChatMessage>();
        for (int i = 0; i < a.Count; i++)
        {
            if (a[i] is not JsonObject m)
                throw Fail(row, $"field 'messages[{i}]' must be an object");
            string role =
                m["role"] is JsonValue r && r.TryGetValue<string>(out var rs)
                    ? rs
                    : throw Fail(row, $"field 'messages[{i}].role' is missing or not a string");
            string content =
                m["content"] is JsonValue c && c.TryGetValue<string>(out var cs)
                    ? cs
                    : throw Fail(row, $"field 'messages[{i}].content' is missing or not a string");
            list.Add(new ChatMessage(role, content));
        }
        return list;
    }
}
