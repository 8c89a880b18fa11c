/*
** frame.c -- reading an optimized frame's plain fast locals by slot
** (frame.h). The layout is the target's own: this file is compiled with
** CPython's internal headers (Py_BUILD_CORE), and the static asserts pin
** what it relies on, so a release that changes them fails to build here
** rather than misreading; ctf_setup refuses, at run time, an interpreter
** of another major.minor than the headers'.
*/
#include "frame.h"

#include <stddef.h>

#if PY_VERSION_HEX >= 0x030C0000 && PY_VERSION_HEX < 0x03100000 && !defined(Py_GIL_DISABLED)
#define CTF_DIRECT 1
#define Py_BUILD_CORE 1
#include "internal/pycore_frame.h"
#include "internal/pycore_code.h"
#include "internal/pycore_list.h"
#include "internal/pycore_tuple.h"
#if PY_VERSION_HEX >= 0x030E0000
#include "internal/pycore_object.h"
#include "internal/pycore_stackref.h"
/* 3.14+: a slot is a _PyStackRef, one word of tagged bits (frame.h's
   ctf_word); borrowing masks Py_TAG_REFCNT off (BITS_TO_PTR_MASKED); an
   unbound slot is PyStackRef_NULL, whose bits are that tag alone (so it
   reads NULL); a tagged int has Py_INT_TAG in the tag bits */
_Static_assert(__builtin_types_compatible_p(__typeof__(((_PyInterpreterFrame *)0)->localsplus[0]), _PyStackRef),
               "a frame slot is not a _PyStackRef");
_Static_assert(sizeof(_PyStackRef) == sizeof(ctf_word) && offsetof(_PyStackRef, bits) == 0,
               "a _PyStackRef is not one word of bits");
_Static_assert(__builtin_types_compatible_p(__typeof__(((_PyStackRef *)0)->bits), uintptr_t),
               "a _PyStackRef's bits are not a uintptr_t");
_Static_assert(Py_TAG_REFCNT == CTF_TAG_REFCNT && Py_TAG_BITS == CTF_TAG_BITS && Py_INT_TAG == CTF_INT_TAG,
               "the _PyStackRef tags moved");
_Static_assert(PyStackRef_NULL_BITS == Py_TAG_REFCNT, "an unbound slot is no longer the tag alone");
_Static_assert(__builtin_types_compatible_p(__typeof__(((_PyInterpreterFrame *)0)->f_executable), _PyStackRef),
               "_PyInterpreterFrame.f_executable is not a _PyStackRef");
_Static_assert(MANAGED_DICT_OFFSET == CTF_MANAGED_DICT_OFFSET, "the managed dict pointer moved");
#else
/* a slot holds a PyObject pointer (3.14 made them tagged _PyStackRef) */
_Static_assert(__builtin_types_compatible_p(__typeof__(((_PyInterpreterFrame *)0)->localsplus[0]), PyObject *),
               "a frame slot is not a PyObject pointer");
_Static_assert(__builtin_types_compatible_p(ctf_word, PyObject *), "frame.h's ctf_word is not a slot");
#endif
/* a frame object points to its interpreter frame */
_Static_assert(__builtin_types_compatible_p(__typeof__(((PyFrameObject *)0)->f_frame), _PyInterpreterFrame *),
               "PyFrameObject.f_frame is not an interpreter frame");
_Static_assert(__builtin_types_compatible_p(__typeof__(((PyCodeObject *)0)->co_localspluskinds), PyObject *),
               "co_localspluskinds is not a bytes object");
#if PY_VERSION_HEX >= 0x030D0000
/* the running frame hangs from the thread state */
_Static_assert(__builtin_types_compatible_p(__typeof__(((PyThreadState *)0)->current_frame), _PyInterpreterFrame *),
               "PyThreadState.current_frame is not an interpreter frame");
#else
_Static_assert(__builtin_types_compatible_p(__typeof__(((PyThreadState *)0)->cframe->current_frame), _PyInterpreterFrame *),
               "PyThreadState.cframe->current_frame is not an interpreter frame");
