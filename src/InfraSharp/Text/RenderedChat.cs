namespace InfraSharp.Text;

/// <summary>
/// A conversation rendered by a chat template, with the character spans that training learns from: each
/// assistant message's content and the end token that closes it.
/// </summary>
public sealed record RenderedChat(string Text, IReadOnlyList<(int Start, int End)> AssistantSpans);
