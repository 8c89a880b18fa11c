"""A reference recorder for tests: pure Python on sys.monitoring, slow and
obviously right. It runs a program and writes, as JSON, the logical stream
that a ctgen-tracer trace of it must decode to (tests/test_recording.py
builds the same stream from the trace and compares them exactly):

    ["call", fn, [[arg, value], ...]]     arguments in signature order
    ["resume", fn] / ["throw", fn, exc]
    ["step", fn, line, {var: value}]      the visible variables at the start of the line
    ["return", fn, value] / ["yield", fn, value] / ["unwind", fn, exc]
    ["raise"|"reraise"|"handled", fn, offset, line, exc]

one list per thread, plus the exit status and the uncaught exception. `fn`
is the code's qualified name (prefixed by "file.py:" outside the main file).
Values are in the canonical form of Walker below: a model, written from the
trace format's documentation (docs/trace-format.md, the ValueKind comments
of trace.fbs), of what the trace records of an object, limits included
(depth, items, text), with back-references for containers met twice.

Which code is recorded follows ctgen-tracer's default selection: files under
the program's directory, and code compiled from strings that runs in
__main__ or in a module of such a file.

The recorder runs no user code: types, attributes and containers are read
through the built-in types' own methods (type.__getattribute__,
object.__getattribute__, dict.items, list.__iter__...), never through
methods a class could override.

    python tests/reference.py OUT.json program.py [args...]
"""

import json
import os
import sys
import threading
import types

TOOL = 3
MAX_DEPTH, MAX_ITEMS, MAX_TEXT, MAX_NODES = 4, 100, 1000, 1000      # ctgen-tracer's defaults
REDACT = ("password", "passwd", "secret", "token", "api_key", "apikey", "private_key",
          "credential", "cookie", "session", "auth")
HEAPTYPE = 1 << 9
MANAGED_DICT = 1 << 4
CO_OPTIMIZED, CO_VARARGS, CO_VARKEYWORDS = 1, 4, 8
SEEN_MAX = 64
# members of C types made from a spec that describe the layout, not attributes
LAYOUT_MEMBERS = ("__vectorcalloffset__", "__dictoffset__", "__weaklistoffset__")

_tget = type.__getattribute__
_oget = object.__getattribute__
_exc_args = BaseException.__dict__["args"].__get__
_member = types.MemberDescriptorType


def _dict_at(o, offset):
    """The instance dict at `offset` in the object, or None when it has not
    been created: reading __dict__ would create it, and some types behave
    differently once it exists (functools.partial)."""
    import ctypes
    p = ctypes.c_void_p.from_address(id(o) + offset).value
    return None if not p else ctypes.cast(p, ctypes.py_object).value


def _generic_dict(o):
    """The instance dict of an object whose type keeps one without a
    __dict__ attribute (a Python subclass of asyncio's C Future, say)."""
    import ctypes
    f = ctypes.pythonapi.PyObject_GenericGetDict
    f.restype, f.argtypes = ctypes.py_object, [ctypes.py_object, ctypes.c_void_p]
    try:
        return f(o, None)
    except Exception:
        return None


def name_words(s):
    """The words of a name, ASCII-lowercased: '_', digits and other ASCII
    characters separate words, and so does a change to upper case
    (authToken: auth, token; HTTPHeader: http, header)."""
    words, cur = [], ""
    for i, c in enumerate(s):
        if c.isascii() and not c.isalpha():
            if cur:
                words.append(cur)
            cur = ""
            continue
        if "A" <= c <= "Z" and cur and (not "A" <= s[i - 1] <= "Z"
                                        or (i + 1 < len(s) and "a" <= s[i + 1] <= "z")):
            words.append(cur)
            cur = ""
        cur += c.lower() if "A" <= c <= "Z" else c
    if cur:
        words.append(cur)
    return words


