using System.Text.Json.Nodes;

namespace InfraSharp.Models;

/// <summary>
/// The architecture facts of a Qwen2 or Llama checkpoint, read from its <c>config.json</c>. Both layouts seen in
/// the wild are accepted: <c>rope_theta</c> at top level (released Qwen2.5) and transformers 5's
/// <c>rope_parameters</c>. Anything we would have to approximate (rope scaling, sliding windows in use, an
/// unknown <c>model_type</c>) is refused with an error that names the file and field.
/// </summary>
public sealed record ModelConfig
{
    /// <summary><c>model_type</c>: <c>qwen2</c> or <c>llama</c>.</summary>
    public required string ModelType { get; init; }

    /// <summary>Vocabulary size (rows of the embedding).</summary>
    public required int VocabSize { get; init; }

    /// <summary>Width of the residual stream.</summary>
    public required int HiddenSize { get; init; }

    /// <summary>Width of the MLP's hidden layer.</summary>
    public required int IntermediateSize { get; init; }

    /// <summary>Number of decoder layers.</summary>
    public required int NumLayers { get; init; }

    /// <summary>Number of attention (query) heads.</summary>
    public required int NumHeads { get; init; }

    /// <summary>Number of key/value heads (grouped-query attention when fewer than the query heads).</summary>
    public required int NumKvHeads { get; init; }

    /// <summary>Width of one attention head.</summary>
    public required int HeadDim { get; init; }

    /// <summary>Epsilon of the RMS norms.</summary>
    public required double RmsNormEps { get; init; }

    /// <summary>Base of the rotary position embedding.</summary>
    public required double RopeTheta { get; init; }

    /// <summary>Whether the output projection is the input embedding.</summary>
    public required bool TieWordEmbeddings { get; init; }

    /// <summary>Qwen2 has biases on q/k/v; Llama has them when <c>attention_bias</c> is true.</summary>
    public required bool AttentionBias { get; init; }

    /// <summary>Whether the MLP's projections have biases.</summary>
    public bool MlpBias { get; init; }

    /// <summary>Longest sequence the model takes (the encoder refuses longer examples).</summary>
    public int MaxPositionEmbeddings { get; init; } = 32768;

    /// <summary>Token ids that end generation (<c>eos_token_id</c>: one id or a list).</summary>
    public int[] EosTokenIds { get; init; } = [];

    /// <summary>The padding token id, if the config names one.</summary>
    public int? PadTokenId { get; init; }

    /// <summary>The beginning-of-sequence token id, if the config names one.</summary>
    public int? BosTokenId { get; init; }

    /// <summary>The <c>model_type</c> values this build can run.</summary>
    public static readonly string[] SupportedTypes = ["qwen2", "llama"];

    /// <summary>
    /// The configuration in <paramref name="modelDir"/>'s <c>config.json</c>; unsupported features are refused naming
    /// the field.
    /// </summary>
    public static ModelConfig Load(string modelDir)
    {
        string path = Path.Combine(modelDir, "config.json");
        if (!File.Exists(path))
            throw InputError.MissingFile($"no config.json in model folder {modelDir}", path);
        JsonObject o;
        try
        {
            o = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        }
        catch (System.Text.Json.JsonException e)
        {
            throw InputError.Data($"{path}: not valid JSON: {e.Message}");
        }
        return Parse(o, path);
    }

    /// <summary>
    /// The configuration of a parsed <c>config.json</c> (<paramref name="path"/> names it in messages).
    /// </summary>
    public static ModelConfig Parse(JsonObject o, string path)
    {
        string type = o["model_type"]?.GetValue<string>()
            ?? throw InputError.Data($"{path}: missing field 'model_type'");
        if (!SupportedTypes.Contains(type))
            throw InputError.Unsupported(
                $"{path}: model_type '{type}' is not supported (supported: {string.Join(", ", SupportedTypes)})"
            );

        int Req(string f) => o[f]?.GetValue<int>() ?? throw InputError.Data($"{path}: missing field '{f}'");
        int hidden = Req("hidden_size"),
            heads = Req("num_attention_heads");

        // rope: transformers 5 nests theta and type in rope_parameters; older files use rope_theta + rope_scaling.
        double theta;
        string ropeType = "default";
        if (o["rope_parameters"] is JsonObject rp)
        {
            theta = rp["rope_theta"]?.GetValue<double>()
                ?? o["rope_theta"]?.GetValue<double>()
                ?? throw InputError.Data($"{path}: 'rope_parameters' has no 'rope_theta'");
            ropeType = rp["rope_type"]?.GetValue<string>() ?? rp["type"]?.GetValue<string>() ?? "default";
        }
        else
        {
            theta = o["rope_theta"]?.GetValue<double>() ?? 10000.0;
            if (o["rope_scaling"] is JsonObject rs)
                ropeType = rs["rope_type"]?.GetValue<string>() ?? rs["type"]?.GetValue<string>() ?? "unknown";
        }
        if (ropeType != "default")
            throw InputError.Unsupported(
                $"{path}: rope scaling '{ropeType}' is not supported; only the default rotary embedding is "
                    + $"implemented exactly"
            );
        if (o["use_sliding_window"]?.GetValue<bool>() == true)
            throw InputError.Unsupported($"{path}: use_sliding_window=true is not supported");
        string act = o["hidden_act"]?.GetValue<string>() ?? "silu";
        if (act != "silu")
            throw InputError.Unsupported($"{path}: hidden_act '{act}' is not supported (only silu)");

        int[] eos = o["eos_token_id"] switch
        {
            JsonArray a => a.Select(x => x!.GetValue<int>()).ToArray(),
            JsonValue v => [v.GetValue<int>()],
            _ => [],
        };
        return new ModelConfig
        {
            ModelType = type,
            VocabSize = Req("vocab_size"),
            HiddenSize = hidden,
            IntermediateSize = Req("intermediate_size"),
            NumLayers = Req("num_hidden_layers"),
            NumHeads = heads,
            NumKvHeads = o["num_key_value_heads"]?.GetValue<int>() ?? heads,
            HeadDim = o["head_dim"]?.GetValue<int>() ?? hidden / heads,
            RmsNormEps = o["rms_norm_eps"]?.GetValue<double>() ?? 1e-6,
            RopeTheta = theta,
            TieWordEmbeddings = o["tie_word_embeddings"]?.GetValue<bool>() ?? false,
            AttentionBias = type == "qwen2" || (o["attention_bias"]?.GetValue<bool>() ?? false),
            MlpBias = o["mlp_bias"]?.GetValue<bool>() ?? false,
            MaxPositionEmbeddings = o["max_position_embeddings"]?.GetValue<int>() ?? 32768,
            EosTokenIds = eos,
            PadTokenId = o["pad_token_id"] is JsonValue p ? p.GetValue<int>() : null,
            BosTokenId = o["bos_token_id"] is JsonValue b ? b.GetValue<int>() : null,
        };
    }

