/* _floor: the cost of sys.monitoring delivery itself.

   Two METH_FASTCALL callbacks that record nothing, to be registered with
   sys.monitoring.register_callback for the events ctgen-tracer enables
   (run_floor.py does the registering):

   noop      returns None for every event: with the events set globally, this
             is "the floor", what delivering those events to C costs.
   discover  for the discovering events (PY_START, PY_RESUME) in "local"
             mode, which mirrors ctgen-tracer's selection: the first time a
             code object is met, code whose co_filename starts with one of
             the configured prefixes gets the per-code events (set_local_events);
             any other code gets DISABLE, so it costs nothing afterwards.
             The decision is cached in co_extra, as ctgen-tracer does.

   Built per interpreter by build.py (3.12+). */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

static Py_ssize_t extra_index = -1;
static PyObject *user_prefixes;    /* tuple of str */
static PyObject *disable_obj;      /* sys.monitoring.DISABLE */
static PyObject *set_local_events; /* sys.monitoring.set_local_events */
static PyObject *tool_obj;         /* int */
static PyObject *local_mask_obj;   /* int */

#define SEEN_USER ((void *)1)
#define SEEN_OTHER ((void *)2)

static PyObject *
noop(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    (void)args;
    (void)nargs;
    Py_RETURN_NONE;
}

static PyObject *
discover(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    if (nargs < 1 || !PyCode_Check(args[0]) || user_prefixes == NULL)
        Py_RETURN_NONE;
    PyObject *code = args[0];
    void *seen = NULL;
    if (PyUnstable_Code_GetExtra(code, extra_index, &seen) < 0)
        return NULL;
    if (seen == SEEN_USER)
        Py_RETURN_NONE;
    if (seen == SEEN_OTHER)
        return Py_NewRef(disable_obj);
    PyObject *filename = PyObject_GetAttrString(code, "co_filename");
    if (filename == NULL)
        return NULL;
    Py_ssize_t match = 0;
    if (PyUnicode_Check(filename))
        for (Py_ssize_t i = 0; match == 0 && i < PyTuple_GET_SIZE(user_prefixes); i++)
            match = PyUnicode_Tailmatch(filename, PyTuple_GET_ITEM(user_prefixes, i),
                                        0, PY_SSIZE_T_MAX, -1);
    Py_DECREF(filename);
    if (match < 0)
        return NULL;
    if (!match) {
        if (PyUnstable_Code_SetExtra(code, extra_index, SEEN_OTHER) < 0)
            return NULL;
        return Py_NewRef(disable_obj);
    }
    PyObject *r = PyObject_CallFunctionObjArgs(set_local_events, tool_obj, code,
                                               local_mask_obj, NULL);
    if (r == NULL)
        return NULL;
    Py_DECREF(r);
    if (PyUnstable_Code_SetExtra(code, extra_index, SEEN_USER) < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* configure(tool, local_mask, prefixes): set up "local" mode. */
static PyObject *
configure(PyObject *self, PyObject *args)
{
    (void)self;
    int tool;
    unsigned long mask;
    PyObject *prefixes;
    if (!PyArg_ParseTuple(args, "ikO!", &tool, &mask, &PyTuple_Type, &prefixes))
        return NULL;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(prefixes); i++)
        if (!PyUnicode_Check(PyTuple_GET_ITEM(prefixes, i))) {
            PyErr_SetString(PyExc_TypeError, "prefixes must be str");
            return NULL;
        }
    PyObject *mon = PyImport_ImportModule("sys");
    if (mon == NULL)
        return NULL;
    PyObject *monitoring = PyObject_GetAttrString(mon, "monitoring");
    Py_DECREF(mon);
    if (monitoring == NULL)
        return NULL;
    Py_XSETREF(set_local_events, PyObject_GetAttrString(monitoring, "set_local_events"));
    Py_XSETREF(disable_obj, PyObject_GetAttrString(monitoring, "DISABLE"));
    Py_DECREF(monitoring);
    if (set_local_events == NULL || disable_obj == NULL)
        return NULL;
    Py_XSETREF(tool_obj, PyLong_FromLong(tool));
    Py_XSETREF(local_mask_obj, PyLong_FromUnsignedLong(mask));
    if (tool_obj == NULL || local_mask_obj == NULL)
        return NULL;
    Py_XSETREF(user_prefixes, Py_NewRef(prefixes));
    if (extra_index < 0 && (extra_index = PyUnstable_Eval_RequestCodeExtraIndex(NULL)) < 0) {
        PyErr_SetString(PyExc_RuntimeError, "no co_extra index left");
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"noop", (PyCFunction)(void (*)(void))noop, METH_FASTCALL,
     "A sys.monitoring callback that does nothing and returns None."},
    {"discover", (PyCFunction)(void (*)(void))discover, METH_FASTCALL,
     "PY_START/PY_RESUME callback of local mode: enable user code, DISABLE the rest."},
    {"configure", configure, METH_VARARGS,
     "configure(tool, local_mask, prefixes): set up local mode."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "_floor",
    "No-op sys.monitoring callbacks: the cost of event delivery itself.",
    -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__floor(void)
{
    return PyModule_Create(&moduledef);
}
