using System.Globalization;

namespace InfraSharp;

/// <summary>
/// A bad-input message whose <see cref="ArgumentPath"/> holes can be rendered another way: the text keeps the
/// paths (the library's spelling) and <see cref="Render"/> swaps them for what a front end calls them. Kept as the
/// interpolation's format and arguments, so that a value holding braces or a path's own text is never rewritten.
/// </summary>
internal sealed class InputMessage(FormattableString message)
{
    public string Text { get; } = message.ToString(CultureInfo.InvariantCulture);

    public IReadOnlyList<string> Properties { get; } =
    [.. message.GetArguments().OfType<ArgumentPath>().Select(p => p.Path)];

    public string Render(Func<string, string?> name) =>
        string.Format(
            CultureInfo.InvariantCulture,
            message.Format,
            [.. message.GetArguments().Select(a => a is ArgumentPath p ? name(p.Path) ?? p.Path : a)]
        );
}
