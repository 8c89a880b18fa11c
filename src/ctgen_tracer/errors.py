"""The package's errors, and how a command reports one."""

import sys


class TraceDirError(Exception):
    """The trace directory cannot be used."""


def fail(msg):
    """Print `ctgen-tracer: error: msg` on stderr; the exit status of a
    command that failed so (2, as argparse's usage errors)."""
    print("ctgen-tracer: error: %s" % msg, file=sys.stderr)
    return 2
