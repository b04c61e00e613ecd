using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InfraSharp.Models;

/// <summary>
/// A Qwen2 / Llama decoder written out as plain tensor operations over a flat, Hugging Face-named parameter
/// table (llm.c style): the names are exactly transformers' (<c>model.layers.3.mlp.down_proj.weight</c>), so
/// loading, saving, tying and addressing a layer need no translation. Numerics follow transformers' eager
/// path: RMSNorm and softmax in float32, rotary embedding on the rotate-half layout, grouped-query attention
/// by repeating key/value heads. Where it is exact for every real token (no KV cache, right padding), attention
/// runs through torch's fused scaled-dot-product kernel instead, which keeps O(T) memory per layer for backward
/// where the explicit path keeps [B, H, T, T] tensors (see <see cref="AttentionKernel"/>).
/// </summary>
public sealed class CausalLM : IDisposable
{
    /// <summary>The architecture, from <c>config.json</c>.</summary>
    public ModelConfig Config { get; }

    /// <summary>The compute dtype of the weights (float32 or bfloat16).</summary>
    public ScalarType DType { get; private set; }

    /// <summary>The device of the weights: every tensor of a forward pass is created there.</summary>
    public Device Device => _params["model.embed_tokens.weight"].device;

    /// <summary>
    /// <see cref="Models.AttentionKernel.Auto"/> (the default) takes the fused kernel whenever it is exact;
    /// <see cref="Models.AttentionKernel.Explicit"/> forces transformers' eager computation everywhere.
    /// </summary>
    public AttentionKernel AttentionKernel { get; set; } = AttentionKernel.Auto;

    /// <summary>Parameters by Hugging Face name. A tied <c>lm_head</c> is not listed: it is the embedding.</summary>
    public IReadOnlyDictionary<string, Parameter> Parameters => _params;
    private readonly Dictionary<string, Parameter> _params;
    private readonly Tensor _invFreq;

    /// <summary>
    /// A model from its configuration and weights by Hugging Face name; missing or misshapen weights are bad data.
    /// </summary>
    public CausalLM(ModelConfig config, Dictionary<string, Parameter> parameters, ScalarType dtype)
    {
        Config = config;
        _params = parameters;
        DType = dtype;
        foreach (var (name, shape) in config.ParameterShapes())
        {
            if (!_params.TryGetValue(name, out var p))
                throw InputError.Data(
                    $"model weights lack '{name}' (expected for {config.ModelType} with this config)"
                );
            if (!p.shape.SequenceEqual(shape))
                throw InputError.Data(
                    $"weight '{name}' has shape [{string.Join(",", p.shape)}], config implies "
                        + $"[{string.Join(",", shape)}]"
                );
        }
        // inv_freq = 1 / theta^(2i/d), computed in float32 as transformers does.
        using (no_grad())
        {
            var exps = arange(0, config.HeadDim, 2, dtype: ScalarType.Int64).to(ScalarType.Float32) / config.HeadDim;
            _invFreq = (1.0f / pow(tensor((float)config.RopeTheta), exps)).to(Device).DetachFromDisposeScope();
        }
    }

    /// <summary>A freshly initialised model (normal(0, 0.02) weights, unit norms, zero biases), seeded.</summary>
    public static CausalLM Initialize(
        ModelConfig config,
        long seed,
        ScalarType dtype = ScalarType.Float32,
        Device? device = null
    )
    {
        var gen = new Generator((ulong)seed);
        var ps = new Dictionary<string, Parameter>(StringComparer.Ordinal);
        using (no_grad())
        {
            foreach (var (name, shape) in config.ParameterShapes())
            {
                Tensor t =
                    name.EndsWith("norm.weight") ? ones(shape)
                    : name.EndsWith(".bias") ? zeros(shape)
                    : normal(0, 0.02, shape, generator: gen);
                // Drawn on the CPU (the same weights for a seed on any device), then moved.
                ps[name] = new Parameter(t.to(dtype, device ?? CPU), requires_grad: true);
            }
        }
        return new CausalLM(config, ps, dtype);
    }

    private Tensor LmHeadWeight =>
        Config.TieWordEmbeddings ? _params["model.embed_tokens.weight"] : _params["lm_head.weight"];

    /// <summary>Number of parameters (a tied <c>lm_head</c> counted once).</summary>
    public long ParameterCount => _params.Values.Sum(p => p.numel());

