namespace InfraSharp.Evaluation;

/// <summary>How a run ended: <see cref="Passed"/>, or the reason it failed (one of the constants below).</summary>
internal sealed record ExecutionResult(bool Passed, string Reason, string Detail)
{
    public const string Ok = "passed";
    public const string Timeout = "timeout";
    public const string MemoryLimit = "memory_limit";
    public const string SyntaxError = "syntax_error";
    public const string WrongAnswer = "wrong_answer";
    public const string RuntimeError = "runtime_error";
    public const string NetworkBlocked = "network_blocked";
    public const string NoCode = "no_code";

    /// <summary>A process or thread could not start: the sandbox's process-count limit was reached.</summary>
    public const string ProcessLimit = "process_limit";

    /// <summary>The program tried to write, delete or rename outside its private working directory.</summary>
    public const string FilesystemDenied = "filesystem_denied";

    /// <summary>A file outgrew the per-file limit, or the private working directory filled up.</summary>
    public const string DiskLimit = "disk_limit";

    /// <summary>
    /// Threads or processes the program started were still running after it ended (the tests' answer alone does
    /// not pass: the whole process tree must have exited within the limits).
    /// </summary>
    public const string LingeringProcess = "lingering_process";

    /// <summary>The sandbox itself failed to start the program (a bubblewrap error, not the program's fault).</summary>
    public const string SandboxError = "sandbox_error";
}