#endif
/* ctf_for_next: the instruction a frame runs (3.12: prev_instr; 3.13+:
   instr_ptr, both the instruction a LINE event's callback is called for)
   and its stack pointer, which INSTRUMENTED_LINE saves before the callback
   (3.12, 3.13: stacktop, an offset from localsplus, -1 elsewhere; 3.14+:
   stackpointer, which a release build does not clear after: LINE
   callbacks are called from INSTRUMENTED_LINE alone, and ctf_for_next
   also asks that the frame's instruction be the FOR_ITER's unit); a
   list's and a tuple's iterator */
#if PY_VERSION_HEX >= 0x030D0000
_Static_assert(__builtin_types_compatible_p(__typeof__(((_PyInterpreterFrame *)0)->instr_ptr), _Py_CODEUNIT *),
               "_PyInterpreterFrame.instr_ptr is not a code unit pointer");
#else
_Static_assert(__builtin_types_compatible_p(__typeof__(((_PyInterpreterFrame *)0)->prev_instr), _Py_CODEUNIT *),
               "_PyInterpreterFrame.prev_instr is not a code unit pointer");
#endif
/* ctf_caller_unit: a frame's caller's frame, when the eval loop pushed it */
_Static_assert(__builtin_types_compatible_p(__typeof__(((_PyInterpreterFrame *)0)->previous), struct _PyInterpreterFrame *),
               "_PyInterpreterFrame.previous is not a frame pointer");
#if PY_VERSION_HEX >= 0x030E0000
_Static_assert(__builtin_types_compatible_p(__typeof__(((_PyInterpreterFrame *)0)->stackpointer), _PyStackRef *),
               "_PyInterpreterFrame.stackpointer is not a _PyStackRef pointer");
#else
_Static_assert(__builtin_types_compatible_p(__typeof__(((_PyInterpreterFrame *)0)->stacktop), int),
               "_PyInterpreterFrame.stacktop is not an int");
#endif
#if PY_VERSION_HEX >= 0x030F0000
/* 3.15: a list or tuple is iterated in place, its index a tagged int above it */
_Static_assert(Py_TAGGED_SHIFT == 2, "a tagged int's shift moved");
#endif
_Static_assert(__builtin_types_compatible_p(__typeof__(((_PyListIterObject *)0)->it_seq), PyListObject *)
               && __builtin_types_compatible_p(__typeof__(((_PyListIterObject *)0)->it_index), Py_ssize_t),
               "a list iterator is not an index and a list");
_Static_assert(__builtin_types_compatible_p(__typeof__(((_PyTupleIterObject *)0)->it_seq), PyTupleObject *)
               && __builtin_types_compatible_p(__typeof__(((_PyTupleIterObject *)0)->it_index), Py_ssize_t),
               "a tuple iterator is not an index and a tuple");
_Static_assert(CO_FAST_LOCAL == 0x20 && CO_FAST_CELL == 0x40 && CO_FAST_FREE == 0x80,
               "the kinds of fast locals moved");
#else
#define CTF_DIRECT 0
#endif

static int direct;   /* slots are read directly */
ptrdiff_t ctf_dict_offset;

void
ctf_setup(void)
{
#if CTF_DIRECT
    direct = (Py_Version >> 16) == (PY_VERSION_HEX >> 16);
#ifndef Py_GIL_DISABLED
    /* 3.12's _PyObject_DictOrValuesPointer and 3.13's MANAGED_DICT_OFFSET
       (internal/pycore_object.h, which does not build in an extension
       there; 3.14's does, and is pinned above): three pointers before the
       object; values.c's clean_dict checks it against _PyObject_GetDictPtr
       before it relies on it */
    ctf_dict_offset = direct ? CTF_MANAGED_DICT_OFFSET : 0;
#else
    ctf_dict_offset = 0;
#endif
#else
    direct = 0;
    ctf_dict_offset = 0;
#endif
}

