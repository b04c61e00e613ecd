using System.Text;

namespace InfraSharp.Launch;

/// <summary>
/// The state of a launched chain read from its output folder alone (never the scheduler): per step, which tasks
/// are done, running (a heartbeat younger than a minute), failed (with their last error line) or missing.
/// </summary>
public sealed record LaunchStatus(IReadOnlyList<LaunchStatus.Step> Steps)
{
    /// <summary>One step of the chain and its tasks' states.</summary>
    /// <param name="Name">The step's name (e.g. <c>covariance</c>, <c>scores</c>).</param>
    /// <param name="Tasks">The step's task count.</param>
    /// <param name="Done">Tasks that finished.</param>
    /// <param name="Running">Tasks with a fresh heartbeat (younger than <see cref="HeartbeatAge"/>).</param>
    /// <param name="Failed">Tasks that failed, each with its last error line.</param>
    public sealed record Step(
        string Name,
        int Tasks,
        IReadOnlyList<int> Done,
        IReadOnlyList<int> Running,
        IReadOnlyList<(int Task, string Error)> Failed
    )
    {
        /// <summary>Tasks neither done, running nor failed (not started, or died without a word).</summary>
        public IEnumerable<int> Missing =>
            Enumerable.Range(0, Tasks).Except(Done).Except(Running).Except(Failed.Select(f => f.Task));
    }

    /// <summary>A task whose heartbeat file is older than this no longer counts as running.</summary>
    public static readonly TimeSpan HeartbeatAge = TimeSpan.FromMinutes(1);

    /// <summary>True when every task of every step is done.</summary>
    public bool Complete => Steps.All(s => s.Done.Count == s.Tasks);

    /// <summary>True when any task failed.</summary>
    public bool AnyFailed => Steps.Any(s => s.Failed.Count > 0);

    /// <summary>0 when the chain is complete, 1 when a task failed, 3 while work remains.</summary>
    public int ExitCode =>
        Complete ? 0
        : AnyFailed ? 1
        : 3;

    /// <summary>Reads the state of the chain written into <paramref name="outDir"/> from its status files.</summary>
    public static LaunchStatus Read(string outDir)
    {
        var steps = new List<Step>();
        foreach (var (name, tasks) in ChainFile.Read(outDir))
        {
            string dir = TaskStatusFiles.Folder(outDir, name);
            var done = new List<int>();
            var running = new List<int>();
            var failed = new List<(int, string)>();
            for (int i = 0; i < tasks; i++)
            {
                string f = Path.Combine(dir, $"{i}");
                if (File.Exists(f + ".done"))
                    done.Add(i);
                else if (File.Exists(f + ".failed"))
                    failed.Add((i, File.ReadAllText(f + ".failed").Trim()));
                else if (
                    File.Exists(f + ".running")
                    && DateTime.UtcNow - File.GetLastWriteTimeUtc(f + ".running") < HeartbeatAge
                )
                    running.Add(i);
            }
            steps.Add(new Step(name, tasks, done, running, failed));
        }
        return new LaunchStatus(steps);
    }

    /// <summary>
    /// One line per step (state and counts, failed tasks' errors) and the verdict, as <c>infra launch status</c> prints
    /// it.
    /// </summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        foreach (var s in Steps)
        {
            string state =
                s.Done.Count == s.Tasks ? "done"
                : s.Failed.Count > 0 ? "FAILED"
                : s.Running.Count > 0 ? "running"
                : "waiting";
            sb.Append($"{s.Name, -18} {state, -8} done {s.Done.Count}/{s.Tasks}");
            if (s.Running.Count > 0)
                sb.Append($", running {string.Join(",", s.Running)}");
            if (s.Missing.Any() && s.Done.Count > 0)
                sb.Append($", missing {string.Join(",", s.Missing)}");
            sb.Append('\n');
            foreach (var (task, error) in s.Failed)
                sb.Append($"  task {task}: {error}\n");
        }
        string verdict =
            Complete ? "complete"
            : AnyFailed ? "a task failed"
            : "work remains";
        return sb.Append(verdict).ToString();
    }
}
