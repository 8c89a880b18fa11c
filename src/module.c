/*
** module.c -- the extension module ctgen_tracer._native: the Python API of
** the recorder (recorder.c), of program output (io.c) and of the SIGTERM
** guard (sigterm.c): arguments checked, options read, calls made in order.
*/
#include "recorder.h"
#include "values.h"
#include "io.h"
#include "redact.h"
#include "numbering.h"
#include "sigterm.h"
#include "writer.h"
#include "decode_py.h"
#include "convert_json.h"

#include <string.h>

/* parse_events: the CTG_EV bits named in list `names`; -1 with an error. */
static int
parse_events(PyObject *names, uint32_t *set)
{
    *set = 0;
    PyObject *it = PyObject_GetIter(names);
    if (it == NULL)
        return -1;
    PyObject *n;
    while ((n = PyIter_Next(it)) != NULL) {
        int found = -1;
        const char *s = PyUnicode_Check(n) ? PyUnicode_AsUTF8(n) : NULL;
        for (int i = 0; s != NULL && i < CTG_N_EVENTS; i++)
            if (strcmp(ctg_events[i].name, s) == 0)
                found = i;
        if (found < 0) {
            PyErr_Format(PyExc_ValueError, "unknown event %R", n);
            Py_DECREF(n);
            Py_DECREF(it);
            return -1;
        }
        Py_DECREF(n);
        if (ctg_events[found].number >= 0)
            *set |= 1u << found;
    }
    Py_DECREF(it);
    if (PyErr_Occurred())
        return -1;
    for (int i = 0; i < CTG_N_EVENTS; i++)
        if ((*set & (1u << i)) && ctg_events[i].requires >= 0)
            *set |= 1u << ctg_events[i].requires;
    return 0;
}

static int
opt_int(PyObject *kw, const char *name, long dflt, long min, long max, long *out)
{
    PyObject *v = kw ? PyDict_GetItemString(kw, name) : NULL;
    *out = dflt;
    if (v == NULL)
        return 0;
    if (!PyLong_Check(v)) {
        PyErr_Format(PyExc_ValueError, "%s must be an integer, not %.100s", name, Py_TYPE(v)->tp_name);
        return -1;
    }
    int overflow;
    *out = PyLong_AsLongAndOverflow(v, &overflow);
    if (*out == -1 && PyErr_Occurred())
        return -1;
    if (overflow || *out < min || *out > max) {
        PyErr_Format(PyExc_ValueError, "%s must be from %ld to %ld", name, min, max);
        return -1;
    }
    return 0;
}

/* opt_u64: kw[name] as an unsigned 64-bit integer (0 when absent or None). */
static int
opt_u64(PyObject *kw, const char *name, unsigned long long *out)
{
    PyObject *v = kw ? PyDict_GetItemString(kw, name) : NULL;
    *out = 0;
    if (v == NULL || v == Py_None)
        return 0;
    if (!PyLong_Check(v)) {
        PyErr_Format(PyExc_ValueError, "%s must be an integer, not %.100s", name, Py_TYPE(v)->tp_name);
        return -1;
    }
    *out = PyLong_AsUnsignedLongLong(v);
    return *out == (unsigned long long)-1 && PyErr_Occurred() ? -1 : 0;
}

