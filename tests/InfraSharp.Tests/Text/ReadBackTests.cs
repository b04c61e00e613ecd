using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using InfraSharp.Influence;
using InfraSharp.Text;

namespace InfraSharp.Tests.Text;

/// <summary>
/// Rows, tokenizers and option patterns as read back: strict UTF-8 with the line of the first bad byte (counted as
/// the line reader counts lines), repeated ids refused naming both lines, tokenizer merges in either format encoding
/// alike, and a bad regular expression named by its option.
/// </summary>
public class ReadBackTests
{
    private static Tokenizer Tok => Tokenizer.Load(Fixtures.Model("tiny-qwen2"));

    private static string WriteBytes(byte[] content, string name = "data.jsonl")
    {
        string p = Path.Combine(Fixtures.TempDir(), name);
        File.WriteAllBytes(p, content);
        return p;
    }

    private static byte[] Bytes(params object[] parts) =>
        parts.SelectMany(p => p is string s ? Encoding.UTF8.GetBytes(s) : (byte[])p).ToArray();

    [Fact]
    public void ValidUtf8WithABomAndMixedLineEndingsReadsAsBefore()
    {
        string text = "{\"text\":\"café 🙂\"}\r\n{\"text\":\"x\"}\r{\"text\":\"€\"}\n";
        string p = WriteBytes(Bytes(new byte[] { 0xEF, 0xBB, 0xBF }, text));
        var rows = DatasetReader.Read(p).ToList();
        Assert.Equal(["café 🙂", "x", "€"], rows.Select(r => r.Fields["text"]!.ToString()));
        Assert.Equal([1, 2, 3], rows.Select(r => r.Line));
    }

    [Theory]
    [InlineData(new byte[] { 0xFF }, "0xFF")] // never valid in UTF-8
    [InlineData(new byte[] { 0xC3, 0x28 }, "0xC3")] // a lead byte without its continuation
    [InlineData(new byte[] { 0x80 }, "0x80")] // a lone continuation byte
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 }, "0xED")] // an encoded surrogate
    public void InvalidUtf8NamesFileLineAndByte(byte[] bad, string named)
    {
        // Line 4 (\r\n, a lone \r and \n before it), after 12 good bytes: the bad byte is byte 13 of its line.
        var content = Bytes("{\"text\":\"a\"}\r\n{\"text\":\"b\"}\r{\"text\":\"c\"}\n{\"text\": \"ab", bad, "\"}\n");
        foreach (var gz in new[] { false, true })
        {
            string p = WriteBytes(gz ? Gzip(content) : content, gz ? "data.jsonl.gz" : "data.jsonl");
            var e = Assert.Throws<DataRowException>(() => DatasetReader.Read(p).ToList());
            Assert.Equal(4, e.Line);
            Assert.StartsWith($"{p}:4: invalid UTF-8 (byte {named} at byte 13 of the line)", e.Message);
            Assert.True(InputError.Is(e, out _));
        }
    }

    private static byte[] Gzip(byte[] content)
    {
        using var m = new MemoryStream();
        using (var z = new GZipStream(m, CompressionLevel.Fastest))
            z.Write(content);
        return m.ToArray();
    }

    [Fact]
    public void RepeatedIdsAreRefusedNamingBothLinesUnlessAllowed()
    {
        string p = WriteBytes(
            Bytes("{\"id\":\"a\",\"text\":\"x\"}\n{\"id\":\"b\",\"text\":\"y\"}\n\n", "{\"id\":\"a\",\"text\":\"z\"}\n")
        );
        var e = Assert.Throws<DataRowException>(() => new ExampleEncoder(Tok).EncodeFile(p));
        Assert.Equal($"{p}:4: id 'a' repeats the id of line 1; ids must be unique", e.Message);
        // Rows without an id are named by file and line, which never repeat.
        string noIds = WriteBytes(Bytes("{\"text\":\"x\"}\n{\"text\":\"x\"}\n"));
        Assert.Equal(2, new ExampleEncoder(Tok).EncodeFile(noIds).Count);
        // Training reads a curated mix, which repeats rows with their ids to upweight them.
        var all = new ExampleEncoder(Tok, new EncodeOptions { AllowRepeatedIds = true }).EncodeFile(p);
        Assert.Equal(["a", "b", "a"], all.Select(x => x.Id));
        // Skipping bad rows skips the repeat and says why.
        var lenient = new ExampleEncoder(Tok, new EncodeOptions { SkipBadRows = true });
        Assert.Equal(["a", "b"], lenient.EncodeFile(p).Select(x => x.Id));
        Assert.Contains("repeats the id of line 1", Assert.Single(lenient.Skipped).Message);
    }

    [Fact]
    public void MergesAsStringsEncodeLikeMergesAsPairs()
    {
        string dir = Fixtures.TempDir();
        foreach (var f in Directory.GetFiles(Fixtures.Model("tiny-qwen2")))
            File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        string path = Path.Combine(dir, "tokenizer.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        var merges = json["model"]!["merges"]!.AsArray();
        var strings = merges.Select(m => (JsonNode)$"{m![0]} {m[1]}").ToArray();
        json["model"]!["merges"] = new JsonArray(strings);
        File.WriteAllText(path, json.ToJsonString());
        var pairs = Tok;
        var legacy = Tokenizer.Load(dir);
        int n = 0;
        foreach (var c in Fixtures.Jsonl(Fixtures.Path_("tiny-qwen2", "tokenizer_cases.jsonl")))
        {
            string text = c["text"]!.GetValue<string>();
            Assert.Equal(Fixtures.Ints(c["ids"]), legacy.Bpe.EncodeWithOffsets(text).Ids);
            Assert.Equal(pairs.Bpe.EncodeWithOffsets(text).Ids, legacy.Bpe.EncodeWithOffsets(text).Ids);
            n++;
        }
        Assert.True(n >= 10);
    }

    [Theory]
    [InlineData("mlp.(up", "--modules")]
    [InlineData("[z-a]", "--modules")]
    public void ABadModulesPatternNamesTheOption(string pattern, string option)
    {
        var config = InfraSharp.Models.ModelConfig.Load(Fixtures.Model("tiny-llama"));
        var e = Assert.Throws<InputArgumentException>(() =>
            TrackedModules.Resolve(config, ModuleSelection.Parse(pattern))
        );
        Assert.StartsWith($"{option} '{pattern}': not a valid regular expression", e.Message);
        Assert.True(InputError.Is(e, out _));
        var p = Assert.Throws<InputArgumentException>(() =>
            new InfraSharp.Index.ProjectionSpec($"16,{pattern}=8").Validate()
        );
        Assert.StartsWith($"--projection-dim '{pattern}'", p.Message);
    }
}
