using System.Text.Json.Serialization;
using InfraSharp.Text;
using Parquet.Serialization;

namespace InfraSharp.Tests.Text;

public class ParquetRowsTests
{
    public sealed class Message
    {
        [JsonPropertyName("role")]
        public string Role { get; set; } = "";

        [JsonPropertyName("content")]
        public string Content { get; set; } = "";
    }

    public sealed class Row
    {
        [JsonPropertyName("id")]
        public string Id { get; set; } = "";

        [JsonPropertyName("domain")]
        public string Domain { get; set; } = "";

        [JsonPropertyName("difficulty")]
        public int Difficulty { get; set; }

        [JsonPropertyName("messages")]
        public List<Message> Messages { get; set; } = [];
    }

    [Fact]
    public async Task ParquetChatRowsEncodeLikeTheirJsonl()
    {
        var src = DatasetReader.Read(Fixtures.Path_("tiny-qwen2", "train.jsonl")).Take(4).ToList();
        var rows = src.Select(r => new Row
            {
                Id = r.Fields["id"]!.GetValue<string>(),
                Domain = r.Fields["domain"]!.GetValue<string>(),
                Difficulty = r.Fields["difficulty"]!.GetValue<int>(),
                Messages = r.Fields["messages"]!
                    .AsArray()
                    .Select(m => new Message
                    {
                        Role = m!["role"]!.GetValue<string>(),
                        Content = m["content"]!.GetValue<string>(),
                    })
                    .ToList(),
            })
            .ToList();
        string path = Path.Combine(Fixtures.TempDir(), "train.parquet");
        await ParquetSerializer.SerializeAsync(rows, path, new Parquet.ParquetOptions());
        var read = DatasetReader.Read(path).ToList();
        Assert.Equal(4, read.Count);
        var enc = new ExampleEncoder(Tokenizer.Load(Fixtures.Model("tiny-qwen2")));
        for (int i = 0; i < 4; i++)
        {
            var ex = enc.Encode(read[i]);
            Assert.Equal(Fixtures.Ints(src[i].Fields["input_ids"]), ex.InputIds);
            Assert.Equal(Fixtures.Ints(src[i].Fields["labels"]), ex.Labels);
            Assert.Equal(src[i].Fields["difficulty"]!.GetValue<int>(), ex.Attributes["difficulty"]!.GetValue<long>());
            Assert.Equal($"{path}", read[i].File);
        }
    }
}
