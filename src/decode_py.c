/*
** decode_py.c -- ctgen_tracer._native.Checker: the trace decoder (decode.c)
** as a Python type, for reader.Trace.check() (verify and stats). No Python
** object is made per record: counts stay in C until asked for.
*/
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "decode.h"
#include "decoder.h"
#include "decode_py.h"

#define MAX_KEPT 1000   /* problems kept as text; the rest are counted */

typedef struct {
    PyObject_HEAD
    ctq_state s;
    PyObject *problems;    /* list of str */
    Py_ssize_t nproblems;
    PyObject *define;      /* callable(record name, dict) or None */
} Checker;

static int
on_problem(void *ctx, const char *msg)
{
    Checker *c = ctx;
    c->nproblems++;
    if (PyList_GET_SIZE(c->problems) >= MAX_KEPT)
        return 0;
    PyObject *m = PyUnicode_DecodeUTF8(msg, (Py_ssize_t)strlen(msg), "replace");
    if (m == NULL)
        return -1;
    int rc = PyList_Append(c->problems, m);
    Py_DECREF(m);
    return rc;
}

/* A definition record as a dict: its fields, a text field decoded (surrogatepass). */
static int
on_define(void *ctx, int kind, const uint8_t *rec, const ctq_chunk *chunk)
{
    Checker *c = ctx;
    const ctq_record *r = &ctq_records[kind];
    if (c->define == NULL || c->define == Py_None)
        return 0;
    PyObject *d = PyDict_New();
    if (d == NULL)
        return -1;
    for (int f = 0; f < r->nfields; f++) {
        const ctq_field *fd = &r->fields[f];
        PyObject *v;
        int rc;
        if (fd->text == 2)
            continue;
        if (fd->text == 1) {
            const uint8_t *p;
            uint32_t n;
            if (ctq_text(chunk, kind, rec, f, &p, &n) < 0) {   /* checked before: cannot happen */
                Py_DECREF(d);
                PyErr_SetString(PyExc_ValueError, "text outside the data pool");
                return -1;
            }
            v = PyUnicode_DecodeUTF8((const char *)p, n, "surrogatepass");
            if (v == NULL) {
                Py_DECREF(d);
                return -1;
            }
            size_t len = strlen(fd->name) - 4;   /* NAME_off */
            PyObject *key = PyUnicode_FromStringAndSize(fd->name, (Py_ssize_t)len);
            rc = key == NULL ? -1 : PyDict_SetItem(d, key, v);
            Py_XDECREF(key);
        } else {
            v = PyLong_FromLongLong(ctq_get(kind, rec, f));
            rc = v == NULL ? -1 : PyDict_SetItemString(d, fd->name, v);
        }
        Py_XDECREF(v);
        if (rc < 0) {
            Py_DECREF(d);
            return -1;
        }
    }
    PyObject *res = PyObject_CallFunction(c->define, "sO", r->name, d);
    Py_DECREF(d);
    if (res == NULL)
        return -1;
    Py_DECREF(res);
    return 0;
}