/* read_options: the recording options from keyword dict kw. */
static int
read_options(PyObject *kw, ct_options *opt)
{
    long values, depth, items, text, nodes, chunk, capture_io, compress, inline_values;
    unsigned long long max_bytes = 0, max_steps = 0;
    if (opt_int(kw, "values", 1, 0, 1, &values) < 0
            || opt_int(kw, "max_depth", CT_DEPTH_DEFAULT, 0, CT_DEPTH_MAX, &depth) < 0
            || opt_int(kw, "capture_io", 0, 0, 1, &capture_io) < 0
            || opt_int(kw, "max_items", CT_ITEMS_DEFAULT, 0, CT_ITEMS_MAX, &items) < 0
            || opt_int(kw, "max_text", CT_TEXT_DEFAULT, 0, CT_TEXT_MAX, &text) < 0
            || opt_int(kw, "max_nodes", CT_NODES_DEFAULT, 1, CT_NODES_MAX, &nodes) < 0
            || opt_int(kw, "chunk_bytes", 1 << 20, 4096, 1 << 28, &chunk) < 0
            || opt_int(kw, "compress", 0, 0, 9, &compress) < 0
            || opt_int(kw, "inline_values", -1, -1, 1, &inline_values) < 0
            || opt_u64(kw, "max_trace_size", &max_bytes) < 0
            || opt_u64(kw, "max_steps", &max_steps) < 0)
        return -1;
    *opt = (ct_options){ .values = values != 0, .max_depth = (int)depth, .max_items = items,
                             .max_text = text, .max_nodes = (uint32_t)nodes,
                             .chunk_bytes = (size_t)chunk,
                             .capture_io = capture_io != 0, .compress = (int)compress,
                             .max_bytes = max_bytes, .max_steps = max_steps,
                             .inline_values = (int)inline_values };
    return 0;
}

PyDoc_STRVAR(start_doc,
"start(events_file, tool, events, selector, redact, **options)\n"
"Start recording into events_file. events: names of the PEP 669 events to\n"
"record; selector(filename, module) -> bool decides which code is recorded;\n"
"redact: name fragments (ASCII case-insensitive) whose values are hidden.\n"
"Options: values, max_depth, max_items, max_text, max_nodes, chunk_bytes, capture_io,\n"
"compress (a zlib level 1-9 for the writer thread; 0: no compression),\n"
"inline_values (1: instances' attributes read without making their __dict__;\n"
"0: read through it; -1, the default: 1 where that costs no more, CPython 3.13.0).\n"
"Returns None, or with capture_io what became of sys.stdout and sys.stderr:\n"
"{'stdout': 'captured' or 'not captured: WHY', 'stderr': ...}.");

static PyObject *
start(PyObject *self, PyObject *args, PyObject *kw)
{
    const char *path;
    int tool;
    PyObject *events, *selector, *redact;
    if (!PyArg_ParseTuple(args, "siOOO:start", &path, &tool, &events, &selector, &redact))
        return NULL;
    if (ct_R.active || cte_started()) {
        PyErr_SetString(PyExc_RuntimeError, "ctgen_tracer is already recording");
        return NULL;
    }
    uint32_t set;
    ct_options opt;
    if (read_options(kw, &opt) < 0 || parse_events(events, &set) < 0 || cte_watch_forks() < 0
            || cte_start(path, tool, set, selector, redact, &opt) < 0)
        return NULL;
    PyObject *io = opt.capture_io ? cto_install() : Py_NewRef(Py_None);
    if (io == NULL) {
        cte_abort();
        return NULL;
    }
    if (cte_monitor() < 0) {
        cto_uninstall();
        Py_DECREF(io);
        cte_abort();
        return NULL;
    }
    return io;
}

PyDoc_STRVAR(stop_doc,
"stop() -> dict\n"
"Stop recording; write the last chunk and close the event file (a write\n"
"error is returned as 'error', not raised). Returns\n"
"{'events', 'bytes', 'chunks', 'uncompressed_bytes', 'compressed_chunks',\n"
"'error', 'paths', 'clock_origin_ns'}; 'error' says why recording stopped early, or is None;\n"
"'clock_origin_ns' is the CLOCK_MONOTONIC origin of the trace's Clock records;\n"
"'uncompressed_bytes' counts compressed chunks at their size before compression.");

static PyObject *
stop(PyObject *self, PyObject *unused)
{
    if (!cte_started()) {
        PyErr_SetString(PyExc_RuntimeError, "ctgen_tracer is not recording");
        return NULL;
    }
    cte_halt();
    cto_uninstall();
    return cte_stop();
}

