using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace InfraSharp.Evaluation;

/// <summary>
/// Runs a process with every wait bounded: stdin is written by a thread of its own (the wall clock starts
/// first, so a program that never reads its input cannot stall us), output is read by threads into capped
/// buffers, the process tree is killed at the wall limit, and neither the exit after a kill nor the pipes'
/// end-of-file is awaited for long: a grandchild that escaped the tree may hold stdout open as long as it likes.
/// </summary>
/// <remarks>
/// Dedicated threads, not thread-pool tasks: graders run many of these from a busy pool, and a starved pool
/// can leave a finished process's last output unread past any grace period (its verdict then looks lost).
/// A thread blocked on a pipe that an escaped process holds stays blocked until that process lets go; under
/// bubblewrap none can escape (the PID namespace dies with the sandbox).
/// </remarks>
internal static class BoundedProcess
{
    private static readonly TimeSpan ExitGrace = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan DrainGrace = TimeSpan.FromSeconds(3);

    public static ProcessOutcome Run(ProcessStartInfo psi, string? stdin, TimeSpan wall, long maxOutputBytes)
    {
        psi.UseShellExecute = false;
        psi.RedirectStandardInput = psi.RedirectStandardOutput = psi.RedirectStandardError = true;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {psi.FileName}");
        int cap = (int)Math.Min(maxOutputBytes, int.MaxValue / 2);
        var stdout = new Capture(cap, keepTail: false);
        // The classified outcome is the last line of stderr, so stderr keeps its tail.
        var stderr = new Capture(cap, keepTail: true);
        Stream outPipe = p.StandardOutput.BaseStream,
            errPipe = p.StandardError.BaseStream;
        StreamWriter inPipe = p.StandardInput;
        var readers = new[]
        {
            Start("stdout", () => Drain(outPipe, stdout)),
            Start("stderr", () => Drain(errPipe, stderr)),
        };
        Start("stdin", () => Feed(inPipe, stdin));

        bool timedOut = !p.WaitForExit(wall);
        if (timedOut)
        {
            Kill(p);
            p.WaitForExit(ExitGrace);
        }
        var draining = Stopwatch.StartNew();
        foreach (var r in readers)
            r.Join(TimeSpan.FromTicks(Math.Max(0, (DrainGrace - draining.Elapsed).Ticks)));
        int exitCode = p.HasExited ? p.ExitCode : -1;
        return new ProcessOutcome(timedOut, exitCode, stdout.Text(), stderr.Text());
    }

    private static Thread Start(string what, Action body)
    {
        var t = new Thread(body.Invoke) { IsBackground = true, Name = "sandbox " + what };
        t.Start();
        return t;
    }

    private static void Feed(StreamWriter stdin, string? text)
    {
        try
        {
            if (text is not null)
                stdin.BaseStream.Write(new UTF8Encoding(false).GetBytes(text));
        }
        catch (IOException) { } // the program exited, or closed its stdin, before reading everything
        finally
        {
            try
            {
                stdin.Dispose();
            }
            catch (IOException) { }
            catch (ObjectDisposedException) { }
        }
    }

    private static void Drain(Stream from, Capture into)
    {
        var buffer = new byte[1 << 16];
        try
        {
            int n;
            while ((n = from.Read(buffer)) > 0)
                into.Append(buffer.AsSpan(0, n));
        }
        catch (IOException) { }
        finally
        {
            // Ours to close: Process.Dispose leaves alone a redirected stream that was read synchronously.
            from.Dispose();
        }
    }

    private static void Kill(Process p)
    {
        try
        {
            p.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException) { } // already exited
        catch (Win32Exception) { }
        catch (AggregateException) { } // some of the tree had exited meanwhile
    }

    /// <summary>Output bytes up to a cap: the first <c>cap</c> bytes, or (keepTail) the last ones.</summary>
    private sealed class Capture(int cap, bool keepTail)
    {
        private readonly object _gate = new();
        private byte[] _bytes = new byte[Math.Min(cap, 1 << 16)];
        private int _length;

        public void Append(ReadOnlySpan<byte> data)
        {
            lock (_gate)
            {
                if (!keepTail)
                    data = data[..Math.Min(data.Length, cap - _length)];
                else if (data.Length >= cap)
                {
                    data = data[^cap..];
                    _length = 0;
                }
                else if (_length + data.Length > cap)
                {
                    int drop = _length + data.Length - cap;
                    Array.Copy(_bytes, drop, _bytes, 0, _length - drop);
                    _length -= drop;
                }
                if (data.Length == 0)
                    return;
                if (_length + data.Length > _bytes.Length)
                    Array.Resize(ref _bytes, Math.Min(cap, Math.Max(_bytes.Length * 2, _length + data.Length)));
                data.CopyTo(_bytes.AsSpan(_length));
                _length += data.Length;
            }
        }

        public string Text()
        {
            lock (_gate)
                return Encoding.UTF8.GetString(_bytes, 0, _length);
        }
    }
}