int
ctf_direct(void)
{
    return direct;
}

/* public_slot: ctf_slot through the public API, when slots are not read
   directly: a plain local's slot is its place in co_varnames (the compiler
   lays out the locals first, in that order, then the cells that are not
   arguments or locals, then the free variables); a local that is also a
   cell is not plain. */
static int
same_name(PyObject *n, PyObject *name)
{
    return n == name || (PyUnicode_Check(n) && PyUnicode_Check(name) && PyUnicode_Compare(n, name) == 0);
}

static int
public_slot(PyObject *code, PyObject *name)
{
    if (!PyCode_Check(code))
        return -1;
    PyObject *vars = PyCode_GetVarnames((PyCodeObject *)code);
    PyObject *cells = vars != NULL ? PyCode_GetCellvars((PyCodeObject *)code) : NULL;
    int slot = -1;
    if (cells != NULL && PyTuple_Check(vars) && PyTuple_Check(cells)) {
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(vars) && i <= INT32_MAX; i++)
            if (same_name(PyTuple_GET_ITEM(vars, i), name)) {
                slot = (int)i;
                break;
            }
        for (Py_ssize_t i = 0; slot >= 0 && i < PyTuple_GET_SIZE(cells); i++)
            if (same_name(PyTuple_GET_ITEM(cells, i), name))
                slot = -1;
    }
    Py_XDECREF(vars);
    Py_XDECREF(cells);
    PyErr_Clear();
    return slot;
}

int
ctf_slot(PyObject *code, PyObject *name)
{
#if CTF_DIRECT
    if (!direct)
        return public_slot(code, name);
    if (!PyCode_Check(code))
        return -1;
    PyCodeObject *co = (PyCodeObject *)code;
    PyObject *names = co->co_localsplusnames, *kinds = co->co_localspluskinds;
    if (!PyTuple_Check(names) || !PyBytes_Check(kinds) || PyBytes_GET_SIZE(kinds) != PyTuple_GET_SIZE(names)
            || PyTuple_GET_SIZE(names) != co->co_nlocalsplus)
        return -1;
    for (Py_ssize_t i = 0; i < co->co_nlocalsplus; i++) {
        PyObject *n = PyTuple_GET_ITEM(names, i);
        if (!same_name(n, name))
            continue;
        if (PyErr_Occurred()) {
            PyErr_Clear();
            return -1;
        }
        _PyLocals_Kind k = _PyLocals_GetKind(kinds, (int)i);
        return (k & CO_FAST_LOCAL) && !(k & (CO_FAST_CELL | CO_FAST_FREE)) && i <= INT32_MAX ? (int)i : -1;
    }
    PyErr_Clear();
    return -1;
#else
    return public_slot(code, name);
#endif
}

#if CTF_DIRECT
/* frame_code: the code object an interpreter frame runs. */
static inline PyObject *
frame_code(const _PyInterpreterFrame *fr)
{
#if PY_VERSION_HEX >= 0x030E0000
    return PyStackRef_AsPyObjectBorrow(fr->f_executable);
#elif PY_VERSION_HEX >= 0x030D0000
    return fr->f_executable;
#else
    return (PyObject *)fr->f_code;
#endif
}
#endif

#if CTF_DIRECT
/* slots_of: interpreter frame fr's slot array when it runs `code` (a slot
   number is of the code it was found in), else NULL. */
static inline const ctf_word *
slots_of(const _PyInterpreterFrame *fr, PyObject *code)
{
    return direct && fr != NULL && frame_code(fr) == code ? (const ctf_word *)fr->localsplus : NULL;
}
#endif

PyObject *
ctf_namespace(PyFrameObject *f, PyObject *code)
{
#if CTF_DIRECT && PY_VERSION_HEX < 0x030D0000
    const _PyInterpreterFrame *fr = f->f_frame;
    if (!direct || fr == NULL || frame_code(fr) != code || ((PyCodeObject *)code)->co_nlocalsplus != 0)
        return NULL;
    return fr->f_locals;
#else
    (void)f;
    (void)code;
    return NULL;
#endif
}

