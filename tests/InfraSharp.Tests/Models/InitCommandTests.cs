using System.Text.Json.Nodes;
using InfraSharp.Models;
using InfraSharp.Storage;
using InfraSharp.Tests.Cli;
using InfraSharp.Text;

namespace InfraSharp.Tests.Models;

/// <summary>
/// <c>infra init --shape qwen2.5-0.5b</c> writes the released model's exact shape in bf16 with the real Qwen2.5
/// tokenizer (checked against transformers' encodings of the fixture cases), and loads back for bf16 compute. The
/// shape itself is checked from the configs alone in the fast tier; writing the 1 GB checkpoint is System tier.
/// </summary>
[Collection("cli")]
public class InitCommandTests
{
    // config.json of the released Qwen/Qwen2.5-0.5B on the Hugging Face hub, verbatim.
    private const string ReleasedConfig = """
        {
          "architectures": ["Qwen2ForCausalLM"],
          "attention_dropout": 0.0,
          "bos_token_id": 151643,
          "eos_token_id": 151643,
          "hidden_act": "silu",
          "hidden_size": 896,
          "initializer_range": 0.02,
          "intermediate_size": 4864,
          "max_position_embeddings": 32768,
          "max_window_layers": 24,
          "model_type": "qwen2",
          "num_attention_heads": 14,
          "num_hidden_layers": 24,
          "num_key_value_heads": 2,
          "rms_norm_eps": 1e-06,
          "rope_theta": 1000000.0,
          "sliding_window": 32768,
          "tie_word_embeddings": true,
          "torch_dtype": "bfloat16",
          "transformers_version": "4.40.1",
          "use_cache": true,
          "use_mrope": false,
          "use_sliding_window": false,
          "vocab_size": 151936
        }
        """;

    private static object Facts(ModelConfig c) =>
        (
            c.ModelType,
            (c.HiddenSize, c.IntermediateSize, c.NumLayers, c.NumHeads, c.NumKvHeads, c.HeadDim, c.VocabSize),
            (c.TieWordEmbeddings, c.AttentionBias, c.MlpBias, c.RmsNormEps, c.RopeTheta, c.MaxPositionEmbeddings),
            string.Join(",", c.EosTokenIds)
        );

    [Fact]
    public void TheQwen05ShapeMatchesTheReleasedConfigWithoutWritingWeights()
    {
        var released = ModelConfig.Parse(JsonNode.Parse(ReleasedConfig)!.AsObject(), "Qwen2.5-0.5B/config.json");
        var known = KnownShapes.Get("qwen2.5-0.5b");
        // The config.json that init writes (ToJson, as text), read back: what a later run of the checkpoint sees.
        var written = ModelConfig.Parse(JsonNode.Parse(known.ToJson().ToJsonString())!.AsObject(), "config.json");
        var expected = released.ParameterShapes().ToList();
        foreach (var c in new[] { known, written })
        {
            Assert.Equal(Facts(released), Facts(c));
            var shapes = c.ParameterShapes().ToList();
            Assert.Equal(expected.Select(x => x.Name), shapes.Select(x => x.Name));
            Assert.Equal(expected.Select(x => x.Shape), shapes.Select(x => x.Shape));
        }

        // The released checkpoint's tensors, written out from the architecture rather than from ParameterShapes:
        // 14 query heads and 2 key/value heads of 64, biases on q/k/v only, a tied lm_head (no tensor of its own).
        var byName = expected.ToDictionary(x => x.Name, x => x.Shape);
        Assert.Equal(2 + 24 * 12, byName.Count);
        Assert.Equal([151936L, 896], byName["model.embed_tokens.weight"]);
        Assert.Equal([896L], byName["model.norm.weight"]);
        Assert.DoesNotContain("lm_head.weight", byName.Keys);
        for (int l = 0; l < 24; l++)
        {
            string p = $"model.layers.{l}.";
            Assert.Equal([896L], byName[p + "input_layernorm.weight"]);
            Assert.Equal([896L], byName[p + "post_attention_layernorm.weight"]);
            Assert.Equal([896L, 896], byName[p + "self_attn.q_proj.weight"]);
            Assert.Equal([896L], byName[p + "self_attn.q_proj.bias"]);
            foreach (var kv in new[] { "k_proj", "v_proj" })
            {
                Assert.Equal([128L, 896], byName[p + "self_attn." + kv + ".weight"]);
                Assert.Equal([128L], byName[p + "self_attn." + kv + ".bias"]);
            }
            Assert.Equal([896L, 896], byName[p + "self_attn.o_proj.weight"]);
            Assert.DoesNotContain(p + "self_attn.o_proj.bias", byName.Keys);
            Assert.Equal([4864L, 896], byName[p + "mlp.gate_proj.weight"]);
            Assert.Equal([4864L, 896], byName[p + "mlp.up_proj.weight"]);
            Assert.Equal([896L, 4864], byName[p + "mlp.down_proj.weight"]);
        }
        // Qwen2.5-0.5B's published parameter count.
        Assert.Equal(494_032_768L, byName.Values.Sum(s => s.Aggregate(1L, (a, b) => a * b)));
    }

    /// <summary>Writes the whole bf16 checkpoint (about 1 GB) from a separate process: System tier.</summary>
    [Fact]
    [Trait("Category", "System")]
    public void InitWritesTheExactShapeInBf16WithTheRealTokenizer()
    {
        string dir = Path.Combine(Fixtures.TempDir(), "qwen05");
        var r = InfraProcess.Run(["init", "--shape", "qwen2.5-0.5b", "--out", dir, "--seed", "3"]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        try
        {
            var config = ModelConfig.Load(dir);
            Assert.Equal(
                (896, 4864, 24, 14, 2, 151936, true),
                (
                    config.HiddenSize,
                    config.IntermediateSize,
                    config.NumLayers,
                    config.NumHeads,
                    config.NumKvHeads,
                    config.VocabSize,
                    config.TieWordEmbeddings
                )
            );
            Assert.Equal("bfloat16", JsonFile.ReadObject(Path.Combine(dir, "config.json"))["torch_dtype"]!.ToString());
            var st = SafeTensorsFile.Open(Path.Combine(dir, "model.safetensors"));
            var expected = config.ParameterShapes().ToDictionary(x => x.Name, x => x.Shape);
            Assert.Equal(expected.Keys.Order(), st.Entries.Keys.Order());
            foreach (var e in st.Entries.Values)
            {
                Assert.Equal(SafeTensorDType.BF16, e.DType);
                Assert.Equal(expected[e.Name], e.Shape);
            }
            Assert.Equal(494_032_768L, expected.Values.Sum(s => s.Aggregate(1L, (a, b) => a * b)));

            var tok = Tokenizer.Load(dir);
            foreach (var line in File.ReadLines(Fixtures.Path_("real-tokenizers", "qwen2_5_cases.jsonl")).Take(20))
            {
                var c = JsonNode.Parse(line)!;
                if (c["kind"]?.ToString() != "encode")
                    continue;
                Assert.Equal(
                    c["ids"]!.AsArray().Select(x => x!.GetValue<int>()),
                    tok.Bpe.Encode(c["text"]!.ToString())
                );
            }
            using var model = ModelLoader.Load(dir, TorchSharp.torch.ScalarType.BFloat16);
            Assert.Equal(
                TorchSharp.torch.ScalarType.BFloat16,
                model.Parameters["model.layers.0.mlp.up_proj.weight"].dtype
            );
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
