/*
** redact.h -- the redaction policy (ctx_): names whose values are hidden.
** A name is redacted when it contains one of the fragments, ignoring ASCII
** case; the verdict is decided in C (no Python code runs) and cached per
** name object.
*/
#ifndef CT_REDACT_H
#define CT_REDACT_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* ctx_set: the fragments of a recording, from a sequence of str; -1 with an
   error (TypeError: not a sequence of str; MemoryError). */
int ctx_set(PyObject *fragments);

/* ctx_clear: no fragments (nothing is redacted), the cache forgotten. */
void ctx_clear(void);

/* ctx_hides: 1 when the policy hides the value of variable or attribute `name`. */
int ctx_hides(PyObject *name);

#endif
