"""Signals: a recorded child process finishes its trace when it is sent
SIGTERM, then dies of it (src/sigterm.c runs the handler on a thread of its
own; see there why a Python handler cannot)."""

import os
import signal
import sys

from . import _native, session


def hold_sigterm():
    """Block SIGTERM on this thread (the writer thread blocks every signal):
    a SIGTERM arriving now waits until the mask returned is restored."""
    try:
        return signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    except (OSError, ValueError):
        return None


def release(mask):
    """Restore the signal mask hold_sigterm() returned."""
    if mask is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def guard(s):
    """Finish session s's trace on SIGTERM (while the program leaves SIGTERM
    at its default action), until s stops."""
    _native.sigterm_guard(_on_sigterm)
    s["after_stop"].append(_native.sigterm_unguard)


def _on_sigterm():
    """Called by the recorder's SIGTERM thread (see src/sigterm.c): finish
    the trace; the process then dies of SIGTERM."""
    with session.stop_lock:
        if session.recording_now():
            try:
                session.stop(_ended="SIGTERM")
            except BaseException as e:   # the process dies next: say why its trace is cut
                try:
                    sys.stderr.write("ctgen-tracer: cannot finish the trace of process %d on SIGTERM: "
                                     "%s: %s\n" % (os.getpid(), type(e).__name__, e))
                except BaseException:
                    pass
