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
#include "value_obj.h"
#include "crc.h"
#include "windex.h"

#include <stdarg.h>
#include <unistd.h>

#define MAX_KEPT 1000   /* problems kept as text; the rest are counted */

/* field_index: the index of a value node's field by name (the names a layout
   reads: docs/spec-language.md, "Value layouts"); the spec's order is fixed
   at build time; tree_setup() looks them up once. */
static Py_ssize_t
field_index(const char *name)
{
    for (int f = 0; f < CTQ_N_VALUE_FIELDS; f++)
        if (!strcmp(ctq_value_fields[f].name, name))
            return f;
    return 0;
}

static Py_ssize_t F_A, F_B, F_LEN, F_TYPE, F_KIND, F_FLAGS;   /* set by tree_setup() */

typedef struct {
    PyObject_HEAD
    ctq_state s;
    PyObject *problems;    /* list of str */
    Py_ssize_t nproblems;
    PyObject *define;      /* callable(record name, dict) or None */
    uint8_t handed[CTR_N_RECORDS];   /* the definition records handed to define */
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

static int
set_new(PyObject *d, const char *key, PyObject *v)
{
    int rc = v == NULL ? -1 : PyDict_SetItemString(d, key, v);
    Py_XDECREF(v);
    return rc;
}

static int
set_new_obj(PyObject *d, PyObject *key, PyObject *v)
{
    int rc = key == NULL || v == NULL ? -1 : PyDict_SetItem(d, key, v);
    Py_XDECREF(key);
    Py_XDECREF(v);
    return rc;
}

/* A definition record's fields as a dict, a text field decoded (surrogatepass). */
static PyObject *
define_fields(int kind, const uint8_t *rec, const ctq_chunk *chunk)
{
    const ctq_record *r = &ctq_records[kind];
    PyObject *d = PyDict_New();
    for (int f = 0; d != NULL && f < r->nfields; f++) {
        const ctq_field *fd = &r->fields[f];
        PyObject *v, *key;
        if (fd->text == 2)
            continue;
        if (fd->text == 1) {
            const uint8_t *p;
            uint32_t n;
            if (ctq_text(chunk, kind, rec, f, &p, &n) < 0) {   /* checked before: cannot happen */
                Py_DECREF(d);
                PyErr_SetString(PyExc_ValueError, "text outside the data pool");
                return NULL;
            }
            v = PyUnicode_DecodeUTF8((const char *)p, n, "surrogatepass");
            key = PyUnicode_FromStringAndSize(fd->name, (Py_ssize_t)(strlen(fd->name) - 4));   /* NAME_off */
        } else {
            v = PyLong_FromLongLong(ctq_get(kind, rec, f));
            key = PyUnicode_FromString(fd->name);
        }
        if (set_new_obj(d, key, v) < 0)
            Py_CLEAR(d);
    }
    return d;
}

/* handed_kinds: handed[k] set for each record kind k named in `names` (an
   iterable of record names), or for every kind when names is None: the
   definitions a reader's define() callback wants (verify's and the index's
   only apply ids' texts: the object records, one or more per chunk, need no
   Python call). 0, or -1 with an exception (a name no record has). */
static int
handed_kinds(PyObject *names, uint8_t *handed)
{
    memset(handed, names == Py_None, CTR_N_RECORDS);
    if (names == Py_None)
        return 0;
    PyObject *it = PyObject_GetIter(names), *n;
    if (it == NULL)
        return -1;
    while ((n = PyIter_Next(it)) != NULL) {
        const char *s = PyUnicode_Check(n) ? PyUnicode_AsUTF8(n) : NULL;
        int k = 0;
        while (s != NULL && k < CTR_N_RECORDS && strcmp(ctq_records[k].name, s))
            k++;
        if (s != NULL && k < CTR_N_RECORDS)
            handed[k] = 1;
        else if (!PyErr_Occurred())
            PyErr_Format(PyExc_ValueError, "defines: %R is no record's name", n);
        Py_DECREF(n);
        if (PyErr_Occurred())
            break;
    }
    Py_DECREF(it);
    return PyErr_Occurred() ? -1 : 0;
}

/* define(record name, its fields) for a definition record. */
static int
call_define(PyObject *define, int kind, const uint8_t *rec, const ctq_chunk *chunk)
{
    if (define == NULL || define == Py_None)
        return 0;
    PyObject *d = define_fields(kind, rec, chunk);
    if (d == NULL)
        return -1;
    PyObject *res = PyObject_CallFunction(define, "sO", ctq_records[kind].name, d);
    Py_DECREF(d);
    if (res == NULL)
        return -1;
    Py_DECREF(res);
    return 0;
}

static int
on_define(void *ctx, int kind, const uint8_t *rec, const ctq_chunk *chunk)
{
    Checker *self = ctx;
    return self->handed[kind] ? call_define(self->define, kind, rec, chunk) : 0;
}

static int
Checker_init(Checker *self, PyObject *args, PyObject *kw)
{
    static char *names[] = {"values", "strict", "define", "clock", "defines", NULL};
    int values = 1, strict = 0, clock = 0;
    PyObject *define = Py_None, *defines = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|ppOpO", names, &values, &strict, &define, &clock, &defines)
            || handed_kinds(defines, self->handed) < 0)
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
    self->s.clock = clock;
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

/* thread -> activations open on it, for the threads with any open. */
static PyObject *
open_dict(const ctq_acts *a)
{
    PyObject *d = PyDict_New();
    for (size_t i = 0; d != NULL && i < a->nthreads; i++)
        if (a->threads[i].n && set_new_obj(d, thread_key(a->threads[i].tid),
                                           PyLong_FromSize_t(a->threads[i].n)) < 0)
            Py_CLEAR(d);
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
        "open", open_dict(&s->acts),
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
    .tp_doc = "Checker(values=True, strict=False, define=None, clock=False, defines=None): reads and checks the\n"
              "chunks of one trace in file order by the spec's tables (src/decode.c). values: check every value\n"
              "tree; strict: an undefined id is an error, not a problem; define(record, fields): called for each\n"
              "definition of the records named in defines (None: every definition); clock: the trace's format\n"
              "has a Clock first in every chunk (CLOCK_SINCE on).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Checker_init,
    .tp_dealloc = (destructor)Checker_dealloc,
    .tp_methods = Checker_methods,
};


/* ---- value trees as reader.Value objects (reader.Chunk.value with the native module) ---- */

static PyObject *ValueClass, *TraceErrorClass, *KindNames;   /* from tree_setup() */

static PyObject *
tree_error(const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    PyErr_SetString(TraceErrorClass, msg);
    return NULL;
}

static double
bits(int64_t a)
{
    double d;
    memcpy(&d, &a, 8);
    return d;
}

/* named_names: the names of a `named` node (format 8 on: docs/trace-format.md,
   "Names as ids"): a new list of one Value per child, each the name its id in
   data[a:a+4*len] names in `names` (name id -> str), of kind and type `lay`
   gives, its length in code points, no flags; NULL with an error. */
static PyObject *
named_names(const ctq_layout *lay, int64_t a, uint64_t len, const char *data, Py_ssize_t ndata, PyObject *names)
{
    if (a < 0 || len > (uint64_t)ndata / 4 || (uint64_t)a + 4 * len > (uint64_t)ndata)
        return tree_error("name ids [%lld:%lld] outside the data pool", (long long)a,
                          (long long)(a + 4 * (int64_t)len));
    if (names == NULL && len)
        return tree_error("a %s value needs the trace's names", lay->kind);
    PyObject *out = PyList_New((Py_ssize_t)len), *type = PyUnicode_FromString(lay->name_type);
    if (out == NULL || type == NULL)
        goto fail;
    for (uint64_t j = 0; j < len; j++) {
        const unsigned char *p = (const unsigned char *)data + a + 4 * j;
        uint32_t id = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        PyObject *key = PyLong_FromUnsignedLong(id), *name;
        if (key == NULL)
            goto fail;
        name = PyDict_GetItemWithError(names, key);
        Py_DECREF(key);
        if (name == NULL) {
            if (!PyErr_Occurred())
                tree_error("value uses undefined name id %u", id);
            goto fail;
        }
        PyObject *n = PyLong_FromSsize_t(PyUnicode_Check(name) ? PyUnicode_GET_LENGTH(name) : 0);
        PyObject *zero = n ? PyLong_FromLong(0) : NULL;
        PyObject *v = zero ? ctq_value_new(PyTuple_GET_ITEM(KindNames, lay->name_kind), type, name, n, zero) : NULL;
        Py_XDECREF(n);
        Py_XDECREF(zero);
        if (v == NULL)
            goto fail;
        PyList_SET_ITEM(out, (Py_ssize_t)j, v);
    }
    Py_DECREF(type);
    return out;
fail:
    Py_XDECREF(out);
    Py_XDECREF(type);
    return NULL;
}

static PyObject *node(PyObject *kind, PyObject *type, const ctq_layout *lay, int64_t a, int64_t b, uint64_t len,
                      long flags, const char *data, Py_ssize_t ndata, uint64_t i, uint64_t root, uint64_t *children,
                      PyObject *names_of, PyObject **names, PyObject *types, PyObject **kids, Py_ssize_t *at);

/* packed_kids: the `len` children of a `packed` node whose entries start at data[p]
   (format 9 on: docs/trace-format.md, "Packed children"), as reader._dec_packed reads
   them: a new list of a Value per packed child and None per node child; *nodes: how
   many are None. NULL with an error. */
static PyObject *
packed_kids(uint64_t p, uint64_t len, const char *data, Py_ssize_t ndata, PyObject *types, uint64_t i,
            uint64_t root, uint64_t *nodes)
{
    const unsigned char *u = (const unsigned char *)data;
    *nodes = 0;
    if (len > (uint64_t)ndata)
        return tree_error("packed children run past the data pool");
    PyObject *out = PyList_New((Py_ssize_t)len);
    if (out == NULL)
        return NULL;
    char err[512];
    for (uint64_t j = 0; j < len; j++) {
        unsigned k;
        uint64_t tid;
        int64_t a;
        if (ctq_packed_entry(u, (uint64_t)ndata, &p, &k, &tid, err, sizeof err) < 0) {
            tree_error("%s", err);
            goto fail;
        }
        if (k == 0xFF) {
            PyList_SET_ITEM(out, (Py_ssize_t)j, Py_NewRef(Py_None));
            (*nodes)++;
            continue;
        }
        PyObject *key = PyLong_FromUnsignedLongLong(tid);
        if (key == NULL)
            goto fail;
        PyObject *type = PyDict_GetItemWithError(types, key);
        Py_DECREF(key);
        if (type == NULL) {
            if (!PyErr_Occurred())
                tree_error("value uses undefined type id %llu", (unsigned long long)tid);
            goto fail;
        }
        if (ctq_packed_number(u, (uint64_t)ndata, &p, k, &a, err, sizeof err) < 0) {
            tree_error("%s", err);
            goto fail;
        }
        uint64_t ch;
        PyObject *nm = NULL, *kk = NULL;
        Py_ssize_t at;
        PyObject *v = node(PyTuple_GET_ITEM(KindNames, k), type, &ctq_layouts[k], a, 0, 0, 0, data, ndata, i, root,
                           &ch, NULL, &nm, types, &kk, &at);
        if (v == NULL)
            goto fail;
        PyList_SET_ITEM(out, (Py_ssize_t)j, v);
    }
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}

/* fill: append a packed node's children from kids[*at] up to its next node child (None)
   to `into`, each after its name when names is not NULL; *at: that node child's index. */
static int
fill(PyObject *into, PyObject *names, PyObject *kids, Py_ssize_t *at)
{
    Py_ssize_t n = PyList_GET_SIZE(kids);
    for (; *at < n; (*at)++) {
        PyObject *v = PyList_GET_ITEM(kids, *at);
        if (v == Py_None)
            break;
        if (names != NULL && PyList_Append(into, PyList_GET_ITEM(names, PyList_GET_SIZE(into) / 2)) < 0)
            return -1;
        if (PyList_Append(into, v) < 0)
            return -1;
    }
    return 0;
}

/* node: one Value of a node's fields by its kind's layout; *children: how many follow
   (a `named` node: the Value of the kind it stands for, and in *names the names to put
   before its children, one each; a `packed` node: that too, and in *kids its children,
   a Value each or None for a node, those before the first None already in its data,
   *at that None's index). */
static PyObject *
node(PyObject *kind, PyObject *type, const ctq_layout *lay, int64_t a, int64_t b, uint64_t len, long flags,
     const char *data, Py_ssize_t ndata, uint64_t i, uint64_t root, uint64_t *children,
     PyObject *names_of, PyObject **names, PyObject *types, PyObject **kids, Py_ssize_t *at)
{
    PyObject *d = NULL, *length = NULL;
    *children = 0;
    *names = NULL;
    *kids = NULL;
    switch (lay->layout) {
    case CTQ_L_bool: d = PyBool_FromLong(a != 0); break;
    case CTQ_L_int: d = PyLong_FromLongLong(a); break;
    case CTQ_L_float: d = PyFloat_FromDouble(bits(a)); break;
    case CTQ_L_complex: d = PyComplex_FromDoubles(bits(a), bits(b)); break;
    case CTQ_L_ref:
        if (a < 0 || (uint64_t)a >= i - root)
            return tree_error("back-reference to a later node");
        d = PyLong_FromLongLong(a);
        break;
    case CTQ_L_elided: d = Py_NewRef(Py_None); length = PyLong_FromLongLong(b); break;
    case CTQ_L_object: d = PyLong_FromLongLong(a); break;   /* an object id: reader.Objects renders it */
    case CTQ_L_text:
        if (a < 0 || (uint64_t)a + len > (uint64_t)ndata)
            return tree_error("text [%lld:%lld] outside the data pool", (long long)a, (long long)(a + (int64_t)len));
        if (lay->encoding == CTQ_E_utf8) {
            d = PyUnicode_DecodeUTF8(data + a, (Py_ssize_t)len, "surrogatepass");
            if (d == NULL && PyErr_ExceptionMatches(PyExc_UnicodeDecodeError)) {
                PyObject *e = PyErr_GetRaisedException();
                PyObject *why = PyUnicodeDecodeError_GetReason(e);
                PyErr_Format(TraceErrorClass, "a %s value is not valid UTF-8: %U", lay->kind, why);
                Py_XDECREF(why);
                Py_DECREF(e);
                return NULL;
            }
            length = PyLong_FromLongLong(b);
        } else if (lay->encoding == CTQ_E_bytes) {
            d = PyBytes_FromStringAndSize(data + a, (Py_ssize_t)len);
            length = PyLong_FromLongLong(b);
        } else if (lay->encoding == CTQ_E_int) {
            if (len == 0) {
                d = Py_NewRef(Py_None);
            } else {
                PyObject *raw = PyBytes_FromStringAndSize(data + a, (Py_ssize_t)len);
                PyObject *fn = PyObject_GetAttrString((PyObject *)&PyLong_Type, "from_bytes");
                PyObject *pos = raw ? Py_BuildValue("(Os)", raw, "little") : NULL;
                PyObject *kw = Py_BuildValue("{sO}", "signed", Py_True);
                d = fn && pos && kw ? PyObject_Call(fn, pos, kw) : NULL;   /* int.from_bytes(raw, "little", signed=True) */
                Py_XDECREF(raw);
                Py_XDECREF(fn);
                Py_XDECREF(pos);
                Py_XDECREF(kw);
            }
            length = PyLong_FromLongLong(b);
        } else {   /* name */
            d = PyUnicode_DecodeUTF8(data + a, (Py_ssize_t)len, "replace");
        }
        break;
    case CTQ_L_items: case CTQ_L_tuple: case CTQ_L_pairs: case CTQ_L_attrs: case CTQ_L_fields:
        if (lay->layout == CTQ_L_fields && len != (uint64_t)lay->children)
            return tree_error("%s value with %llu children, not %d", lay->kind, (unsigned long long)len, lay->children);
        if ((lay->layout == CTQ_L_pairs || lay->layout == CTQ_L_attrs) && len % 2)
            return tree_error("%s value with an odd number of children", lay->kind);
        d = PyList_New(0);
        length = PyLong_FromLongLong(b);
        *children = len;
        break;
    case CTQ_L_named:
        if ((*names = named_names(lay, a, len, data, ndata, names_of)) == NULL)
            return NULL;
        kind = PyTuple_GET_ITEM(KindNames, lay->stands);
        d = PyList_New(0);
        length = PyLong_FromLongLong(b);
        *children = len;
        break;
    case CTQ_L_packed: {   /* format 9 on: docs/trace-format.md, "Packed children" */
        unsigned sk;
        uint64_t p, nodes;
        uint32_t off = 0;
        char err[512];
        if (ctq_packed_head((const uint8_t *)data, (uint64_t)ndata, a, len, lay->kind, &sk, &p, &off, err,
                            sizeof err) < 0)
            return tree_error("%s", err);
        const ctq_layout *sl = &ctq_layouts[sk];
        kind = PyTuple_GET_ITEM(KindNames, sk);
        if (sl->layout == CTQ_L_named) {
            if ((*names = named_names(sl, off, len, data, ndata, names_of)) == NULL)
                return NULL;
            kind = PyTuple_GET_ITEM(KindNames, sl->stands);
        }
        if ((*kids = packed_kids(p, len, data, ndata, types, i, root, &nodes)) == NULL) {
            Py_CLEAR(*names);
            return NULL;
        }
        d = PyList_New(0);
        length = PyLong_FromLongLong(b);
        *at = 0;
        if (d != NULL && fill(d, *names, *kids, at) < 0)
            Py_CLEAR(d);
        *children = nodes;
        break;
    }
    case CTQ_L_none: d = Py_NewRef(Py_None); break;
    default: return tree_error("a %s value has a layout this decoder does not know", lay->kind);
    }
    if (d == NULL) {
        Py_XDECREF(length);
        Py_CLEAR(*names);
        Py_CLEAR(*kids);
        return NULL;
    }
    PyObject *fl = PyLong_FromLong(flags);
    PyObject *v = fl ? ctq_value_new(kind, type, d, length ? length : Py_None, fl) : NULL;
    Py_XDECREF(fl);
    Py_DECREF(d);
    Py_XDECREF(length);
    if (v == NULL) {
        Py_CLEAR(*names);
        Py_CLEAR(*kids);
    }
    return v;
}

/* grow: *p reallocated to cap elements of `size` bytes; -1 with MemoryError (*p unchanged). */
static int
grow(void **p, size_t cap, size_t size)
{
    void *q = PyMem_Realloc(*p, cap * size);
    if (q == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    *p = q;
    return 0;
}

/* tree(values, data, types, root, left, names=None, packed=0) -> (Value, left, packed): the
   pre-order tree at root of a chunk's values (a list of (a, b, len, type, kind, flags) tuples)
   without recursion, as reader.Chunk._tree decodes it, with the chunk's node budget `left`
   and its budget of packed children `packed` (format 9 on); names: the trace's name ids
   (id -> str), for named nodes. */
static PyObject *
tree(PyObject *self, PyObject *args)
{
    PyObject *values, *types, *names_of = NULL;
    Py_buffer data;
    unsigned long long root;
    long long left, packed = 0;
    if (ValueClass == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "tree_setup() was not called");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "O!y*O!KL|OL", &PyList_Type, &values, &data, &PyDict_Type, &types, &root, &left,
                          &names_of, &packed))
        return NULL;
    if (names_of == Py_None)
        names_of = NULL;
    if (names_of != NULL && !PyDict_Check(names_of)) {
        PyBuffer_Release(&data);
        PyErr_SetString(PyExc_TypeError, "tree: names must be a dict");
        return NULL;
    }
    PyObject *top = NULL, *res = NULL, *names = NULL, *kids = NULL;
    PyObject **parents = NULL;   /* the open containers' data lists */
    PyObject **pnames = NULL;    /* their names (a named node's, owned), or NULL */
    PyObject **pkids = NULL;     /* their children (a packed node's, owned: node(), *kids), or NULL */
    Py_ssize_t *pat = NULL;      /* the index in pkids of the node child being read */
    uint64_t *pending = NULL;    /* their node children still to come */
    size_t depth = 0, cap = 0;
    uint64_t count = (uint64_t)PyList_GET_SIZE(values);
    for (uint64_t i = root;; i++) {
        if (i >= count) {
            tree_error("value tree at %llu runs past the values pool", root);
            goto done;
        }
        if (--left < 0) {
            tree_error("value trees overlap (the tree at %llu shares nodes with another)", root);
            goto done;
        }
        PyObject *t = PyList_GET_ITEM(values, (Py_ssize_t)i);
        if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) != CTQ_N_VALUE_FIELDS) {
            PyErr_SetString(PyExc_TypeError, "a value node is not a tuple of its fields");
            goto done;
        }
        int64_t a = PyLong_AsLongLong(PyTuple_GET_ITEM(t, F_A));
        int64_t b = PyLong_AsLongLong(PyTuple_GET_ITEM(t, F_B));
        uint64_t len = PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(t, F_LEN));
        PyObject *type_id = PyTuple_GET_ITEM(t, F_TYPE);
        unsigned long kind_id = PyLong_AsUnsignedLong(PyTuple_GET_ITEM(t, F_KIND));
        long flags = PyLong_AsLong(PyTuple_GET_ITEM(t, F_FLAGS));
        if (PyErr_Occurred())
            goto done;
        if (kind_id >= CTV_N_KINDS) {
            tree_error("unknown value kind %lu", kind_id);
            goto done;
        }
        PyObject *type = PyDict_GetItemWithError(types, type_id);
        if (type == NULL) {
            if (!PyErr_Occurred())
                tree_error("value uses undefined type id %lu", PyLong_AsUnsignedLong(type_id));
            goto done;
        }
        uint64_t children;
        Py_ssize_t at = 0;
        PyObject *v = node(PyTuple_GET_ITEM(KindNames, kind_id), type, &ctq_layouts[kind_id], a, b, len, flags,
                           data.buf, data.len, i, root, &children, names_of, &names, types, &kids, &at);
        if (v == NULL)
            goto done;
        if (kids != NULL && (packed -= (long long)(len - children)) < 0) {   /* the packed children's budget */
            Py_DECREF(v);
            tree_error("value trees overlap (the tree at %llu shares nodes with another)", root);
            goto done;
        }
        if (depth == 0 && top == NULL) {
            top = v;
        } else {
            PyObject *into = parents[depth - 1];
            if (pnames[depth - 1] != NULL
                    && PyList_Append(into, PyList_GET_ITEM(pnames[depth - 1], PyList_GET_SIZE(into) / 2)) < 0) {
                Py_DECREF(v);
                goto done;
            }
            int rc = PyList_Append(into, v);
            Py_DECREF(v);
            if (rc < 0)
                goto done;
            pending[depth - 1]--;
            if (pkids[depth - 1] != NULL) {
                pat[depth - 1]++;
                if (fill(into, pnames[depth - 1], pkids[depth - 1], &pat[depth - 1]) < 0)
                    goto done;
            }
        }
        if (children) {
            if (depth == cap) {
                cap = cap ? cap * 2 : 32;
                if (grow((void **)&parents, cap, sizeof *parents) < 0 || grow((void **)&pending, cap, sizeof *pending) < 0
                        || grow((void **)&pnames, cap, sizeof *pnames) < 0 || grow((void **)&pkids, cap, sizeof *pkids) < 0
                        || grow((void **)&pat, cap, sizeof *pat) < 0)
                    goto done;
            }
            parents[depth] = PyObject_GetAttrString(v, "data");   /* v is held by top or its parent */
            if (parents[depth] == NULL)
                goto done;
            Py_DECREF(parents[depth]);   /* the Value holds its list */
            pnames[depth] = names;
            names = NULL;
            pkids[depth] = kids;
            kids = NULL;
            pat[depth] = at;
            pending[depth++] = children;
            continue;
        }
        Py_CLEAR(names);   /* a named or packed node without node children */
        Py_CLEAR(kids);
        while (depth && pending[depth - 1] == 0) {
            Py_CLEAR(pnames[--depth]);
            Py_CLEAR(pkids[depth]);
        }
        if (depth == 0)
            break;
    }
    res = Py_BuildValue("(OLL)", top, left, packed);
