/*
** decode_py.h -- ctgen_tracer._native.Checker (decode_py.c): the trace decoder
** as a Python type.
*/
#ifndef CTGEN_DECODE_PY_H
#define CTGEN_DECODE_PY_H

#include <Python.h>

/* ctq_add_types: add Checker to the module; -1 with an error set. */
int ctq_add_types(PyObject *module);

/* ctw_add: add chunk_walk and CHUNK_WALK_WIDTHS (walk.c) to the module; -1 with an error set. */
int ctw_add(PyObject *module);

#endif