const ctf_word *
ctf_fast(PyFrameObject *f, PyObject *code)
{
#if CTF_DIRECT
    return slots_of(f->f_frame, code);
#else
    (void)f;
    (void)code;
    return NULL;
#endif
}

#if CTF_DIRECT
/* running_frame: thread state ts's running interpreter frame, or NULL */
static inline _PyInterpreterFrame *
running_frame(PyThreadState *ts)
{
#if PY_VERSION_HEX >= 0x030D0000
    return ts->current_frame;
#else
    return ts->cframe != NULL ? ts->cframe->current_frame : NULL;
#endif
}
#endif

const ctf_word *
ctf_running(PyThreadState *ts, PyObject *code)
{
#if CTF_DIRECT
    if (!direct)
        return NULL;
    return slots_of(running_frame(ts), code);
#else
    (void)ts;
    (void)code;
    return NULL;
#endif
}

PyObject *
ctf_get(PyFrameObject *f, PyObject *code, int slot, PyObject *name)
{
    const ctf_word *fast = slot >= 0 ? ctf_fast(f, code) : NULL;
    if (fast != NULL)
        return Py_XNewRef(ctf_at(fast, slot));
    PyObject *v = PyFrame_GetVar(f, name);
    if (v == NULL)
        PyErr_Clear();
    return v;
}

#if CTF_DIRECT
/* seq_next: what iterating s (a list, of a subclass too, when is_list,
   else a tuple) at index i takes: its item, read as the iterator reads it */
static int
seq_next(PyObject *s, int is_list, Py_ssize_t i, PyObject **next)
{
    Py_ssize_t n = is_list ? PyList_GET_SIZE(s) : PyTuple_GET_SIZE(s);
    if (i < 0 || i >= n)
        return CTF_FOR_END;
    *next = is_list ? PyList_GET_ITEM(s, i) : PyTuple_GET_ITEM(s, i);
    return CTF_FOR_ITEM;
}

/* enum_visit: tp_traverse's visitor for an enumerate: its one referent that
   is neither a tuple (the pair it may reuse) nor an int (a long index),
   its iterator */
typedef struct { PyObject *it; int others; } enum_parts;

static int
enum_visit(PyObject *o, void *arg)
{
    enum_parts *p = arg;
    if (PyTuple_CheckExact(o) || PyLong_CheckExact(o))
        return 0;
    if (p->it != NULL)
        p->others = 1;
    p->it = o;
    return 0;
}

/* iter_next: what a FOR_ITER of iterator it takes (ctf_for_next); an
   enumerate (exact: a subclass may define __next__) takes a new pair of an
   int and what its iterator, read through its tp_traverse, takes */
static int
iter_next(PyObject *it, PyObject **next, int depth)
{
    PyTypeObject *t = Py_TYPE(it);
    if (t == &PyListIter_Type) {
        _PyListIterObject *li = (_PyListIterObject *)it;
        return li->it_seq == NULL ? CTF_FOR_END : seq_next((PyObject *)li->it_seq, 1, li->it_index, next);
    }
    if (t == &PyTupleIter_Type) {
        _PyTupleIterObject *ti = (_PyTupleIterObject *)it;
        return ti->it_seq == NULL ? CTF_FOR_END : seq_next((PyObject *)ti->it_seq, 0, ti->it_index, next);
    }
    if (t == &PyDictIterItem_Type || t == &PyDictRevIterItem_Type) {
        *next = NULL;
        return CTF_FOR_PAIR;
    }
    if (t == &PyRangeIter_Type || t == &PyLongRangeIter_Type || t == &PyListRevIter_Type
            || t == &PyDictIterKey_Type || t == &PyDictIterValue_Type
            || t == &PyDictRevIterKey_Type || t == &PyDictRevIterValue_Type || t == &PySetIter_Type)
        return CTF_FOR_OTHER;
    if (t == &PyEnum_Type && depth == 0 && t->tp_traverse != NULL) {
        enum_parts p = { NULL, 0 };
        if (t->tp_traverse(it, enum_visit, &p) != 0 || p.it == NULL || p.others)
            return CTF_FOR_NO;
        PyObject *second = NULL;
        int k = iter_next(p.it, &second, depth + 1);
        if (k == CTF_FOR_NO || k == CTF_FOR_END)
            return k;
        *next = k == CTF_FOR_ITEM ? second : NULL;
        return CTF_FOR_PAIR;
    }
    return CTF_FOR_NO;
}
#endif

