/*
** convert_json.h -- ctgen_tracer._native.value_json (convert_json.c): a
** decoded value tree's runtime_tracing JSON, for convert.
*/
#ifndef CTGEN_CONVERT_JSON_H
#define CTGEN_CONVERT_JSON_H

#include <Python.h>

/* ctq_add_convert: add value_json and value_json_setup to the module; -1 with an error set. */
int ctq_add_convert(PyObject *module);

#endif
