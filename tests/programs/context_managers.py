"""with: class-based context managers (suppressing and not), several items
in one with, nested with, contextlib.contextmanager generators (normal exit
and an exception thrown into them), contextlib.suppress and ExitStack."""
import contextlib


class Resource:
    def __init__(self, name, swallow=False):
        self.name = name
        self.swallow = swallow
        self.log = []

    def __enter__(self):
        self.log.append("enter")
        return self

    def __exit__(self, exc_type, exc, tb):
        self.log.append("exit:%s" % (exc_type.__name__ if exc_type else None))
        return self.swallow


@contextlib.contextmanager
def tag(name, out):
    out.append("<%s>" % name)
    try:
        yield name.upper()
    except ZeroDivisionError:
        out.append("!%s" % name)
    finally:
        out.append("</%s>" % name)


a, b = Resource("a"), Resource("b", swallow=True)
with a as ra, b as rb:
    raise KeyError("swallowed by b")
out = []
with tag("p", out) as t1:
    with tag("b", out) as t2:
        1 / 0
with contextlib.suppress(IndexError):
    [][0]
with contextlib.ExitStack() as stack:
    rs = [stack.enter_context(Resource(n)) for n in "xyz"]
try:
    with Resource("c") as rc:
        raise ValueError("passes through")
except ValueError as e:
    msg = str(e)
print(a.log, b.log, out, t1, t2, [r.log for r in rs], rc.log, msg)
