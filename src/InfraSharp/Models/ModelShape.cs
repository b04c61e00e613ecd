namespace InfraSharp.Models;

/// <summary>
/// The shape of a model to build from scratch, written as <c>layers=4,hidden=128,heads=4,kv_heads=2,mlp=384</c>
/// (optional: <c>type=qwen2|llama</c>, <c>head_dim</c>, <c>context</c>, <c>theta</c>, <c>tied=true|false</c>).
/// </summary>
internal static class ModelShape
{
    public static ModelConfig Parse(string spec, int vocabSize, int[] eosIds, int? padId)
    {
        var kv = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = part.IndexOf('=');
            if (eq <= 0)
                throw InputError.Argument($"model shape '{spec}': '{part}' is not key=value");
            kv[part[..eq].Trim()] = part[(eq + 1)..].Trim();
        }
        var known = new HashSet<string>(
            ["layers", "hidden", "heads", "kv_heads", "mlp", "type", "head_dim", "context", "theta", "tied"],
            StringComparer.OrdinalIgnoreCase
        );
        foreach (var k in kv.Keys)
            if (!known.Contains(k))
                throw InputError.Argument(
                    $"model shape '{spec}': unknown key '{k}' (known: {string.Join(", ", known)})"
                );
        int I(string k, int d) =>
            kv.TryGetValue(k, out var v)
                ? int.TryParse(v, out var x) && x > 0
                    ? x
                    : throw InputError.Argument($"model shape: '{k}' must be a positive integer")
                : d;
        int hidden = I("hidden", 128),
            heads = I("heads", 4),
            kvh = I("kv_heads", heads);
        if (heads % kvh != 0)
            throw InputError.Argument($"model shape: heads ({heads}) must be a multiple of kv_heads ({kvh})");
        string type = kv.GetValueOrDefault("type", "qwen2");
        if (!ModelConfig.SupportedTypes.Contains(type))
            throw InputError.Unsupported($"model shape: type '{type}' is not supported");
        return new ModelConfig
        {
            ModelType = type,
            VocabSize = vocabSize,
            HiddenSize = hidden,
            IntermediateSize = I("mlp", hidden * 3),
            NumLayers = I("layers", 4),
            NumHeads = heads,
            NumKvHeads = kvh,
            HeadDim = I("head_dim", hidden / heads),
            RmsNormEps = 1e-6,
            RopeTheta = kv.TryGetValue("theta", out var th)
                ? double.TryParse(th, System.Globalization.CultureInfo.InvariantCulture, out var t) && t > 0
                    ? t
                    : throw InputError.Argument("model shape: 'theta' must be a positive number")
                : 10000.0,
            TieWordEmbeddings =
                !kv.TryGetValue("tied", out var tied)
                || (
                    bool.TryParse(tied, out var tie)
                        ? tie
                        : throw InputError.Argument("model shape: 'tied' must be true or false")
                ),
            AttentionBias = type == "qwen2",
            MaxPositionEmbeddings = I("context", 1024),
            EosTokenIds = eosIds,
            PadTokenId = padId,
        };
    }
}
