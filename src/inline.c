/*
** inline.c -- an instance's inline values, read in place (inline.h). The
** layout is the target's own: this file is compiled with CPython's internal
** headers (Py_BUILD_CORE, defined before Python.h: those headers redeclare
** parts of the public ones) and reads the values with the headers' own
** accessors; the static asserts pin what it relies on beyond them, so a
** release that changes them fails to build here rather than misreading;
** civ_setup refuses, at run time, an interpreter of another major.minor
** than the headers', and civ_read an instance whose values do not look
** as laid out (the caller then reads the dict, as before).
*/
#define Py_BUILD_CORE 1
#include <Python.h>

#include "inline.h"

#if PY_VERSION_HEX >= 0x030C0000 && PY_VERSION_HEX < 0x03100000 && !defined(Py_GIL_DISABLED)
#define CIV_DIRECT 1
#include "internal/pycore_object.h"
#include "internal/pycore_dict.h"
/* 3.12: _PyObject_DictOrValuesPointer and its tagged values, the insertion
   order before them; 3.13 to 3.15: _PyObject_InlineValues (3.13: after a
   bare object's header; 3.14 and 3.15: after the type's basic size),
   _PyObject_GetManagedDict, get_insertion_order_array. The keys are the class's shared keys (what
   CPython makes the dict with: CACHED_KEYS, dictobject.c), whose entries
   are unicode entries, the key first. */
_Static_assert(offsetof(PyDictUnicodeEntry, me_key) == 0, "a unicode entry's key is not its first field");
_Static_assert(__builtin_types_compatible_p(__typeof__(((PyHeapTypeObject *)0)->ht_cached_keys), PyDictKeysObject *),
               "ht_cached_keys is not a dict keys object");
_Static_assert(__builtin_types_compatible_p(__typeof__(((PyDictValues *)0)->values[0]), PyObject *),
               "a dict value is not a PyObject pointer");
#if PY_VERSION_HEX >= 0x030D0000
_Static_assert(__builtin_types_compatible_p(__typeof__(((PyDictValues *)0)->size), uint8_t)
               && __builtin_types_compatible_p(__typeof__(((PyDictValues *)0)->capacity), uint8_t)
               && __builtin_types_compatible_p(__typeof__(((PyDictValues *)0)->valid), uint8_t),
               "PyDictValues' size, capacity and valid are not bytes");
_Static_assert(__builtin_types_compatible_p(__typeof__(get_insertion_order_array((PyDictValues *)0)), uint8_t *),
               "the insertion order is not a byte array");
#else
_Static_assert(__builtin_types_compatible_p(__typeof__(_PyObject_DictOrValuesPointer((PyObject *)0)), PyDictOrValues *),
               "the managed dict slot is not a PyDictOrValues");
#endif
#else
#define CIV_DIRECT 0
#endif

int civ_on;   /* inline values are read (inline.h) */

void
civ_setup(int mode)
{
#if CIV_DIRECT
    int cheaper = Py_Version >= 0x030D0000 && Py_Version < 0x030D01F0;   /* 3.13.0 */
    civ_on = (Py_Version >> 16) == (PY_VERSION_HEX >> 16) && (mode == 1 || (mode < 0 && cheaper));
#else
    (void)mode;
    civ_on = 0;
#endif
}

#if CIV_DIRECT
/* ORDER_STEP: from one attribute's index in the insertion order to the
   next one's (3.12 keeps the order backwards, before the values). */
#if PY_VERSION_HEX >= 0x030D0000
#define ORDER_STEP 1
#else
#define ORDER_STEP (-1)
#endif

/* civ_layout: what civ_read and civ_same read of o's layout: its values,
   its insertion order (the first attribute's index), how many attributes
   are set, its class's shared keys' entries and how many are entries
   (key indexes below it). 0: not readable in place. Inlined into each:
   the reads stay in registers. */
