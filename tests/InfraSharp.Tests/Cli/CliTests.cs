using System.Text.Json.Nodes;

namespace InfraSharp.Tests.Cli;

/// <summary>The command contracts other tools call, run through the real entry point.</summary>
[Collection("cli")]
public class CliTests
{
    private static int Infra(params string[] args) => InfraSharp.Cli.Program.Main(args);

    [Fact]
    public void EncodeAddsIdsLabelsAndText()
    {
        string dir = Fixtures.TempDir();
        string input = Path.Combine(dir, "in.jsonl"),
            output = Path.Combine(dir, "out.jsonl");
        var src = Fixtures.Jsonl(Fixtures.Path_("tiny-llama", "train.jsonl")).Take(5).ToList();
        File.WriteAllLines(
            input,
            src.Select(r =>
                {
                    var o = (JsonObject)r.DeepClone();
                    o.Remove("input_ids");
                    o.Remove("labels");
                    return o.ToJsonString();
                })
                .Append("""{"id":"t","text":"<|im_start|>user\nhi<|im_end|>"}""")
        );
        Assert.Equal(0, Infra("encode", "--model", Fixtures.Model("tiny-llama"), "--data", input, "--out", output));
        var rows = Fixtures.Jsonl(output).ToList();
        Assert.Equal(6, rows.Count);
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(Fixtures.Ints(src[i]["input_ids"]), Fixtures.Ints(rows[i]["input_ids"]));
            Assert.Equal(Fixtures.Ints(src[i]["labels"]), Fixtures.Ints(rows[i]["labels"]));
            Assert.StartsWith("<|im_start|>user\n", rows[i]["text"]!.GetValue<string>());
            Assert.Equal(src[i]["difficulty"]!.GetValue<int>(), rows[i]["difficulty"]!.GetValue<int>());
        }
        // Special tokens written in text are matched as special tokens; labels on every token.
        var t = Fixtures.Ints(rows[5]["input_ids"]);
        Assert.Equal(1, t[0]);
        Assert.Equal(2, t[^1]);
        Assert.Equal(t, Fixtures.Ints(rows[5]["labels"]));
    }

    [Fact]
    public void EncodeWorksOnATokenizerOnlyFolderAndAddsSpecialTokensOnRequest()
    {
        string dir = Fixtures.TempDir();
        string input = Path.Combine(dir, "in.jsonl"),
            output = Path.Combine(dir, "out.jsonl");
        File.WriteAllText(input, """{"text":"Hello"}""" + "\n");
        Assert.Equal(
            0,
            Infra(
                "encode",
                "--model",
                Fixtures.Path_("real-tokenizers", "llama3_1"),
                "--data",
                input,
                "--out",
                output,
                "--add-special-tokens"
            )
        );
        Assert.Equal(128000, Fixtures.Ints(Fixtures.Jsonl(output).Single()["input_ids"])[0]);
    }

    [Fact]
    public void EncodeReportsBadRowWithExitCode2()
    {
        string dir = Fixtures.TempDir();
        string input = Path.Combine(dir, "in.jsonl"),
            output = Path.Combine(dir, "out.jsonl");
        File.WriteAllText(input, "{\"text\":\"a\"}\n{broken\n");
        Assert.Equal(2, Infra("encode", "--model", Fixtures.Model("tiny-qwen2"), "--data", input, "--out", output));
        Assert.False(File.Exists(output)); // nothing half-written
        Assert.Equal(
            0,
            Infra(
                "encode",
                "--model",
                Fixtures.Model("tiny-qwen2"),
                "--data",
                input,
                "--out",
                output,
                "--skip-bad-rows"
            )
        );
        Assert.Single(Fixtures.Jsonl(output));
    }

    [Theory]
    [InlineData("tiny-qwen2")]
    [InlineData("tiny-llama")]
    public void GenerateGreedyMatchesReference(string name)
    {
        string dir = Fixtures.TempDir();
        string input = Path.Combine(dir, "in.jsonl"),
            output = Path.Combine(dir, "out.jsonl");
        // The generation cases' prompts are the queries' user turns.
        var queries = Fixtures.Jsonl(Fixtures.Path_(name, "queries.jsonl")).ToList();
        var cases = Fixtures.Jsonl(Fixtures.Path_(name, "generation_cases.jsonl")).ToList();
        File.WriteAllLines(
            input,
            queries.Select(q =>
                new JsonObject
                {
                    ["id"] = q["id"]!.DeepClone(),
                    ["messages"] = q["messages"]!.DeepClone(),
                }.ToJsonString()
            )
        );
        Assert.Equal(
            0,
            Infra(
                "generate",
                "--model",
                Fixtures.Model(name),
                "--data",
                input,
                "--out",
                output,
                "--max-new-tokens",
                "48",
                "--greedy",
                "--batch-size",
                "3"
            )
        );
        var outRows = Fixtures.Jsonl(output).ToList();
        Assert.Equal(queries.Count, outRows.Count);
        int matched = 0;
        foreach (var c in cases)
        {
            var prompt = Fixtures.Ints(c["prompt_ids"]);
            int qi = queries.FindIndex(q => Fixtures.Ints(q["input_ids"]).Take(prompt.Length).SequenceEqual(prompt));
            if (qi < 0)
                continue;
            Assert.Equal(Fixtures.Ints(c["greedy_ids"]), Fixtures.Ints(outRows[qi]["completion_ids"]));
            Assert.False(string.IsNullOrEmpty(outRows[qi]["completion"]!.GetValue<string>()));
            matched++;
        }
        Assert.True(matched > 0);
    }

    [Fact]
    public void SampledGenerationIsReproducible()
    {
        string dir = Fixtures.TempDir();
        string input = Path.Combine(dir, "in.jsonl");
        var q = Fixtures.Jsonl(Fixtures.Path_("tiny-qwen2", "queries.jsonl")).First();
        File.WriteAllText(input, new JsonObject { ["messages"] = q["messages"]!.DeepClone() }.ToJsonString() + "\n");
        string[] Args(string o) =>
            [
                "generate",
                "--model",
                Fixtures.Model("tiny-qwen2"),
                "--data",
                input,
                "--out",
                o,
                "--max-new-tokens",
                "16",
                "--temperature",
                "1.3",
                "--top-p",
                "0.9",
                "--seed",
                "5",
            ];
        Assert.Equal(0, Infra(Args(Path.Combine(dir, "a.jsonl"))));
        Assert.Equal(0, Infra(Args(Path.Combine(dir, "b.jsonl"))));
        Assert.Equal(File.ReadAllText(Path.Combine(dir, "a.jsonl")), File.ReadAllText(Path.Combine(dir, "b.jsonl")));
    }
}
