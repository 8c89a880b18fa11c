/* audited: a C extension that tests/test_audited_members.py builds, for
   members flagged Py_AUDIT_READ (reading one raises the audit event
   "object.__getattr__"). Its type, Box, is a heap type made from a spec
   (the recorder reads the members of heap types: src/values.c,
   members_of), whose instances hold four members, each writable:
     stash   an object, flagged Py_AUDIT_READ (unset until set)
     code    a C int, flagged Py_AUDIT_READ
     label   an object, not flagged (unset until set)
     count   a C int, not flagged
   Box() takes no arguments; a Python class may subclass it. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>

typedef struct {
    PyObject_HEAD
    PyObject *stash;
    PyObject *label;
    int code;
    int count;
} Box;

static int
box_traverse(PyObject *self, visitproc visit, void *arg)
{
    Box *b = (Box *)self;
    Py_VISIT(b->stash);
    Py_VISIT(b->label);
    Py_VISIT(Py_TYPE(self));
    return 0;
}

static int
box_clear(PyObject *self)
{
    Box *b = (Box *)self;
    Py_CLEAR(b->stash);
    Py_CLEAR(b->label);
    return 0;
}

static void
box_dealloc(PyObject *self)
{
    PyTypeObject *t = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    box_clear(self);
    t->tp_free(self);
    Py_DECREF(t);
}

static PyMemberDef box_members[] = {
    {"stash", Py_T_OBJECT_EX, offsetof(Box, stash), Py_AUDIT_READ, "an audited object"},
    {"code", Py_T_INT, offsetof(Box, code), Py_AUDIT_READ, "an audited C int"},
    {"label", Py_T_OBJECT_EX, offsetof(Box, label), 0, "an object"},
    {"count", Py_T_INT, offsetof(Box, count), 0, "a C int"},
    {NULL}
};

static PyType_Slot box_slots[] = {
    {Py_tp_members, box_members},
    {Py_tp_traverse, box_traverse},
    {Py_tp_clear, box_clear},
    {Py_tp_dealloc, box_dealloc},
    {Py_tp_new, PyType_GenericNew},
    {Py_tp_doc, "A box of members, two of them audited when read."},
    {0, NULL}
};

static PyType_Spec box_spec = {
    .name = "audited.Box",
    .basicsize = sizeof(Box),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = box_slots,
};

static int
audited_exec(PyObject *m)
{
    PyObject *t = PyType_FromModuleAndSpec(m, &box_spec, NULL);
    if (t == NULL)
        return -1;
    int r = PyModule_AddObjectRef(m, "Box", t);
    Py_DECREF(t);
    return r;
}

static PyModuleDef_Slot audited_module_slots[] = {
    {Py_mod_exec, audited_exec},
    {0, NULL}
};

static struct PyModuleDef audited_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "audited",
    .m_doc = "A heap type with members flagged Py_AUDIT_READ (tests/test_audited_members.py).",
    .m_size = 0,
    .m_slots = audited_module_slots,
};

PyMODINIT_FUNC
PyInit_audited(void)
{
    return PyModuleDef_Init(&audited_module);
}
