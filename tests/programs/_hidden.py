"""Helpers of the hidden_*.py programs (not a corpus program itself): code
that changes an object its caller holds, reached from a line of the caller
that shows no call, store or iteration (a property read, an operator, a
variable dropped).

This module is recorded: it is a sibling of the program. `untraced()` makes
a second copy of it that is not: its source compiled with a file name in
the standard library's directory, which neither the recorder's default
selection nor tests/reference.py records (the library's code, as pathlib's
or functools' would be). Each program runs its cases with both copies."""

import _thread
import collections
import fcntl
import io
import itertools
import operator
import os
import subprocess
import sysconfig
import types


class Slotted:
    __slots__ = ("n", "tag", "__weakref__")

    def __init__(self):
        self.n = 0


class Plain:
    """Attributes in the instance's inline values (3.12+), no dict made."""

    def __init__(self):
        self.n = 0


class Node:
    """A bare instance, made without running Python code (no __init__)."""


def targets():
    """One of each kind of object the tests change: a list, a set, a
    bytearray, a slotted instance, an instance with inline values, a dict.
    (Not a deque or an array.array: their items are not recorded, as for
    any instance of a C type without attributes, so no Step shows them.)"""
    return [[1], {1}, bytearray(b"a"), Slotted(), Plain(), {"a": 1}]


def poke(t):
    """Change t in place."""
    if type(t) is list:
        t.append(len(t))
    elif type(t) is set:
        t.add(len(t))
    elif type(t) is bytearray:
        t.append(65 + len(t))
    elif isinstance(t, dict):
        t[len(t)] = len(t)
    else:
        t.n += 1


class Cached:
    """A value made at its first read and kept in a slot, as pathlib's
    PurePath keeps its parts."""
    __slots__ = ("raw", "_upper", "reads")

    def __init__(self, raw):
        self.raw = raw
        self.reads = 0

    @property
    def upper(self):
        self.reads += 1
        self._upper = self.raw.upper() * self.reads
        return self._upper


class Prop:
    """Reading .value changes the object it was given."""

    def __init__(self, target):
        self.target = target

    @property
    def value(self):
        poke(self.target)
        return 1


class Fallback:
    """Reading an attribute it does not have changes `target`."""

    def __init__(self, target):
        self.target = target

    def __getattr__(self, name):
        poke(self.target)
        return name


class Counted:
    """A descriptor (not a property) whose read changes its instance's
    `target`."""

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        poke(obj.target)
        return 2


class Described:
    count = Counted()

    def __init__(self, target):
        self.target = target


class Dunder:
    """Each operator changes `target` before it answers."""

    def __init__(self, target):
        self.target = target

    def __add__(self, other):
        poke(self.target)
        return 3 + other

    def __eq__(self, other):
        poke(self.target)
        return other == 3

    def __lt__(self, other):
        poke(self.target)
        return 3 < other

    def __hash__(self):
        poke(self.target)
        return 3

    def __getitem__(self, i):
        poke(self.target)
        return i

    def __neg__(self):
        poke(self.target)
        return -3

    def __bool__(self):
        poke(self.target)
        return True

    def __index__(self):
        poke(self.target)
        return 0

    def __contains__(self, x):
        poke(self.target)
        return False

    def __format__(self, spec):
        poke(self.target)
        return "three"

    def __repr__(self):
        poke(self.target)
        return "Dunder(3)"


class Sized:
    """Truth from __len__ alone."""

    def __init__(self, target):
        self.target = target

    def __len__(self):
        poke(self.target)
        return 1


class Missing(dict):
    """A missing key's read changes `target` (the mapping keeps it)."""

    def __init__(self, target):
        super().__init__()
        self.target = target

    def __missing__(self, key):
        poke(self.target)
        return 0


class Dropped:
    """Its death changes `target`."""

    def __init__(self, target):
        self.target = target

    def __del__(self):
        poke(self.target)


