namespace InfraSharp;

/// <summary>
/// Factories of the input exceptions (<see cref="IInputError"/>), named for what went wrong, and the test the CLI
/// and the explorer use to tell bad input from a bug. Malformed data is the BCL's own
/// <see cref="InvalidDataException"/>: it is sealed (no subclass can carry the marker), and its meaning, a stream
/// in an invalid format, is bad input wherever it comes from, so the type itself is the mark.
/// </summary>
public static class InputError
{
    /// <summary>Whether <paramref name="e"/> (or the single exception it wraps) is bad input.</summary>
    public static bool Is(Exception e, out Exception inner)
    {
        inner = e;
        while (inner is AggregateException { InnerExceptions.Count: 1 } a)
            inner = a.InnerExceptions[0];
        return inner is IInputError or InvalidDataException;
    }

    /// <summary>A bad argument (an option's value, or values that contradict each other).</summary>
    public static InputArgumentException Argument(string message) => new(message);

    /// <summary>A bad argument named by its <see cref="ArgumentPath"/> (the CLI writes its flag instead).</summary>
    public static InputArgumentException ArgumentAt(FormattableString message) => new(message);

    /// <summary>
    /// Malformed input data (a file's content, a row, a tensor): an <see cref="InvalidDataException"/>.
    /// </summary>
    public static InvalidDataException Data(string message) => new(message);

    /// <summary>
    /// A valid request this build or machine cannot serve (a model type, a device, a missing chat template).
    /// </summary>
    public static InputNotSupportedException Unsupported(string message) => new(message);

    /// <summary>An input file or folder that does not exist, at <paramref name="path"/> when known.</summary>
    public static InputFileNotFoundException MissingFile(string message, string? path = null) => new(message, path);

    /// <summary>A missing file given by the argument at the message's <see cref="ArgumentPath"/>.</summary>
    public static InputFileNotFoundException MissingFileAt(FormattableString message, string? path) =>
        new(message, path);

    /// <summary>
    /// An input that does not fit the state it is used in (a folder of another run, a stage not yet done).
    /// </summary>
    public static InputInvalidOperationException Invalid(string message) => new(message);
}
