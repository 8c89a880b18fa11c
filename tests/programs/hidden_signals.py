"""Objects changed by a signal handler: SIGUSR1's handler changes a list, set,
bytearray, slotted instance, instance with inline values or dict that the
caller holds; the handler is a Python function in code the recorder does
not record (_hidden.untraced()), one in recorded code, or a C callable
(list.insert, called with the signal number and the frame: it appends the
frame). os.kill(os.getpid(), SIGUSR1) sends it on one line and plain lines
follow. Then the signal comes from another thread while the main thread
runs a plain line: `held = None` drops an object whose death lets a worker
thread that runs no Python code send the signal, and waits until it is done
(_hidden.gate); the handler runs while the main thread waits or at the jump
back of a one-line loop, `while k < 2: k = k + 1; held = None` (a jump back
to the same line is not a new Step; a loop that ends at its first test
jumps nowhere and would leave the handler for whatever runs next), so every
process takes the same Steps. Each change shows in the next line's Step, in
a local that no line after it rebinds."""
import os
import signal

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


def sent_meanwhile(handler, items, held):
    signal.signal(signal.SIGUSR1, handler)
    k = 0
    while k < 2: k = k + 1; held = None     # the signal comes meanwhile
    k = len(items)
    k = k + 1
    k = k * 2
    return k


def handlers(send):
    items = [1]
    k = sent_meanwhile(items.insert, items, send())
    items.pop()         # the frame
    seen = []
    k = sent_meanwhile(lib.callback(seen), seen, send())
    return items, seen


def from_a_process():
    return lib.child_signal(signal.SIGUSR1)


def from_a_thread():
    return lib.gate([(os.kill, os.getpid(), signal.SIGUSR1)])


previous = signal.getsignal(signal.SIGUSR1)
print(python_handlers(lib), python_handlers(_hidden))
print(c_handler(), handlers(from_a_process), handlers(from_a_thread))
signal.signal(signal.SIGUSR1, previous)
lib.reap()
