namespace InfraSharp;

/// <summary>
/// A value outside what an input allows (a token id outside the vocabulary): an <see
/// cref="ArgumentOutOfRangeException"/>.
/// </summary>
public sealed class InputArgumentOutOfRangeException(string paramName, string message)
    : ArgumentOutOfRangeException(paramName, message),
        IInputError;
