namespace InfraSharp.Text;

/// <summary>A row that cannot be used, named by file and line (and field, where one is at fault).</summary>
public sealed class DataRowException : FormatException, IInputError
{
    public DataRowException(string file, int line, string message)
        : base($"{file}:{line}: {message}")
    {
        File = file;
        Line = line;
        Reason = message;
    }

    public string File { get; }
    public int Line { get; }
    public string Reason { get; }
}