static int
Checker_init(Checker *self, PyObject *args, PyObject *kw)
{
    static char *names[] = {"values", "strict", "define", NULL};
    int values = 1, strict = 0;
    PyObject *define = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|ppO", names, &values, &strict, &define))
        return -1;
    if (self->s.ids != NULL)
        ctq_free(&self->s);
    Py_CLEAR(self->problems);
    self->problems = PyList_New(0);
    if (self->problems == NULL)
        return -1;
    self->nproblems = 0;
    Py_INCREF(define);
    Py_XSETREF(self->define, define);
    self->s.values = values;
    self->s.strict = strict;
    self->s.problem = on_problem;
    self->s.define = on_define;
    self->s.ctx = self;
    if (ctq_init(&self->s) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static void
Checker_dealloc(Checker *self)
{
    ctq_free(&self->s);
    Py_XDECREF(self->problems);
    Py_XDECREF(self->define);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
Checker_feed(Checker *self, PyObject *args)
{
    Py_buffer view;
    char err[256];
    ctq_chunk chunk;
    unsigned long long seq;
    if (self->s.ids == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Checker not initialized");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "y*K", &view, &seq))
        return NULL;
    PyObject *res;
    if (ctq_parse(view.buf, (size_t)view.len, &chunk, err, sizeof err) < 0) {
        res = Py_BuildValue("(is)", 1, err);
    } else if (chunk.seq != seq) {
        snprintf(err, sizeof err, "its seq is %llu", (unsigned long long)chunk.seq);
        res = Py_BuildValue("(is)", 1, err);
    } else {
        int rc = ctq_feed(&self->s, &chunk);
        if (rc == 0)
            res = Py_BuildValue("(iK)", 0, (unsigned long long)chunk.seq);
        else if (rc == -1)
            res = Py_BuildValue("(is)", 2, self->s.err);
        else
            res = PyErr_Occurred() ? NULL : PyErr_NoMemory();
    }
    PyBuffer_Release(&view);
    return res;
}

static PyObject *
thread_key(uint64_t t)
{
    if (t == CTQ_THREAD_NONE)
        Py_RETURN_NONE;
    return PyLong_FromUnsignedLongLong(t);
}

/* map_dict: a map as a dict, each key made by `key`, each value an int;
   skip_zero: leave out keys whose value is 0. */
static PyObject *
map_dict(const ctq_map *m, PyObject *(*key)(uint64_t), int skip_zero)
{
    PyObject *d = PyDict_New();
    for (size_t i = 0; d != NULL && i < m->cap; i++) {
        if (!m->keys[i] || (skip_zero && !m->vals[i]))
            continue;
        PyObject *k = key(m->keys[i] - 1), *v = PyLong_FromUnsignedLongLong(m->vals[i]);
        if (k == NULL || v == NULL || PyDict_SetItem(d, k, v) < 0)
            Py_CLEAR(d);
        Py_XDECREF(k);
        Py_XDECREF(v);
    }
    return d;
}

static PyObject *
kind_fn_key(uint64_t k)
{
    return Py_BuildValue("(sI)", ctq_records[k >> 32].name, (unsigned)(k & 0xFFFFFFFFu));
}

static PyObject *
fn_line_key(uint64_t k)
{
    return Py_BuildValue("(Ii)", (unsigned)(k >> 32), (int)(int32_t)(uint32_t)(k & 0xFFFFFFFFu));
}

static PyObject *
enum_key(uint64_t k)
{
    unsigned kind = (unsigned)(k >> 40), f = (unsigned)(k >> 32) & 0xFF;
    return Py_BuildValue("(ssi)", ctq_records[kind].name, ctq_records[kind].fields[f].name,
                         (int)(int32_t)(uint32_t)(k & 0xFFFFFFFFu));
}

static PyObject *
per_kind(const uint64_t *v)
{
    PyObject *d = PyDict_New();
    for (int k = 0; d != NULL && k < CTR_N_RECORDS; k++) {
        if (!v[k])
            continue;
        PyObject *n = PyLong_FromUnsignedLongLong(v[k]);
        if (n == NULL || PyDict_SetItemString(d, ctq_records[k].name, n) < 0)
            Py_CLEAR(d);
        Py_XDECREF(n);
    }
    return d;
}

static PyObject *
Checker_results(Checker *self, PyObject *unused)
{
    ctq_state *s = &self->s;
    if (s->ids == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Checker not initialized");
        return NULL;
    }
    PyObject *chars = map_dict(&s->enum_chars, enum_key, 0);
    PyObject *r = Py_BuildValue("{sKsOsnsNsNsNsNsNsNsN}",
        "records", (unsigned long long)s->records,
        "problems", self->problems,
        "nproblems", self->nproblems,
        "counts", per_kind(s->counts),
        "bytes", per_kind(s->bytes),
        "by_function", map_dict(&s->by_function, kind_fn_key, 0),
        "lines", map_dict(&s->lines, fn_line_key, 0),
        "threads", map_dict(&s->threads, thread_key, 0),
        "open", map_dict(&s->depth, thread_key, 1),
        "by_enum", map_dict(&s->by_enum, enum_key, 0));
    if (r == NULL || chars == NULL || PyDict_SetItemString(r, "enum_chars", chars) < 0) {
        Py_XDECREF(r);
        r = NULL;
    }
    Py_XDECREF(chars);
    return r;
}

static PyObject *
Checker_records_so_far(Checker *self, PyObject *unused)
{
    return PyLong_FromUnsignedLongLong(self->s.records);
}

static PyMethodDef Checker_methods[] = {
    {"records_so_far", (PyCFunction)Checker_records_so_far, METH_NOARGS,
     "records_so_far() -> int: the records read (those before an error)"},
    {"feed", (PyCFunction)Checker_feed, METH_VARARGS,
     "feed(chunk, seq) -> (0, seq) | (1, why the chunk is damaged) | (2, the error in its records):\n"
     "read and check every record of one size-prefixed chunk (the seq-th of the file), in file order"},
    {"results", (PyCFunction)Checker_results, METH_NOARGS,
     "results() -> dict: records, problems (the first 1000), nproblems, counts and bytes per record,\n"
     "by_function {(record, function id): n}, lines {(function id, line): Steps}, threads\n"
     "{thread: records}, open {thread: open activations}, by_enum and enum_chars\n"
     "{(record, enum field, value): records, text characters}"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject CheckerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "ctgen_tracer._native.Checker",
    .tp_basicsize = sizeof(Checker),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Checker(values=True, strict=False, define=None): reads and checks the chunks of one trace in\n"
              "file order by the spec's tables (src/decode.c). values: check every value tree; strict: an\n"
              "undefined id is an error, not a problem; define(record, fields): called for each definition.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Checker_init,
    .tp_dealloc = (destructor)Checker_dealloc,
    .tp_methods = Checker_methods,
};

int
ctq_add_types(PyObject *module)
{
    if (PyType_Ready(&CheckerType) < 0)
        return -1;
    return PyModule_AddObjectRef(module, "Checker", (PyObject *)&CheckerType);
}
