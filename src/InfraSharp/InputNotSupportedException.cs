namespace InfraSharp;

/// <summary>
/// An input of a kind InfraSharp does not handle (an architecture, a chat template, a dtype): an <see
/// cref="NotSupportedException"/>.
/// </summary>
public sealed class InputNotSupportedException(string message) : NotSupportedException(message), IInputError;