    /// <summary>Casts every parameter to <paramref name="dtype"/> (float32 or bfloat16).</summary>
    public void To(ScalarType dtype)
    {
        if (dtype == DType)
            return;
        using (no_grad())
        {
            foreach (var k in _params.Keys.ToList())
            {
                var old = _params[k];
                _params[k] = new Parameter(old.to(dtype), requires_grad: old.requires_grad);
                old.Dispose();
            }
        }
        DType = dtype;
    }

    /// <summary>Turns gradient tracking of every parameter on or off.</summary>
    public void RequiresGrad(bool value)
    {
        foreach (var p in _params.Values)
            p.requires_grad = value;
    }

    /// <summary>
    /// Logits [B, T, vocab] in float32 for <paramref name="inputIds"/> [B, T]. <paramref name="attentionMask"/>
    /// [B, T_past + T] marks real tokens with 1 (right padding for training, left padding for batched
    /// generation). Positions default to the running count of real tokens, so both paddings give each real
    /// token the position it would have alone.
    /// </summary>
    public Tensor Forward(
        Tensor inputIds,
        Tensor? attentionMask = null,
        KvCache? cache = null,
        ILinearObserver? observer = null
    ) => nn.functional.linear(Trunk(inputIds, attentionMask, cache, observer), LmHeadWeight).to(ScalarType.Float32);

    /// <summary>
    /// The last hidden state [B, T, hidden] in the model's dtype: the output of the final norm, the input of
    /// <c>lm_head</c> (the representation DATE-LM's representation-similarity baseline compares). Masks and
    /// positions as in <see cref="Forward"/>.
    /// </summary>
    public Tensor LastHiddenState(Tensor inputIds, Tensor? attentionMask = null) =>
        Trunk(inputIds, attentionMask, null, null);

    private Tensor Trunk(Tensor inputIds, Tensor? attentionMask, KvCache? cache, ILinearObserver? observer)
    {
        long b = inputIds.shape[0],
            t = inputIds.shape[1];
        long past = cache?.Length ?? 0;
        if (past + t > Config.MaxPositionEmbeddings)
            throw InputError.Argument(
                $"sequence of {past + t} tokens exceeds the model's context length {Config.MaxPositionEmbeddings}"
            );
        var mask = attentionMask ?? ones(b, past + t, dtype: ScalarType.Int64);
        if (mask.shape[1] != past + t)
            throw InputError.Argument($"attention mask covers {mask.shape[1]} positions, expected {past + t}");
        // Batches are built on the host; the padding layout is read there (no device sync), then both move.
        bool rightPadded = past == 0 && IsRightPadded(mask);
        var device = Device;
        inputIds = inputIds.to(device);
        mask = mask.to(device);
        var positions = (mask.cumsum(1, ScalarType.Int64) - 1).clamp_min(0).narrow(1, past, t);
        var (cos, sin) = Rotary(positions);
        // No bias: the fused kernel's causal mask alone. The [B, 1, T, T] bias is itself O(T²), so it is only built
        // for the explicit path.
        Tensor? bias = AttentionKernel == AttentionKernel.Auto && rightPadded ? null : AttentionBias(mask, past, t);

        var h = _params["model.embed_tokens.weight"]
            .index_select(0, inputIds.reshape(-1))
            .reshape(b, t, Config.HiddenSize);
        if (observer is { NeedsOutputGradients: true } && !h.requires_grad)
            h = h.detach().requires_grad_(true);
        for (int l = 0; l < Config.NumLayers; l++)
        {
            string p = $"model.layers.{l}.";
            var x = RmsNorm(h, _params[p + "input_layernorm.weight"]);
            h = h + Attention(l, p, x, cos, sin, bias, cache, observer);
            x = RmsNorm(h, _params[p + "post_attention_layernorm.weight"]);
            h = h + Mlp(p, x, observer);
        }
        return RmsNorm(h, _params["model.norm.weight"]);
    }

    private Tensor Linear(string module, Tensor x, ILinearObserver? observer)
    {
        var y = nn.functional.linear(x, _params[module + ".weight"], _params.GetValueOrDefault(module + ".bias"));
        return observer is not null && observer.Tracks(module) ? observer.Observe(module, x, y) : y;
    }

