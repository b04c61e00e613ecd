namespace InfraSharp;

/// <summary>
/// A name that an input file does not hold (a tensor in a safetensors file): a <see cref="KeyNotFoundException"/>.
/// </summary>
public sealed class InputKeyNotFoundException(string message) : KeyNotFoundException(message), IInputError;