done:
    Py_XDECREF(names);
    Py_XDECREF(kids);
    while (depth) {
        Py_XDECREF(pnames[--depth]);
        Py_XDECREF(pkids[depth]);
    }
    Py_XDECREF(top);
    PyMem_Free(parents);
    PyMem_Free(pending);
    PyMem_Free(pnames);
    PyMem_Free(pkids);
    PyMem_Free(pat);
    PyBuffer_Release(&data);
    return res;
}

static PyObject *
tree_setup(PyObject *self, PyObject *args)
{
    PyObject *value, *error, *names;
    if (!PyArg_ParseTuple(args, "OOO!", &value, &error, &PyTuple_Type, &names))
        return NULL;
    if (PyTuple_GET_SIZE(names) != CTV_N_KINDS) {
        PyErr_SetString(PyExc_ValueError, "kind names do not match the native module's value kinds");
        return NULL;
    }
    Py_XSETREF(ValueClass, Py_NewRef(value));
    Py_XSETREF(TraceErrorClass, Py_NewRef(error));
    Py_XSETREF(KindNames, Py_NewRef(names));
    if (ctq_value_class(value) < 0)
        return NULL;
    F_A = field_index("a"), F_B = field_index("b"), F_LEN = field_index("len");
    F_TYPE = field_index("type"), F_KIND = field_index("kind"), F_FLAGS = field_index("flags");
    Py_RETURN_NONE;
}

