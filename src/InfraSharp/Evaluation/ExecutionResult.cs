namespace InfraSharp.Evaluation;

/// <summary>How a run ended: <see cref="Passed"/>, or the reason it failed (one of the constants below).</summary>
public sealed record ExecutionResult(bool Passed, string Reason, string Detail)
{
    public const string Ok = "passed";
    public const string Timeout = "timeout";
    public const string MemoryLimit = "memory_limit";
    public const string SyntaxError = "syntax_error";
    public const string WrongAnswer = "wrong_answer";
    public const string RuntimeError = "runtime_error";
    public const string NetworkBlocked = "network_blocked";
    public const string NoCode = "no_code";
}
