"""A fresh __main__ module for a script, as `python script.py args` makes it:
the one place bench/timed.py, bench/pyrecorder.py and bench/floor/run_floor.py
get it from."""

import os
import sys


def install_main(path, args):
    """Set sys.argv and sys.path[0] for `path`, install a new __main__ module
    in sys.modules, and return its namespace (to exec the script's code in)."""
    sys.argv = [path] + list(args)
    sys.path[0] = os.path.dirname(os.path.abspath(path))
    main = type(sys)("__main__")
    main.__file__ = path
    main.__builtins__ = __builtins__
    main.__cached__ = None
    sys.modules["__main__"] = main
    return main.__dict__
