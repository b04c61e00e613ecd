using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace InfraSharp.Text;

/// <summary>
/// Byte-level BPE as Hugging Face <c>tokenizers</c> runs it for the Qwen2 / Qwen2.5 / Qwen3 / Llama-3
/// family: added tokens split out first, NFC, the Split regex pre-tokenizer, the byte-to-character map,
/// then merges by rank. Only what this pipeline can honour exactly is accepted; anything else in
/// tokenizer.json (another model type, another normalizer) is refused with the file and field named.
/// </summary>
internal sealed class BpeTokenizer
{
    private readonly Dictionary<string, int> _vocab;
    private readonly string[] _idToToken;
    private readonly Dictionary<(int, int), (int Rank, int Merged)> _merges;
    private readonly Regex? _split;
    private readonly bool _nfc;
    private readonly bool _ignoreMerges;
    private readonly AddedToken[] _added;
    private readonly Dictionary<int, AddedToken> _addedById;
    private readonly Regex? _addedPattern;
    private readonly int[] _prefixIds,
        _suffixIds;
    private readonly Dictionary<string, int[]> _cache = new(StringComparer.Ordinal);

    public string SourcePath { get; }
    public int VocabSize => _idToToken.Length;

    public sealed record AddedToken(int Id, string Content, bool Special);

    private BpeTokenizer(
        string path,
        Dictionary<string, int> vocab,
        Dictionary<(int, int), (int, int)> merges,
        Regex? split,
        bool nfc,
        bool ignoreMerges,
        AddedToken[] added,
        int[] prefix,
        int[] suffix
    )
    {
        SourcePath = path;
        _vocab = vocab;
        _merges = merges;
        _split = split;
        _nfc = nfc;
        _ignoreMerges = ignoreMerges;
        _added = added;
        _prefixIds = prefix;
        _suffixIds = suffix;
        int size = Math.Max(
            vocab.Count == 0 ? 0 : vocab.Values.Max() + 1,
            added.Length == 0 ? 0 : added.Max(a => a.Id) + 1
        );
        _idToToken = new string[size];
        foreach (var (tok, id) in vocab)
            _idToToken[id] = tok;
        _addedById = new Dictionary<int, AddedToken>();
        foreach (var a in added)
        {
            _idToToken[a.Id] = a.Content;
            _addedById[a.Id] = a;
        }
        if (added.Length > 0)
        {
            // Longest first, so that a token that is a prefix of another never wins (leftmost-longest).
            var alts = added.Select(a => a.Content).Distinct().OrderByDescending(c => c.Length).Select(Regex.Escape);
            _addedPattern = new Regex(string.Join("|", alts), RegexOptions.CultureInvariant);
        }
    }

