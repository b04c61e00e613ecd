namespace InfraSharp.Text;

/// <summary>
/// Row ids seen so far, each with where it was first seen. Scores, index hits and reports name training and query
/// rows by id, so a repeated id would make two rows indistinguishable (and the index keep either one's vector under
/// the other's name): a repeat is refused, naming both places.
/// </summary>
internal sealed class UniqueIds
{
    private readonly Dictionary<string, (string File, long Line)> _first = new(StringComparer.Ordinal);

    /// <summary>Records <paramref name="id"/> as seen at <paramref name="file"/>:<paramref name="line"/>.</summary>
    public void Add(string id, string file, long line, string? context = null)
    {
        if (_first.TryGetValue(id, out var first))
        {
            string where = first.File == file ? $"line {first.Line}" : $"{first.File}:{first.Line}";
            throw new DataRowException(
                file,
                checked((int)line),
                $"id '{id}' repeats the id of {where}{context}; ids must be unique"
            );
        }
        _first[id] = (file, line);
    }
}
