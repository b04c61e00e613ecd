namespace InfraSharp;

/// <summary>An input file or folder that is not there: a <see cref="FileNotFoundException"/>.</summary>
public sealed class InputFileNotFoundException : FileNotFoundException, IInputError
{
    private readonly InputMessage? _message;

    /// <summary>A missing input <paramref name="path"/> (if known), described by <paramref name="message"/>.</summary>
    public InputFileNotFoundException(string message, string? path = null)
        : base(message, path) { }

    /// <summary>A message naming the argument that gave the path by its <see cref="ArgumentPath"/>.</summary>
    public InputFileNotFoundException(FormattableString message, string? path)
        : this(new InputMessage(message), path) { }

    private InputFileNotFoundException(InputMessage message, string? path)
        : base(message.Text, path) => _message = message;

    /// <inheritdoc/>
    public IReadOnlyList<string> Properties => _message?.Properties ?? [];

    /// <inheritdoc/>
    public string Render(Func<string, string?> name) => _message?.Render(name) ?? Message;
}