/* crc32(data, value=0): zlib's CRC-32 (binascii.crc32's value) at memory speed (src/crc.c). */
static PyObject *
py_crc32(PyObject *self, PyObject *args)
{
    Py_buffer b;
    unsigned int value = 0;
    uint32_t crc;
    if (!PyArg_ParseTuple(args, "y*|I", &b, &value))
        return NULL;
    if (b.len >= 65536) {
        Py_BEGIN_ALLOW_THREADS
        crc = ctq_crc32(value, b.buf, (size_t)b.len);
        Py_END_ALLOW_THREADS
    } else {
        crc = ctq_crc32(value, b.buf, (size_t)b.len);
    }
    PyBuffer_Release(&b);
    return PyLong_FromUnsignedLong(crc);
}

static PyMethodDef tree_methods[] = {
    {"crc32", py_crc32, METH_VARARGS,
     "crc32(data, value=0) -> int: zlib's CRC-32 of data continuing value (binascii.crc32's), by folding\n"
     "with carry-less multiplication where the CPU has it (src/crc.c)"},
    {"tree", tree, METH_VARARGS,
     "tree(values, data, types, root, left, names=None, packed=0) -> (Value, left, packed): a chunk's value tree at\n"
     "root (reader.Chunk), with its budgets of nodes and of packed children"},
    {"tree_setup", tree_setup, METH_VARARGS,
     "tree_setup(Value, TraceError, kind names): the classes tree() makes and raises"},
    {NULL, NULL, 0, NULL},
};

