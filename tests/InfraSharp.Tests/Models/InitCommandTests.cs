using System.Text.Json.Nodes;
using InfraSharp.Models;
using InfraSharp.Storage;
using InfraSharp.Tests.Cli;
using InfraSharp.Text;

namespace InfraSharp.Tests.Models;

/// <summary>
/// <c>infra init --shape qwen2.5-0.5b</c> writes the released model's exact shape in bf16 with the real Qwen2.5
/// tokenizer (checked against transformers' encodings of the fixture cases), and loads back for bf16 compute.
/// </summary>
[Collection("cli")]
public class InitCommandTests
{
    [Fact]
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
