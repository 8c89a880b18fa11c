/*
** convert_json.h -- ctgen_tracer._native.value_json (convert_json.c): a
** decoded value tree's runtime_tracing JSON, for convert.
*/
#ifndef CTGEN_CONVERT_JSON_H
#define CTGEN_CONVERT_JSON_H

#include <Python.h>

/* ctq_add_convert: add value_json and value_json_setup to the module; -1 with an error set. */
int ctq_add_convert(PyObject *module);
/* ctq_add_convert_rows (convert_rows.c): add Sink, convert_rows and convert_rows_setup; -1 with an error set. */
int ctq_add_convert_rows(PyObject *module);

#endif