static inline __attribute__((always_inline)) int
civ_layout(PyObject *o, PyObject *const **values, const uint8_t **order, Py_ssize_t *n,
           const PyDictUnicodeEntry **keys, Py_ssize_t *nkeys)
{
    PyTypeObject *t = Py_TYPE(o);
    if (!civ_on || (t->tp_flags & (Py_TPFLAGS_MANAGED_DICT | Py_TPFLAGS_HEAPTYPE))
                       != (Py_TPFLAGS_MANAGED_DICT | Py_TPFLAGS_HEAPTYPE))
        return 0;
    PyDictKeysObject *k = ((PyHeapTypeObject *)t)->ht_cached_keys;
    if (k == NULL || k->dk_kind != DICT_KEYS_SPLIT)
        return 0;
#if PY_VERSION_HEX >= 0x030D0000
    if (!(t->tp_flags & Py_TPFLAGS_INLINE_VALUES) || _PyObject_GetManagedDict(o) != NULL)
        return 0;
#if PY_VERSION_HEX < 0x030E0000
    if (t->tp_basicsize != sizeof(PyObject))   /* (3.13's accessor assumes it) */
        return 0;
#endif
    PyDictValues *v = _PyObject_InlineValues(o);
    if (!v->valid || v->size > v->capacity)
        return 0;
    *order = get_insertion_order_array(v);
    *n = v->size;
    *nkeys = v->capacity < k->dk_nentries ? v->capacity : k->dk_nentries;
#else
    PyDictOrValues dorv = *_PyObject_DictOrValuesPointer(o);
    if (!_PyDictOrValues_IsValues(dorv))
        return 0;
    PyDictValues *v = _PyDictOrValues_GetValues(dorv);
    const uint8_t *prefix = (const uint8_t *)v;
    /* [-1]: the prefix's size; [-2]: how many are set; [-3 - i]: the i-th one's index
       (_PyDictValues_AddToInsertionOrder) */
    if (prefix[-1] < prefix[-2] + 2)
        return 0;
    *order = prefix - 3;
    *n = prefix[-2];
    *nkeys = k->dk_nentries;
#endif
    *values = v->values;
    *keys = DK_UNICODE_ENTRIES(k);
    return 1;
}
#endif

int
civ_read(PyObject *o, civ *iv)
{
#if CIV_DIRECT
    const PyDictUnicodeEntry *keys;
    if (!civ_layout(o, &iv->values, &iv->order, &iv->n, &keys, &iv->nkeys))
        return 0;
    iv->step = ORDER_STEP;
    iv->keys = (const char *)keys;
    iv->kstride = sizeof(PyDictUnicodeEntry);
    return 1;
#else
    (void)o;
    (void)iv;
    return 0;
#endif
}

#if CIV_DIRECT
/* pairs_same: civ_same's comparison, *n read (civ_layout) and shown
   pairs compared: the key and value objects at each place of the
   insertion order are kp's pair. */
static inline __attribute__((always_inline)) int
pairs_same(PyObject *const *values, const uint8_t *ord, const PyDictUnicodeEntry *keys, Py_ssize_t nkeys,
           PyObject *const *kp, Py_ssize_t shown)
{
    for (PyObject *const *end = kp + 2 * shown; kp < end; kp += 2, ord += ORDER_STEP) {
        Py_ssize_t ix = *ord;
        if (ix >= nkeys)
            return 0;
        PyObject *v = values[ix];
        if (v != kp[1] || v == NULL || kp[0] != keys[ix].me_key)
            return 0;
    }
    return 1;
}
#endif

int
civ_same(PyObject *o, PyObject *const *kp, Py_ssize_t max, Py_ssize_t room, Py_ssize_t *n)
{
#if CIV_DIRECT
    PyObject *const *values;
    const uint8_t *ord;
    const PyDictUnicodeEntry *keys;
    Py_ssize_t nkeys;
    if (!civ_layout(o, &values, &ord, n, &keys, &nkeys))
        return -1;
    Py_ssize_t shown = *n < max ? *n : max;
    return shown <= room && pairs_same(values, ord, keys, nkeys, kp, shown);
#else
    (void)o;
    (void)kp;
    (void)max;
    (void)room;
    (void)n;
    return -1;
#endif
}

int
civ_equal(PyObject *o, PyObject *const *kp, Py_ssize_t max, uint32_t nkids, int64_t length)
{
#if CIV_DIRECT
    PyObject *const *values;
    const uint8_t *ord;
    const PyDictUnicodeEntry *keys;
    Py_ssize_t nkeys, n;
    if (!civ_layout(o, &values, &ord, &n, &keys, &nkeys))
        return -1;
    Py_ssize_t shown = n < max ? n : max;
    return n == length && (uint64_t)(2 * shown) == nkids && pairs_same(values, ord, keys, nkeys, kp, shown);
#else
    (void)o;
    (void)kp;
    (void)max;
    (void)nkids;
    (void)length;
    return -1;
#endif
}