/* ---- ctgen_tracer._native.Indexer: the trace index's scan (index.py) ---- */

typedef struct {
    PyObject_HEAD
    ctq_index x;
    int ready;
    PyObject *define;      /* callable(record name, dict) or None */
    uint8_t handed[CTR_N_RECORDS];   /* the definition records handed to define */
} Indexer;

static int
ix_on_define(void *ctx, int kind, const uint8_t *rec, const ctq_chunk *chunk)
{
    Indexer *self = ctx;
    return self->handed[kind] ? call_define(self->define, kind, rec, chunk) : 0;
}

static PyObject *
opt_int(int64_t v)
{
    if (v < 0)
        Py_RETURN_NONE;
    return PyLong_FromLongLong(v);
}

/* str(thread) as index.py keys threads ("None" for records before any Thread). */
static PyObject *
thread_str(uint64_t t)
{
    if (t == CTQ_THREAD_NONE)
        return PyUnicode_FromString("None");
    return PyUnicode_FromFormat("%llu", (unsigned long long)t);
}

/* The chunk's clock: its first record's, a Clock (format 5 on), else None. */
static PyObject *
chunk_clock(const ctq_chunk *c)
{
    const ctq_vec *kinds = &c->slot[CTQ_SLOT_kinds], *clocks = &c->slot[ctq_records[CTR_K_Clock].slot];
    if (kinds->n && kinds->p[0] == CTR_K_Clock && clocks->n)
        return PyLong_FromUnsignedLongLong((uint64_t)ctq_get(CTR_K_Clock, clocks->p, 0));
    return Py_NewRef(Py_None);
}

