namespace InfraSharp.Evaluation;

/// <summary>
/// The Python that wraps every program. It is two processes: a supervisor, which holds the verdict, and a child
/// forked from it, which applies the rlimits, installs an audit hook and runs the program. The supervisor writes
/// the one verdict the parent accepts, <c>__INFRASHARP__ nonce kind detail</c> on stderr, and only once the child
/// and every process it started have exited.
/// </summary>
/// <remarks>
/// <para>Why the program cannot forge the verdict line: the nonce is a fresh random secret of the C# parent,
/// sent as stdin's first line. The supervisor forks the child first and reads the nonce after, so the child's
/// memory (a copy of the supervisor's at the fork) never held it; the child waits, without reading anything, until
/// the supervisor has read it and made itself non-dumpable (no ptrace, no <c>/proc/pid/mem|fd|environ</c> for the
/// child). Printing a marker, reading the harness file, walking gc objects or frames, or scanning descriptors finds
/// no nonce; killing the supervisor leaves no verdict at all (a failure).</para>
/// <para>Why the program cannot pass by ending early: the child reports to the supervisor over a pipe, and only
/// after the program (and so the tests) returned normally; the report must carry a token the supervisor made after
/// the fork, which waits unread in a second pipe until then (so it is not in the program's memory either). An
/// exit without a report (<c>os._exit(0)</c>), with a report lacking the token, or with anything else written to
/// the report pipe, fails. Any <c>SystemExit</c> (<c>sys.exit(0)</c>, <c>quit()</c>, inside <c>check</c>) fails,
/// as in HumanEval's harness, except that a stdin/stdout program may end with code 0 or None (LiveCodeBench lets
/// it: only its output is judged).</para>
/// <para>Why a lingering process or thread fails: the supervisor is a child subreaper, so everything the program
/// starts is its descendant for good; it reports "passed" only if, after the child's exit, none is left (it kills
/// what is, and says <c>lingering_process</c>), and the child reports "passed" only if its own threads ended.
/// A child killed by the CPU limit (SIGXCPU) is a timeout, whatever it had printed.</para>
/// <para>What it cannot stop: the program runs in the same interpreter as the child's harness code, so a program
/// written against this harness can read the token from its pipe and send the report itself, or make the tests
/// pass without a right answer (an object whose <c>__eq__</c> is always true). Neither is an accident a model
/// stumbles into; closing them needs the tests outside the program's process.</para>
/// <para>The audit hook is for classification, not confinement: it refuses network use and writes outside the
/// writable roots with a reason that sticks even when the program catches the refusal, but ctypes gets past it.
/// Under bubblewrap the namespaces and mounts are what actually hold. Arguments: program path, address-space
/// bytes, CPU seconds, process limit (0: leave RLIMIT_NPROC alone), file-size bytes, writable roots
/// (colon-separated absolute paths), 1 for a stdin/stdout program (else 0).</para>
/// </remarks>
internal static class SandboxHarness
{
    public const string Source = """
import ctypes, errno, os, resource, select, signal, socket, sys, time, traceback
prog, (mem, cpu, nproc, fsize) = sys.argv[1], map(int, sys.argv[2:6])
writable = tuple(p.rstrip("/") + "/" for p in sys.argv[6].split(":") if p)
stdio = sys.argv[7] == "1"
GRACE = 1.0   # seconds threads and processes may take to end once the program has returned
EXIT = {"passed": 0, "syntax_error": 3, "memory_limit": 4, "network_blocked": 5, "wrong_answer": 6,
        "runtime_error": 7, "process_limit": 8, "filesystem_denied": 9, "disk_limit": 10, "timeout": 11,
        "lingering_process": 12, "sandbox_error": 13}
libc = ctypes.CDLL(None, use_errno=True)
def _prctl(option, value):
    if libc.prctl(option, value, 0, 0, 0) != 0:
        e = ctypes.get_errno()
        raise OSError(e, "prctl(%d): %s" % (option, os.strerror(e)))
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER = 1, 4, 36
supervisor = os.getpid()
_prctl(PR_SET_CHILD_SUBREAPER, 1)   # orphans of the program become ours, so none goes unseen
token_r, token_w = os.pipe()
report_r, report_w = os.pipe()
child = os.fork()   # before the nonce is read: the child never has it

def run_program():
    _exit, _write, _read, _getpid = os._exit, os.write, os.read, os.getpid
    main_pid = _getpid()
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != supervisor:
        _exit(EXIT["sandbox_error"])
    select.select([token_r], [], [])   # the supervisor is ready (nonce read, not dumpable); leave the token
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    if nproc > 0:
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    tripped = []   # guard reasons in the order they fired (a program that catches the refusal still fails)
    spawned = []   # a process was started: EAGAIN then means the process limit
    class _Refused(PermissionError):
        pass
    def _refuse(kind, what):
        tripped.append((kind, what))
        raise _Refused(errno.EPERM, what + " is not allowed in the sandbox")
    def _outside(p):
        if isinstance(p, int):
            return False
        try:
            full = os.path.normpath(os.path.join(os.getcwd(), os.fsdecode(p)))
        except (TypeError, ValueError, OSError):
            return False
        return not (full.rstrip("/") + "/").startswith(writable)
    WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
    SOCKET_OPS = {"socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg"}
    LOOKUPS = {"socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr", "socket.getnameinfo"}
    # event -> positions of the paths it changes
    PATH_OPS = {"os.remove": (0,), "os.rmdir": (0,), "os.mkdir": (0,), "os.rename": (0, 1), "os.link": (1,),
                "os.symlink": (1,), "os.truncate": (0,), "os.chmod": (0,), "os.chown": (0,), "os.utime": (0,),
                "shutil.rmtree": (0,), "os.setxattr": (0,), "os.removexattr": (0,)}
    SPAWNS = {"os.fork", "os.forkpty", "os.posix_spawn", "os.spawn", "os.system", "subprocess.Popen", "pty.spawn"}
    def _hook(event, args):
        if event == "open":
            if args[2] & WRITE_FLAGS and _outside(args[0]):
                _refuse("filesystem_denied", "writing " + repr(args[0]))
        elif event in PATH_OPS:
            for i in PATH_OPS[event]:
                if _outside(args[i]):
                    _refuse("filesystem_denied", event + " " + repr(args[i]))
        elif event == "socket.__new__":
            if args[1] != socket.AF_UNIX:
                _refuse("network_blocked", "opening a network socket")
        elif event in SOCKET_OPS:
            if getattr(args[0], "family", None) != socket.AF_UNIX:
                _refuse("network_blocked", event)
        elif event in LOOKUPS:
            _refuse("network_blocked", event)
        elif event in SPAWNS:
            spawned.append(event)
    def _finish(kind, msg):
        if _getpid() != main_pid:
            _exit(EXIT.get(kind, 1))   # a forked child of the program never speaks for the run
        for s in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
            try:
                s.flush()
            except BaseException:
                pass
        try:
            os.set_blocking(token_r, False)
            token = _read(token_r, 64)
        except OSError:
            token = b""
        text = kind + " " + msg.replace("\n", " ").replace("\r", " ")[:300]
        line = token + b" " + text.encode("utf-8", "replace")
        try:
            _write(report_w, line + b"\n")
        finally:
            _exit(0)
    def _kind(e):
        if tripped:
            return tripped[0][0]
        if isinstance(e, MemoryError):
            return "memory_limit"
        if isinstance(e, AssertionError):
            return "wrong_answer"
        if isinstance(e, OSError):
            if e.errno == errno.EAGAIN and spawned:
                return "process_limit"
            if e.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
                return "disk_limit"
            if e.errno == errno.EROFS or (e.errno in (errno.EACCES, errno.EPERM) and e.filename is not None):
                return "filesystem_denied"
        if isinstance(e, RuntimeError) and "can't start new thread" in str(e):
            return "process_limit"
        return "runtime_error"
    def _threads():
        try:
            return len(os.listdir("/proc/self/task"))
        except OSError:
            import threading
            return threading.active_count()
    try:
        with open(prog, encoding="utf-8") as f:
            src = f.read()
        code = compile(src, "program.py", "exec")
    except (SyntaxError, ValueError) as e:
        _finish("syntax_error", repr(e))
    sys.addaudithook(_hook)
    try:
        exec(code, {"__name__": "__main__"})
    except SystemExit as e:
        if tripped:
            _finish(tripped[0][0], tripped[0][1])
        if not stdio or e.code not in (None, 0):
            _finish("runtime_error", "SystemExit " + str(e.code))
    except BaseException as e:
        _finish(_kind(e), traceback.format_exception_only(type(e), e)[-1].strip())
    if tripped:
        _finish(tripped[0][0], tripped[0][1] + " (the program caught the refusal)")
    deadline = time.monotonic() + GRACE
    while _threads() > 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    if _threads() > 1:
        _finish("lingering_process", "%d threads still running after the program ended" % (_threads() - 1))
    _finish("passed", "")

if child == 0:
    try:
        os.close(token_w)
        os.close(report_r)
        run_program()
    finally:
        os._exit(EXIT["sandbox_error"])

# The supervisor. Nothing of the program runs in this process.
os.close(token_r)
os.close(report_w)
_prctl(PR_SET_DUMPABLE, 0)
nonce = b""
while len(nonce) < 200:
    b = os.read(0, 1)
    if b in (b"", b"\n"):
        break
    nonce += b
os.close(0)
token = os.urandom(16).hex().encode()
os.write(token_w, token)
os.close(token_w)

def _verdict(kind, msg):
    text = kind + " " + msg.replace("\n", " ").replace("\r", " ")[:300]
    line = b"\n__INFRASHARP__ " + nonce + b" " + text.encode("utf-8", "replace") + b"\n"
    try:
        os.set_blocking(2, True)   # the program may have made the shared pipe non-blocking; it is gone now
    except OSError:
        pass
    while line:
        try:
            line = line[os.write(2, line):]
        except InterruptedError:
            pass
        except OSError:
            break
    os._exit(EXIT.get(kind, 1))

def _lingering():
    # Waits out the grace period, then kills what is left: children first, then whatever they leave to us.
    deadline = time.monotonic() + GRACE
    left = False
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return left
        if pid:
            continue
        if time.monotonic() < deadline:
            time.sleep(0.01)
            continue
        left = True
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    with open("/proc/%s/stat" % d) as f:
                        ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                    if ppid == supervisor:
                        os.kill(int(d), signal.SIGKILL)
                except (OSError, ValueError, IndexError):
                    pass
        time.sleep(0.005)

_, status, usage = os.wait4(child, 0)
os.set_blocking(report_r, False)
report = b""
try:
    while len(report) < 65536:
        chunk = os.read(report_r, 65536)
        if not chunk:
            break
        report += chunk
except BlockingIOError:
    pass
lingering = _lingering()
if os.WIFSIGNALED(status):
    sig = os.WTERMSIG(status)
    # SIGXCPU at the soft CPU limit, or SIGKILL at the hard one when the program ignored SIGXCPU
    if sig == signal.SIGXCPU or usage.ru_utime + usage.ru_stime >= cpu:
        _verdict("timeout", "CPU time limit")
    if sig == signal.SIGKILL:
        _verdict("memory_limit", "killed by SIGKILL")
    _verdict("runtime_error", "killed by signal %d" % sig)
code = os.WEXITSTATUS(status)
lines = report.split(b"\n")
if not report:
    _verdict("runtime_error", "exit code %d before the %s finished" % (code, "program" if stdio else "tests"))
if len(lines) != 2 or lines[1] or not lines[0].startswith(token + b" "):
    _verdict("runtime_error", "the program wrote to the harness's report pipe")
kind, _, msg = lines[0][len(token) + 1:].decode("utf-8", "replace").partition(" ")
if code != 0:
    _verdict("runtime_error", "exit code %d after the report" % code)
if kind == "passed" and lingering:
    _verdict("lingering_process", "processes still running after the program ended")
_verdict(kind if kind in EXIT else "runtime_error", msg)
""";
}
