"""Signals: a recorded process (top-level or child) sent SIGTERM or SIGHUP
finishes its trace, then dies of that signal, as it would have untraced.
src/sigterm.c runs the handler on a thread of its own (see there why a
Python handler cannot); a signal the program handles or ignores itself is
left alone."""

import os
import signal
import sys

from . import _native, session

HANDLED = (signal.SIGTERM, signal.SIGHUP)


def hold():
    """Block the HANDLED signals on this thread (the recorder's threads block
    every signal): one arriving now waits until the mask returned is
    restored (release)."""
    try:
        return signal.pthread_sigmask(signal.SIG_BLOCK, set(HANDLED))
    except (OSError, ValueError):
        return None


def release(mask):
    """Restore the signal mask hold() returned."""
    if mask is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def _guard(s):
    """session.on_start hook: finish session s's trace on SIGTERM or SIGHUP
    until s stops."""
    if _native.sigterm_guard(_on_signal):
        s["after_stop"].append(_native.sigterm_unguard)


session.on_start(_guard)


def _on_signal(signum):
    """Called by the recorder's signal thread (see src/sigterm.c): finish
    the trace (or wait for a stop in progress); the process then dies of
    the signal."""
    try:
        name = signal.Signals(signum).name
    except ValueError:
        name = "signal %d" % signum
    try:
        session.stop_if_recording(_ended=name)
    except BaseException as e:   # the process dies next: say why its trace is cut
        try:
            sys.stderr.write("ctgen-tracer: cannot finish the trace of process %d on %s: %s: %s\n"
                             % (os.getpid(), name, type(e).__name__, e))
        except BaseException:
            pass
