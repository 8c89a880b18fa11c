/*
** intern.h -- trace-wide ids of paths, variable names and types. Each id is
** defined by a PathDef, VarNameDef or TypeDef record written into the chunk
** on first use, so every id is defined before any record uses it.
*/
#ifndef CT_INTERN_H
#define CT_INTERN_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#include "records.h"

#define CTI_NONE UINT32_MAX   /* no id: an error was set */

/* Pointer -> id map holding a strong reference to each key (the type map
   is another: intern.c, cti_type). */
typedef struct cti_ptrmap {
    PyObject **keys;
    uint32_t *vals;
    size_t cap, n;
} cti_ptrmap;

/* cti_ptrmap_get: the value of key (*found = 0 when absent). */
uint32_t cti_ptrmap_get(const cti_ptrmap *m, PyObject *key, int *found);

/* cti_ptrmap_put: set key's value, taking a reference to a new key; -1 when
   out of memory (nothing stored). */
int cti_ptrmap_put(cti_ptrmap *m, PyObject *key, uint32_t val);

/* cti_ptrmap_clear: release every key and the storage. */
void cti_ptrmap_clear(cti_ptrmap *m);

/* cti_init / cti_clear: start / forget the ids of a recording (one table
   per process, owned here); cti_init: -1 with an error. Between them,
   PyType_Type's deallocator is wrapped to tell heap types' deaths to the
   type map (cti_type). */
int cti_init(void);
void cti_clear(void);

/* cti_path, cti_name: id of an exact str (a file path, a variable name),
   its PathDef or VarNameDef written into c on first use. */
uint32_t cti_path(ct_chunk *c, PyObject *path);
uint32_t cti_name(ct_chunk *c, PyObject *name);

/* cti_name_count: how many name ids the recording has made. */
uint32_t cti_name_count(void);

/* cti_type: id of a type; its TypeDef name is module-qualified, read from the
   type's own storage (no user code). A heap type is not kept alive by its
   id: when it dies its id is forgotten, and a type born later at its
   address gets a fresh id and TypeDef (types whose death cannot be told,
   static types and those of some C metaclasses, are held by a strong
   reference instead). */
uint32_t cti_type(ct_chunk *c, PyTypeObject *type);

/* cti_type_print: what a value's fingerprint mixes for its type: the
   type's address, changed by a generation that every told death of a heap
   type at an address of the same slot (cti_type_gens) moves on, so a type
   born at a dead one's address never makes the same fingerprint as the
   dead one did (an unchanged-looking value would keep its old TypeDef).
   A few instructions, no lookup: values.c's fingerprints take it at every
   node. */
#define CTI_TYPE_GEN_BITS 10
extern uint64_t cti_type_gens[1 << CTI_TYPE_GEN_BITS];

static inline uint64_t *
cti_type_gen(const void *t)
{
    return &cti_type_gens[((uint64_t)(uintptr_t)t >> 4) * UINT64_C(0x9E3779B97F4A7C15)
                          >> (64 - CTI_TYPE_GEN_BITS)];
}

static inline uint64_t
cti_type_print(PyTypeObject *t)
{
    return (uint64_t)(uintptr_t)t ^ *cti_type_gen(t);
}

/* cti_renames_pending: a class has been renamed since the flag was last
   cleared (intern.c, "types' renames"): it gets a new id and TypeDef at its
   next cti_type, its address's generation has moved on (cti_type_print),
   and the objects recorded of it must be written anew (values.c clears the
   flag when it has them written so). */
extern int cti_renames_pending;

/* cti_path_list: the recorded paths in id order (trace_paths.json); NULL
   with an error. */
PyObject *cti_path_list(void);

/* cti_utf8: UTF-8 of an exact or subclassed str, surrogates escaped with
   surrogatepass; *tmp receives a temporary to release (or NULL). */
const char *cti_utf8(PyObject *s, Py_ssize_t *len, PyObject **tmp);

/* cti_join: `a`, then "." and `b` unless b is NULL, into buf (size >= 1
   bytes), as snprintf's "%.*s.%.*s" writes them: each part ends at its
   length or at a NUL byte, the whole is cut at size - 1 bytes and ends with
   a NUL. Returns the bytes written before the NUL. (snprintf cost 30 % of
   recording a module body whose names are functions.) */
Py_ssize_t cti_join(char *buf, size_t size, const char *a, size_t alen, const char *b, size_t blen);

/* cti_own_setter: the PyGetSetDef of `owner`'s own attribute `name` (a
   getset descriptor in its dict made for it, with a setter), for a wrapper
   of that setter while a recording runs (type's name setters, object's
   __class__ setter: deaths.c); NULL: none such. */
PyGetSetDef *cti_own_setter(PyTypeObject *owner, const char *name);

/* cti_type_name: "module.qualname" of a type into buf (never runs user code). */
Py_ssize_t cti_type_name(PyTypeObject *type, char *buf, size_t size);

/* cti_subtype_dealloc: CPython's deallocator of the classes that class
   statements make (subtype_dealloc, static in Objects/typeobject.c), read
   from one made at startup (encodings.CodecRegistryError); NULL when not
   found (then no death through it counts as told). */
destructor cti_subtype_dealloc(void);

/* cti_dealloc_end: the deallocator the instances of type t end in (t's
   own, or that of the first base subtype_dealloc's walk reaches). */
destructor cti_dealloc_end(PyTypeObject *t);

#endif
