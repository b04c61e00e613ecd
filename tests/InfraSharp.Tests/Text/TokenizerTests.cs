using InfraSharp.Text;

namespace InfraSharp.Tests.Text;

public class TokenizerTests
{
    [Theory]
    [InlineData("tiny-qwen2")]
    [InlineData("tiny-llama")]
    public void TinyTokenizerMatchesTransformers(string name)
    {
        var tok = Tokenizer.Load(Fixtures.Model(name));
        int n = 0;
        foreach (var c in Fixtures.Jsonl(Fixtures.Path_(name, "tokenizer_cases.jsonl")))
        {
            string text = c["text"]!.GetValue<string>();
            var expected = Fixtures.Ints(c["ids"]);
            var enc = tok.Bpe.EncodeWithOffsets(text);
            Assert.Equal(expected, enc.Ids);
            Assert.Equal(text, tok.Bpe.Decode(enc.Ids));
            n++;
        }
        Assert.True(n >= 10);
    }

    [Theory]
    [InlineData("qwen2_5")]
    [InlineData("llama3_1")]
    public void RealTokenizerCasesMatchTransformers(string name)
    {
        string dir = Fixtures.Tokenizer(name);
        var tok = Tokenizer.Load(dir);
        var kinds = new HashSet<string>();
        foreach (var c in Fixtures.Jsonl(Fixtures.Path_("real-tokenizers", name + "_cases.jsonl")))
        {
            string kind = c["kind"]!.GetValue<string>();
            kinds.Add(kind);
            switch (kind)
            {
                case "encode":
                    Assert.Equal(Fixtures.Ints(c["ids"]), tok.Bpe.Encode(c["text"]!.GetValue<string>()));
                    break;
                case "encode_with_specials":
                    Assert.Equal(
                        Fixtures.Ints(c["ids"]),
                        tok.Bpe.Encode(c["text"]!.GetValue<string>(), addSpecialTokens: true)
                    );
                    break;
                case "chat":
                {
                    var msgs = c["messages"]!
                        .AsArray()
                        .Select(m => new ChatMessage(m!["role"]!.GetValue<string>(), m["content"]!.GetValue<string>()))
                        .ToList();
                    var r = tok.RequireTemplate().Render(msgs, c["add_generation_prompt"]!.GetValue<bool>());
                    Assert.Equal(c["text"]!.GetValue<string>(), r.Text);
                    Assert.Equal(Fixtures.Ints(c["ids"]), tok.Bpe.Encode(r.Text));
                    break;
                }
                case "decode":
                    Assert.Equal(c["text"]!.GetValue<string>(), tok.Decode(Fixtures.Ints(c["ids"])));
                    break;
                default:
                    throw new InvalidOperationException("unknown case kind " + kind);
            }
        }
        Assert.Equal(4, kinds.Count);
    }

    [Fact]
    public void OffsetsCoverTheirTokens()
    {
        var tok = Tokenizer.Load(Fixtures.Tokenizer("qwen2_5"));
        string text = "naïve café 数学 🚀 x=1";
        var enc = tok.Bpe.EncodeWithOffsets(text);
        // Every character is covered, spans are ordered, and whole-character tokens decode to their span.
        Assert.Equal(0, enc.Offsets[0].Start);
        Assert.Equal(text.Length, enc.Offsets[^1].End);
        for (int i = 1; i < enc.Ids.Length; i++)
            Assert.True(enc.Offsets[i].Start >= enc.Offsets[i - 1].Start);
        for (int i = 0; i < enc.Ids.Length; i++)
        {
            string piece = tok.Decode([enc.Ids[i]]);
            if (!piece.Contains('\uFFFD'))
                Assert.Equal(text[enc.Offsets[i].Start..enc.Offsets[i].End], piece);
        }
    }

    [Fact]
    public void UnigramTokenizerIsRefused()
    {
        string dir = Fixtures.TempDir();
        File.WriteAllText(
            Path.Combine(dir, "tokenizer.json"),
            """{"model":{"type":"Unigram","vocab":[["a",0.0]]},"pre_tokenizer":null,"normalizer":null}"""
        );
        var e = Assert.Throws<InputNotSupportedException>(() => BpeTokenizer.Load(dir));
        Assert.Contains("Unigram", e.Message);
        Assert.Contains("tokenizer.json", e.Message);
    }
}
