using InfraSharp.Models;
using InfraSharp.Storage;
using InfraSharp.Text;
using static TorchSharp.torch;

namespace InfraSharp.Tests.Models;

public class ModelParityTests
{
    private static float MaxAbsLogitError(CausalLM model, string name)
    {
        var refs = SafeTensorsFile.Open(Fixtures.Path_(name, "logits.safetensors"));
        float worst = 0;
        int n = 0;
        foreach (var c in Fixtures.Jsonl(Fixtures.Path_(name, "logits_cases.jsonl")))
        {
            using var scope = NewDisposeScope();
            var ids = Fixtures.Ints(c["input_ids"]);
            var input = tensor(ids.Select(x => (long)x).ToArray(), [1, ids.Length]);
            using var _ = no_grad();
            var logits = model.Forward(input).squeeze(0);
            var expected = refs.Read(c["key"]!.GetValue<string>());
            Assert.Equal(expected.shape, logits.shape);
            worst = Math.Max(worst, (logits - expected).abs().max().item<float>());
            n++;
        }
        Assert.True(n > 0);
        return worst;
    }

    [Theory]
    [InlineData("tiny-qwen2")]
    [InlineData("tiny-llama")]
    public void Float32LogitsMatchTransformers(string name)
    {
        using var model = ModelLoader.Load(Fixtures.Model(name));
        float err = MaxAbsLogitError(model, name);
        Assert.True(err < 1e-4, $"max abs logit error {err}");
    }

    [Theory]
    [InlineData("tiny-qwen2")]
    [InlineData("tiny-llama")]
    public void Bf16ShardedFolderLoadsWithinBf16Tolerance(string name)
    {
        // bf16 weights widened to float32: only the weight rounding differs from the reference.
        using var model = ModelLoader.Load(Fixtures.Bf16(name));
        float err = MaxAbsLogitError(model, name);
        Assert.True(err < 0.1, $"max abs logit error {err}");
        // bf16 compute as well.
        using var m16 = ModelLoader.Load(Fixtures.Bf16(name), ScalarType.BFloat16);
        Assert.Equal(ScalarType.BFloat16, m16.DType);
        float err16 = MaxAbsLogitError(m16, name);
        Assert.True(err16 < 0.5, $"bf16 compute: max abs logit error {err16}");
    }

    [Fact]
    public void Float16WeightsLoadWithinHalfPrecisionTolerance()
    {
        string dir = Fixtures.TempDir();
        foreach (var f in new[] { "config.json", "tokenizer.json", "tokenizer_config.json" })
            File.Copy(Path.Combine(Fixtures.Model("tiny-qwen2"), f), Path.Combine(dir, f));
        SafeTensorsFile.Write(
            Path.Combine(dir, "model.safetensors"),
            SafeTensorsFile.ReadAll(Path.Combine(Fixtures.Model("tiny-qwen2"), "model.safetensors")),
            floatType: SafeTensorDType.F16
        );
        Assert.All(SafeTensorsFile.Open(Path.Combine(dir, "model.safetensors")).Entries.Values, e =>
            Assert.Equal(SafeTensorDType.F16, e.DType)
        );
        using var model = ModelLoader.Load(dir);
        float err = MaxAbsLogitError(model, "tiny-qwen2");
        Assert.True(err < 0.05, $"max abs logit error {err}");
    }

    [Theory]
    [InlineData("tiny-qwen2", true)]
    [InlineData("tiny-qwen2", false)]
    [InlineData("tiny-llama", true)]
    [InlineData("tiny-llama", false)]
    public void GreedyGenerationMatchesTransformers(string name, bool useCache)
    {
        using var model = ModelLoader.Load(Fixtures.Model(name));
        var cases = Fixtures.Jsonl(Fixtures.Path_(name, "generation_cases.jsonl")).ToList();
        var prompts = cases.Select(c => Fixtures.Ints(c["prompt_ids"])).ToList();
        var opts = new GenerationOptions
        {
            MaxNewTokens = 48,
            StopTokenIds = [2],
            UseCache = useCache,
        };
        // One at a time, then all together (left-padded batch): both must give the reference tokens.
        for (int i = 0; i < cases.Count; i++)
            Assert.Equal(Fixtures.Ints(cases[i]["greedy_ids"]), TextGenerator.Generate(model, [prompts[i]], opts)[0]);
        var batched = TextGenerator.Generate(model, prompts, opts);
        for (int i = 0; i < cases.Count; i++)
            Assert.Equal(Fixtures.Ints(cases[i]["greedy_ids"]), batched[i]);
    }

    [Fact]
    public void SamplingIsSeeded()
    {
        using var model = ModelLoader.Load(Fixtures.Model("tiny-qwen2"));
        var prompt = Fixtures.Ints(
            Fixtures.Jsonl(Fixtures.Path_("tiny-qwen2", "generation_cases.jsonl")).First()["prompt_ids"]
        );
        GenerationOptions O(long seed) =>
            new()
            {
                MaxNewTokens = 24,
                Greedy = false,
                Temperature = 1.5,
                TopP = 0.95,
                Seed = seed,
            };
        var a = TextGenerator.Generate(model, [prompt], O(7))[0];
        var b = TextGenerator.Generate(model, [prompt], O(7))[0];
        var c = TextGenerator.Generate(model, [prompt], O(8))[0];
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Theory]
    [InlineData("tiny-qwen2")]
    [InlineData("tiny-llama")]
    public void CheckpointWrittenBackReloadsWithIdenticalLogits(string name)
    {
        string dir = Fixtures.TempDir();
        using var model = ModelLoader.Load(Fixtures.Model(name));
        CheckpointWriter.Save(model, dir, Fixtures.Model(name));
        foreach (
            var f in new[]
            {
                "model.safetensors",
                "config.json",
                "generation_config.json",
                "tokenizer.json",
                "tokenizer_config.json",
            }
        )
            Assert.True(File.Exists(Path.Combine(dir, f)), f);
        // The template travels wherever the source kept it.
        Assert.True(
            File.Exists(Path.Combine(dir, "chat_template.jinja"))
                || File.ReadAllText(Path.Combine(dir, "tokenizer_config.json")).Contains("chat_template")
        );
        Assert.Empty(Directory.GetFiles(dir, "*.tmp-*"));
        using var back = ModelLoader.Load(dir);
        Assert.Equal(model.Config with { }, back.Config with { EosTokenIds = model.Config.EosTokenIds });
        var ids = tensor(new long[] { 1, 5, 9, 200, 3, 2, 7 }, [1, 7]);
        using var _ = no_grad();
        Assert.Equal(0f, (model.Forward(ids) - back.Forward(ids)).abs().max().item<float>());
        Assert.NotNull(Tokenizer.Load(dir).Template);
        // Tied embeddings are written once, as transformers does.
        var names = SafeTensorsFile.Open(Path.Combine(dir, "model.safetensors")).Entries.Keys;
        Assert.Equal(!model.Config.TieWordEmbeddings, names.Contains("lm_head.weight"));
    }
}