def redacted(name):
    """A fragment's words appear in a row among the name's, the last one
    maybe with a plural s."""
    if type(name) is not str:
        return False
    w = name_words(name)
    for f in map(name_words, REDACT):
        m = len(f)
        for i in range(len(w) - m + 1):
            if w[i:i + m - 1] == f[:-1] and w[i + m - 1] in (f[-1], f[-1] + "s"):
                return True
    return False


def type_name(t):
    """module.qualname of a type; built-ins by their name."""
    if _tget(t, "__flags__") & HEAPTYPE:
        qual = _tget(t, "__qualname__")
        mod = type.__dict__["__dict__"].__get__(t).get("__module__")
        if type(mod) is not str or mod == "builtins":
            return qual
        return "%s.%s" % (mod, qual)
    mod, name = _tget(t, "__module__"), _tget(t, "__name__")
    return name if mod == "builtins" else "%s.%s" % (mod, name)


def function_name(f):
    if type(f) is types.MethodType:
        f = _oget(f, "__func__")
    if type(f) is types.FunctionType:
        mod, qual = _oget(f, "__module__"), _oget(f, "__qualname__")
        return "%s.%s" % (mod, qual) if type(mod) is str else qual
    if issubclass(type(f), types.ModuleType):
        name = _oget(f, "__dict__").get("__name__")
        return name if type(name) is str else "?"
    if type(f) is types.BuiltinFunctionType:
        self, name = _oget(f, "__self__"), _oget(f, "__name__")
        if self is None or issubclass(type(self), types.ModuleType):
            return name
        return "%s.%s" % (type_name(self if issubclass(type(self), type) else type(self)), name)
    return "?"


def utf8_prefix(s, limit):
    """The first `limit` code points of s in UTF-8, cut to `limit` bytes
    without splitting a character."""
    b = s[:limit].encode("utf-8", "surrogatepass")
    if len(b) <= limit:
        return b
    cut = limit
    while cut > 0 and b[cut] & 0xC0 == 0x80:
        cut -= 1
    return b[:cut]