/* The open activations of each thread with any: {str(thread): [[id, fid, last, opened, first, line]]}. */
static PyObject *
ix_stacks(const ctq_index *x)
{
    PyObject *d = PyDict_New();
    for (size_t i = 0; d != NULL && i < x->th.nthreads; i++) {
        const ctq_ithread *t = &x->th.threads[i];
        if (!t->n)
            continue;
        PyObject *l = PyList_New((Py_ssize_t)t->n);
        for (size_t j = 0; l != NULL && j < t->n; j++) {
            const ctq_act *a = &t->stack[j];
            PyObject *e = Py_BuildValue("[LININN]", (long long)a->id, (unsigned)a->fid, opt_int(a->last),
                                        (unsigned)a->opened, opt_int(a->first),
                                        a->last < 0 ? Py_NewRef(Py_None) : PyLong_FromLong(a->line));
            if (e == NULL)
                Py_CLEAR(l);
            else
                PyList_SET_ITEM(l, (Py_ssize_t)j, e);
        }
        if (set_new_obj(d, thread_str(t->tid), l) < 0)
            Py_CLEAR(d);
    }
    return d;
}

static int
Indexer_init(Indexer *self, PyObject *args, PyObject *kw)
{
    static char *names[] = {"define", "timeline", "defines", NULL};
    PyObject *define = Py_None, *defines = Py_None;
    unsigned long long timeline = 4000;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|OKO", names, &define, &timeline, &defines)
            || handed_kinds(defines, self->handed) < 0)
        return -1;
    if (self->ready)
        ctq_index_free(&self->x);
    self->ready = 0;
    Py_INCREF(define);
    Py_XSETREF(self->define, define);
    self->x.define = ix_on_define;
    self->x.ctx = self;
    self->x.timeline = timeline;
    if (ctq_index_init(&self->x) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    self->ready = 1;
    return 0;
}

