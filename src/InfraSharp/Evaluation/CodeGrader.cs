namespace InfraSharp.Evaluation;

/// <summary>Grades one completion of a <see cref="CodeProblem"/> in the sandbox.</summary>
internal sealed class CodeGrader(PythonSandbox sandbox)
{
    public (ExecutionResult Result, string Program) Grade(CodeProblem problem, string completion)
    {
        string code = problem.Program(completion);
        if (string.IsNullOrWhiteSpace(code))
            return (new ExecutionResult(false, ExecutionResult.NoCode, "no code in the completion"), code);
        if (problem.IoCases.Count > 0)
        {
            foreach (var (input, expected) in problem.IoCases)
            {
                var (r, stdout) = sandbox.Run(code, input, stdinStdout: true);
                if (!r.Passed)
                    return (r, code);
                if (Canon(stdout) != Canon(expected))
                    return (
                        new ExecutionResult(
                            false,
                            ExecutionResult.WrongAnswer,
                            $"stdout differs for input {Short(input)}"
                        ),
                        code
                    );
            }
            return (new ExecutionResult(true, ExecutionResult.Ok, ""), code);
        }
        string program = code + "\n\n" + problem.Test + "\n\ncheck(" + problem.EntryPoint + ")\n";
        return (sandbox.Run(program).Result, code);
    }

    /// <summary>Output comparison as LiveCodeBench does it: per line, trailing whitespace and blank tail
    /// ignored.</summary>
    private static string Canon(string s) =>
        string.Join("\n", s.Replace("\r\n", "\n").Split('\n').Select(l => l.TrimEnd())).TrimEnd('\n');

    private static string Short(string s) => s.Length > 40 ? s[..40] + "…" : s;
}
