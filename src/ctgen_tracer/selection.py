"""Which code is recorded: the user's code by default, not the standard
library or site-packages; --include/--exclude globs on module names or file
paths adjust that. ctgen_tracer's own code is never recorded, whatever they
say. The decision is made once per code object, when the recorder first
meets it."""

import fnmatch
import os
import site
import sys
import sysconfig
import types

_HERE = os.path.dirname(os.path.abspath(__file__))


def _library_dirs():
    """Directories whose code is not the user's."""
    dirs = set()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        p = sysconfig.get_paths().get(key)
        if p:
            dirs.add(os.path.realpath(p))
    try:
        dirs.update(os.path.realpath(p) for p in site.getsitepackages())
    except AttributeError:
        pass
    user = getattr(site, "USER_SITE", None)
    if user:
        dirs.add(os.path.realpath(user))
    dirs.add(os.path.realpath(_HERE))
    return tuple(sorted(d + os.sep for d in dirs))


def _matches(globs, filename, module):
    for g in globs:
        if module and fnmatch.fnmatchcase(module, g):
            return True
        if fnmatch.fnmatchcase(filename, g):
            return True
    return False


def make_selector(include=(), exclude=(), on_source=None):
    """A selector(filename, module) -> bool for the recorder. on_source(filename)
    is told of each recorded code object of a pseudo file (`<string>`)."""
    library = _library_dirs()
    include, exclude = tuple(include), tuple(exclude)
    realpath = os.path.realpath

    def user_file(filename):
        return not realpath(filename).startswith(library)

    def user_module(module):
        """Code compiled from a string (<string>, <stdin>...) is the user's
        when it runs in __main__ or in a loaded module of the user's; the
        library's generated code (namedtuple, dataclasses in library
        modules) runs elsewhere."""
        if module == "__main__":
            return True
        mod = sys.modules.get(module) if module else None
        if type(mod) is not types.ModuleType:
            return False
        file = mod.__dict__.get("__file__")
        return isinstance(file, str) and user_file(file)

    own = os.path.realpath(_HERE) + os.sep

    def decide(filename, module):
        real = realpath(filename)
        if real.startswith(own) or (module or "").split(".")[0] == __package__:
            return False   # the recorder itself
        if exclude and _matches(exclude, filename, module):
            return False
        if include and _matches(include, filename, module):
            return True
        if filename.startswith("<"):
            return not filename.startswith("<frozen ") and user_module(module)
        return not real.startswith(library)

    # A file's code objects share its answer (a module has dozens): it is
    # decided once per file and module name. Code compiled from a string
    # is decided each time (its module may be loaded meanwhile).
    decided = {}

    def choose(filename, module):
        if filename.startswith("<"):
            return decide(filename, module)
        key = (filename, module)
        yes = decided.get(key)
        if yes is None:
            yes = decided[key] = decide(filename, module)
        return yes

    if on_source is None:
        return choose

    def selector(filename, module):
        yes = choose(filename, module)
        if yes and filename.startswith("<"):
            on_source(filename)
        return yes

    return selector


# Name fragments whose values are hidden by default: each matches whole words
# of a name (see session.check_redact), ignoring ASCII case.
DEFAULT_REDACT = ("password", "passwd", "secret", "token", "api_key", "apikey", "private_key",
                  "credential", "cookie", "session", "auth")