static void
Indexer_dealloc(Indexer *self)
{
    if (self->ready)
        ctq_index_free(&self->x);
    Py_XDECREF(self->define);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
Indexer_feed(Indexer *self, PyObject *args)
{
    Py_buffer view;
    char err[256];
    ctq_chunk chunk;
    unsigned long long seq, off;
    ctq_index *x = &self->x;
    if (!self->ready) {
        PyErr_SetString(PyExc_RuntimeError, "Indexer not initialized");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "y*KK", &view, &seq, &off))
        return NULL;
    PyObject *res = NULL, *e = NULL;
    if (ctq_parse(view.buf, (size_t)view.len, &chunk, err, sizeof err) < 0) {
        res = Py_BuildValue("(is)", 1, err);
        goto done;
    }
    if (chunk.seq != seq) {
        snprintf(err, sizeof err, "its seq is %llu", (unsigned long long)chunk.seq);
        res = Py_BuildValue("(is)", 1, err);
        goto done;
    }
    /* the entry as index.py's build() makes it: the state at the chunk's start, then what it holds */
    uint64_t step0 = x->step;
    e = PyDict_New();
    if (e == NULL || set_new(e, "off", PyLong_FromUnsignedLongLong(off)) < 0
            || set_new(e, "step0", PyLong_FromUnsignedLongLong(x->step)) < 0
            || set_new(e, "rec0", PyLong_FromUnsignedLongLong(x->records)) < 0
            || set_new(e, "recs", PyLong_FromUnsignedLong(chunk.slot[CTQ_SLOT_kinds].n)) < 0
            || set_new(e, "act0", PyLong_FromUnsignedLongLong(x->acts)) < 0
            || set_new(e, "thread", x->th.threads[x->cur].tid == CTQ_THREAD_NONE ? Py_NewRef(Py_None)
                                    : PyLong_FromUnsignedLongLong(x->th.threads[x->cur].tid)) < 0
            || set_new(e, "stacks", ix_stacks(x)) < 0)
        goto done;
    int rc = ctq_index_feed(x, &chunk, (uint32_t)seq);
    if (rc == -1) {
        res = Py_BuildValue("(is)", 2, x->err);
        goto done;
    }
    if (rc < 0) {
        if (!PyErr_Occurred())
            PyErr_NoMemory();
        goto done;
    }
    PyObject *mind = PyDict_New();
    for (size_t i = 0; mind != NULL && i < x->nmind; i++)
        if (set_new_obj(mind, thread_str(x->th.threads[x->mind[2 * i]].tid),
                        PyLong_FromUnsignedLongLong(x->mind[2 * i + 1])) < 0)
            Py_CLEAR(mind);
    if (set_new(e, "out", PyLong_FromUnsignedLongLong(x->out)) < 0
            || set_new(e, "steps", PyLong_FromUnsignedLongLong(x->step - step0)) < 0
            || set_new(e, "mind", mind) < 0 || set_new(e, "clock", chunk_clock(&chunk)) < 0)
        goto done;
    res = Py_BuildValue("(iO)", 0, e);
done:
    Py_XDECREF(e);
    PyBuffer_Release(&view);
    return res;
}

