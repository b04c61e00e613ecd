namespace InfraSharp.Text;

/// <summary>A row that cannot be used, named by file and line (and field, where one is at fault).</summary>
public sealed class DataRowException : FormatException, IInputError
{
    /// <summary>
    /// Row <paramref name="line"/> of <paramref name="file"/> cannot be used, for <paramref name="message"/>.
    /// </summary>
    public DataRowException(string file, int line, string message)
        : base($"{file}:{line}: {message}")
    {
        File = file;
        Line = line;
        Reason = message;
    }

    /// <summary>The data file.</summary>
    public string File { get; }

    /// <summary>The 1-based line (JSONL) or row (Parquet) number.</summary>
    public int Line { get; }

    /// <summary>Why the row cannot be used.</summary>
    public string Reason { get; }
}
