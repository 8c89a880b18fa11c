"""Which interpreters the recorder can serve: checked before the native module
is imported, so that a wheel that reaches another interpreter (an older
CPython, a free-threaded or debug build) says why instead of failing later.
configure.py refuses the same interpreters. Parses on old Pythons on purpose."""

import sys

OLDEST = (3, 12)


def unsupported(version, implementation, abiflags, gil_disabled, trace_refs):
    """Why an interpreter with these traits cannot be served, or None."""
    if implementation != "cpython":
        return "it is %s, not CPython" % implementation
    if tuple(version[:2]) < OLDEST:
        return "it is Python %d.%d; ctgen-tracer needs CPython %d.%d or newer" % (
            tuple(version[:2]) + OLDEST)
    if gil_disabled or "t" in abiflags:
        return ("it is a free-threaded build (Py_GIL_DISABLED, ABI flags %r): the recorder "
                "relies on the GIL; use a default (GIL) build of CPython" % abiflags)
    if trace_refs or "d" in abiflags:
        return ("it is a debug build with its own ABI (ABI flags %r%s): the recorder is built "
                "for the release ABI; use a release build of CPython"
                % (abiflags, ", Py_TRACE_REFS" if trace_refs else ""))
    return None


def check():
    import sysconfig
    why = unsupported(sys.version_info, sys.implementation.name, getattr(sys, "abiflags", ""),
                      bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
                      bool(sysconfig.get_config_var("Py_TRACE_REFS")))
    if why:
        raise ImportError("ctgen_tracer cannot record on %s: %s" % (sys.executable, why))
