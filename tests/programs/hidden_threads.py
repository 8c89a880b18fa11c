"""Objects changed by another thread while the main thread runs a plain
line: `o = None` drops an object whose weakref callbacks are C callables,
one letting a worker thread go (SimpleQueue.put) and one waiting for it
(SimpleQueue.get); meanwhile the worker appends to a list the main thread
holds in a local. The worker is a thread that runs no Python code at all
(_thread.start_new_thread on a chain of C iterators; it ends right after
the change) or a threading.Thread running recorded code. The main thread
waits for the worker inside the line, so every process takes the same
Steps with the same values. The change shows in the next line's Step, in
a local that no line after it rebinds."""
import _thread
import collections
import itertools
import queue
import threading
import weakref

import _hidden


def wait_for(fwd, back):
    """An object whose death lets the worker go, then waits until it is
    done: its weakref callbacks run newest first."""
    o = _hidden.Plain()
    refs = [weakref.ref(o, back.get), weakref.ref(o, fwd.put)]
    return o, refs


def c_worker():
    shared = []
    fwd, back = queue.SimpleQueue(), queue.SimpleQueue()
    # one item from fwd, then shared.append("worker"), then back.put(None)
    chain = map(back.put, map(shared.append, itertools.compress(
        itertools.repeat("worker"), itertools.islice(iter(fwd.get, None), 1))))
    _thread.start_new_thread(collections.deque, (chain, 0))
    o, refs = wait_for(fwd, back)
    o = None            # the worker appends to shared, and ends
    k = len(shared)
    k = k + 1
    k = k * 2
    return shared


def work(fwd, back, shared):
    x = fwd.get()
    shared.append("worker")
    back.put(x)


def python_worker():
    items = []
    fwd, back = queue.SimpleQueue(), queue.SimpleQueue()
    t = threading.Thread(target=work, args=(fwd, back, items))
    t.start()
    o, refs = wait_for(fwd, back)
    o = None            # the worker appends to items
    k = len(items)
    k = k + 1
    t.join()
    k = k * 2
    return items


print(c_worker(), python_worker())
