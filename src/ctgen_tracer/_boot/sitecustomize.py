"""ctgen-tracer's start-up hook for child processes (--follow-subprocess).

A recording made with --follow-subprocess puts this directory first on
PYTHONPATH and describes itself in the environment variable
CTGEN_TRACER_CHILD. A python started by the program (subprocess,
multiprocessing's spawn and forkserver start methods) imports this module at
start-up (site imports `sitecustomize`); it then:

1. takes its own directory off sys.path, so the program sees the sys.path
   it would see without the recorder;
2. imports the program's own sitecustomize, if there is one further down
   sys.path (the one this module hides), as site would have (without one,
   this module stays in sys.modules as `sitecustomize`);
3. starts recording this process into TRACE_DIR/children/<pid>/, unless it
   runs ctgen_tracer itself, or another CPython version, or ctgen_tracer
   cannot be imported. It never raises and prints nothing on success (one
   line on stderr when recording cannot start).
"""


def _boot():
    import os
    import sys

    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    me = sys.modules.pop(__name__)
    try:
        import sitecustomize  # noqa: F401  the program's own, if any
    except BaseException as e:
        # the import system needs a module under this name when we return
        sys.modules[__name__] = me
        if not (isinstance(e, ImportError) and e.name == "sitecustomize"):
            raise
    spec = os.environ.get("CTGEN_TRACER_CHILD")
    argv = list(getattr(sys, "orig_argv", []))
    if not spec or sys.flags.isolated:
        return
    if "-m" in argv and argv.index("-m") + 1 < len(argv) \
            and argv[argv.index("-m") + 1].split(".")[0] == "ctgen_tracer":
        return
    added = False
    try:
        try:
            import ctgen_tracer
        except ImportError:
            package = os.path.dirname(os.path.dirname(here))
            sys.path.append(package)
            added = True
            import ctgen_tracer
        from ctgen_tracer import children
        children.start_from_environment()
    except ImportError:
        pass   # no ctgen_tracer for this python: it runs unrecorded
    except Exception as e:   # never the program's failure; one line says why
        try:
            sys.stderr.write("ctgen-tracer: cannot record child process %d: %s: %s\n"
                             % (os.getpid(), type(e).__name__, e))
        except Exception:
            pass
    finally:
        if added and package in sys.path:
            sys.path.remove(package)


_boot()
del _boot
