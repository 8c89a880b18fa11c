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

static int direct;   /* inline values are read */

void
civ_setup(int mode)
{
#if CIV_DIRECT
    int cheaper = Py_Version >= 0x030D0000 && Py_Version < 0x030D01F0;   /* 3.13.0 */
    direct = (Py_Version >> 16) == (PY_VERSION_HEX >> 16) && (mode == 1 || (mode < 0 && cheaper));
#else
    (void)mode;
    direct = 0;
#endif
}

int
civ_read(PyObject *o, civ *iv)
{
#if CIV_DIRECT
    PyTypeObject *t = Py_TYPE(o);
    if (!direct || !(t->tp_flags & Py_TPFLAGS_MANAGED_DICT) || !(t->tp_flags & Py_TPFLAGS_HEAPTYPE))
        return 0;
    PyDictKeysObject *keys = ((PyHeapTypeObject *)t)->ht_cached_keys;
    if (keys == NULL || keys->dk_kind != DICT_KEYS_SPLIT)
        return 0;
#if PY_VERSION_HEX >= 0x030D0000
    if (!(t->tp_flags & Py_TPFLAGS_INLINE_VALUES) || _PyObject_GetManagedDict(o) != NULL)
        return 0;
#if PY_VERSION_HEX < 0x030E0000
    if (t->tp_basicsize != sizeof(PyObject))   /* (3.13's accessor assumes it) */
        return 0;
#endif
    PyDictValues *values = _PyObject_InlineValues(o);
    if (!values->valid || values->size > values->capacity)
        return 0;
    iv->order = get_insertion_order_array(values);
    iv->step = 1;
    iv->n = values->size;
    iv->nkeys = values->capacity < keys->dk_nentries ? values->capacity : keys->dk_nentries;
#else
    PyDictOrValues dorv = *_PyObject_DictOrValuesPointer(o);
    if (!_PyDictOrValues_IsValues(dorv))
        return 0;
    PyDictValues *values = _PyDictOrValues_GetValues(dorv);
    const uint8_t *prefix = (const uint8_t *)values;
    /* [-1]: the prefix's size; [-2]: how many are set; [-3 - i]: the i-th one's index
       (_PyDictValues_AddToInsertionOrder) */
    if (prefix[-1] < prefix[-2] + 2)
        return 0;
    iv->order = prefix - 3;
    iv->step = -1;
    iv->n = prefix[-2];
    iv->nkeys = keys->dk_nentries;
#endif
    iv->values = values->values;
    iv->keys = (const char *)DK_UNICODE_ENTRIES(keys);
    iv->kstride = sizeof(PyDictUnicodeEntry);
    return 1;
#else
    (void)o;
    (void)iv;
    return 0;
#endif
}
