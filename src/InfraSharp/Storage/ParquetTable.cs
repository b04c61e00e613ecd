using Parquet;
using Parquet.Schema;

namespace InfraSharp.Storage;

/// <summary>A column-oriented table written as Parquet (string and double columns), atomically.</summary>
internal sealed class ParquetTable
{
    private readonly List<(string Name, object Values)> _columns = [];
    public int Rows { get; private set; } = -1;

    public ParquetTable Add(string name, string?[] values) => AddColumn(name, values, values.Length);

    public ParquetTable Add(string name, double[] values) => AddColumn(name, values, values.Length);

    public ParquetTable Add(string name, long[] values) => AddColumn(name, values, values.Length);

    private ParquetTable AddColumn(string name, object values, int n)
    {
        if (Rows >= 0 && n != Rows)
            throw InputError.Argument($"column '{name}' has {n} rows, the table {Rows}");
        if (_columns.Any(c => c.Name == name))
            throw InputError.Argument($"duplicate column '{name}'");
        Rows = n;
        _columns.Add((name, values));
        return this;
    }

    public void Write(string path)
    {
        var fields = _columns
            .Select(c =>
                c.Values switch
                {
                    string?[] => (DataField)new DataField<string>(c.Name),
                    double[] => new DataField<double>(c.Name),
                    _ => new DataField<long>(c.Name),
                }
            )
            .ToList();
        var schema = new ParquetSchema(fields.Cast<Field>().ToArray());
        AtomicFile.Write(path, stream =>
        {
            var writer = ParquetWriter.CreateAsync(schema, stream).GetAwaiter().GetResult();
            try
            {
                using var rg = writer.CreateRowGroup();
                for (int i = 0; i < fields.Count; i++)
                {
                    var task = _columns[i].Values switch
                    {
                        string?[] s => rg.WriteAsync(fields[i], s!),
                        double[] d => rg.WriteAsync<double>(fields[i], d.AsMemory()),
                        long[] l => rg.WriteAsync<long>(fields[i], l.AsMemory()),
                        _ => throw new InvalidOperationException(),
                    };
                    task.GetAwaiter().GetResult();
                }
            }
            finally
            {
                writer.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        });
    }

    /// <summary>
    /// Reads the named columns of a Parquet file as arrays of cells (strings as <see cref="string"/>, numbers as
    /// stored); a missing file or column is bad input naming them.
    /// </summary>
    public static Dictionary<string, object?[]> ReadColumns(string path, params string[] names)
    {
        if (!File.Exists(path))
            throw InputError.MissingFile($"{path}: no such file", path);
        using var stream = File.OpenRead(path);
        var rows = Parquet
            .Serialization.ParquetSerializer.DeserializeUntypedAsync(stream)
            .GetAwaiter()
            .GetResult()
            .Data;
        var result = new Dictionary<string, object?[]>();
        foreach (var name in names)
        {
            if (rows.Count > 0 && !rows[0].ContainsKey(name))
                throw InputError.Data($"{path}: no column '{name}' (columns: {string.Join(", ", rows[0].Keys)})");
            result[name] = rows.Select(r => r[name] is ReadOnlyMemory<char> m ? m.ToString() : r[name]).ToArray();
        }
        return result;
    }
}
