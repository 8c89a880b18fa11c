/*
** value_obj.c -- reader.Value objects made and read from C (value_obj.h).
**
** reader.Value is a class of five __slots__ whose __init__ only stores its
** arguments. Calling it from C runs that __init__ as Python code for every
** node; reading a slot by name goes through the type's attribute lookup.
** Here a Value is allocated by its type and its slots are filled and read
** at the places its member descriptors name, which is what __init__ and
** the descriptors do. Whatever does not fit (the class changed, a subclass)
** falls back to calling the class and reading attributes.
*/
#include "value_obj.h"

#include <stddef.h>

static PyTypeObject *value_type;         /* NULL: no fast path */
static PyObject *value_class;
static Py_ssize_t slot_at[CTQ_V_N];
static PyObject *slot_name[CTQ_V_N];

int
ctq_value_class(PyObject *cls)
{
    static const char *names[CTQ_V_N] = {"kind", "type", "data", "length", "flags"};
    Py_XSETREF(value_class, Py_NewRef(cls));
    value_type = NULL;
    for (int i = 0; i < CTQ_V_N; i++)
        if (slot_name[i] == NULL && (slot_name[i] = PyUnicode_InternFromString(names[i])) == NULL)
            return -1;
    if (!PyType_Check(cls))
        return 0;
    PyTypeObject *t = (PyTypeObject *)cls;
    /* exactly the five slots, no __init__ of a base, no __dict__ */
    if (t->tp_base != &PyBaseObject_Type || t->tp_dictoffset != 0)
        return 0;
    PyObject *slots = PyObject_GetAttrString(cls, "__slots__");
    if (slots == NULL) {
        PyErr_Clear();
        return 0;
    }
    int ok = PyTuple_Check(slots) && PyTuple_GET_SIZE(slots) == CTQ_V_N;
    for (int i = 0; ok && i < CTQ_V_N; i++)
        ok = PyUnicode_Check(PyTuple_GET_ITEM(slots, i))
             && PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(slots, i), names[i]) == 0;
    Py_DECREF(slots);
    for (int i = 0; ok && i < CTQ_V_N; i++) {
        PyObject *d = PyDict_GetItemWithError(t->tp_dict, slot_name[i]);
        if (d == NULL && PyErr_Occurred())
            return -1;
        ok = d != NULL && Py_TYPE(d) == &PyMemberDescr_Type;
        if (ok) {
            PyMemberDef *m = ((PyMemberDescrObject *)d)->d_member;
            ok = m->type == Py_T_OBJECT_EX && !(m->flags & Py_READONLY);
            slot_at[i] = m->offset;
        }
    }
    if (ok)
        value_type = t;
    return 0;
}

PyObject *
ctq_value_new(PyObject *kind, PyObject *type, PyObject *data, PyObject *length, PyObject *flags)
{
    PyObject *args[CTQ_V_N] = {kind, type, data, length, flags};
    if (value_type == NULL) {
        if (value_class == NULL) {
            PyErr_SetString(PyExc_RuntimeError, "the reader's Value class was not given to the native module");
            return NULL;
        }
        return PyObject_Vectorcall(value_class, args, CTQ_V_N, NULL);
    }
    PyObject *v = value_type->tp_alloc(value_type, 0);
    if (v == NULL)
        return NULL;
    for (int i = 0; i < CTQ_V_N; i++)
        *(PyObject **)((char *)v + slot_at[i]) = Py_NewRef(args[i]);
    return v;
}

PyObject *
ctq_value_get(PyObject *v, int which)
{
    if (value_type != NULL && Py_TYPE(v) == value_type) {
        PyObject *x = *(PyObject **)((char *)v + slot_at[which]);
        if (x != NULL)
            return Py_NewRef(x);
    }
    return PyObject_GetAttr(v, slot_name[which]);
}
