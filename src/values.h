/*
** values.h -- the value walker: records a Python object as a pre-order tree
** of Value nodes in the chunk's values pool, reading built-in storage only,
** so that no user code (__repr__, __eq__, __hash__, __iter__, properties,
** descriptors, metaclass methods) ever runs.
*/
#ifndef CT_VALUES_H
#define CT_VALUES_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#include "records.h"

#define CTV_NONE UINT32_MAX   /* no value: an error was noted */

/* ctv_atom: an object whose identity fixes its value and whose extra
   reference nobody can observe (no finalizer, no weakrefs): unchanged if
   the same. An operator of two atoms gives an atom (or raises).
   The types are exact: None's, int, str, bool, float, bytes and complex,
   found by one look in a table the types' addresses hash to without
   collision (ctv_atoms_init, at import): the chain of seven compares,
   each with a load of the type's address, was 3 % of nbody. */
#define CTV_ATOM_SLOTS 256
extern PyTypeObject *ctv_atom_tab[CTV_ATOM_SLOTS];
extern uint64_t ctv_atom_k;

static inline int
ctv_atom(PyObject *v)
{
    PyTypeObject *t = Py_TYPE(v);
    return ctv_atom_tab[((uint64_t)(uintptr_t)t * ctv_atom_k) >> 56] == t;
}

/* ctv_atoms_init: ctv_atom's table (once, at import; -1: none was found,
   with an exception set) */
int ctv_atoms_init(void);

/* ctv_func_name: f is an exact function whose value, its qualified name,
   is made of two strs alone: its qualname (*q, an exact str) and its module
   (*m, an exact str or NULL); both borrowed. 0 for any other f. */
static inline int
ctv_func_name(PyObject *f, PyObject **q, PyObject **m)
{
    if (!Py_IS_TYPE(f, &PyFunction_Type))
        return 0;
    *q = ((PyFunctionObject *)f)->func_qualname;
    *m = ((PyFunctionObject *)f)->func_module;
    return *q != NULL && PyUnicode_CheckExact(*q) && (*m == NULL || PyUnicode_CheckExact(*m));
}

/* ctv_kind_a: whether atom-or-not v is an int, float or bool of exactly
   that type, whose node (as values.c encodes it) is of that kind with `a`
   alone and no flags: then its kind and `a` (the compact records' value:
   the spec's `compacts`). */
static inline int
ctv_kind_a(PyObject *v, int *kind, int64_t *a)
{
    PyTypeObject *t = Py_TYPE(v);
    if (t == &PyLong_Type) {
        long long x;
        if (PyUnstable_Long_IsCompact((PyLongObject *)v)) {   /* (most: read in place, no call) */
            x = (long long)PyUnstable_Long_CompactValue((PyLongObject *)v);
        } else {
            int overflow;
            x = PyLong_AsLongLongAndOverflow(v, &overflow);
            if (overflow)
                return 0;
        }
        *kind = CTV_Int;
        *a = x;
    } else if (t == &PyFloat_Type) {
        double d = PyFloat_AS_DOUBLE(v);
        memcpy(a, &d, sizeof *a);
        *kind = CTV_Float;
    } else if (t == &PyBool_Type) {
        *kind = CTV_Bool;
        *a = v == Py_True;
    } else {
        return 0;
    }
    return 1;
}

/* What a value keeps (docs/trace-format.md, "Values"). */
typedef struct ctv_limits {
    int max_depth;         /* containers nested deeper are Elided */
    Py_ssize_t max_items;  /* items recorded per container */
    Py_ssize_t max_text;   /* bytes recorded per str/bytes */
    uint32_t max_nodes;    /* containers take no more children once a tree has this many nodes */
} ctv_limits;

/* ctv_start: the limits of a recording, and the object that is recorded as
   Missing (sys.monitoring.MISSING, borrowed); forgets the shared trees. */
void ctv_start(const ctv_limits *limits, PyObject *missing);

/* ctv_value: write object o into c as a whole tree (no objects); returns
   its root node's index. */
uint32_t ctv_value(ct_chunk *c, PyObject *o);

/* ctv_epoch: a new event: the objects its values reach are checked again. */
void ctv_epoch(void);

/* ctv_eseq: while a Step that saw no other thread state checks its
   variables (derive.c, delta_vars), or such an event checks its Return's or
   Yield's value (ctd_value_values), ctu_epoch (0 anywhere else, or when
   the pure-line pass is off): what its replays keep (ctv_obj.eseq); and
   ctv_ebut, ctu_elast then: a replay whose last one kept ctv_eseq - 1
   reads that object's entries alone (docs/design.md, "Lines that change
   one object"). */