int
ctf_for_next(PyThreadState *ts, PyObject *code, int unit, PyObject **next)
{
#if CTF_DIRECT
    if (!direct || !PyCode_Check(code))
        return CTF_FOR_NO;
    _PyInterpreterFrame *fr = running_frame(ts);
    if (fr == NULL || frame_code(fr) != code)
        return CTF_FOR_NO;
    PyCodeObject *co = (PyCodeObject *)code;
#if PY_VERSION_HEX >= 0x030D0000
    if (fr->instr_ptr != _PyCode_CODE(co) + unit)
        return CTF_FOR_NO;
#else
    if (fr->prev_instr != _PyCode_CODE(co) + unit)
        return CTF_FOR_NO;
#endif
#if PY_VERSION_HEX >= 0x030E0000
    if (fr->stackpointer == NULL)
        return CTF_FOR_NO;
    Py_ssize_t depth = fr->stackpointer - fr->localsplus;
#else
    Py_ssize_t depth = fr->stacktop;
#endif
    if (depth <= co->co_nlocalsplus || depth > (Py_ssize_t)co->co_nlocalsplus + co->co_stacksize)
        return CTF_FOR_NO;
    const ctf_word *top = (const ctf_word *)fr->localsplus + depth - 1;
#if PY_VERSION_HEX >= 0x030F0000
    /* the iterable, then an index (a tagged int: a list or tuple iterated
       in place) or NULL (the iterable is an iterator) */
    if (depth < co->co_nlocalsplus + 2)
        return CTF_FOR_NO;
    PyObject *it = ctf_at(top, -1);
    if (it == NULL)
        return CTF_FOR_NO;
    if ((top[0] & CTF_TAG_BITS) == CTF_INT_TAG) {
        Py_ssize_t i = (Py_ssize_t)((intptr_t)top[0] >> Py_TAGGED_SHIFT);
        if (PyList_CheckExact(it) || PyTuple_CheckExact(it))
            return seq_next(it, PyList_CheckExact(it), i, next);
        return CTF_FOR_NO;
    }
    if (top[0] != PyStackRef_NULL_BITS)
        return CTF_FOR_NO;
#else
    PyObject *it = ctf_at(top, 0);
    if (it == NULL)
        return CTF_FOR_NO;
#endif
    return iter_next(it, next, 0);
#else
    (void)ts;
    (void)code;
    (void)unit;
    (void)next;
    return CTF_FOR_NO;
#endif
}

int
ctf_caller_unit(PyThreadState *ts, PyObject *code)
{
#if CTF_DIRECT
    if (!direct || !PyCode_Check(code))
        return -1;
    _PyInterpreterFrame *fr = running_frame(ts);
    if (fr == NULL || (fr = fr->previous) == NULL || frame_code(fr) != code)
        return -1;   /* (a call from C: its entry frame runs the interpreter's trampoline) */
#if PY_VERSION_HEX >= 0x030D0000
    const _Py_CODEUNIT *ip = fr->instr_ptr;
#else
    const _Py_CODEUNIT *ip = fr->prev_instr;
#endif
    Py_ssize_t u = ip - _PyCode_CODE((PyCodeObject *)code);
    return u >= 0 && u < INT_MAX ? (int)u : -1;
#else
    (void)ts;
    (void)code;
    return -1;
#endif
}