static PyObject *
Indexer_now(Indexer *self, PyObject *unused)
{
    ctq_index *x = &self->x;
    if (!self->ready) {
        PyErr_SetString(PyExc_RuntimeError, "Indexer not initialized");
        return NULL;
    }
    uint64_t t = x->th.threads[x->cur].tid;
    return Py_BuildValue("(KKKN)", (unsigned long long)x->step, (unsigned long long)x->records,
                         (unsigned long long)x->acts, t == CTQ_THREAD_NONE ? Py_NewRef(Py_None)
                                                      : PyLong_FromUnsignedLongLong(t));
}

/* {key: [numbers]} of lists, keys made by `key`; pairs: the numbers in [a, b] pairs. */
static PyObject *
lists_dict(const ctq_list *lists, size_t n, PyObject *(*key)(uint64_t), int pairs)
{
    PyObject *d = PyDict_New();
    for (size_t i = 0; d != NULL && i < n; i++) {
        const ctq_list *l = &lists[i];
        size_t m = pairs ? l->n / 2 : l->n;
        PyObject *v = PyList_New((Py_ssize_t)m);
        for (size_t j = 0; v != NULL && j < m; j++) {
            PyObject *e = pairs ? Py_BuildValue("[II]", (unsigned)l->v[2 * j], (unsigned)l->v[2 * j + 1])
                                : PyLong_FromUnsignedLong(l->v[j]);
            if (e == NULL)
                Py_CLEAR(v);
            else
                PyList_SET_ITEM(v, (Py_ssize_t)j, e);
        }
        if (set_new_obj(d, key(l->key), v) < 0)
            Py_CLEAR(d);
    }
    return d;
}

static PyObject *
fid_str(uint64_t k)
{
    return PyUnicode_FromFormat("%u", (unsigned)k);
}

static PyObject *
fn_line_str(uint64_t k)
{
    return PyUnicode_FromFormat("%u:%d", (unsigned)(k >> 32), (int)(int32_t)(uint32_t)(k & 0xFFFFFFFFu));
}

/* The trace-wide tables of index x, all its chunks fed (Indexer.finish()). */
static PyObject *
finish_dict(ctq_index *x)
{
    if (ctq_index_finish(x) < 0)
        return PyErr_NoMemory();
    PyObject *threads = PyDict_New();
    for (size_t i = 0; threads != NULL && i < x->ninfo; i++) {
        const ctq_ithread *t = &x->th.threads[x->info_order[i]];
        PyObject *info = Py_BuildValue("{sKsOsO}", "ident", (unsigned long long)t->ident, "first", Py_None,
                                       "last", Py_None);
        if (info != NULL && t->exit_step >= 0 && set_new(info, "exit_step", PyLong_FromLongLong(t->exit_step)) < 0)
            Py_CLEAR(info);
        if (set_new_obj(threads, thread_str(t->tid), info) < 0)
            Py_CLEAR(threads);
    }
    PyObject *spans = PyList_New((Py_ssize_t)x->nspans);
    for (size_t i = 0; spans != NULL && i < x->nspans; i++) {
        const ctq_span *s = &x->spans[i];
        PyObject *e = Py_BuildValue("[LLKIN]", (long long)s->first, (long long)s->last, (unsigned long long)s->depth,
                                    (unsigned)s->fid, s->tid == CTQ_THREAD_NONE ? Py_NewRef(Py_None)
                                                      : PyLong_FromUnsignedLongLong(s->tid));
        if (e == NULL)
            Py_CLEAR(spans);
        else
            PyList_SET_ITEM(spans, (Py_ssize_t)i, e);
    }
    PyObject *calls = lists_dict(x->calls, x->ncalls, fid_str, 1);
    PyObject *lines = lists_dict(x->lines, x->nlines, fn_line_str, 0);
    if (threads == NULL || spans == NULL || calls == NULL || lines == NULL) {
        Py_XDECREF(threads);
        Py_XDECREF(spans);
        Py_XDECREF(calls);
        Py_XDECREF(lines);
        return NULL;
    }
    return Py_BuildValue("{sKsKsKsNsNsNsNsK}", "steps", (unsigned long long)x->step,
                         "records", (unsigned long long)x->records, "activations", (unsigned long long)x->acts,
                         "calls", calls, "lines", lines, "threads", threads, "timeline", spans,
                         "timeline_min_steps", (unsigned long long)x->threshold);
}

static PyObject *
Indexer_finish(Indexer *self, PyObject *unused)
{
    if (!self->ready) {
        PyErr_SetString(PyExc_RuntimeError, "Indexer not initialized");
        return NULL;
    }
    return finish_dict(&self->x);
}

