namespace InfraSharp.Text;

/// <summary>One turn of a conversation.</summary>
public sealed record ChatMessage(string Role, string Content);