class Walker:
    """The canonical form of one value tree. A node is a JSON-able value:
    None, a bool, an int, a str for the plain ones, else a list tagged with
    its kind; ["sub", type, node] wraps a node of a built-in kind read from
    an instance of a subclass; a kind ending in "..." was truncated."""

    def __init__(self):
        self.n = 0          # nodes written so far (pre-order index)
        self.depth = 0
        self.seen = []      # (object, node index) of the first SEEN_MAX containers

    def node(self):
        self.n += 1
        return self.n - 1

    def value(self, o):
        t = type(o)
        if o is None:
            self.node()
            return None
        if t is bool or t is int:
            return self.int(o)
        exact = (t is float or t is complex or t is str or t is bytes or t is bytearray or t is list
                 or t is tuple or t is dict or t is set or t is frozenset or t is range or t is slice
                 or t is types.FunctionType or t is type or t is types.ModuleType
                 or t is types.MethodType or t is types.BuiltinFunctionType)
        if exact:
            return self.builtin(o, t)
        for base in (int, float, complex, str, bytes, bytearray, list, tuple, dict, set, frozenset,
                     type, types.ModuleType):
            if issubclass(t, base):
                v = self.int(int.__index__(o)) if base is int else self.builtin(o, base)
                if type(v) is list and v[0] == "ref":
                    return v   # a back-reference is the same node for any type
                return ["sub", type_name(t), v]
        if issubclass(t, BaseException):
            return self.exception(o)
        return self.instance(o)

    def int(self, v):
        self.node()
        if type(v) is bool or -2 ** 63 <= v < 2 ** 63:
            return v
        nbytes = abs(v).bit_length() // 8 + 1
        if nbytes > MAX_TEXT:
            return ["bigint...", nbytes]
        return v

    def builtin(self, o, t):
        if t is float:
            self.node()
            return ["float", repr(float.__float__(o))]
        if t is complex:
            self.node()
            return ["complex", repr(complex.__complex__(o))]
        if t is str:
            s = str.__str__(o)
            b = s.encode("utf-8", "surrogatepass")
            keep = utf8_prefix(s, MAX_TEXT)
            self.node()
            text = keep.decode("utf-8", "surrogatepass")
            if len(keep) < len(b):
                return ["str...", text, len(s)]
            return text
        if t is bytes or t is bytearray:
            n = t.__len__(o)
            self.node()
            data = t.hex(t.__getitem__(o, slice(0, MAX_TEXT)))
            if n > MAX_TEXT:
                return [t.__name__ + "...", data, n]
            return [t.__name__, data]
        if t is list or t is tuple:
            return self.container(o, t.__name__, t.__len__(o), lambda: t.__iter__(o), 1)
        if t is dict:
            return self.container(o, "dict", dict.__len__(o), lambda: iter(dict.items(o)), 2)
        if t is set or t is frozenset:
            return self.container(o, t.__name__, t.__len__(o), lambda: t.__iter__(o), 1)
        if t is range:
            self.node()
            return ["range", [self.int(o.start), self.int(o.stop), self.int(o.step)]]
        if t is slice:
            self.node()
            return ["slice", [self.value(o.start), self.value(o.stop), self.value(o.step)]]
        self.node()
        if t is type:
            return ["class", type_name(o)]
        kind = {types.FunctionType: "function", types.ModuleType: "module",
                types.MethodType: "method", types.BuiltinFunctionType: "builtin"}[t]
        return [kind, function_name(o)]

    def open(self, o, length):
        """A container's node: a back-reference if o was met before, an
        elided node beyond the depth limit, else None (children follow)."""
        for seen, at in self.seen:
            if seen is o:
                self.node()
                return ["ref", at]
        if self.depth >= MAX_DEPTH:
            self.node()
            return ["elided", type_name(type(o)), length]
        at = self.node()
        if len(self.seen) < SEEN_MAX:
            self.seen.append((o, at))
        return None

    def container(self, o, kind, length, items, width):
        early = self.open(o, length)
        if early is not None:
            return early
        out = []
        self.depth += 1
        for item in list(items()):   # at once: another thread may change it meanwhile
            if len(out) >= MAX_ITEMS or self.n >= MAX_NODES:
                break
            out.append([self.value(x) for x in item] if width == 2 else self.value(item))
        self.depth -= 1
        return [kind + "..." if len(out) < length else kind, out] + ([length] if len(out) < length else [])

    def instance(self, o):
        t = type(o)
        d = self.instance_dict(o, t)
        slots = []   # (name, value) of the set slots, in mro order
        for base in _tget(t, "__mro__"):
            if not _tget(base, "__flags__") & HEAPTYPE:
                continue
            for k, m in list(type.__dict__["__dict__"].__get__(base).items()):
                if type(m) is not _member or k in LAYOUT_MEMBERS:
                    continue
                try:
                    slots.append((k, m.__get__(o, t)))
                except AttributeError:   # an unset slot
                    continue
        total = (dict.__len__(d) if d is not None else 0) + len(slots)
        early = self.open(o, total)
        if early is not None:
            return early
        attrs = []
        self.depth += 1
        if d is not None:
            for k, v in list(dict.items(d)):
                if len(attrs) >= MAX_ITEMS or self.n >= MAX_NODES:
                    break
                key = self.value(k)
                if issubclass(type(k), str) and redacted(k):
                    self.node()
                    attrs.append([key, ["redacted"]])
                else:
                    attrs.append([key, self.value(v)])
        for k, v in slots:
            if len(attrs) >= MAX_ITEMS or self.n >= MAX_NODES:
                break
            key = self.value(k)
            if redacted(k):
                self.node()
                attrs.append([key, ["redacted"]])
            else:
                attrs.append([key, self.value(v)])
        self.depth -= 1
        if len(attrs) < total:
            return ["instance...", type_name(t), attrs, total]
        return ["instance", type_name(t), attrs]

    @staticmethod
    def instance_dict(o, t):
        """o's instance dict (never created here), or None."""
        offset = _tget(t, "__dictoffset__")
        if _tget(t, "__flags__") & MANAGED_DICT:
            try:
                d = _oget(o, "__dict__")
            except AttributeError:   # no __dict__ descriptor
                d = _generic_dict(o)
        elif offset > 0:   # read the dict pointer: never create the dict
            d = _dict_at(o, offset)
        elif offset < 0:
            d = _generic_dict(o)
        else:
            d = None
        return d if d is not None and issubclass(type(d), dict) else None

    def exception(self, e):
        self.node()
        t = type(e)
        args = _exc_args(e)
        self.depth += 1
        if (not _tget(t, "__flags__") & HEAPTYPE and type(args) is tuple and len(args) == 1
                and type(args[0]) is str):
            child = self.value(args[0])
        elif issubclass(type(args), tuple):
            child = self.value(args)
        else:
            self.node()
            child = None
        self.depth -= 1
        return ["exception", type_name(t), child]