static PyMethodDef Indexer_methods[] = {
    {"feed", (PyCFunction)Indexer_feed, METH_VARARGS,
     "feed(chunk, seq, offset) -> (0, entry) | (1, why the chunk is damaged) | (2, the error in its records):\n"
     "read one size-prefixed chunk (the seq-th of the file, at offset) in file order; entry: the chunk's\n"
     "entry of the index (docs/trace-format.md, \"The index\")"},
    {"now", (PyCFunction)Indexer_now, METH_NOARGS,
     "now() -> (steps, records, activations, current thread): the counts so far"},
    {"finish", (PyCFunction)Indexer_finish, METH_NOARGS,
     "finish() -> dict: steps, records, activations, calls, lines, threads (ident, first and last None,\n"
     "exit_step), timeline, timeline_min_steps, after closing the activations still open"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject IndexerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "ctgen_tracer._native.Indexer",
    .tp_basicsize = sizeof(Indexer),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Indexer(define=None, timeline=4000, defines=None): the scan that builds a trace's index\n"
              "(index.py), reading the chunks of one trace in file order by the spec's tables (src/decode.c),\n"
              "no Python object per record; define(record, fields): called for each definition of the records\n"
              "named in defines (None: every definition).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Indexer_init,
    .tp_dealloc = (destructor)Indexer_dealloc,
    .tp_methods = Indexer_methods,
};


/* ---- _native.write_writer_index: the index the writer thread built (windex.c) ---- */

static PyObject *
write_writer_index(PyObject *self, PyObject *args)
{
    const char *events, *out;
    int version;
    unsigned long long timeline, steps = 0;
    char why[600];
    if (!PyArg_ParseTuple(args, "ssiK", &events, &out, &version, &timeline))
        return NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = ctwi_write_json(events, out, version, timeline, (uint64_t *)&steps, why, sizeof why);
    Py_END_ALLOW_THREADS
    if (rc < 0)
        return Py_BuildValue("(Os)", Py_None, why);
    return Py_BuildValue("(Ks)", steps, "");
}

/* frame_heads(fd, pos, end, head, packed_bit, least, most) -> (spans, compressed, pos): the
   event file's frames from byte pos on, as reader.EventFile._scan walks them, read with one
   pread each: spans [(pos, size)], compressed [the size before compression, or 0], and where
   it stopped: the end, or the first frame that is not plain (a size word of 0, a size no chunk
   has, a frame past the end, a short read), which the caller's own loop then says what it is.
   packed_bit: the size word's compressed flag (0: the format has none); least, most: the
   sizes a size word may give. The constants come from the caller (trace_tables.py). */
static PyObject *
frame_heads(PyObject *self, PyObject *args)
{
    (void)self;
    int fd, head;
    long long pos, end;
    unsigned long packed_bit, least, most;
    if (!PyArg_ParseTuple(args, "iLLikkk", &fd, &pos, &end, &head, &packed_bit, &least, &most))
        return NULL;
    if (head < 0 || head > 64 - 4) {
        PyErr_SetString(PyExc_ValueError, "frame_heads: a frame head of 0 to 60 bytes");
        return NULL;
    }
    PyObject *spans = PyList_New(0), *packed = PyList_New(0);
    if (spans == NULL || packed == NULL)
        goto fail;
    unsigned char b[64];
    while (pos < end && end - pos >= 4) {
        ssize_t n;
        Py_BEGIN_ALLOW_THREADS
        n = pread(fd, b, (size_t)head + 4, (off_t)pos);
        Py_END_ALLOW_THREADS
        if (n != head + 4)
            break;
        uint32_t size = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        uint32_t before = 0;
        if (packed_bit != 0 && (size & packed_bit) != 0) {
            size ^= (uint32_t)packed_bit;
            const unsigned char *r = b + head;
            before = (uint32_t)r[0] | (uint32_t)r[1] << 8 | (uint32_t)r[2] << 16 | (uint32_t)r[3] << 24;
        } else if (size == 0)
            break;
        if (size < least || size > most || (4 + (uint64_t)size) % 8 != 0 || pos + 4 + (long long)size > end)
            break;
        PyObject *sp = Py_BuildValue("(LI)", pos, (unsigned int)size), *c = PyLong_FromUnsignedLong(before);
        int bad = sp == NULL || c == NULL || PyList_Append(spans, sp) < 0 || PyList_Append(packed, c) < 0;
        Py_XDECREF(sp);
        Py_XDECREF(c);
        if (bad)
            goto fail;
        pos += 4 + (long long)size;
    }
    if (PyErr_Occurred())
        goto fail;
    PyObject *out = Py_BuildValue("(OOL)", spans, packed, pos);
    Py_DECREF(spans);
    Py_DECREF(packed);
    return out;
fail:
    Py_XDECREF(spans);
    Py_XDECREF(packed);
    return NULL;
}

static PyMethodDef windex_methods[] = {
    {"frame_heads", frame_heads, METH_VARARGS,
     "frame_heads(fd, pos, end, head, packed_bit, least, most) -> (spans, compressed, pos): the event\n"
     "file's plain frames from byte pos on, one pread each (reader.EventFile._scan's fast path)."},
    {"write_writer_index", write_writer_index, METH_VARARGS,
     "write_writer_index(events_path, out_path, version, timeline) -> (steps, '') | (None, why): write to\n"
     "out_path (synced) the index the writer thread built as it wrote events_path (src/windex.c), the very\n"
     "JSON index.py's build() gives; None when it cannot (not this writer's file, a feed failed, the file\n"
     "does not end where its last chunk did): then the caller scans the file. Taken once: the memory is freed."},
    {NULL, NULL, 0, NULL},
};

int
ctq_add_types(PyObject *module)
{
    ctq_crc32(0, NULL, 0);   /* its tables made now, before any thread may ask */
    if (PyType_Ready(&CheckerType) < 0 || PyType_Ready(&IndexerType) < 0
            || PyModule_AddFunctions(module, tree_methods) < 0 || PyModule_AddFunctions(module, windex_methods) < 0
            || PyModule_AddObjectRef(module, "Indexer", (PyObject *)&IndexerType) < 0)
        return -1;
    return PyModule_AddObjectRef(module, "Checker", (PyObject *)&CheckerType);
}
