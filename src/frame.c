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

const ctf_word *
ctf_running(PyObject *code)
{
#if CTF_DIRECT
    if (!direct)
        return NULL;
    PyThreadState *ts = PyThreadState_Get();
#if PY_VERSION_HEX >= 0x030D0000
    return slots_of(ts->current_frame, code);
#else
    return slots_of(ts->cframe != NULL ? ts->cframe->current_frame : NULL, code);
#endif
#else
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