def canon(v):
    return Walker().value(v)


def canon_exc(e):
    return Walker().exception(e) if issubclass(type(e), BaseException) else canon(e)


def canon_var(name, v):
    if redacted(name):
        return ["redacted"]
    return canon(v)


def user_name(k, v):
    """A module or class namespace entry worth showing."""
    return (type(k) is str and not issubclass(type(v), types.ModuleType)
            and not (len(k) >= 4 and k.startswith("__") and k.endswith("__")))


def visible(frame):
    """The frame's variables as a debugger shows them: locals, cells and
    free variables; in module and class bodies the user's names only."""
    names = frame.f_locals
    if frame.f_code.co_flags & CO_OPTIMIZED:
        return {k: canon_var(k, v) for k, v in names.items()}
    if issubclass(type(names), dict):
        items = list(dict.items(names))
    elif type(names).__name__ == "FrameLocalsProxy":   # 3.13: module code running an inlined comprehension
        items = list(names.items())
    else:   # a mapping of the program's (a metaclass's __prepare__): its methods are user code
        items = []
    return {k: canon_var(k, v) for k, v in items if user_name(k, v)}


def signature(code):
    """Parameter names in signature order: positional, *args, keyword-only, **kwargs."""
    names = code.co_varnames
    argc, kwc, flags = code.co_argcount, code.co_kwonlyargcount, code.co_flags
    out = list(names[:argc])
    i = argc + kwc
    if flags & CO_VARARGS:
        out.append(names[i])
        i += 1
    out += names[argc:argc + kwc]
    if flags & CO_VARKEYWORDS:
        out.append(names[i])
    return out


def line_of(code, offset):
    """The line of a bytecode offset; an instruction without one (an
    exception handler's entry) takes the next instruction's."""
    lines = {}
    for start, end, line in code.co_lines():
        for o in range(start, end, 2):
            lines[o] = line
    o = offset
    while o in lines and lines[o] is None:
        o += 2
    line = lines.get(o)
    return -1 if line is None else line


