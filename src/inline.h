/*
** inline.h -- an instance's attributes read from its inline values, in
** place, without the __dict__ that reading them through the public API
** would make.
**
** Since 3.12 an instance of a class with a managed dict keeps its
** attributes in "inline values" (an array of values indexed like the
** class's shared keys) until something asks for its __dict__; then CPython
** makes a dict object for them (materialises it) and keeps it for the
** instance's life: more memory, slower attribute access, and one more
** object that gc.get_objects() and gc.collect() count. PyObject_GenericGetDict
** and _PyObject_GetDictPtr both make it. Under the interpreter whose headers
** the module was built with (3.12 to 3.15, not free-threaded), civ_read
** reads the values where they are instead; any other interpreter, and any
** instance whose dict exists already, is read through its dict.
*/
#ifndef CTGEN_INLINE_H
#define CTGEN_INLINE_H

#include <Python.h>
#include <stddef.h>
#include <stdint.h>

/* civ_setup: decide, at each start, whether inline values are read: the
   running interpreter's major.minor is the one built for, and `mode` (the
   start option inline_values) is 1, or -1 on CPython 3.13.0. There a dict
   made of an instance's inline values never tells its watchers of a store
   into them (values.c, watch_first), so that a dict's instance is compared
   at every check either way, and reading the values in place costs less
   (bench/README.md, "Issue 13, session 14: dict14"). Elsewhere the made dict's
   watcher passes a clean instance in a few instructions, where the values
   must be compared (about 185 instructions a check on deltablue, 80 of
   them its 6.2 pairs: civ_equal; bench/README.md, "Issue 13, session 15:
   inl15"): 0 keeps the dict, which changes what the program's gc counts
   and its memory. */
void civ_setup(int mode);

/* civ_on: civ_setup chose to read inline values (1) or not (0): a test
   that spares a caller the call when no instance is read in place. */
extern int civ_on;

/* civ: an instance's attributes in its inline values: the i-th attribute
   in insertion order (PyDict_Next's order on the dict CPython would make
   of them) is the key and value of index order[i * step]. */
typedef struct {
    PyObject *const *values;   /* by key index */
    const uint8_t *order;      /* the insertion order: key indexes */
    Py_ssize_t step;           /* +1 or -1 */
    Py_ssize_t n;              /* how many attributes are set */
    const char *keys;          /* the class's shared keys' entries: index ix's key object at
                                  keys + ix * kstride */
    Py_ssize_t kstride;
    Py_ssize_t nkeys;          /* key indexes below it are entries */
} civ;

/* civ_read: o's attributes are in its inline values and no dict has been
   made of them (the interpreter built for, its layout checked): *iv reads
   them, and 1; else 0 (read its dict, made if need be: the fallback). */
int civ_read(PyObject *o, civ *iv);

/* civ_same: o's attributes are read in place (as civ_read) and its first
   min(*n, max) pairs are kp's pairs (key, value), the same objects in the
   same order, with no more of them than `room`: 1; some differ: 0; *n: how
   many attributes o has. -1: not read in place (no *n; the caller reads its
   dict). One call with the layout's reads and the comparison together,
   for a check of an instance whose content was recorded (values.c,
   same_attrs): no change signal tells a store into inline values, so
   every check compares them. */
int civ_same(PyObject *o, PyObject *const *kp, Py_ssize_t max, Py_ssize_t room, Py_ssize_t *n);

/* civ_equal: civ_same's test of an instance that has its attributes alone
   (no member): o has `length` attributes, its first min(length, max)
   pairs are kp's and are its `nkids` kids: 1; else 0; -1: not read in
   place. (values.c, inline_same: the test of a replay's loop.) */
int civ_equal(PyObject *o, PyObject *const *kp, Py_ssize_t max, uint32_t nkids, int64_t length);

/* civ_at: the key and value (borrowed) of the i-th attribute (i below
   iv->n), or 0 when the values break the layout (an index past the keys,
   an unset value): the caller then reads the dict. */
static inline int
civ_at(const civ *iv, Py_ssize_t i, PyObject **k, PyObject **v)
{
    Py_ssize_t ix = iv->order[i * iv->step];
    if (ix >= iv->nkeys || (*v = iv->values[ix]) == NULL)
        return 0;
    *k = *(PyObject *const *)(iv->keys + ix * iv->kstride);
    return *k != NULL;
}

#endif
