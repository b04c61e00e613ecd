using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using InfraSharp.Storage;

namespace InfraSharp.Text;

/// <summary>
/// Trains a byte-level BPE tokenizer (the Qwen2 pipeline: NFC, the Qwen2 split regex with single digits,
/// byte-level alphabet) on a corpus and writes it as a Hugging Face <c>tokenizer.json</c> +
/// <c>tokenizer_config.json</c> with the ChatML template, so the demo's model folder loads in transformers.
/// Merges are chosen by pair count, ties broken by the pair's ordinal order: same corpus, same tokenizer.
/// </summary>
internal static class BpeTrainer
{
    public const string Qwen2Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
        + @"|\s*[\r\n]+|\s+(?!\S)|\s+";
    public static readonly string[] SpecialTokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];

    public static void TrainAndSave(IEnumerable<string> corpus, int vocabSize, string outDir)
    {
        var split = new Regex(Qwen2Pattern, RegexOptions.CultureInvariant);
        var specials = new Regex(string.Join("|", SpecialTokens.Select(Regex.Escape)));
        var wordCounts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var text in corpus)
        foreach (var chunk in specials.Split(text.Normalize(NormalizationForm.FormC)))
        foreach (Match m in split.Matches(chunk))
        {
            var bytes = Encoding.UTF8.GetBytes(m.Value);
            string w = new(bytes.Select(b => ByteLevelAlphabet.ByteToChar[b]).ToArray());
            wordCounts[w] = wordCounts.GetValueOrDefault(w) + 1;
        }

        // Ids: the special tokens first, then the 256 byte characters, then one id per merge.
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var s in SpecialTokens)
            vocab[s] = vocab.Count;
        for (int b = 0; b < 256; b++)
            vocab[ByteLevelAlphabet.ByteToChar[b].ToString()] = vocab.Count;
        var words = wordCounts
            .OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => (Symbols: kv.Key.Select(c => c.ToString()).ToList(), Count: kv.Value))
            .ToList();
        var merges = new List<(string, string)>();
        while (vocab.Count < vocabSize)
        {
            var pairs = new Dictionary<(string, string), long>();
            foreach (var (sym, count) in words)
                for (int i = 0; i + 1 < sym.Count; i++)
                {
                    var key = (sym[i], sym[i + 1]);
                    pairs[key] = pairs.GetValueOrDefault(key) + count;
                }
            if (pairs.Count == 0)
                break;
            var best = pairs
                .OrderByDescending(kv => kv.Value)
                .ThenBy(kv => kv.Key.Item1, StringComparer.Ordinal)
                .ThenBy(kv => kv.Key.Item2, StringComparer.Ordinal)
                .First();
            if (best.Value < 2)
                break;
            var (l, r) = best.Key;
            string merged = l + r;
            merges.Add((l, r));
            if (!vocab.ContainsKey(merged))
                vocab[merged] = vocab.Count;
            foreach (var (sym, _) in words)
                for (int i = 0; i + 1 < sym.Count; i++)
                    if (sym[i] == l && sym[i + 1] == r)
                    {
                        sym[i] = merged;
                        sym.RemoveAt(i + 1);
                    }
        }
        Write(outDir, vocab, merges);
    }

    private static void Write(string outDir, Dictionary<string, int> vocab, List<(string, string)> merges)
    {
        var added = new JsonArray(
            SpecialTokens
                .Select(
                    (s, i) =>
                        (JsonNode)
                            new JsonObject
                            {
                                ["id"] = i,
                                ["content"] = s,
                                ["single_word"] = false,
                                ["lstrip"] = false,
                                ["rstrip"] = false,
                                ["normalized"] = false,
                                ["special"] = true,
                            }
                )
                .ToArray()
        );
        var byteLevel = new JsonObject
        {
            ["type"] = "ByteLevel",
            ["add_prefix_space"] = false,
            ["trim_offsets"] = false,
            ["use_regex"] = false,
        };
        var vocabJson = new JsonObject();
        foreach (var (k, v) in vocab.OrderBy(kv => kv.Value))
            vocabJson[k] = v;
        var tok = new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = added,
            ["normalizer"] = new JsonObject { ["type"] = "NFC" },
            ["pre_tokenizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject
                    {
                        ["type"] = "Split",
                        ["pattern"] = new JsonObject { ["Regex"] = Qwen2Pattern },
                        ["behavior"] = "Isolated",
                        ["invert"] = false,
                    },
                    byteLevel.DeepClone()
                ),
            },
            ["post_processor"] = byteLevel.DeepClone(),
            ["decoder"] = byteLevel.DeepClone(),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["dropout"] = null,
                ["unk_token"] = null,
                ["continuing_subword_prefix"] = "",
                ["end_of_word_suffix"] = "",
                ["fuse_unk"] = false,
                ["byte_fallback"] = false,
                ["ignore_merges"] = false,
                ["vocab"] = vocabJson,
                ["merges"] = new JsonArray(merges.Select(m => (JsonNode)new JsonArray(m.Item1, m.Item2)).ToArray()),
            },
        };
        var opts = new JsonSerializerOptions
        {
            WriteIndented = true,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        AtomicFile.WriteAllText(Path.Combine(outDir, "tokenizer.json"), tok.ToJsonString(opts) + "\n");
        var cfg = new JsonObject
        {
            ["tokenizer_class"] = "Qwen2Tokenizer",
            ["bos_token"] = null,
            ["eos_token"] = "<|im_end|>",
            ["pad_token"] = "<|endoftext|>",
            ["unk_token"] = null,
            ["model_max_length"] = 4096,
            ["clean_up_tokenization_spaces"] = false,
            ["add_prefix_space"] = false,
            ["chat_template"] = ChatMlTemplate.Source,
        };
        AtomicFile.WriteAllText(Path.Combine(outDir, "tokenizer_config.json"), cfg.ToJsonString(opts) + "\n");
    }
}
