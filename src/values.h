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

/* ctv_value: write object o into c; returns its root node's index. */
uint32_t ctv_value(ct_chunk *c, PyObject *o);

/* ctv_fingerprint: a 64-bit hash of exactly what ctv_value would write for
   o (nothing is written); never CTV_NO_PRINT, which means "could not tell". */
#define CTV_NO_PRINT 0
uint64_t ctv_fingerprint(ct_chunk *c, PyObject *o);

/* ctv_value_printed: ctv_value for o whose fingerprint is `print`: a tree
   already written for that fingerprint in the same chunk is reused. */
uint32_t ctv_value_printed(ct_chunk *c, PyObject *o, uint64_t print);

/* ctv_value_new: write o, a value expected to differ from fingerprint
   `old`, setting *print to its fingerprint; when it equals `old` the tree is
   undone and CTV_SAME returned; a tree already written for it in the chunk
   is reused. One walk, where a fingerprint then a write would take two. */
#define CTV_SAME (UINT32_MAX - 1)
uint32_t ctv_value_new(ct_chunk *c, PyObject *o, uint64_t *print, uint64_t old);

/* ctv_forget_shared: forget the trees written so far (after a rollback). */
void ctv_forget_shared(void);

/* ctv_redacted: write a Redacted node for o (its type only). */
uint32_t ctv_redacted(ct_chunk *c, PyObject *o);

/* ctv_exception: write exception `exc` (an Exception node). */
uint32_t ctv_exception(ct_chunk *c, PyObject *exc);

#endif