    /// <summary>A config.json that transformers 5 loads (classic top-level rope_theta, which it also reads).</summary>
    public JsonObject ToJson()
    {
        var o = new JsonObject
        {
            ["architectures"] = new JsonArray(ModelType == "qwen2" ? "Qwen2ForCausalLM" : "LlamaForCausalLM"),
            ["model_type"] = ModelType,
            ["vocab_size"] = VocabSize,
            ["hidden_size"] = HiddenSize,
            ["intermediate_size"] = IntermediateSize,
            ["num_hidden_layers"] = NumLayers,
            ["num_attention_heads"] = NumHeads,
            ["num_key_value_heads"] = NumKvHeads,
            ["head_dim"] = HeadDim,
            ["hidden_act"] = "silu",
            ["rms_norm_eps"] = RmsNormEps,
            ["rope_theta"] = RopeTheta,
            ["tie_word_embeddings"] = TieWordEmbeddings,
            ["max_position_embeddings"] = MaxPositionEmbeddings,
            ["attention_dropout"] = 0.0,
            ["initializer_range"] = 0.02,
            ["use_cache"] = true,
            ["torch_dtype"] = "float32",
        };
        if (ModelType == "llama")
        {
            o["attention_bias"] = AttentionBias;
            o["mlp_bias"] = MlpBias;
        }
        else
        {
            o["use_sliding_window"] = false;
        }
        if (EosTokenIds.Length == 1)
            o["eos_token_id"] = EosTokenIds[0];
        else if (EosTokenIds.Length > 1)
            o["eos_token_id"] = new JsonArray(EosTokenIds.Select(i => (JsonNode)JsonValue.Create(i)).ToArray());
        if (PadTokenId is int pad)
            o["pad_token_id"] = pad;
        if (BosTokenId is int bos)
            o["bos_token_id"] = bos;
        return o;
    }

    /// <summary>The Hugging Face names of the Linear layers of one decoder layer, in execution order.</summary>
    public static readonly string[] LayerLinears =
    [
        "self_attn.q_proj",
        "self_attn.k_proj",
        "self_attn.v_proj",
        "self_attn.o_proj",
        "mlp.gate_proj",
        "mlp.up_proj",
        "mlp.down_proj",
    ];

    /// <summary>Full names of every decoder layer's Linear modules (q/k/v/o, gate/up/down), layer by layer.</summary>
    public IEnumerable<string> LinearModuleNames()
    {
        for (int l = 0; l < NumLayers; l++)
            foreach (var n in LayerLinears)
                yield return $"model.layers.{l}.{n}";
    }

    /// <summary>
    /// Whether the Linear of short name <paramref name="shortName"/> (e.g. <c>self_attn.q_proj</c>) has a bias.
    /// </summary>
    public bool LinearHasBias(string shortName) =>
        shortName switch
        {
            "self_attn.q_proj" or "self_attn.k_proj" or "self_attn.v_proj" => AttentionBias,
            "self_attn.o_proj" => ModelType == "llama" && AttentionBias,
            _ => MlpBias,
        };

    /// <summary>Expected parameter names and shapes, as Hugging Face names them.</summary>
    public IEnumerable<(string Name, long[] Shape)> ParameterShapes()
    {
        int q = NumHeads * HeadDim,
            kv = NumKvHeads * HeadDim;
        yield return ("model.embed_tokens.weight", [VocabSize, HiddenSize]);
        for (int l = 0; l < NumLayers; l++)
        {
            string p = $"model.layers.{l}.";
            yield return (p + "input_layernorm.weight", [HiddenSize]);
            foreach (
                var (n, o, i) in new[]
                {
                    ("self_attn.q_proj", q, HiddenSize),
                    ("self_attn.k_proj", kv, HiddenSize),
                    ("self_attn.v_proj", kv, HiddenSize),
                    ("self_attn.o_proj", HiddenSize, q),
                    ("mlp.gate_proj", IntermediateSize, HiddenSize),
                    ("mlp.up_proj", IntermediateSize, HiddenSize),
                    ("mlp.down_proj", HiddenSize, IntermediateSize),
                }
            )
            {
                yield return (p + n + ".weight", [o, i]);
                if (LinearHasBias(n))
                    yield return (p + n + ".bias", [o]);
            }
            yield return (p + "post_attention_layernorm.weight", [HiddenSize]);
        }
        yield return ("model.norm.weight", [HiddenSize]);
        if (!TieWordEmbeddings)
            yield return ("lm_head.weight", [VocabSize, HiddenSize]);
    }
}
