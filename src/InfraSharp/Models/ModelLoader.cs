using System.Text.Json.Nodes;
using InfraSharp.Storage;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InfraSharp.Models;

/// <summary>Loads a Hugging Face model folder: config.json plus model.safetensors or a sharded index.</summary>
public static class ModelLoader
{
    /// <summary>
    /// Loads the weights of <paramref name="modelDir"/> in <paramref name="dtype"/> (float32 or bfloat16) onto
    /// <paramref name="device"/> (default: CPU).
    /// </summary>
    public static CausalLM Load(string modelDir, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        device ??= CPU;
        if (dtype is not (ScalarType.Float32 or ScalarType.BFloat16))
            throw InputError.Argument($"compute dtype {dtype} is not supported (float32 or bfloat16)");
        var config = ModelConfig.Load(modelDir);
        var expected = config.ParameterShapes().ToDictionary(x => x.Name, x => x.Shape, StringComparer.Ordinal);
        var ps = new Dictionary<string, Parameter>(StringComparer.Ordinal);
        foreach (var (file, names) in WeightFiles(modelDir))
        {
            var st = SafeTensorsFile.Open(file);
            foreach (var name in names ?? st.Entries.Keys.ToList())
            {
                if (!st.Entries.ContainsKey(name))
                    throw InputError.Data($"{file}: the shard index lists '{name}' here but the file lacks it");
                if (!expected.ContainsKey(name))
                {
                    // Tied checkpoints sometimes carry a copy of lm_head; old ones carry rotary buffers.
                    if (name == "lm_head.weight" && config.TieWordEmbeddings)
                        continue;
                    if (name.EndsWith("rotary_emb.inv_freq"))
                        continue;
                    throw InputError.Data(
                        $"{file}: unexpected tensor '{name}' for a {config.ModelType} model with this config"
                    );
                }
                // Read as stored, converted once: bf16 weights load for bf16 compute without a float32 copy.
                using var t = st.ReadStored(name);
                ps[name] = new Parameter(t.to(dtype, device), requires_grad: false);
            }
        }
        return new CausalLM(config, ps, dtype);
    }

    /// <summary>The weight files of a folder and, for a sharded checkpoint, which tensors each should hold.</summary>
    public static IEnumerable<(string File, List<string>? Names)> WeightFiles(string modelDir)
    {
        string index = Path.Combine(modelDir, "model.safetensors.index.json");
        string single = Path.Combine(modelDir, "model.safetensors");
        if (File.Exists(index))
        {
            var o = JsonFile.ReadObject(index);
            var map = o["weight_map"]?.AsObject() ?? throw InputError.Data($"{index}: missing field 'weight_map'");
            return map.GroupBy(kv => kv.Value!.GetValue<string>(), kv => kv.Key)
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => (Path.Combine(modelDir, g.Key), (List<string>?)g.ToList()));
        }
        if (File.Exists(single))
            return [(single, null)];
        throw InputError.MissingFile($"no model.safetensors or model.safetensors.index.json in {modelDir}");
    }
}
