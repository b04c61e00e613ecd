using System.Collections;
using System.Text.Json;
using System.Text.Json.Nodes;
using Parquet.Serialization;

namespace InfraSharp.Text;

/// <summary>Reads dataset rows from JSONL (one object per line, optionally gzipped) or Parquet (one object per row).</summary>
public static class DatasetReader
{
    /// <summary>Rows of a file; with <paramref name="lenient"/>, a malformed line comes back marked instead of ending the read.</summary>
    public static IEnumerable<DataRow> Read(string path, bool lenient = false)
    {
        if (!File.Exists(path)) throw InputError.MissingFile($"dataset not found: {path}", path);
        return path.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase) ? ReadParquet(path) : ReadJsonl(path, lenient);
    }

    public static IEnumerable<DataRow> ReadJsonl(string path, bool lenient = false)
    {
        int line = 0;
        foreach (var text in Lines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            JsonNode? node = null;
            string? error = null;
            try { node = JsonNode.Parse(text); }
            catch (JsonException e) { error = $"malformed JSON: {e.Message}"; }
            if (error is null && node is not JsonObject) error = "a row must be a JSON object";
            if (error is not null)
            {
                if (!lenient) throw new DataRowException(path, line, error);
                yield return new DataRow([], path, line) { ParseError = error };
                continue;
            }
            yield return new DataRow((JsonObject)node!, path, line);
        }
    }

    private static IEnumerable<string> Lines(string path)
    {
        if (!path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
        {
            foreach (var l in File.ReadLines(path)) yield return l;
            yield break;
        }
        using var gz = new System.IO.Compression.GZipStream(File.OpenRead(path), System.IO.Compression.CompressionMode.Decompress);
        using var r = new StreamReader(gz);
        string? line;
        while ((line = r.ReadLine()) is not null) yield return line;
    }

    public static IEnumerable<DataRow> ReadParquet(string path)
    {
        using var fs = File.OpenRead(path);
        var result = ParquetSerializer.DeserializeUntypedAsync(fs).GetAwaiter().GetResult();
        int row = 0;
        foreach (var dict in result.Data)
        {
            row++;
            yield return new DataRow((JsonObject)ToJson(dict)!, path, row);
        }
    }

    private static JsonNode? ToJson(object? v) => v switch
    {
        null => null,
        string s => JsonValue.Create(s),
        ReadOnlyMemory<char> m => JsonValue.Create(m.ToString()),
        bool b => JsonValue.Create(b),
        IDictionary<string, object?> d => new JsonObject(d.Select(kv => KeyValuePair.Create(kv.Key, ToJson(kv.Value)))),
        IEnumerable e => new JsonArray(e.Cast<object?>().Select(ToJson).ToArray()),
        int or long or short or byte => JsonValue.Create(Convert.ToInt64(v)),
        float or double or decimal => JsonValue.Create(Convert.ToDouble(v)),
        _ => JsonValue.Create(v.ToString()),
    };
}
