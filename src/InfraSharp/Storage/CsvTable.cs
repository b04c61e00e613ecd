using System.Text;

namespace InfraSharp.Storage;

/// <summary>
/// An RFC 4180 CSV file as a header and rows of cells: quoted cells may hold commas, doubled quotes and line
/// breaks (as the analysis writes group names and snippets), so a line is never simply split on commas.
/// </summary>
internal sealed record CsvTable(string[] Header, List<string[]> Rows)
{
    public int Column(string name, string path) =>
        Array.IndexOf(Header, name) is int i and >= 0
            ? i
            : throw InputError.Data($"{path}: no column '{name}' (columns: {string.Join(", ", Header)})");

    /// <summary>A cell as RFC 4180 writes it: quoted (quotes doubled) when it holds a comma, quote or line
    /// break.</summary>
    public static string Quote(string cell) =>
        cell.IndexOfAny([',', '"', '\n', '\r']) < 0 ? cell : "\"" + cell.Replace("\"", "\"\"") + "\"";

    public static CsvTable Read(string path)
    {
        if (!File.Exists(path))
            throw InputError.MissingFile($"{path}: no such file", path);
        var records = Parse(File.ReadAllText(path), path);
        if (records.Count == 0)
            throw InputError.Data($"{path}: empty CSV (no header)");
        var header = records[0];
        for (int r = 1; r < records.Count; r++)
            if (records[r].Length != header.Length)
                throw InputError.Data(
                    $"{path}: record {r + 1} has {records[r].Length} cells, the header {header.Length}"
                );
        return new CsvTable(header, records.Skip(1).ToList());
    }

    public static List<string[]> Parse(string text, string path = "csv")
    {
        var records = new List<string[]>();
        var cells = new List<string>();
        var cell = new StringBuilder();
        bool quoted = false,
            any = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted)
            {
                if (c != '"')
                    cell.Append(c);
                else if (i + 1 < text.Length && text[i + 1] == '"')
                {
                    cell.Append('"');
                    i++;
                }
                else
                    quoted = false;
                continue;
            }
            switch (c)
            {
                case '"' when cell.Length == 0:
                    quoted = true;
                    any = true;
                    break;
                case ',':
                    cells.Add(cell.ToString());
                    cell.Clear();
                    any = true;
                    break;
                case '\r' when i + 1 < text.Length && text[i + 1] == '\n':
                    break;
                case '\n' or '\r':
                    cells.Add(cell.ToString());
                    cell.Clear();
                    records.Add([.. cells]);
                    cells.Clear();
                    any = false;
                    break;
                default:
                    cell.Append(c);
                    any = true;
                    break;
            }
        }
        if (quoted)
            throw InputError.Data($"{path}: a quoted cell is not closed");
        if (any || cell.Length > 0)
        {
            cells.Add(cell.ToString());
            records.Add([.. cells]);
        }
        return records;
    }
}