extern uint64_t ctv_eseq;
extern PyObject *ctv_ebut;

/* ctv_changed: a count that moves on whenever a check writes records of
   an object the current chunk named before (an object a Step's snapshot
   may show): a value check of an event during which it moved needs a Mark
   before the records it wrote (derive.c, mark_check). */
extern uint64_t ctv_changed;

/* ctv_watch_seq: a count bumped at every change signal of an object a dict
   watcher watches for the walker, and whenever an entry stops being
   watched (values.c, its `ctv_wseq`): unchanged, no watched object has
   changed. */
extern uint64_t ctv_wseq;
static inline uint64_t
ctv_watch_seq(void)
{
    return ctv_wseq;
}

/* ctv_check: check every object a reader renders of value o against what
   the trace last said of it, writing Obj and ObjPut records into c where
   it differs (once per object per event); returns the fingerprint of o's
   own nodes (an object: its id), never CTV_NO_PRINT but on error. */
#define CTV_NO_PRINT 0
uint64_t ctv_check(ct_chunk *c, PyObject *o);

/* ctv_inline: write o's own nodes (an object as an Object node naming its
   id; atoms, ranges and slices inline), `print` being what ctv_check
   returned: a tree already written for it in the same chunk is reused. */
uint32_t ctv_inline(ct_chunk *c, PyObject *o, uint64_t print);

/* ctv_forget_shared: forget the trees written so far (after a rollback):
   objects are written whole again. */
void ctv_forget_shared(void);

/* ctv_stop: forget every object (the end of a recording). */
void ctv_stop(void);

/* ctv_died: o, an object of a kind declared `lifetime dealloc`, is being
   deallocated (src/deaths.c). */
void ctv_died(PyObject *o);

/* ctv_class_set: o's class was set (deaths.c wraps object's __class__
   setter): its next check writes it whole, with its new class. */
void ctv_class_set(PyObject *o);

/* ctv_dict_set: o's __dict__ was set (deaths.c wraps the setter of the
   classes that class statements make): no root is quiet. */
void ctv_dict_set(PyObject *o);

/* ctv_dict_set_told: while a recording with values runs, a change of the
   class or of the __dict__ of an instance of class t is told (ctv_class_set,
   ctv_dict_set): object's `__class__` setter and t's `__dict__` setter are
   wrapped. The answers are cached per class, keyed by its version tag
   (which any change of the class or of its bases moves on; a class without
   one is looked up each time): ctv_dict_set_told reads the cache inline.
   The slot is the tag's low bits: tags are handed out in order, so the
   classes a program uses together rarely share one (slots by address
   did: in richards, classes took turns in a slot and the lookup's own
   instructions were 30.9 M, now 503). */
#define CTV_TOLD_BITS 6
typedef struct { PyTypeObject *t; unsigned int tag; int ok; } ctv_told_slot;
extern ctv_told_slot ctv_told_cache[1 << CTV_TOLD_BITS];
int ctv_dict_set_told_slow(PyTypeObject *t);

static inline ctv_told_slot *
ctv_told_at(const PyTypeObject *t)
{
    return &ctv_told_cache[t->tp_version_tag & ((1 << CTV_TOLD_BITS) - 1)];
}

static inline int
ctv_dict_set_told(PyTypeObject *t)
{
    const ctv_told_slot *k = ctv_told_at(t);
    if (k->t == t && k->tag == t->tp_version_tag && k->tag != 0)
        return k->ok;
    return ctv_dict_set_told_slow(t);
}

/* ctv_deaths_install, ctv_deaths_remove: wrap the deallocators of the
   kinds declared `lifetime dealloc` (while a recording with values runs),
   and restore them (src/deaths.c). */
void ctv_deaths_install(void);
void ctv_deaths_remove(void);

/* ctv_death_told: o's death will be told by ctv_died (its type's
   deallocation reaches a wrapped deallocator, while a recording with
   values runs). */
int ctv_death_told(PyObject *o);

/* ctv_dict_watcher: whether the last recording started had a dict watcher
   (else every check of an object walks its content). */
int ctv_dict_watcher(void);

/* ctv_redacted: write a Redacted node for o (its type only). */
uint32_t ctv_redacted(ct_chunk *c, PyObject *o);

/* ctv_exception: write exception `exc` (an Exception node). */
uint32_t ctv_exception(ct_chunk *c, PyObject *exc);

#endif
