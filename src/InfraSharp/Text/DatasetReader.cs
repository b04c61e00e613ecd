using System.Collections;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Parquet.Serialization;

namespace InfraSharp.Text;

/// <summary>Reads dataset rows from JSONL (one object per line, optionally gzipped) or Parquet (one object per
/// row).</summary>
public static class DatasetReader
{
    /// <summary>Rows of a file; with <paramref name="lenient"/>, a malformed line comes back marked instead of ending
    /// the read.</summary>
    public static IEnumerable<DataRow> Read(string path, bool lenient = false)
    {
        if (!File.Exists(path))
            throw InputError.MissingFile($"dataset not found: {path}", path);
        return path.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase)
            ? ReadParquet(path)
            : ReadJsonl(path, lenient);
    }

    /// <summary>
    /// The rows of a JSONL file, one object a line (blank lines skipped); <paramref name="lenient"/> returns an
    /// unparsable line as a row with <see cref="DataRow.ParseError"/> instead of throwing.
    /// </summary>
    public static IEnumerable<DataRow> ReadJsonl(string path, bool lenient = false)
    {
        int line = 0;
        foreach (var text in Lines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text))
                continue;
            JsonNode? node = null;
            string? error = null;
            try
            {
                node = JsonNode.Parse(text);
            }
            catch (JsonException e)
            {
                error = $"malformed JSON: {e.Message}";
            }
            if (error is null && node is not JsonObject)
                error = "a row must be a JSON object";
            if (error is not null)
            {
                if (!lenient)
                    throw new DataRowException(path, line, error);
                yield return new DataRow([], path, line) { ParseError = error };
                continue;
            }
            yield return new DataRow((JsonObject)node!, path, line);
        }
    }

    /// <summary>
    /// The file's lines, decoded as strict UTF-8: an invalid byte is an error naming the line, never a silent
    /// U+FFFD (which would change the text, its tokens and its fingerprint without a word).
    /// </summary>
    private static IEnumerable<string> Lines(string path)
    {
        using var reader = new StreamReader(Open(path), Strict, detectEncodingFromByteOrderMarks: false);
        while (true)
        {
            string? line;
            try
            {
                line = reader.ReadLine();
            }
            catch (DecoderFallbackException)
            {
                // The reader decodes a whole buffer at a time, so the line it was on says little: find it.
                var (at, column, bad) = FirstInvalidUtf8(path);
                throw new DataRowException(
                    path,
                    at,
                    $"invalid UTF-8 (byte 0x{bad:X2} at byte {column} of the line); " + "the file must be UTF-8"
                );
            }
            if (line is null)
                yield break;
            yield return line;
        }
    }

    // With a preamble, so that StreamReader skips a leading BOM (it only writes nothing: the reader never writes).
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: true, throwOnInvalidBytes: true);

    private static Stream Open(string path)
    {
        var file = File.OpenRead(path);
        if (!path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
            return file;
        return new GZipStream(file, CompressionMode.Decompress);
    }

    /// <summary>
    /// The 1-based line (counted as <see cref="StreamReader.ReadLine"/> counts: \n, \r\n or \r), the 1-based byte
    /// within it and the value of the first byte that is not valid UTF-8. A line break byte is never part of a
    /// multi-byte sequence, so each line can be checked on its own.
    /// </summary>
    internal static (int Line, int Column, byte Byte) FirstInvalidUtf8(string path)
    {
        using var s = new BufferedStream(Open(path), 1 << 16);
        var line = new List<byte>();
        int number = 1,
            prev = -1;
        bool bom = true;
        (int, int, byte)? Check()
        {
            var bytes = line.ToArray();
            int skip = bom && bytes.AsSpan().StartsWith(Bom) ? Bom.Length : 0;
            bom = false;
            int index = -1;
            try
            {
                Strict.GetCharCount(bytes, skip, bytes.Length - skip);
            }
            catch (DecoderFallbackException e)
            {
                index = skip + Math.Max(0, e.Index);
            }
            return index < 0 ? null : (number, index + 1, bytes[Math.Min(index, bytes.Length - 1)]);
        }
        for (int b; (b = s.ReadByte()) >= 0; prev = b)
        {
            if (b == '\n' && prev == '\r')
                continue;
            if (b is '\n' or '\r')
            {
                if (Check() is { } found)
                    return found;
                line.Clear();
                number++;
            }
            else
                line.Add((byte)b);
        }
        return Check() ?? throw new InvalidOperationException($"{path}: the decoder refused bytes that all decode");
    }

    private static readonly byte[] Bom = [0xEF, 0xBB, 0xBF];

    /// <summary>The rows of a Parquet file, each column a field.</summary>
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

    private static JsonNode? ToJson(object? v) =>
        v switch
        {
            null => null,
            string s => JsonValue.Create(s),
            ReadOnlyMemory<char> m => JsonValue.Create(m.ToString()),
            bool b => JsonValue.Create(b),
            IDictionary<string, object?> d => new JsonObject(
                d.Select(kv => KeyValuePair.Create(kv.Key, ToJson(kv.Value)))
            ),
            IEnumerable e => new JsonArray(e.Cast<object?>().Select(ToJson).ToArray()),
            int or long or short or byte => JsonValue.Create(Convert.ToInt64(v)),
            float or double or decimal => JsonValue.Create(Convert.ToDouble(v)),
            _ => JsonValue.Create(v.ToString()),
        };
}
