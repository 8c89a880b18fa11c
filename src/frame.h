/*
** frame.h -- reading an optimized frame's plain fast locals by slot.
**
** PyFrame_GetVar, the public way, compares the name with every name of
** the code object before it and, for an unbound variable, formats a
** NameError the recorder then clears: at every Step, for every unbound
** local. Under the interpreter whose headers the module was built with
** (3.12 to 3.15, the GIL build: a slot is a PyObject pointer, and from 3.14
** a tagged _PyStackRef) a plain fast local (not a cell, not a free
** variable) is read from the frame's slot array instead; any other
** interpreter, and any other variable, goes through PyFrame_GetVar.
*/
#ifndef CTGEN_FRAME_H
#define CTGEN_FRAME_H

#include <Python.h>
#include <stddef.h>
#include <stdint.h>

/* ctf_word: a frame slot as the interpreter built for lays it out, and
   ctf_at(fast, k): slot k's object, borrowed, or NULL when unbound. 3.12
   and 3.13: a PyObject pointer. 3.14 and 3.15 (the GIL build): a
   _PyStackRef, a pointer whose low bit says the reference is not counted
   (CTF_TAG_REFCNT; an unbound slot is that bit alone) and whose two low
   bits both set mark a tagged int (CTF_INT_TAG), which the interpreter
   keeps on its value stack, never in a local: read as NULL all the same,
   never as a pointer. frame.c pins these against the headers. */
#if PY_VERSION_HEX >= 0x030E0000
typedef uintptr_t ctf_word;
#define CTF_TAG_REFCNT ((uintptr_t)1)
#define CTF_INT_TAG ((uintptr_t)3)
#define CTF_TAG_BITS ((uintptr_t)3)
static inline PyObject *
ctf_at(const ctf_word *fast, int k)
{
    ctf_word w = fast[k];
    return (w & CTF_TAG_BITS) == CTF_INT_TAG ? NULL : (PyObject *)(w & ~CTF_TAG_REFCNT);
}
#else
typedef PyObject *ctf_word;
static inline PyObject *
ctf_at(const ctf_word *fast, int k)
{
    return fast[k];
}
#endif

/* ctf_setup: decide, once per process, whether slots are read directly
   (the running interpreter's major.minor is the one built for, and its
   layout is one this file knows). */
void ctf_setup(void);

/* ctf_direct: whether ctf_setup chose to read slots directly (the
   metadata's stats.frame_slots). */
int ctf_direct(void);

/* ctf_slot: the slot of name `name` in code object `code` when it is a
   plain fast local (the first slot so named, PyFrame_GetVar's choice, and
   not a cell), else -1. Read directly (ctf_fast) only under the
   interpreter built for (3.12 to 3.15); else found through the public API
   (its place in co_varnames) and read by name (ctf_get), and still the
   slot that a STORE_FAST's argument names (the pure-line epoch's rebinds,
   code.c). */
int ctf_slot(PyObject *code, PyObject *name);

/* ctf_get: a new reference to the value of variable `name` (slot `slot`
   of code object `code` by ctf_slot, or -1) of frame f, or NULL without an
   error set when it is unbound (or cannot be read). The slot is read
   directly only when f runs `code`. */
PyObject *ctf_get(PyFrameObject *f, PyObject *code, int slot, PyObject *name);

/* ctf_fast: frame f's slot array when its slots are read directly (f runs
   `code`, under the interpreter built for), else NULL: slot k (by ctf_slot)
   is then ctf_at(fast, k), a borrowed pointer (NULL: unbound), as ctf_get
   would read it. The array stays where it is while the frame runs. */
const ctf_word *ctf_fast(PyFrameObject *f, PyObject *code);

/* ctf_namespace: 3.12, frame f running `code` (a module or class body)
   that has no fast variables at all (co_nlocalsplus 0: no inlined
   comprehension's hidden ones either), its slots read directly: the
   namespace its f_locals holds (borrowed), what PyFrame_GetLocals would
   return, without the copy of the fast variables into it (none) and the
   empty dict of hidden ones it makes and frees at each call. NULL: not so
   (PyFrame_GetLocals then). 3.13+: NULL (PyFrame_GetLocals returns the
   namespace itself). */
PyObject *ctf_namespace(PyFrameObject *f, PyObject *code);

/* ctf_running: the slot array of the running frame of thread state ts
   (the caller's: PyThreadState_Get, taken once for a Step's reads and its
   error check) when its slots are read directly and it runs `code`, else
   NULL; read from the thread state, without the frame object
   PyEval_GetFrame makes (and the frame's exit then frees) for a function's
   frame that has none. */
const ctf_word *ctf_running(PyThreadState *ts, PyObject *code);

/* ctf_for_next: at a LINE event of `code` (its frame the running one of
   thread state ts, the caller's), what the FOR_ITER at code unit `unit` is
   about to take, when the frame is about to run that unit: CTF_FOR_NO when
   the frame is elsewhere
   or its iterator is not one of the built-in ones whose step runs no code
   (and changes nothing the recorder reads: the recorder reads an iterator
   as its type alone); else CTF_FOR_END (exhausted: it takes nothing),
   CTF_FOR_ITEM (a list's or a tuple's item: *next, borrowed), CTF_FOR_PAIR
   (a new tuple of two items: a dict's items, an enumerate's, whose second
   part is *next when known, else NULL) or CTF_FOR_OTHER (an item of no
   known shape: a range's, a set's, a dict's keys or values). The
   stack's layout is the target's (3.12 to 3.15, frame.c); elsewhere,
   always CTF_FOR_NO. */
enum { CTF_FOR_NO, CTF_FOR_END, CTF_FOR_ITEM, CTF_FOR_PAIR, CTF_FOR_OTHER };

/* ctf_caller_unit: at the PY_START of the running frame of thread state
   ts, when the frame was pushed by the eval loop itself (an inlined call:
   no C code between) from a frame of `code`, the code unit that frame is
   at (3.12: the call's last cache unit; 3.13+: the call); else -1, and
   always where frames are not read directly. */
int ctf_caller_unit(PyThreadState *ts, PyObject *code);
int ctf_for_next(PyThreadState *ts, PyObject *code, int unit, PyObject **next);

/* ctf_dict_offset: under the interpreter built for (3.12 to 3.15), where an
   object of a class with a managed dict (Py_TPFLAGS_MANAGED_DICT) keeps the
   pointer to its dict, relative to the object's address, as the internal
   headers lay it out (3.12: a dict or tagged values; 3.13+: a dict or NULL);
   0 elsewhere (ask _PyObject_GetDictPtr). Set by ctf_setup. */
extern ptrdiff_t ctf_dict_offset;

/* CTF_MANAGED_DICT_OFFSET: the only value ctf_dict_offset takes but 0
   (3.12's _PyObject_DictOrValuesPointer and 3.13+'s MANAGED_DICT_OFFSET:
   three pointers before the object). */
#define CTF_MANAGED_DICT_OFFSET (-3 * (ptrdiff_t)sizeof(PyObject *))

#endif
