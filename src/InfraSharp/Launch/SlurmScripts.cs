using System.Diagnostics;
using System.Text;
using InfraSharp.Storage;

namespace InfraSharp.Launch;

/// <summary>
/// The Slurm form of a chain: one <c>sbatch</c> script per step under <c>OUT/launch/slurm/</c>, each an array
/// (<c>--array=0-(n-1)</c>, also for single tasks, so that every task finds its share the same way), and
/// <c>submit.sh</c>, which submits them in order, each after the one before has succeeded
/// (<c>--dependency=afterok</c>), and prints the job ids. Every task records its state under
/// <c>OUT/launch/status/{step}/</c> (<see cref="TaskStatusFiles"/>) for <c>infra launch status</c>.
/// </summary>
public static class SlurmScripts
{
    /// <summary>
    /// Where the scripts of a chain writing into <paramref name="outDir"/> go: <c>OUT/launch/slurm</c>.
    /// </summary>
    public static string Folder(string outDir) => Path.Combine(outDir, "launch", "slurm");

    /// <summary>Writes one sbatch array script per step and <c>submit.sh</c>.</summary>
    /// <returns>The scripts' paths, in submission order.</returns>
    public static IReadOnlyList<string> Write(LaunchArguments a)
    {
        var stages = LaunchChain.Stages(a);
        string dir = Folder(a.Out);
        Directory.CreateDirectory(dir);
        Directory.CreateDirectory(Path.Combine(a.Out, "launch", "logs"));
        ChainFile.Write(a.Out, stages);
        var scripts = new List<string>();
        for (int i = 0; i < stages.Count; i++)
        {
            string path = Path.Combine(dir, $"{i + 1:D2}-{stages[i].Name}.sbatch");
            AtomicFile.WriteAllText(path, Script(a, stages[i]));
            MakeExecutable(path);
            scripts.Add(path);
        }
        string submit = Path.Combine(dir, "submit.sh");
        AtomicFile.WriteAllText(submit, Submit(scripts));
        MakeExecutable(submit);
        return scripts;
    }

    private static void MakeExecutable(string path)
    {
        // Slurm runs on Unix; elsewhere the scripts are only written (to copy to a cluster).
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
    }

    /// <summary>Runs <c>submit.sh</c> (sbatch must be on PATH); returns its lines: script and job id.</summary>
    public static string SubmitAll(string outDir)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(Folder(outDir), "submit.sh"));
        using var p = Process.Start(psi) ?? throw InputError.Unsupported("cannot start bash to submit the chain");
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw InputError.Unsupported($"sbatch refused the chain: {err.Result.Trim().Split('\n').LastOrDefault()}");
        return output.TrimEnd();
    }

    private static string Submit(IReadOnlyList<string> scripts)
    {
        var sb = new StringBuilder();
        sb.Append(
            "#!/usr/bin/env bash\n# Submits the chain in order; each step starts when the one before has "
                + "succeeded.\nset -euo pipefail\n"
        );
        sb.Append("prev=\"\"\n");
        foreach (var s in scripts)
        {
            sb.Append($"id=$(sbatch --parsable ${{prev:+--dependency=afterok:$prev}} {Quote(s)})\n");
            sb.Append("id=${id%%;*}\n");
            sb.Append($"echo \"{Path.GetFileName(s)} $id\"\nprev=$id\n");
        }
        return sb.ToString();
    }

    private static string Script(LaunchArguments a, ChainStage stage)
    {
        var r = a.Resources;
        string status = TaskStatusFiles.Folder(a.Out, stage.Name);
        var sb = new StringBuilder("#!/usr/bin/env bash\n");
        void Line(string s) => sb.Append("#SBATCH ").Append(s).Append('\n');
        Line($"--job-name=infra-{stage.Name}");
        Line($"--array=0-{stage.Tasks - 1}");
        Line($"--cpus-per-task={r.Cpus}");
        Line($"--mem={r.Memory}");
        Line($"--time={r.Time}");
        if (r.Gpus > 0)
            Line($"--gres=gpu:{r.Gpus}");
        if (r.Queue is not null)
            Line($"--partition={r.Queue}");
        if (r.Account is not null)
            Line($"--account={r.Account}");
        Line($"--output={Path.Combine(a.Out, "launch", "logs", stage.Name + "-%a.log")}");
        Line("--open-mode=append");
        foreach (var e in r.Extra)
            Line(e);
        sb.Append($"# Step {stage.Name}: {stage.Tasks} task(s); each takes its share with --partition auto.\n");
        sb.Append("set -uo pipefail\n");
        // torch sizes its thread pool from OMP_NUM_THREADS, else takes every core of the node: without it, tasks
        // sharing a node oversubscribe it and more tasks run slower, not faster.
        sb.Append("export OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}\n");
        sb.Append($"status={Quote(status)}; i=$SLURM_ARRAY_TASK_ID\n");
        sb.Append(TaskStatusFiles.Wrapper($"{a.InfraCommand} {string.Join(' ', stage.Arguments.Select(Quote))}"));
        return sb.ToString();
    }

    /// <summary><paramref name="s"/> quoted for a POSIX shell (as it is when it needs no quotes).</summary>
    public static string Quote(string s) =>
        s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=,+@%".Contains(c))
            ? s
            : "'" + s.Replace("'", "'\\''") + "'";
}
