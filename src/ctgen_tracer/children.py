"""Child processes: a process forked while recording records into
TRACE_DIR/children/<pid>/ from the fork on (os.register_at_fork); with
follow_subprocess, python processes the program starts record there too
(through _boot/sitecustomize.py and the environment variable ENV_VAR).
Also os._exit, which would end the process without finishing its trace.
See docs/design.md, "Child processes"."""

import _thread
import atexit
import json
import os
import sys

from . import _native, session, signals, tracedir

ENV_VAR = "CTGEN_TRACER_CHILD"      # set for --follow-subprocess: how a child python records
BOOT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_boot")
PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_fork_hooks = False
_real_exit = os._exit


def _attach(s):
    """session.on_start hook: fork hooks, os._exit and, for
    follow_subprocess, the environment of python children. os._exit is
    given back only once the trace is finished: a stop that a signal
    started on another thread is then waited for, not cut short."""
    _register_fork_hooks()
    env = _set_child_env(s) if s["options"]["follow_subprocess"] else None
    if os._exit is _real_exit:
        os._exit = _exit

    def real_exit_again():
        if os._exit is _exit:
            os._exit = _real_exit
    s["after_stop"].append(real_exit_again)
    return lambda: _restore_child_env(env)


session.on_start(_attach)


def _register_fork_hooks():
    """Once per process: the at-fork hooks (they do nothing when not recording)."""
    global _fork_hooks
    if not _fork_hooks:
        os.register_at_fork(before=_native.fork_before, after_in_parent=_native.fork_parent,
                            after_in_child=_after_fork_child)
        _fork_hooks = True


def _start_child(options, root, parent, tool, chunk_bytes):
    """Record this child process into root/children/<pid>/; one line on
    stderr (and no recording) if that fails."""
    mask = signals.hold()   # a SIGTERM now is handled once the recording has started
    try:
        try:
            d = tracedir.new_child_dir(root)
            session.start(d, tool=tool, chunk_bytes=chunk_bytes, _parent=parent, _root=root, **options)
        except Exception as e:
            print("ctgen-tracer: cannot record child process %d: %s" % (os.getpid(), e), file=sys.stderr)
            return False
        return True
    finally:
        signals.release(mask)


def _after_fork_child():
    """os.register_at_fork(after_in_child=...): drop the parent's recording
    (nothing of it is written by the child) and, if following children,
    record this child into its own trace from the fork on."""
    session.stop_lock = _thread.RLock()   # another thread may have held it at the fork
    point = _native.fork_child()
    s = session.forget()
    if s is None:
        return
    for undo in s["on_stop"] + s["after_stop"]:   # the parent's environment, os._exit, signals
        undo()
    if point is None or not s["options"]["follow_children"]:
        return   # its python children do not record either
    parent = dict(point, how="fork", trace=os.path.abspath(s["dir"]))
    _start_child(s["options"], s["root"], parent, s["tool"], s["chunk_bytes"])


def _set_child_env(s):
    """Make python child processes record (follow_subprocess): ENV_VAR
    says where and how, and PYTHONPATH gets the directory of the
    sitecustomize that reads it. Returns what to restore at stop."""
    old = (os.environ.get(ENV_VAR), os.environ.get("PYTHONPATH"))
    spec = {"root": s["root"], "options": s["options"], "tool": s["tool"],
            "chunk_bytes": s["chunk_bytes"], "parent": {"pid": os.getpid(), "how": "subprocess",
                                                         "trace": os.path.abspath(s["dir"])},
            "package": PACKAGE_PARENT, "python": "%d.%d" % sys.version_info[:2]}
    os.environ[ENV_VAR] = json.dumps(spec)
    path = old[1].split(os.pathsep) if old[1] else []
    if BOOT_DIR not in path:
        os.environ["PYTHONPATH"] = os.pathsep.join([BOOT_DIR] + path)
    return old, os.environ[ENV_VAR], os.environ.get("PYTHONPATH")


def _restore_child_env(saved):
    """Undo _set_child_env, unless the program changed the variables since."""
    if saved is None:
        return
    (old_spec, old_path), spec, path = saved
    for name, old, ours in ((ENV_VAR, old_spec, spec), ("PYTHONPATH", old_path, path)):
        if os.environ.get(name) == ours:
            if old is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = old


def start_from_environment():
    """Called by _boot/sitecustomize.py in a python started with ENV_VAR set:
    record this process into the root's children/<pid>/ until it exits."""
    try:
        spec = json.loads(os.environ[ENV_VAR])
        if spec.get("python") != "%d.%d" % sys.version_info[:2] or session.current is not None:
            return False
        root, options, parent = spec["root"], spec["options"], spec["parent"]
        tool, chunk_bytes = spec["tool"], spec["chunk_bytes"]
    except (KeyError, ValueError, TypeError):
        return False
    if not _start_child(options, root, parent, tool, chunk_bytes):
        return False
    atexit.register(_finish_at_exit)
    return True


def _finish_at_exit():
    """atexit of a process recorded through ENV_VAR: its exit status is not
    known here (sys.exit's code never reaches Python code); an uncaught
    exception is (sys.last_exc), and means status 1."""
    exc = getattr(sys, "last_exc", None) or getattr(sys, "last_value", None)
    if isinstance(exc, SystemExit):
        exc = None
    session.stop_if_recording(exit_status=1 if exc is not None else None, exception=exc, _ended="exit")


def _exit(status):
    """os._exit while ctgen_tracer records: finish the trace (or wait for the
    stop a signal started: exiting meanwhile would cut the trace), then exit."""
    try:
        session.stop_if_recording(exit_status=status if type(status) is int else None, _ended="os._exit")
    except Exception:
        pass
    _real_exit(status)


_exit.__name__ = _exit.__qualname__ = "_exit"
_exit.__module__ = _real_exit.__module__
_exit.__doc__ = _real_exit.__doc__