    private Tensor Attention(
        int layer,
        string p,
        Tensor x,
        Tensor cos,
        Tensor sin,
        Tensor? bias,
        KvCache? cache,
        ILinearObserver? observer
    )
    {
        long b = x.shape[0],
            t = x.shape[1];
        int hd = Config.HeadDim,
            nh = Config.NumHeads,
            nkv = Config.NumKvHeads;
        var q = Linear(p + "self_attn.q_proj", x, observer).view(b, t, nh, hd).transpose(1, 2);
        var k = Linear(p + "self_attn.k_proj", x, observer).view(b, t, nkv, hd).transpose(1, 2);
        var v = Linear(p + "self_attn.v_proj", x, observer).view(b, t, nkv, hd).transpose(1, 2);
        q = q * cos + RotateHalf(q) * sin;
        k = k * cos + RotateHalf(k) * sin;
        if (cache is not null)
            (k, v) = cache.Append(layer, k, v);
        if (nkv != nh)
        {
            // torch's SDPA here has no enable_gqa: repeat each key/value head for its group of query heads.
            int rep = nh / nkv;
            k = k.repeat_interleave(rep, 1);
            v = v.repeat_interleave(rep, 1);
        }
        Tensor o;
        if (bias is null)
        {
            // Fused causal attention (flash kernel on CPU: it keeps only the output and a float32 logsumexp
            // [B, H, T] for backward). Its default scale is 1/sqrt(head_dim), the same as Qwen2's and Llama's.
            // With right padding a real query only ever sees earlier, real keys, so the plain causal mask is
            // exact for real tokens; padding queries also see padding keys, and their outputs (never labelled)
            // differ from the explicit path's.
            o = nn.functional.scaled_dot_product_attention(q, k, v, is_casual: true);
        }
        else
        {
            var scores = matmul(q, k.transpose(2, 3)) * (1.0 / Math.Sqrt(hd));
            // Softmax in float32 for bf16 compute, as transformers; a float64 model (only tests build one) keeps
            // float64, so that it can serve as a reference for the fused path.
            var softmaxType = q.dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;
            var probs = (scores.to(softmaxType) + bias).softmax(-1).to(q.dtype);
            o = matmul(probs, v);
        }
        return Linear(p + "self_attn.o_proj", o.transpose(1, 2).reshape(b, t, nh * hd), observer);
    }

    private Tensor Mlp(string p, Tensor x, ILinearObserver? observer)
    {
        var gate = Linear(p + "mlp.gate_proj", x, observer);
        var up = Linear(p + "mlp.up_proj", x, observer);
        return Linear(p + "mlp.down_proj", nn.functional.silu(gate) * up, observer);
    }

    private Tensor RmsNorm(Tensor x, Tensor weight)
    {
        var xf = x.to(ScalarType.Float32);
        var variance = xf.pow(2).mean([-1L], keepdim: true);
        var normed = xf * rsqrt(variance + Config.RmsNormEps);
        return weight * normed.to(x.dtype);
    }

    private (Tensor Cos, Tensor Sin) Rotary(Tensor positions)
    {
        // [B, T, D/2] -> [B, 1, T, D]
        var freqs = positions.to(ScalarType.Float32).unsqueeze(-1) * _invFreq;
        var emb = cat([freqs, freqs], -1).unsqueeze(1);
        return (emb.cos().to(DType), emb.sin().to(DType));
    }

    private static Tensor RotateHalf(Tensor x)
    {
        long half = x.shape[^1] / 2;
        return cat([-x.narrow(-1, half, half), x.narrow(-1, 0, half)], -1);
    }

    /// <summary>
    /// Whether every row of <paramref name="mask"/> [B, T] is a run of real tokens followed only by padding: then
    /// no real query has a padding key before it, and causal masking alone is exact for real tokens.
    /// </summary>
    private static bool IsRightPadded(Tensor mask)
    {
        long t = mask.shape[1];
        if (t < 2)
            return true;
        var real = mask.to(ScalarType.Bool);
        return !(real.narrow(1, 1, t - 1) & real.narrow(1, 0, t - 1).logical_not()).any().item<bool>();
    }

    /// <summary>Additive float32 mask [B, 1, T, T_past+T]: causal, and padding keys excluded.</summary>
    private static Tensor AttentionBias(Tensor mask, long past, long t)
    {
        long total = past + t;
        var qpos = arange(past, total, dtype: ScalarType.Int64, device: mask.device).unsqueeze(1);
        var kpos = arange(0, total, dtype: ScalarType.Int64, device: mask.device).unsqueeze(0);
        var allowed = kpos.le(qpos).unsqueeze(0).unsqueeze(0) & mask.to(ScalarType.Bool).unsqueeze(1).unsqueeze(1);
        // A large finite negative instead of -inf: rows that see no key (left padding) stay finite.
        return zeros(allowed.shape, dtype: ScalarType.Float32, device: mask.device)
            .masked_fill(allowed.logical_not(), -1e9f);
    }

    /// <summary>Frees the weights' tensors.</summary>
    public void Dispose()
    {
        foreach (var p in _params.Values)
            p.Dispose();
        _invFreq.Dispose();
    }
}
