/*
** values.h -- the value walker: records a Python object as a pre-order tree
** of Value nodes in the chunk's values pool, reading built-in storage only,
** so that no user code (__repr__, __eq__, __hash__, __iter__, properties,
** descriptors, metaclass methods) ever runs.
*/
#ifndef CT_VALUES_H
#define CT_VALUES_H

#include "core.h"

#define CTV_NONE UINT32_MAX   /* no value: an error was noted */

/* ctv_value: write object o into c; returns its root node's index. */
uint32_t ctv_value(ct_chunk *c, PyObject *o);

/* ctv_redacted: write a Redacted node for o (its type only). */
uint32_t ctv_redacted(ct_chunk *c, PyObject *o);

/* ctv_exception: write exception `exc` (an Exception node). */
uint32_t ctv_exception(ct_chunk *c, PyObject *exc);

/* ctv_redact_name: 1 when the redaction policy hides variable `name`. */
int ctv_redact_name(PyObject *name);

#endif
