"""ctgen-tracer: records Python executions for time-travel debugging.

    import ctgen_tracer
    with ctgen_tracer.recording("trace-dir"):
        interesting()

or `python -m ctgen_tracer app.py args...`. Read traces with ctgen_tracer.reader.

The package by concern (docs/design.md, "The house"): this module is the
API; session.py starts and stops the recorder; tracedir.py owns the trace
directory; children.py follows child processes; signals.py finishes a
trace on SIGTERM; selection.py decides which code is recorded; runner.py
runs a program as `python` would (python -m ctgen_tracer app.py); cli.py
holds the commands; reader.py reads traces with the tables of the spec
(trace_tables.py, generated).

PYTEST_DONT_REWRITE: pytest's assertion rewriting leaves the recorder alone
(it is imported before pytest starts when pytest runs under the recorder).
"""

from ._supported import check as _check_interpreter
_check_interpreter()   # a clear ImportError on an interpreter the native module cannot serve

from . import children as _children  # noqa: F401  (follows child processes of every session)
from .errors import TraceDirError
from .selection import DEFAULT_REDACT
from .session import (CAPTURE_IO, COMPRESS_LEVEL, EVENTS, LIMITS, OPTIONS, TOOL_ID, __version__,
                      check_limit, event_names, recording_now, start, stop)
from .tracedir import CHILDREN_DIR, EVENTS_FILE, METADATA_FILE, PATHS_FILE

__all__ = ["start", "stop", "recording", "recording_now", "EVENTS", "OPTIONS", "LIMITS", "TraceDirError"]


class recording:
    """with recording(trace_dir, **options): record the block."""

    def __init__(self, trace_dir, **options):
        self.trace_dir, self.options, self.stats = trace_dir, options, None

    def __enter__(self):
        start(self.trace_dir, **self.options)
        return self

    def __exit__(self, *exc):
        self.stats = stop()
        return False
