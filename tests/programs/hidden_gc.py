"""Objects changed by the cyclic garbage collector during a plain line: a
cycle is dropped, then a one-line loop of plain operations allocates lists
until a collection frees it, and its weakref callback (a C callable:
list.append) or its __del__ changes an object the caller holds; a gc
callback (a C callable, set.difference_update; a Python function) changes
one at every collection. The loop, `while not dead: junk = [junk]`, is one
line (a jump back to the same line is not a new Step) that stops right
after the collection that did the change, so every process takes the same
Steps whenever its collections happen (tests/reference.py's callbacks
allocate and collect too). The threshold is set high enough (1000) that no
collection can come between a gc.collect() and the loop, whatever the
reference recorder's callbacks allocate there (a few dozen objects a Step),
and the same on every version. The collector runs at the loop's jump, an
operation of the line. __del__ in code the recorder does not record
(_hidden.untraced()) and in recorded code; the Python gc callback only in
the former: a recorded one's arguments, the collection's statistics (3.15
adds its count of candidates and its duration), differ between processes.
Each change shows in the next line's Step, in a local that no line after it
rebinds."""
import gc
import weakref

import _hidden

lib = _hidden.untraced()


def weakref_callback(m):
    dead = []
    gc.collect()
    a = m.Node()
    a.me = a
    r = weakref.ref(a, dead.append)
    a = None            # a cycle: garbage, not freed
    junk = None
    while not dead: junk = [junk]
    k = len(dead)       # dead holds r
    k = k + 1
    junk = None
    return k


def finalizer(m):
    t = m.Plain()
    gc.collect()
    a = m.Dropped(t)
    a.me = a
    a = None
    junk = None
    while t.n == 0: junk = [junk]
    k = t.n
    k = k + 1
    junk = None
    return k


def c_gc_callback(m):
    marks = {"generation", "kept"}
    gc.collect()
    gc.callbacks.append(marks.difference_update)    # called with ("start", info)
    junk = None
    while "generation" in marks: junk = [junk]
    k = len(marks)
    k = k + 1
    gc.callbacks.remove(marks.difference_update)
    junk = None
    return sorted(marks)


def python_gc_callback(m):
    t = m.Plain()
    cb = m.callback(t)
    gc.collect()
    gc.callbacks.append(cb)
    junk = None
    while t.n == 0: junk = [junk]
    gc.callbacks.remove(cb)
    k = t.n
    k = k + 1
    junk = None
    return k


saved = gc.get_threshold()
gc.set_threshold(1000, 10, 10)
for m in (lib, _hidden):
    print(finalizer(m), c_gc_callback(m))
print(python_gc_callback(lib))
# last: a weak reference with a C callback may turn a recorder's shortcuts off
print(weakref_callback(lib), weakref_callback(_hidden))
gc.set_threshold(*saved)
