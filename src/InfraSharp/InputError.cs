namespace InfraSharp;

/// <summary>
/// Bad input (a file, row, field, option, module or fingerprint that the user can fix) as opposed to a bug.
/// The exception keeps the conventional .NET type (so library callers can catch what they expect) and carries
/// a mark that the CLI maps to one line and exit code 2; anything unmarked is an internal error (exit 1, with
/// the stack trace). Marking instead of catching broad types keeps a framework's own ArgumentException, thrown
/// by a bug, from being reported as the user's fault.
/// </summary>
public static class InputError
{
    private const string Mark = "InfraSharp.InputError";

    public static T Flag<T>(T e)
        where T : Exception
    {
        e.Data[Mark] = true;
        return e;
    }

    /// <summary>Whether <paramref name="e"/> (or the single exception it wraps) is bad input.</summary>
    public static bool Is(Exception e, out Exception inner)
    {
        inner = e;
        while (inner is AggregateException { InnerExceptions.Count: 1 } a)
            inner = a.InnerExceptions[0];
        return inner.Data.Contains(Mark);
    }

    public static ArgumentException Argument(string message) => Flag(new ArgumentException(message));

    public static InvalidDataException Data(string message) => Flag(new InvalidDataException(message));

    public static NotSupportedException Unsupported(string message) => Flag(new NotSupportedException(message));

    public static FileNotFoundException MissingFile(string message, string? path = null) =>
        Flag(new FileNotFoundException(message, path));

    public static InvalidOperationException Invalid(string message) => Flag(new InvalidOperationException(message));
}