    public static BpeTokenizer Load(string path)
    {
        if (Directory.Exists(path))
            path = Path.Combine(path, "tokenizer.json");
        if (!File.Exists(path))
            throw InputError.MissingFile($"tokenizer.json not found: {path}", path);
        var root = Storage.JsonFile.ReadObject(path);
        var model = root["model"]?.AsObject() ?? throw InputError.Data($"{path}: missing field 'model'");
        string type = model["type"]?.GetValue<string>() ?? "BPE";
        if (type != "BPE")
            throw InputError.Unsupported(
                $"{path}: tokenizer model '{type}' is not supported; InfraSharp implements byte-level BPE only"
            );
        if (model["byte_fallback"]?.GetValue<bool>() == true)
            throw InputError.Unsupported(
                $"{path}: BPE with byte_fallback (SentencePiece-style) is not supported; only byte-level BPE"
            );

        bool nfc = root["normalizer"] switch
        {
            null => false,
            JsonObject n when n["type"]?.GetValue<string>() == "NFC" => true,
            JsonObject n => throw InputError.Unsupported(
                $"{path}: normalizer '{n["type"]}' is not supported (NFC or none)"
            ),
            _ => false,
        };

        Regex? split = null;
        bool byteLevel = false;
        foreach (var pre in Flatten(root["pre_tokenizer"] as JsonObject, "pretokenizers"))
        {
            string pt = pre["type"]!.GetValue<string>();
            if (pt == "Split")
            {
                string pattern = pre["pattern"]?["Regex"]?.GetValue<string>()
                    ?? throw InputError.Unsupported(
                        $"{path}: Split pre-tokenizer without a Regex pattern is not supported"
                    );
                string behavior = pre["behavior"]?.GetValue<string>() ?? "Isolated";
                if (behavior != "Isolated" || pre["invert"]?.GetValue<bool>() == true)
                    throw InputError.Unsupported($"{path}: Split behavior '{behavior}' is not supported (Isolated)");
                split = new Regex(pattern, RegexOptions.CultureInvariant);
            }
            else if (pt == "ByteLevel")
            {
                byteLevel = true;
                if (pre["add_prefix_space"]?.GetValue<bool>() == true)
                    throw InputError.Unsupported($"{path}: ByteLevel add_prefix_space=true is not supported");
                if (pre["use_regex"]?.GetValue<bool>() ?? true)
                    split ??= new Regex(
                        @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+",
                        RegexOptions.CultureInvariant
                    );
            }
            else
                throw InputError.Unsupported($"{path}: pre-tokenizer '{pt}' is not supported");
        }
        if (!byteLevel)
            throw InputError.Unsupported($"{path}: not a byte-level BPE tokenizer (no ByteLevel pre-tokenizer)");

        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (k, v) in model["vocab"]!.AsObject())
            vocab[k] = v!.GetValue<int>();
        var merges = new Dictionary<(int, int), (int, int)>();
        var mergeList =
            model["merges"] as JsonArray
            ?? throw InputError.Data($"{path}: field 'model.merges' is missing or not an array");
        for (int rank = 0; rank < mergeList.Count; rank++)
        {
            var (a, b) = Merge(path, mergeList[rank], rank);
            // As Hugging Face's tokenizers does: every merge names two vocabulary tokens whose concatenation is one
            // too. Skipping such a merge would encode differently from the tokenizer the file was written for.
            int Id(string token, string what) =>
                vocab.TryGetValue(token, out int id)
                    ? id
                    : throw InputError.Data(
                        $"{path}: merge {rank} ('{a} {b}'): its {what} '{token}' is not in the vocabulary"
                    );
            int ia = Id(a, "first token"),
                ib = Id(b, "second token"),
                im = Id(a + b, "result");
            merges.TryAdd((ia, ib), (rank, im));
        }

        var added = (root["added_tokens"] as JsonArray ?? [])
            .Select(t => new AddedToken(
                t!["id"]!.GetValue<int>(),
                t["content"]!.GetValue<string>(),
                t["special"]?.GetValue<bool>() ?? false
            ))
            .ToArray();

