"""Objects changed by a signal handler: SIGUSR1's handler changes a list,
set, bytearray, slotted instance, instance with inline values or dict that
the caller holds; the handler is a Python function in code the recorder
does not record (_hidden.untraced()), one in recorded code, or a C callable
(list.insert, called with the signal number and the frame: it appends the
frame). os.kill(os.getpid(), SIGUSR1) sends it on one line and plain lines
follow. Then the signal comes from another thread while the main thread
runs a plain line: `o = None` drops an object whose weakref callbacks (C
callables) let a worker thread that runs no Python code send the signal
and wait for it to be done; the handler runs while the main thread waits
or at the jump back of a one-line loop, `while k < 2: k = k + 1; o =
None` (a jump back to the same line is not a new Step; a loop that ends
at its first test jumps nowhere and would leave the handler for whatever
runs next), so every process takes the same Steps. Each change shows in the next
line's Step, in a local that no line after it rebinds."""
import _thread
import collections
import itertools
import os
import queue
import signal
import weakref

import _hidden

lib = _hidden.untraced()


def python_handlers(m):
    out = []
    for t in m.targets():
        signal.signal(signal.SIGUSR1, m.callback(t))
        os.kill(os.getpid(), signal.SIGUSR1)
        k = 1
        k = k + 1
        k = k * 2
        out.append(k)
    return out


def c_handler():
    items = [1]
    signal.signal(signal.SIGUSR1, items.insert)
    os.kill(os.getpid(), signal.SIGUSR1)
    k = len(items)
    k = k + 1
    items.pop()         # the frame
    k = k * 2
    return items


def from_a_thread(handler, items):
    fwd, back = queue.SimpleQueue(), queue.SimpleQueue()
    signal.signal(signal.SIGUSR1, handler)
    # one item from fwd, then os.kill(pid, SIGUSR1), then back.put(None)
    chain = map(back.put, map(os.kill, itertools.repeat(os.getpid()), itertools.compress(
        itertools.repeat(signal.SIGUSR1), itertools.islice(iter(fwd.get, None), 1))))
    _thread.start_new_thread(collections.deque, (chain, 0))
    o = _hidden.Plain()
    refs = [weakref.ref(o, back.get), weakref.ref(o, fwd.put)]
    k = 0
    while k < 2: k = k + 1; o = None
    k = len(items)
    k = k + 1
    k = k * 2
    return k


def threaded_handlers():
    items = [1]
    k = from_a_thread(items.insert, items)
    items.pop()         # the frame
    seen = []
    k = from_a_thread(lib.callback(seen), seen)
    return items, seen


previous = signal.getsignal(signal.SIGUSR1)
print(python_handlers(lib), python_handlers(_hidden))
print(c_handler(), threaded_handlers())
signal.signal(signal.SIGUSR1, previous)
