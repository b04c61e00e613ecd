using System.Text.Json;
using System.Text.Json.Nodes;
using InfraSharp.Storage;
using static TorchSharp.torch;

namespace InfraSharp.Models;

/// <summary>
/// Writes a model folder that transformers loads: model.safetensors (F32 or BF16), config.json,
/// generation_config.json, and the tokenizer files and chat template copied from the source folder.
/// </summary>
public static class CheckpointWriter
{
    /// <summary>Files that carry the tokenizer and template, copied as they are.</summary>
    public static readonly string[] TokenizerFiles =
        ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja", "chat_template.json", "vocab.json", "merges.txt"];

    public static void Save(CausalLM model, string outDir, string? tokenizerDir, bool bf16 = false,
        IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        Directory.CreateDirectory(outDir);
        var meta = new Dictionary<string, string> { ["format"] = "pt" };
        if (extraMetadata is not null) foreach (var (k, v) in extraMetadata) meta[k] = v;
        SafeTensorsFile.Write(Path.Combine(outDir, "model.safetensors"),
            model.Parameters.Select(kv => new KeyValuePair<string, Tensor>(kv.Key, kv.Value)),
            meta, bf16 ? SafeTensorDType.BF16 : SafeTensorDType.F32);

        var cfg = model.Config.ToJson();
        cfg["torch_dtype"] = bf16 ? "bfloat16" : "float32";
        var opts = new JsonSerializerOptions { WriteIndented = true };
        AtomicFile.WriteAllText(Path.Combine(outDir, "config.json"), cfg.ToJsonString(opts) + "\n");

        string? srcGen = tokenizerDir is null ? null : Path.Combine(tokenizerDir, "generation_config.json");
        if (srcGen is not null && File.Exists(srcGen) && Path.GetFullPath(srcGen) != Path.GetFullPath(Path.Combine(outDir, "generation_config.json")))
            AtomicFile.WriteAllText(Path.Combine(outDir, "generation_config.json"), File.ReadAllText(srcGen));
        else if (srcGen is null || !File.Exists(srcGen))
        {
            var gen = new JsonObject();
            if (model.Config.EosTokenIds.Length > 0) gen["eos_token_id"] = model.Config.EosTokenIds[0];
            if (model.Config.PadTokenId is int pad) gen["pad_token_id"] = pad;
            AtomicFile.WriteAllText(Path.Combine(outDir, "generation_config.json"), gen.ToJsonString(opts) + "\n");
        }
        if (tokenizerDir is null) return;
        foreach (var f in TokenizerFiles)
        {
            string src = Path.Combine(tokenizerDir, f), dst = Path.Combine(outDir, f);
            if (File.Exists(src) && Path.GetFullPath(src) != Path.GetFullPath(dst))
                AtomicFile.Write(dst, s => { using var r = File.OpenRead(src); r.CopyTo(s); });
        }
    }
}
