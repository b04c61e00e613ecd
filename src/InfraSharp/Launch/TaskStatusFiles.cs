namespace InfraSharp.Launch;

/// <summary>
/// How a launched task reports, without the scheduler: under <c>OUT/launch/status/{step}/</c>, <c>{i}.running</c>
/// (a heartbeat, rewritten every 10 seconds while the task runs), then <c>{i}.done</c>, or <c>{i}.failed</c> holding
/// the exit code and the task's last error line. A rerun of the task clears its old verdict first. <c>{i}.started</c>
/// and <c>{i}.done</c> hold the Unix times the task started and finished (for the scaling benchmark).
/// </summary>
internal static class TaskStatusFiles
{
    public static string Folder(string outDir, string stage) => Path.Combine(outDir, "launch", "status", stage);

    /// <summary>The shell lines around <paramref name="command"/> ($status and $i set before them).</summary>
    public static string Wrapper(string command) =>
        $$"""
            mkdir -p "$status"
            rm -f "$status/$i.done" "$status/$i.failed"
            date +%s.%N > "$status/$i.started"
            ( while true; do
                date +%s > "$status/$i.running.tmp" && mv "$status/$i.running.tmp" "$status/$i.running"; sleep 10
              done ) &
            beat=$!
            trap 'kill $beat 2>/dev/null' EXIT
            {{command}} 2> >(tee "$status/$i.stderr" >&2)
            rc=$?
            kill $beat 2>/dev/null; wait $beat 2>/dev/null
            rm -f "$status/$i.running"
            if [ $rc -eq 0 ]; then
              date +%s.%N > "$status/$i.done"
            else
              line=$(grep -v '^\[' "$status/$i.stderr" | grep -v '^[[:space:]]*$' | tail -n 1)
              echo "exit $rc: $line" > "$status/$i.failed.tmp" && mv "$status/$i.failed.tmp" "$status/$i.failed"
            fi
            exit $rc

            """ + "\n";
}
