namespace InfraSharp;

/// <summary>
/// Marks bad input (a file, row, field, option, module or fingerprint that the user can fix) as opposed to a bug.
/// Each input exception keeps its conventional .NET base type (so library callers catch what they expect) and
/// implements this interface, which the CLI maps to one line and exit code 2; anything else is an internal error.
/// A type rather than a catch of broad BCL types, so that a framework's own ArgumentException, thrown by a bug, is
/// never reported as the user's fault. (Malformed data stays the sealed <see cref="InvalidDataException"/>, bad
/// input by its type: see <see cref="InputError.Is"/>.)
/// </summary>
public interface IInputError
{
    /// <summary>
    /// The arguments-record paths the message names (snake_case, as in a manifest: <c>score.chunk_size</c>); empty
    /// when it names none (a file, row or tensor is at fault).
    /// </summary>
    IReadOnlyList<string> Properties => [];

    /// <summary>
    /// The message with each of <see cref="Properties"/> written as <paramref name="name"/> gives it (the CLI: as
    /// its flag, <c>--chunk-size</c>); a path it returns null for stays as it is.
    /// </summary>
    string Render(Func<string, string?> name) => ((Exception)this).Message;
}
