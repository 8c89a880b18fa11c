"""Objects changed by another thread while the main thread runs a plain
line, `held = None`: the death of what it held lets a worker thread go and
waits until the worker is done (_hidden.gate: pipes, no weak reference and
no Python code in the main thread), and meanwhile the worker appends to a
list the main thread holds in a local. The worker runs no Python code at
all (a chain of C iterators), or a recorded function; it ends before the
death returns (most likely: the last wait is 50 ms longer), so at the next
Step the main thread is most likely the only one again. Then the same
with the death of an object whose weakref callbacks are C callables, one
letting a worker go (SimpleQueue.put), one waiting for it
(SimpleQueue.get). The main thread waits for the worker inside the line,
so every process takes the same Steps with the same values. The change
shows in the next line's Step, in a local that no line after it rebinds."""
import _thread
import collections
import itertools
import queue
import weakref

import _hidden

lib = _hidden.untraced()


def c_worker():
    shared = []
    held = lib.gate([(shared.append, "worker")])
    held = None         # the worker appends to shared, and ends
    k = len(shared)
    k = k + 1
    k = k * 2
    return shared


def work(items, tag):
    items.append(tag)
    n = len(items)
    return n


def python_worker():
    items = [0]
    held = lib.gate([(work, items, "python")])
    held = None         # the worker's work() appends to items
    k = len(items)
    k = k + 1
    k = k * 2
    return items


def by_weakref_callbacks():
    shared = []
    fwd, back = queue.SimpleQueue(), queue.SimpleQueue()
    # one item from fwd, then shared.append("worker"), then back.put(None)
    chain = map(back.put, map(shared.append, itertools.compress(
        itertools.repeat("worker"), itertools.islice(iter(fwd.get, None), 1))))
    _thread.start_new_thread(collections.deque, (chain, 0))
    o = _hidden.Plain()
    refs = [weakref.ref(o, back.get), weakref.ref(o, fwd.put)]   # called newest first
    o = None            # the worker appends to shared, and ends
    k = len(shared)
    k = k + 1
    k = k * 2
    return shared


print(c_worker(), python_worker())
# last: a weak reference with a C callback may turn a recorder's shortcuts off
print(by_weakref_callbacks())
lib.reap()