class Rebinder:
    """Its death writes `value` into a frame's variable `name` through the
    frame's f_locals (a write-through proxy since 3.13)."""

    def __init__(self, frame_locals, name, value):
        self.frame_locals = frame_locals
        self.name = name
        self.value = value

    def __del__(self):
        self.frame_locals[self.name] = self.value


def suspended(target):
    """A generator whose finally changes `target` when it is closed, as at
    its death."""
    try:
        yield 1
        yield 2
    finally:
        poke(target)


class Pause:
    def __await__(self):
        yield "paused"


async def guarded(target):
    """A coroutine whose finally changes `target` when it is closed."""
    try:
        await Pause()
    finally:
        poke(target)


def callback(target):
    """A weakref or gc callback that changes `target`."""
    def changed(*args):
        poke(target)
    return changed


children = []


def _waiting(script, stdout):
    """An object whose death closes `w_go` (of a pipe the caller made) and
    then flushes a byte into a full pipe, which waits until a child process
    running `script` drains it (its stdin; `stdout` its stdout)."""
    r_data, w_data = os.pipe()
    os.write(w_data, b"." * fcntl.fcntl(w_data, fcntl.F_GETPIPE_SZ))
    children.append(subprocess.Popen(["sh", "-c", script], stdin=r_data, stdout=stdout))
    os.close(r_data)
    writer = io.BufferedWriter(io.FileIO(w_data, "wb"))
    writer.write(b"!")
    return writer


def gate(steps):
    """Run `steps`, (callable, arg...) tuples called through operator.call,
    in a new thread once the object this returns dies, and make that death
    wait until the thread is done: drop the object on a plain line.

    The thread runs no Python code of its own: a chain of C iterators
    waits until a pipe closes, runs the steps, then closes another pipe and
    ends. The object is an iterator over a list whose death closes the
    first pipe (its last item), then flushes a byte into a full pipe (its
    first item), which waits until a child process drains it: the child
    does so 50 ms after the second pipe closed, so the thread has most
    likely ended by the time the death returns. Use the untraced copy (file
    descriptors and the child's pid are not the same in every process);
    reap() waits for the children."""
    r_go, w_go = os.pipe()
    r_done, w_done = os.pipe()
    # (the child reads r_done as its stdout: a shell names one-digit descriptors only)
    writer = _waiting("timeout 20 cat <&1 >/dev/null; sleep 0.05; exec cat >/dev/null", r_done)
    os.close(r_done)
    held = iter([writer, io.FileIO(w_go, "wb")])   # (a list dies last item first)
    run = itertools.starmap(operator.call, [(os.read, r_go, 1), *steps, (os.close, w_done),
                                            (os.close, r_go)])
    _thread.start_new_thread(collections.deque, (run, 0))
    return held


def child_signal(signum):
    """An object whose death makes a child process send `signum` to this
    process, and waits until the child has (as gate() does, without a
    thread): drop it on a plain line."""
    r_go, w_go = os.pipe()
    script = "timeout 20 cat <&1 >/dev/null; kill -%d $PPID; sleep 0.05; exec cat >/dev/null"
    writer = _waiting(script % signum, r_go)
    os.close(r_go)
    return iter([writer, io.FileIO(w_go, "wb")])


def reap():
    while children:
        children.pop().wait()


def untraced():
    """A copy of this module that is not recorded (see the docstring)."""
    path = os.path.join(sysconfig.get_paths()["stdlib"], "ctgen_hidden_untraced.py")
    mod = types.ModuleType("hidden_untraced")
    mod.__file__ = path
    with open(__file__, encoding="utf-8") as f:
        # a line more: its code objects must not equal this copy's (code
        # objects compare equal whatever their file, and tests/reference.py
        # keeps its recorded-or-not decision per code object in a dict)
        source = "# not recorded\n" + f.read()
    exec(compile(source, path, "exec"), mod.__dict__)
    return mod
