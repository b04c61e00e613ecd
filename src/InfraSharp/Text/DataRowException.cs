namespace InfraSharp.Text;

/// <summary>A row that cannot be used, named by file and line (and field, where one is at fault).</summary>
public sealed class DataRowException(string file, int line, string message)
    : FormatException($"{file}:{line}: {message}")
{
    public string File { get; } = file;
    public int Line { get; } = line;
    public string Reason { get; } = message;
}