PyDoc_STRVAR(exit_doc,
"exit(status, exc=None)\n"
"Record the end of the program: its exit status and uncaught exception.");

static PyObject *
record_exit(PyObject *self, PyObject *args)
{
    int status;
    PyObject *exc = Py_None;
    if (!PyArg_ParseTuple(args, "i|O:exit", &status, &exc))
        return NULL;
    cte_exit(status, exc);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(events_doc,
"events() -> list of dict\n"
"The events of the spec: name, option, number in this CPython (-1 if\n"
"absent), group, default, discover, requires.");

static PyObject *
events(PyObject *self, PyObject *unused)
{
    PyObject *list = PyList_New(0);
    for (int i = 0; list != NULL && i < CTG_N_EVENTS; i++) {
        const ctg_event *e = &ctg_events[i];
        PyObject *d = Py_BuildValue("{sssssisssOsOss}", "name", e->name, "option", e->option,
            "number", e->number, "group", ctg_group_names[e->group],
            "default", (e->flags & CTG_F_DEFAULT) ? Py_True : Py_False,
            "discover", (e->flags & CTG_F_DISCOVER) ? Py_True : Py_False,
            "requires", e->requires >= 0 ? ctg_events[e->requires].name : NULL);
        if (d == NULL || PyList_Append(list, d) < 0)
            Py_CLEAR(list);
        Py_XDECREF(d);
    }
    return list;
}

static PyObject *
fail_next(PyObject *self, PyObject *unused)
{
    ct_R.fail_next = 1;
    cte_fast_room();   /* (no fast path until it is taken: cte_end_fast) */
    Py_RETURN_NONE;
}

static PyObject *
active(PyObject *self, PyObject *unused)
{
    return PyBool_FromLong(ct_R.active);
}

PyDoc_STRVAR(fork_before_doc,
"fork_before()\n"
"os.register_at_fork(before=...): note the fork point and end the writer\n"
"thread (queued chunks are written first), so that the process forks with no\n"
"thread or lock of the recorder's.");

static PyObject *
fork_before(PyObject *self, PyObject *unused)
{
    cte_fork_before();
    Py_RETURN_NONE;
}

PyDoc_STRVAR(fork_parent_doc,
"fork_parent()\n"
"os.register_at_fork(after_in_parent=...): the writer and SIGTERM threads\n"
"start again once os.fork() has returned (a pending call).");

static PyObject *
fork_parent(PyObject *self, PyObject *unused)
{
    cte_fork_parent();
    Py_RETURN_NONE;
}

PyDoc_STRVAR(fork_child_doc,
"fork_child() -> dict or None\n"
"In a forked child (os.register_at_fork(after_in_child=...)): drop the\n"
"recording inherited from the parent without writing anything to the\n"
"parent's trace (its pending chunk and queued buffers are discarded, the\n"
"inherited descriptor closed), forget the parent's other threads, and turn\n"
"monitoring off (callbacks unregistered, tool id freed). Returns the fork\n"
"point {'pid', 'thread', 'record', 'step'} (the parent's pid, the forking\n"
"thread's id in the parent's trace or -1, the number of records and Steps\n"
"recorded before the fork), or None when the parent was not recording.");

static PyObject *
fork_child(PyObject *self, PyObject *unused)
{
    cts_fork_child();
    if (!cte_started())
        Py_RETURN_NONE;
    cto_uninstall();   /* the child's start() puts fresh hooks in, if it records */
    return cte_fork_child();
}

PyDoc_STRVAR(sigterm_guard_doc,
"sigterm_guard(callback) -> bool\n"
"For SIGTERM and SIGHUP, each if its action is the default: on the signal,\n"
"call callback(signum) (on a thread of the recorder's, with the GIL) and then\n"
"die of it. False when the program has its own action for both (nothing\n"
"changes then). See sigterm.c.");

static PyObject *
sigterm_guard(PyObject *self, PyObject *callback)
{
    return PyBool_FromLong(cts_guard(callback));
}

static PyObject *
redact_words(PyObject *self, PyObject *arg)
{
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(arg, &n);
    if (s == NULL)
        return NULL;
    char *out = malloc((size_t)(2 * n + 2));
    if (out == NULL)
        return PyErr_NoMemory();
    PyObject *r = PyUnicode_DecodeUTF8(out, ctx_name_words(s, n, out), "surrogatepass");
    free(out);
    return r;
}

static PyObject *
sigterm_unguard(PyObject *self, PyObject *unused)
{
    cts_unguard();
    Py_RETURN_NONE;
}

static PyObject *
sigterm_caught(PyObject *self, PyObject *unused)
{
    return PyLong_FromLong(cts_caught());
}

static PyObject *
sigterm_die(PyObject *self, PyObject *unused)
{
    cts_die_if_caught();
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"start", (PyCFunction)(void (*)(void))start, METH_VARARGS | METH_KEYWORDS, start_doc},
    {"stop", stop, METH_NOARGS, stop_doc},
    {"exit", record_exit, METH_VARARGS, exit_doc},
    {"events", events, METH_NOARGS, events_doc},
    {"active", active, METH_NOARGS, "active() -> bool: recording now"},
    {"sigterm_guard", sigterm_guard, METH_O, sigterm_guard_doc},
    {"redact_words", redact_words, METH_O,
     "redact_words(name) -> str: the words redaction matches in a name, as '_w1_w2_' ('_': none)"},
    {"sigterm_unguard", sigterm_unguard, METH_NOARGS, "sigterm_unguard(): SIGTERM's default action again"},
    {"sigterm_caught", sigterm_caught, METH_NOARGS,
     "sigterm_caught() -> int: the SIGTERM or SIGHUP the guard caught in this process, 0 if none"},
    {"sigterm_die", sigterm_die, METH_NOARGS,
     "sigterm_die(): if the guard caught a signal in this process, die of it now (see sigterm.c)"},
    {"fork_before", fork_before, METH_NOARGS, fork_before_doc},
    {"fork_parent", fork_parent, METH_NOARGS, fork_parent_doc},
    {"fork_child", fork_child, METH_NOARGS, fork_child_doc},
    {"_fail_next", fail_next, METH_NOARGS, "tests only: the next recorded event fails"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_native", "The ctgen-tracer recorder core.", -1, methods,
    NULL, NULL, NULL, NULL,
};

/* add_new: add a new reference o (NULL: the error is set) to module m. */
static int
add_new(PyObject *m, const char *name, PyObject *o)
{
    int rc = o == NULL ? -1 : PyModule_AddObjectRef(m, name, o);
    Py_XDECREF(o);
    return rc;
}

PyMODINIT_FUNC
PyInit__native(void)
{
    if (cte_init() < 0 || ctv_atoms_init() < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    if (PyModule_AddStringConstant(m, "PY_VERSION", CTG_PY_VERSION) < 0
            || PyModule_AddStringConstant(m, "OPTIONS", CTG_OPTIONS) < 0
            || PyModule_AddIntConstant(m, "FORMAT_VERSION", CTR_VERSION) < 0
            || add_new(m, "MAGIC", PyBytes_FromString(CTR_MAGIC)) < 0
            || add_new(m, "LIMITS", Py_BuildValue("{s(iii)s(iii)s(iii)s(iii)s(iii)}",
                   "max_depth", CT_DEPTH_DEFAULT, 0, CT_DEPTH_MAX,
                   "max_items", CT_ITEMS_DEFAULT, 0, CT_ITEMS_MAX,
                   "max_text", CT_TEXT_DEFAULT, 0, CT_TEXT_MAX,
                   "max_nodes", CT_NODES_DEFAULT, 1, CT_NODES_MAX,
                   "chunk_bytes", 1 << 20, 4096, 1 << 28)) < 0
            || ctq_add_types(m) < 0 || ctq_add_convert(m) < 0 || ctw_add(m) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