        // What the post-processor adds with add_special_tokens=True (Llama 3: <|begin_of_text|> first).
        var prefix = new List<int>();
        var suffix = new List<int>();
        foreach (var pp in Flatten(root["post_processor"] as JsonObject, "processors"))
        {
            if (pp["type"]!.GetValue<string>() != "TemplateProcessing")
                continue;
            var specials = pp["special_tokens"]?.AsObject();
            bool seenSeq = false;
            foreach (var piece in pp["single"]!.AsArray())
            {
                if (piece!["Sequence"] is not null)
                {
                    seenSeq = true;
                    continue;
                }
                string id = piece["SpecialToken"]!["id"]!.GetValue<string>();
                var ids = specials?[id]?["ids"]?.AsArray().Select(x => x!.GetValue<int>()) ?? [];
                (seenSeq ? suffix : prefix).AddRange(ids);
            }
        }
        return new BpeTokenizer(
            path,
            vocab,
            merges,
            split,
            nfc,
            model["ignore_merges"]?.GetValue<bool>() ?? false,
            added,
            prefix.ToArray(),
            suffix.ToArray()
        );
    }

    /// <summary>
    /// One entry of <c>model.merges</c>: <c>"a b"</c> (the older format) or <c>["a", "b"]</c>; anything else is an
    /// error naming the entry, as Hugging Face's tokenizers refuses it.
    /// </summary>
    private static (string A, string B) Merge(string path, JsonNode? entry, int rank)
    {
        string Bad(string why) => $"{path}: merge {rank} is malformed ({why}); expected \"a b\" or [\"a\", \"b\"]";
        if (entry is JsonArray pair)
        {
            if (pair.Count != 2)
                throw InputError.Data(Bad($"an array of {pair.Count} elements"));
            if (
                pair[0] is not JsonValue x
                || !x.TryGetValue<string>(out var a)
                || pair[1] is not JsonValue y
                || !y.TryGetValue<string>(out var b)
            )
                throw InputError.Data(Bad("an element is not a string"));
            return (a, b);
        }
        if (entry is not JsonValue v || !v.TryGetValue<string>(out var s))
            throw InputError.Data(Bad("neither a string nor an array"));
        // Split at the one space (byte-level tokens spell a space as 'Ġ', so none holds one).
        var parts = s.Split(' ');
        if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
            throw InputError.Data(Bad($"'{s}' is not two tokens separated by one space"));
        return (parts[0], parts[1]);
    }

    private static IEnumerable<JsonObject> Flatten(JsonObject? node, string listField)
    {
        if (node is null)
            yield break;
        if (node["type"]?.GetValue<string>() == "Sequence")
        {
            foreach (var child in node[listField]!.AsArray())
            foreach (var x in Flatten(child as JsonObject, listField))
                yield return x;
        }
        else
            yield return node;
    }

    public int? TokenToId(string token) =>
        _added.FirstOrDefault(a => a.Content == token)?.Id ?? (_vocab.TryGetValue(token, out int id) ? id : null);

    public bool IsSpecial(int id) => _addedById.TryGetValue(id, out var a) && a.Special;

    public int[] Encode(string text, bool addSpecialTokens = false) => EncodeWithOffsets(text, addSpecialTokens).Ids;

    /// <summary>
    /// Encodes like <c>tokenizer(text, add_special_tokens=...)</c>; added tokens written in the text are
    /// matched as tokens. Offsets are UTF-16 character spans of <paramref name="text"/>.
    /// </summary>
    public TokenEncoding EncodeWithOffsets(string text, bool addSpecialTokens = false)
    {
        var ids = new List<int>();
        var offs = new List<(int, int)>();
        if (addSpecialTokens)
            foreach (var id in _prefixIds)
            {
                ids.Add(id);
                offs.Add((0, 0));
            }
        int pos = 0;
        if (_addedPattern is not null)
        {
            foreach (Match m in _addedPattern.Matches(text))
            {
                EncodeChunk(text, pos, m.Index, ids, offs);
                ids.Add(_added.First(a => a.Content == m.Value).Id);
                offs.Add((m.Index, m.Index + m.Length));
                pos = m.Index + m.Length;
            }
        }
        EncodeChunk(text, pos, text.Length, ids, offs);
        if (addSpecialTokens)
            foreach (var id in _suffixIds)
            {
                ids.Add(id);
                offs.Add((text.Length, text.Length));
            }
        return new TokenEncoding(ids.ToArray(), offs.ToArray());
    }

    private void EncodeChunk(string text, int start, int end, List<int> ids, List<(int, int)> offs)
    {
        if (end <= start)
            return;
        string raw = text[start..end];
        // Normalised text and, for each of its characters, the original character it came from. NFC only
        // composes within a text element, so normalising element by element keeps the alignment exact.
        string norm;
        int[] origin;
        if (!_nfc || raw.IsNormalized(NormalizationForm.FormC))
        {
            norm = raw;
            origin = Enumerable.Range(0, raw.Length).ToArray();
        }
        else
        {
            var sb = new StringBuilder();
            var org = new List<int>();
            var e = System.Globalization.StringInfo.GetTextElementEnumerator(raw);
            while (e.MoveNext())
            {
                string el = (string)e.Current;
                int at = e.ElementIndex;
                string n = el.Normalize(NormalizationForm.FormC);
                for (int i = 0; i < n.Length; i++)
                    org.Add(at + Math.Min(i, el.Length - 1));
                sb.Append(n);
            }
            norm = sb.ToString();
            origin = org.ToArray();
        }
        IEnumerable<(int Index, int Length)> pieces = _split is null
            ? [(0, norm.Length)]
            : _split.Matches(norm).Select(m => (m.Index, m.Length));
        foreach (var (pi, pl) in pieces)
        {
            if (pl == 0)
                continue;
            string piece = norm.Substring(pi, pl);
            byte[] bytes = System.Text.Encoding.UTF8.GetBytes(piece);
            // For each byte, the character (in the piece) that produced it.
            var byteChar = new int[bytes.Length];
            for (int ci = 0, bi = 0; ci < piece.Length; ci++)
            {
                int cp =
                    char.IsHighSurrogate(piece[ci]) && ci + 1 < piece.Length
                        ? char.ConvertToUtf32(piece[ci], piece[ci + 1])
                        : piece[ci];
                int n =
                    cp < 0x80 ? 1
                    : cp < 0x800 ? 2
                    : cp < 0x10000 ? 3
                    : 4;
                for (int k = 0; k < n && bi < bytes.Length; k++)
                    byteChar[bi++] = ci;
                if (cp >= 0x10000)
                    ci++;
            }
            var chars = new char[bytes.Length];
            for (int i = 0; i < bytes.Length; i++)
                chars[i] = ByteLevelAlphabet.ByteToChar[bytes[i]];
            string word = new(chars);
            int[] wordIds = BpeWord(word);
            int b0 = 0;
            foreach (var id in wordIds)
            {
                int len = _idToToken[id].Length; // one character per byte in the byte-level alphabet
                int o0 = origin[pi + byteChar[b0]];
                int oLast = origin[pi + byteChar[b0 + len - 1]];
                int o1 = oLast + (char.IsHighSurrogate(raw[oLast]) && oLast + 1 < raw.Length ? 2 : 1);
                ids.Add(id);
                offs.Add((start + o0, start + o1));
                b0 += len;
            }
        }
    }

    private int[] BpeWord(string word)
    {
        if (_cache.TryGetValue(word, out var cached))
            return cached;
        int[] result;
        if (_ignoreMerges && _vocab.TryGetValue(word, out int whole))
            result = [whole];
        else
        {
            var parts = new List<int>(word.Length);
            foreach (char c in word)
            {
                if (!_vocab.TryGetValue(c.ToString(), out int id))
                    throw InputError.Data($"{SourcePath}: byte character '{c}' is not in the vocabulary");
                parts.Add(id);
            }
            while (parts.Count > 1)
            {
                int best = -1,
                    bestRank = int.MaxValue,
                    bestMerged = 0;
                for (int i = 0; i + 1 < parts.Count; i++)
                {
                    if (_merges.TryGetValue((parts[i], parts[i + 1]), out var m) && m.Rank < bestRank)
                    {
                        best = i;
                        bestRank = m.Rank;
                        bestMerged = m.Merged;
                    }
                }
                if (best < 0)
                    break;
                // Merge every occurrence of this pair, left to right, as the reference does.
                var (l, r) = (parts[best], parts[best + 1]);
                var next = new List<int>(parts.Count);
                for (int i = 0; i < parts.Count; i++)
                {
                    if (i + 1 < parts.Count && parts[i] == l && parts[i + 1] == r)
                    {
                        next.Add(bestMerged);
                        i++;
                    }
                    else
                        next.Add(parts[i]);
                }
                parts = next;
            }
            result = parts.ToArray();
        }
        if (_cache.Count < 200_000)
            _cache[word] = result;
        return result;
    }

    /// <summary>Like <c>tokenizer.decode(ids)</c>: invalid UTF-8 becomes U+FFFD.</summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false, bool cleanUpSpaces = false)
    {
        var sb = new StringBuilder();
        var pending = new List<byte>();
        void Flush()
        {
            if (pending.Count == 0)
                return;
            sb.Append(System.Text.Encoding.UTF8.GetString(pending.ToArray()));
            pending.Clear();
        }
        foreach (int id in ids)
        {
            if (id < 0 || id >= _idToToken.Length || _idToToken[id] is null)
                throw new InputArgumentOutOfRangeException(
                    nameof(ids),
                    $"token id {id} is outside the vocabulary of {SourcePath}"
                );
            if (_addedById.TryGetValue(id, out var a))
            {
                if (skipSpecialTokens && a.Special)
                    continue;
                Flush();
                sb.Append(a.Content);
                continue;
            }
            foreach (char c in _idToToken[id])
                if (ByteLevelAlphabet.CharToByte.TryGetValue(c, out byte b))
                    pending.Add(b);
        }
        Flush();
        string s = sb.ToString();
        return cleanUpSpaces ? CleanUp(s) : s;
    }

    /// <summary>transformers' <c>clean_up_tokenization</c>: drops the space before punctuation and
    /// contractions.</summary>
    public static string CleanUp(string s) =>
        s.Replace(" .", ".")
            .Replace(" ?", "?")
            .Replace(" !", "!")
            .Replace(" ,", ",")
            .Replace(" ' ", "'")
            .Replace(" n't", "n't")
            .Replace(" 'm", "'m")
            .Replace(" 's", "'s")
            .Replace(" 've", "'ve")
            .Replace(" 're", "'re");
}