def main():
    out, program = sys.argv[1], sys.argv[2]
    sys.argv = sys.argv[2:]
    program = os.path.abspath(program)
    root = os.path.dirname(program)
    sys.path[0] = root
    threads = []
    local = threading.local()
    mon = sys.monitoring
    E = mon.events
    chosen = {}

    def user_file(filename):
        return os.path.realpath(filename).startswith(root + os.sep)

    def mine(code, frame=None):
        """Recorded? Decided once per code object, at its first event."""
        yes = chosen.get(code)
        if yes is None:
            f = code.co_filename
            if f.startswith("<"):
                g = frame.f_globals if frame is not None and frame.f_code is code else {}
                name = g.get("__name__")
                mod = sys.modules.get(name) if type(name) is str else None
                yes = not f.startswith("<frozen ") and (name == "__main__" or (
                    type(mod) is types.ModuleType and type(mod.__dict__.get("__file__")) is str
                    and user_file(mod.__dict__["__file__"])))
            else:
                yes = user_file(f)
            chosen[code] = yes
        return yes

    def fn(code):
        name = code.co_qualname
        if os.path.abspath(code.co_filename) != program:
            name = "%s:%s" % (os.path.basename(code.co_filename), name)
        return name

    def emit(event):
        s = getattr(local, "stream", None)
        if s is None:
            s = local.stream = []
            threads.append(s)
        s.append(event)

    def on_start(code, offset):
        frame = sys._getframe(1)
        if not mine(code, frame):
            return mon.DISABLE
        args = []
        if code.co_flags & CO_OPTIMIZED:
            f_locals = frame.f_locals
            for name in signature(code):
                if name in f_locals:
                    args.append([name, canon_var(name, f_locals[name])])
        emit(["call", fn(code), args])

    def on_resume(code, offset):
        if not mine(code, sys._getframe(1)):
            return mon.DISABLE
        emit(["resume", fn(code)])

    unread = set()   # 3.12: class bodies with cells, whose namespace ctgen-tracer does not read

    def on_line(code, line):
        frame = sys._getframe(1)
        if not mine(code, frame):
            return mon.DISABLE
        if not code.co_flags & CO_OPTIMIZED and (code.co_cellvars or code.co_freevars):
            unread.add(fn(code))
        emit(["step", fn(code), line, visible(frame)])

    def on_return(code, offset, value):
        if not mine(code):
            return mon.DISABLE
        emit(["return", fn(code), canon(value)])

    def on_yield(code, offset, value):
        if not mine(code):
            return mon.DISABLE
        emit(["yield", fn(code), canon(value)])

    def exc_event(kind):
        def on(code, offset, exc):
            if mine(code, sys._getframe(1)):
                if kind in ("raise", "reraise", "handled"):
                    emit([kind, fn(code), offset, line_of(code, offset), canon_exc(exc)])
                else:
                    emit([kind, fn(code), canon_exc(exc)])
        return on

    mon.use_tool_id(TOOL, "reference")
    callbacks = {E.PY_START: on_start, E.PY_RESUME: on_resume, E.LINE: on_line,
                 E.PY_RETURN: on_return, E.PY_YIELD: on_yield,
                 E.PY_UNWIND: exc_event("unwind"), E.PY_THROW: exc_event("throw"),
                 E.RAISE: exc_event("raise"), E.RERAISE: exc_event("reraise"),
                 E.EXCEPTION_HANDLED: exc_event("handled")}
    mask = 0
    for ev, cb in callbacks.items():
        mon.register_callback(TOOL, ev, cb)
        mask |= ev
    code = compile(open(program, "rb").read(), program, "exec", dont_inherit=True)
    main_mod = types.ModuleType("__main__")
    main_mod.__file__ = program
    main_mod.__builtins__ = __builtins__
    main_mod.__cached__ = None
    sys.modules["__main__"] = main_mod
    status, exit_status, uncaught = 0, 0, None
    mon.set_events(TOOL, mask)
    try:
        exec(code, main_mod.__dict__)
    except SystemExit as e:
        c = e.code
        status = exit_status = int(c) if issubclass(type(c), int) else (0 if c is None else 1)
    except KeyboardInterrupt as e:
        status, exit_status, uncaught = -2, 130, e   # the process dies of SIGINT
    except BaseException as e:
        status = exit_status = 1
        uncaught = e
    if uncaught is None:
        for t in threading.enumerate():
            if t is not threading.current_thread() and not t.daemon:
                t.join()
    mon.set_events(TOOL, 0)
    mon.free_tool_id(TOOL)
    result = {"threads": threads, "status": status, "unread": sorted(unread),
              "exit": [exit_status, None if uncaught is None else canon_exc(uncaught)]}
    with open(out, "w") as f:
        json.dump(result, f)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
