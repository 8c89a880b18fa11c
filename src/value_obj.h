/*
** value_obj.h -- reader.Value objects made and read from C without running
** Python code (value_obj.c): the readers' C parts (decode_py.c's tree
** decoder, convert_json.c's renderers) make and walk millions of them.
*/
#ifndef CTGEN_VALUE_OBJ_H
#define CTGEN_VALUE_OBJ_H

#include <Python.h>

/* The five slots of a reader.Value, in its __slots__ order. */
enum { CTQ_V_KIND, CTQ_V_TYPE, CTQ_V_DATA, CTQ_V_LENGTH, CTQ_V_FLAGS, CTQ_V_N };

/* ctq_value_class: cls is reader.Value; its slots' places are found (when
   it is a class of exactly those member slots: else every Value is made by
   calling cls and read by attribute). -1 with an error set. */
int ctq_value_class(PyObject *cls);

/* ctq_value_new: Value(kind, type, data, length, flags), new reference
   (no argument stolen); NULL with an error set. */
PyObject *ctq_value_new(PyObject *kind, PyObject *type, PyObject *data, PyObject *length, PyObject *flags);

/* ctq_value_get: slot `which` of Value v as a new reference (its attribute
   when v is not exactly a Value); NULL with an error set. */
PyObject *ctq_value_get(PyObject *v, int which);

#endif
