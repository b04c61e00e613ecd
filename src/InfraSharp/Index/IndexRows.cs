using System.Text.Json.Nodes;
using InfraSharp.Storage;
using InfraSharp.Text;
using Parquet;
using Parquet.Schema;

namespace InfraSharp.Index;

/// <summary>
/// The row table beside each shard (Parquet): the training row's id, source file and line, its other fields as a
/// JSON object, and its token count, in the shard's row order.
/// </summary>
internal static class IndexRows
{
    public static string PathFor(string shardPath) => Path.ChangeExtension(shardPath, ".rows.parquet");

    public static void Write(string path, IReadOnlyList<EncodedExample> rows) =>
        new ParquetTable()
            .Add("id", rows.Select(e => (string?)e.Id).ToArray())
            .Add("source", rows.Select(e => (string?)e.SourceFile).ToArray())
            .Add("line", rows.Select(e => (long)e.Line).ToArray())
            .Add("tokens", rows.Select(e => (long)e.Length).ToArray())
            .Add("attributes", rows.Select(e => (string?)e.Attributes.ToJsonString()).ToArray())
            .Write(path);

    /// <summary>One string column of a row table, read column-wise (no per-row objects).</summary>
    public static string[] ReadStrings(string path, string column) => ReadColumn(path, column, (rg, field) =>
        {
            var values = new string?[rg.RowCount];
            rg.ReadAsync(field, values.AsMemory(), null).AsTask().GetAwaiter().GetResult();
            return values.Select(v => v ?? "").ToArray();
        });

    /// <summary>One integer column of a row table (<c>line</c>, <c>tokens</c>).</summary>
    public static long[] ReadLongs(string path, string column) => ReadColumn(path, column, (rg, field) =>
        {
            var values = new long[rg.RowCount];
            rg.ReadAsync(field, values.AsMemory(), null).AsTask().GetAwaiter().GetResult();
            return values;
        });

    private static T[] ReadColumn<T>(string path, string column, Func<ParquetRowGroupReader, DataField, T[]> read)
    {
        if (!File.Exists(path))
            throw InputError.MissingFile($"{path}: row table missing", path);
        using var stream = File.OpenRead(path);
        var reader = ParquetReader.CreateAsync(stream).GetAwaiter().GetResult();
        var result = new List<T>();
        try
        {
            var field = reader.Schema.GetDataFields().FirstOrDefault(f => f.Name == column)
                ?? throw InputError.Data($"{path}: no column '{column}'");
            for (int g = 0; g < reader.RowGroupCount; g++)
            {
                using var rg = reader.OpenRowGroupReader(g);
                result.AddRange(read(rg, field));
            }
        }
        finally
        {
            reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        return result.ToArray();
    }

    /// <summary>
    /// Every row of the row tables as (id, source file, line), for naming where an id already in the index came from.
    /// </summary>
    public static IEnumerable<(string Id, string Source, long Line)> Origins(string path)
    {
        var ids = ReadStrings(path, "id");
        var sources = ReadStrings(path, "source");
        var lines = ReadLongs(path, "line");
        return ids.Select((id, i) => (id, sources[i], lines[i]));
    }

    /// <summary>
    /// Whether each row's attributes satisfy every <c>key=value</c> filter (values compared as text).
    /// </summary>
    public static bool[] Matches(string path, IReadOnlyList<(string Key, string Value)> filters)
    {
        var attrs = ReadStrings(path, "attributes");
        return attrs
            .Select(a =>
            {
                var o = JsonNode.Parse(a) as JsonObject;
                return filters.All(f => o?[f.Key] is JsonNode n && Text(n) == f.Value);
            })
            .ToArray();
    }

    private static string Text(JsonNode n) =>
        n is JsonValue v && v.TryGetValue<string>(out var s) ? s : n.ToJsonString();
}
