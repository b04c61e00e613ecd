using System.Text.Json;
using System.Text.Json.Nodes;
using InfraSharp.Storage;
using static TorchSharp.torch;

namespace InfraSharp.Models;

/// <summary>
/// Writes a model folder that transformers loads: model.safetensors (F32 or BF16), config.json,
/// generation_config.json, and the tokenizer files and chat template copied from the source folder.
/// </summary>
/// <remarks>
/// The folder is written complete beside its destination (<c>{outDir}.tmp-{pid}-{guid}</c>) and only then
/// published, so a save that fails or is killed part-way leaves the destination as it was. When the destination
/// does not exist (or is empty), publishing is one directory rename: the model appears whole or not at all.
/// When it already holds other things (a training run keeps checkpoints and its log in its output folder), it
/// cannot be swapped as a whole; then config.json is removed first, the other files are renamed in one by one
/// (each rename atomic), and config.json is renamed in last. A loader needs config.json, so during those few
/// renames, or after a crash among them, the folder is not a loadable model rather than a mix of two.
/// </remarks>
internal static class CheckpointWriter
{
    /// <summary>Files that carry the tokenizer and template, copied as they are.</summary>
    public static readonly string[] TokenizerFiles =
    [
        "tokenizer.json",
        "tokenizer_config.json",
        "special_tokens_map.json",
        "chat_template.jinja",
        "chat_template.json",
        "vocab.json",
        "merges.txt",
    ];

    private const string ConfigFile = "config.json";

    public static void Save(
        CausalLM model,
        string outDir,
        string? tokenizerDir,
        bool bf16 = false,
        IReadOnlyDictionary<string, string>? extraMetadata = null
    )
    {
        string final = Path.TrimEndingDirectorySeparator(Path.GetFullPath(outDir));
        // A sibling, so the final renames stay on one file system; the .gitignore already covers "*.tmp-*".
        string staging = AtomicFile.TemporaryName(final);
        Directory.CreateDirectory(staging);
        try
        {
            WriteFiles(model, staging, tokenizerDir, bf16, extraMetadata);
            Publish(staging, final, replaceTokenizer: tokenizerDir is not null);
        }
        finally
        {
            if (Directory.Exists(staging))
                Directory.Delete(staging, recursive: true);
        }
    }

    private static void WriteFiles(
        CausalLM model,
        string dir,
        string? tokenizerDir,
        bool bf16,
        IReadOnlyDictionary<string, string>? extraMetadata
    )
    {
        var meta = new Dictionary<string, string> { ["format"] = "pt" };
        if (extraMetadata is not null)
            foreach (var (k, v) in extraMetadata)
                meta[k] = v;
        SafeTensorsFile.Write(
            Path.Combine(dir, "model.safetensors"),
            model.Parameters.Select(kv => new KeyValuePair<string, Tensor>(kv.Key, kv.Value)),
            meta,
            bf16 ? SafeTensorDType.BF16 : SafeTensorDType.F32
        );

        var cfg = model.Config.ToJson();
        cfg["torch_dtype"] = bf16 ? "bfloat16" : "float32";
        var opts = new JsonSerializerOptions { WriteIndented = true };
        AtomicFile.WriteAllText(Path.Combine(dir, ConfigFile), cfg.ToJsonString(opts) + "\n");

        string? srcGen = tokenizerDir is null ? null : Path.Combine(tokenizerDir, "generation_config.json");
        if (srcGen is not null && File.Exists(srcGen))
            Copy(srcGen, Path.Combine(dir, "generation_config.json"));
        else
        {
            var gen = new JsonObject();
            if (model.Config.EosTokenIds.Length > 0)
                gen["eos_token_id"] = model.Config.EosTokenIds[0];
            if (model.Config.PadTokenId is int pad)
                gen["pad_token_id"] = pad;
            AtomicFile.WriteAllText(Path.Combine(dir, "generation_config.json"), gen.ToJsonString(opts) + "\n");
        }
        if (tokenizerDir is null)
            return;
        foreach (var f in TokenizerFiles)
        {
            // Copied even when the tokenizer folder is the destination itself: the copy is identical, and the
            // staged folder is then complete on its own.
            string src = Path.Combine(tokenizerDir, f);
            if (File.Exists(src))
                Copy(src, Path.Combine(dir, f));
        }
    }

    private static void Copy(string src, string dst) => AtomicFile.Write(dst, s =>
        {
            using var r = File.OpenRead(src);
            r.CopyTo(s);
        });

    private static void Publish(string staging, string final, bool replaceTokenizer)
    {
        if (Directory.Exists(final) && !Directory.EnumerateFileSystemEntries(final).Any())
            Directory.Delete(final);
        if (!Directory.Exists(final))
        {
            Directory.Move(staging, final);
            return;
        }
        var staged = Directory.GetFiles(staging).Select(f => Path.GetFileName(f)).ToHashSet(StringComparer.Ordinal);
        // Without config.json the folder is not a model, so nothing can load it half old, half new.
        File.Delete(Path.Combine(final, ConfigFile));
        foreach (var stale in ModelFiles(final, replaceTokenizer).Where(f => !staged.Contains(Path.GetFileName(f))))
            File.Delete(stale);
        foreach (var name in staged.Where(n => n != ConfigFile))
            File.Move(Path.Combine(staging, name), Path.Combine(final, name), overwrite: true);
        File.Move(Path.Combine(staging, ConfigFile), Path.Combine(final, ConfigFile), overwrite: true);
    }

    /// <summary>
    /// Files of an earlier model in <paramref name="dir"/> that the new one must not leave behind: a shard index
    /// and its shards would be loaded instead of the new model.safetensors, and a chat_template.jinja would
    /// override the new tokenizer's template. Tokenizer files count only when the new save brings a tokenizer.
    /// </summary>
    private static IEnumerable<string> ModelFiles(string dir, bool withTokenizer)
    {
        var names = new List<string> { "model.safetensors", "model.safetensors.index.json", "generation_config.json" };
        if (withTokenizer)
            names.AddRange(TokenizerFiles);
        return names
            .Select(n => Path.Combine(dir, n))
            .Where(File.Exists)
            .Concat(Directory.GetFiles(dir, "model-*-of-*.safetensors"));
    }
}
