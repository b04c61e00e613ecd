namespace InfraSharp;

/// <summary>
/// An input that does not fit the state it is used in (a folder of another run, a stage not yet done): an <see
/// cref="InvalidOperationException"/>.
/// </summary>
public sealed class InputInvalidOperationException(string message) : InvalidOperationException(message), IInputError;
