namespace InfraSharp;

/// <summary>
/// A bad argument (an option's value, or values that contradict each other): an <see cref="ArgumentException"/>.
/// </summary>
public sealed class InputArgumentException : ArgumentException, IInputError
{
    private readonly InputMessage? _message;

    /// <summary>A bad argument described by a plain message (names no argument path).</summary>
    public InputArgumentException(string message)
        : base(message) { }

    /// <summary>A message naming arguments by their <see cref="ArgumentPath"/>s (see <see cref="Render"/>).</summary>
    public InputArgumentException(FormattableString message)
        : this(new InputMessage(message)) { }

    private InputArgumentException(InputMessage message)
        : base(message.Text) => _message = message;

    // ArgumentException appends a parameter name to Message when one is set; none is, so Message is the text.
    /// <inheritdoc/>
    public IReadOnlyList<string> Properties => _message?.Properties ?? [];

    /// <inheritdoc/>
    public string Render(Func<string, string?> name) => _message?.Render(name) ?? Message;
}
