namespace InfraSharp.Evaluation;

/// <summary>
/// The Python that wraps every program: it applies the rlimits, installs an audit hook, runs the program and
/// reports a classified outcome on its last stderr line (<c>__INFRASHARP__ kind detail</c>), so that the parent
/// never has to guess from a traceback.
/// </summary>
/// <remarks>
/// The audit hook is for classification, not confinement: it refuses network use and writes outside the
/// writable roots with a reason that sticks even when the program catches the refusal, but ctypes gets past it.
/// Under bubblewrap the namespaces and mounts are what actually hold. Arguments: program path, address-space
/// bytes, CPU seconds, process limit (0: leave RLIMIT_NPROC alone), file-size bytes, writable roots
/// (colon-separated absolute paths).
/// </remarks>
internal static class SandboxHarness
{
    public const string Source = """
import errno, os, resource, socket, sys, traceback
prog, (mem, cpu, nproc, fsize) = sys.argv[1], map(int, sys.argv[2:6])
writable = tuple(p.rstrip("/") + "/" for p in sys.argv[6].split(":") if p)
resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
if nproc > 0:
    resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
main_pid = os.getpid()
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
EXIT = {"syntax_error": 3, "memory_limit": 4, "network_blocked": 5, "wrong_answer": 6, "runtime_error": 7,
        "process_limit": 8, "filesystem_denied": 9, "disk_limit": 10}
def _finish(kind, msg):
    if os.getpid() != main_pid:
        os._exit(EXIT.get(kind, 0))   # a forked child never speaks for the run
    sys.stdout.flush()
    sys.stderr.write("\n__INFRASHARP__ " + kind + " " + msg.replace("\n", " ")[:300] + "\n")
    sys.stderr.flush()
    sys.exit(EXIT.get(kind, 0))
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
with open(prog, encoding="utf-8") as f:
    src = f.read()
try:
    code = compile(src, "program.py", "exec")
except (SyntaxError, ValueError) as e:
    _finish("syntax_error", repr(e))
sys.addaudithook(_hook)
try:
    exec(code, {"__name__": "__main__"})
except SystemExit as e:
    if tripped:
        _finish(tripped[0][0], tripped[0][1])
    if e.code not in (None, 0):
        _finish("runtime_error", "SystemExit " + str(e.code))
except BaseException as e:
    _finish(_kind(e), traceback.format_exception_only(type(e), e)[-1].strip())
if tripped:
    _finish(tripped[0][0], tripped[0][1] + " (the program caught the refusal)")
_finish("passed", "")
""";
}
