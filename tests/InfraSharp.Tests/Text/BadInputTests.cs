using InfraSharp.Models;
using InfraSharp.Text;

namespace InfraSharp.Tests.Text;

public class BadInputTests
{
    private static string Write(string content, string name = "data.jsonl")
    {
        string p = Path.Combine(Fixtures.TempDir(), name);
        File.WriteAllText(p, content);
        return p;
    }

    private static Tokenizer Tok => Tokenizer.Load(Fixtures.Model("tiny-qwen2"));

    [Fact]
    public void MalformedJsonlLineNamesFileAndLine()
    {
        string p = Write("{\"text\":\"ok\"}\n{\"text\": oops}\n");
        var e = Assert.Throws<DataRowException>(() => new ExampleEncoder(Tok).EncodeFile(p));
        Assert.Contains($"{p}:2", e.Message);
        Assert.Contains("malformed JSON", e.Message);
    }

    [Fact]
    public void MissingFieldNamesTheField()
    {
        string p = Write("{\"messages\":[{\"role\":\"user\"}]}\n");
        var e = Assert.Throws<DataRowException>(() => new ExampleEncoder(Tok).EncodeFile(p));
        Assert.Contains($"{p}:1", e.Message);
        Assert.Contains("messages[0].content", e.Message);
    }

    [Fact]
    public void RowWithoutContentIsAnError()
    {
        string p = Write("{\"id\":\"a\",\"domain\":\"math\"}\n");
        var e = Assert.Throws<DataRowException>(() => new ExampleEncoder(Tok).EncodeFile(p));
        Assert.Contains("no content field", e.Message);
    }

    [Fact]
    public void SkipBadRowsReportsWhich()
    {
        string p = Write("{\"text\":\"a\"}\nnot json\n{\"id\":1}\n{\"text\":\"b\"}\n");
        var enc = new ExampleEncoder(Tok, new EncodeOptions { SkipBadRows = true });
        var ok = enc.EncodeFile(p);
        Assert.Equal(2, ok.Count);
        Assert.Equal([2, 3], enc.Skipped.Select(s => s.Line));
    }

    [Fact]
    public void SequenceOverContextLengthIsAnError()
    {
        string p = Write("{\"text\":\"" + string.Concat(Enumerable.Repeat("word ", 50)) + "\"}\n");
        var e = Assert.Throws<DataRowException>(() =>
            new ExampleEncoder(Tok, new EncodeOptions { MaxLength = 16 }).EncodeFile(p)
        );
        Assert.Contains("exceeds the context length 16", e.Message);
        Assert.Contains(":1", e.Message);
    }

    [Fact]
    public void UnknownArchitectureIsAnError()
    {
        string dir = Fixtures.TempDir();
        File.WriteAllText(Path.Combine(dir, "config.json"), """{"model_type":"gpt2","vocab_size":10}""");
        var e = Assert.Throws<InputNotSupportedException>(() => ModelLoader.Load(dir));
        Assert.Contains("gpt2", e.Message);
        Assert.Contains("config.json", e.Message);
    }

    [Fact]
    public void RopeScalingIsRefused()
    {
        string dir = Fixtures.TempDir();
        var cfg = System
            .Text.Json.Nodes.JsonNode.Parse(
                File.ReadAllText(Path.Combine(Fixtures.Model("tiny-qwen2"), "config.json"))
            )!
            .AsObject();
        cfg["rope_scaling"] = System.Text.Json.Nodes.JsonNode.Parse("""{"rope_type":"yarn","factor":4.0}""");
        File.WriteAllText(Path.Combine(dir, "config.json"), cfg.ToJsonString());
        var e = Assert.Throws<InputNotSupportedException>(() => ModelConfig.Load(dir));
        Assert.Contains("yarn", e.Message);
    }

    [Fact]
    public void UnknownChatTemplateIsRefusedNotGuessed()
    {
        string dir = Fixtures.TempDir();
        foreach (var f in new[] { "tokenizer.json", "tokenizer_config.json" })
            File.Copy(Path.Combine(Fixtures.Model("tiny-qwen2"), f), Path.Combine(dir, f));
        File.WriteAllText(
            Path.Combine(dir, "chat_template.jinja"),
            "{% for m in messages %}{{ m['content'] }}{% endfor %}"
        );
        var tok = Tokenizer.Load(dir);
        var row = new DataRow(
            System.Text.Json.Nodes.JsonNode.Parse("""{"messages":[{"role":"user","content":"hi"}]}""")!.AsObject(),
            "x.jsonl",
            3
        );
        var e = Assert.Throws<DataRowException>(() => new ExampleEncoder(tok).Encode(row));
        Assert.Contains("chat_template.jinja", e.Message);
        Assert.Contains("x.jsonl:3", e.Message);
    }

    [Fact]
    public void MissingWeightIsNamed()
    {
        string dir = Fixtures.TempDir();
        File.Copy(Path.Combine(Fixtures.Model("tiny-llama"), "config.json"), Path.Combine(dir, "config.json"));
        var all = InfraSharp.Storage.SafeTensorsFile.ReadAll(
            Path.Combine(Fixtures.Model("tiny-llama"), "model.safetensors")
        );
        all.Remove("model.layers.1.mlp.up_proj.weight");
        InfraSharp.Storage.SafeTensorsFile.Write(Path.Combine(dir, "model.safetensors"), all);
        var e = Assert.Throws<InvalidDataException>(() => ModelLoader.Load(dir));
        Assert.Contains("model.layers.1.mlp.up_proj.weight", e.Message);
    }
}
