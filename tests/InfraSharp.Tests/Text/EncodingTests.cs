using InfraSharp.Text;

namespace InfraSharp.Tests.Text;

public class EncodingTests
{
    [Theory]
    [InlineData("tiny-qwen2")]
    [InlineData("tiny-llama")]
    public void TemplateRenderingMatchesByteForByte(string name)
    {
        var tok = Tokenizer.Load(Fixtures.Model(name));
        int n = 0;
        foreach (var c in Fixtures.Jsonl(Fixtures.Path_(name, "template_cases.jsonl")))
        {
            var msgs = c["messages"]!
                .AsArray()
                .Select(m => new ChatMessage(m!["role"]!.GetValue<string>(), m["content"]!.GetValue<string>()))
                .ToList();
            Assert.Equal(
                c["text"]!.GetValue<string>(),
                tok.RequireTemplate().Render(msgs, c["add_generation_prompt"]!.GetValue<bool>()).Text
            );
            n++;
        }
        Assert.True(n > 0);
    }

    [Theory]
    [InlineData("tiny-qwen2", "train.jsonl")]
    [InlineData("tiny-qwen2", "queries.jsonl")]
    [InlineData("tiny-llama", "train.jsonl")]
    [InlineData("tiny-llama", "queries.jsonl")]
    public void EncodingMessagesGivesStoredIdsAndLabels(string name, string file)
    {
        var tok = Tokenizer.Load(Fixtures.Model(name));
        var enc = new ExampleEncoder(tok);
        var rows = DatasetReader.Read(Fixtures.Path_(name, file)).ToList();
        foreach (var row in rows)
        {
            // Encode from messages only: drop the stored encoding, compare with it.
            var fields = (System.Text.Json.Nodes.JsonObject)row.Fields.DeepClone();
            var storedIds = Fixtures.Ints(fields["input_ids"]);
            var storedLabels = Fixtures.Ints(fields["labels"]);
            fields.Remove("input_ids");
            fields.Remove("labels");
            var ex = enc.Encode(row with { Fields = fields });
            Assert.Equal(storedIds, ex.InputIds);
            Assert.Equal(storedLabels, ex.Labels);
            Assert.Equal(row.Fields["id"]!.GetValue<string>(), ex.Id);
            Assert.Equal(row.Fields["domain"]!.GetValue<string>(), ex.Attributes["domain"]!.GetValue<string>());
            Assert.False(ex.Attributes.ContainsKey("messages"));
        }
        Assert.True(rows.Count >= 8);
    }

    [Fact]
    public void RowWithInputIdsIsTakenAsEncoded()
    {
        var tok = Tokenizer.Load(Fixtures.Model("tiny-qwen2"));
        var row = new DataRow(
            System
                .Text.Json.Nodes.JsonNode.Parse("""{"input_ids":[1,2,3],"text":"ignored","domain":"x"}""")!
                .AsObject(),
            "f.jsonl",
            1
        );
        var ex = new ExampleEncoder(tok).Encode(row);
        Assert.Equal([1, 2, 3], ex.InputIds);
        Assert.Equal([1, 2, 3], ex.Labels);
        Assert.Equal("x", ex.Attributes["domain"]!.GetValue<string>());
    }

    [Fact]
    public void LabelAllTokensOnRequest()
    {
        var tok = Tokenizer.Load(Fixtures.Model("tiny-qwen2"));
        var row = DatasetReader.Read(Fixtures.Path_("tiny-qwen2", "queries.jsonl")).First();
        row.Fields.Remove("input_ids");
        row.Fields.Remove("labels");
        var ex = new ExampleEncoder(tok, new EncodeOptions { LabelAllTokens = true }).Encode(row);
        Assert.Equal(ex.InputIds, ex.Labels);
    }

    [Fact]
    public void PromptCompletionLabelsOnlyTheCompletionAndEnd()
    {
        var tok = Tokenizer.Load(Fixtures.Model("tiny-qwen2"));
        var row = new DataRow(
            System.Text.Json.Nodes.JsonNode.Parse("""{"prompt":"What is 2+2? ","completion":"4"}""")!.AsObject(),
            "f.jsonl",
            1
        );
        var ex = new ExampleEncoder(tok).Encode(row);
        Assert.Equal(2, ex.InputIds[^1]); // eos appended
        var labelled = ex.InputIds.Where((_, i) => ex.Labels[i] != -100).ToArray();
        Assert.Equal(tok.Bpe.Encode("4").Append(2), labelled);
    }
}
