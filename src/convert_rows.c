/*
** convert_rows.c -- convert's loop over a chunk's records in C
** (ctgen_tracer._native.convert_rows and Sink, for convert.py).
**
** convert.Converter is the converter's state machine (docs/codetracer.md)
** and stays the reference: convert_rows walks one decoded chunk's records
** (reader.Trace.row_chunks) in stream order with the same checks as
** reader.Trace._chunk_rows, and does itself what the commonest records do
** when nothing unusual is going on: a Step (the pending Step written, the
** new one made pending), a Var (its value's JSON already made in this
** chunk) and a compact Var of an int; with every activation selected (no
** --function, --thread), a Call (held pending here with its Args, then its
** Step and Call events written and its convert.Act opened), an Arg, a
** Return and a Yield (the activation closed, its Return written), with
** their compact forms of an int, the JSON of a value the chunk has not
** made yet asked of Converter.var_value / tree_json; a Live's JSON is
** reused when the objects it read did not change (live_json). Every other
** record, and these in any other situation (a Call the Converter holds,
** exception events held back, a thread switch, --steps' end, --max-size,
** a value to decode), is handed
** to the Python converter (Converter.row, or a compact / checked record to
** the `slow` callable, which reads it as rows() would first), after the
** state this loop keeps in C is put back into the Converter; it is read
** again afterwards. Nothing here decides differently from convert.py: the
** test test_native_and_python_value_decoders_convert_alike compares the
** two paths' outputs byte for byte.
**
** Sink is trace.json's array of events (Converter.emit, emit_all): the
** events in UTF-8 (a lone surrogate as U+FFFD, as convert.SAFE writes it),
** buffered and written to a binary file; the Python Converter and this
** loop write into the same Sink, so events keep their order.
*/
#include <Python.h>
#include <string.h>
#include "convert_json.h"

/* ---- Sink ---- */

typedef struct {
    PyObject_HEAD
    PyObject *file;          /* a binary file: write(bytes) */
    char *buf;
    size_t n, cap;
    long long events, chars;
    int first;
} Sink;

#define SINK_FLUSH_AT (1u << 20)

static int
sink_flush(Sink *s)
{
    if (!s->n)
        return 0;
    /* the buffer itself, not a copy: a file's write() copies what it keeps */
    PyObject *b = PyMemoryView_FromMemory(s->buf, (Py_ssize_t)s->n, PyBUF_READ);
    if (!b)
        return -1;
    s->n = 0;
    PyObject *r = PyObject_CallMethod(s->file, "write", "O", b);
    PyObject *gone = PyObject_CallMethod(b, "release", NULL);     /* (no use of it after this) */
    Py_DECREF(b);
    if (!gone) {
        Py_XDECREF(r);
        return -1;
    }
    Py_DECREF(gone);
    if (!r)
        return -1;
    Py_DECREF(r);
    return 0;
}

static int
sink_raw(Sink *s, const char *p, size_t n)
{
    if (s->n + n > s->cap) {
        if (sink_flush(s) < 0)
            return -1;
        if (n > s->cap) {       /* room for a flush's worth and more (the text may be longer) */
            size_t cap = n > 2 * SINK_FLUSH_AT ? n : 2 * SINK_FLUSH_AT;
            char *b = PyMem_Realloc(s->buf, cap);
            if (!b) {
                PyErr_NoMemory();
                return -1;
            }
            s->buf = b;
            s->cap = cap;
        }
    }
    memcpy(s->buf + s->n, p, n);
    s->n += n;
    return 0;
}

/* text (a str) in UTF-8, its lone surrogates as U+FFFD; its length in characters to *chars. */
static int
sink_text(Sink *s, PyObject *text, long long *chars)
{
    if (!PyUnicode_Check(text)) {
        PyErr_Format(PyExc_TypeError, "an event is a str, not %.80s", Py_TYPE(text)->tp_name);
        return -1;
    }
    *chars += PyUnicode_GET_LENGTH(text);
    Py_ssize_t n;
    const char *p = PyUnicode_AsUTF8AndSize(text, &n);
    if (p)
        return sink_raw(s, p, (size_t)n);
    if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError))
        return -1;
    PyErr_Clear();
    PyObject *b = PyUnicode_AsEncodedString(text, "utf-8", "ctgen-tracer-ufffd");
    if (!b)
        return -1;
    int r = sink_raw(s, PyBytes_AS_STRING(b), (size_t)PyBytes_GET_SIZE(b));
    Py_DECREF(b);
    return r;
}

static int
sink_open(Sink *s)
{
    int r = sink_raw(s, s->first ? "[\n" : ",\n", 2);
    s->first = 0;
    s->chars += 2;
    return r;
}

static int
sink_emit(Sink *s, PyObject *text)
{
    if (sink_open(s) < 0 || sink_text(s, text, &s->chars) < 0)
        return -1;
    s->events++;
    return s->n >= SINK_FLUSH_AT ? sink_flush(s) : 0;
}

static PyObject *
Sink_emit(Sink *s, PyObject *text)
{
    if (sink_emit(s, text) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *
Sink_emit_all(Sink *s, PyObject *texts)
{
    PyObject *seq = PySequence_Fast(texts, "emit_all takes a sequence of str");
    if (!seq)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (sink_open(s) < 0)
        goto fail;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (i && sink_raw(s, ",\n", 2) < 0)
            goto fail;
        if (i)
            s->chars += 2;
        if (sink_text(s, PySequence_Fast_GET_ITEM(seq, i), &s->chars) < 0)
            goto fail;
    }
    s->events += n;
    Py_DECREF(seq);
    if (s->n >= SINK_FLUSH_AT && sink_flush(s) < 0)
        return NULL;
    Py_RETURN_NONE;
fail:
    Py_DECREF(seq);
    return NULL;
}

static PyObject *
Sink_finish_array(Sink *s, PyObject *unused)
{
    (void)unused;
    const char *end = s->first ? "[]\n" : "\n]\n";
    if (sink_raw(s, end, strlen(end)) < 0 || sink_flush(s) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static int
Sink_init(Sink *s, PyObject *args, PyObject *kw)
{
    PyObject *file;
    if (!PyArg_ParseTuple(args, "O:Sink", &file))
        return -1;
    Py_INCREF(file);
    Py_XSETREF(s->file, file);
    s->first = 1;
    s->events = s->chars = 0;
    s->n = 0;
    return 0;
}

static void
Sink_dealloc(Sink *s)
{
    Py_XDECREF(s->file);
    PyMem_Free(s->buf);
    Py_TYPE(s)->tp_free((PyObject *)s);
}

static PyObject *Sink_get_events(Sink *s, void *c) { (void)c; return PyLong_FromLongLong(s->events); }
static PyObject *Sink_get_chars(Sink *s, void *c) { (void)c; return PyLong_FromLongLong(s->chars); }
static PyObject *Sink_get_first(Sink *s, void *c) { (void)c; return PyBool_FromLong(s->first); }

static PyGetSetDef Sink_getset[] = {
    {"events", (getter)Sink_get_events, NULL, "events written", NULL},
    {"chars", (getter)Sink_get_chars, NULL, "characters written (of the text, before encoding)", NULL},
    {"first", (getter)Sink_get_first, NULL, "no event written yet", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMethodDef Sink_methods[] = {
    {"emit", (PyCFunction)Sink_emit, METH_O, "emit(text): one event"},
    {"emit_all", (PyCFunction)Sink_emit_all, METH_O, "emit_all(texts): emit() each of texts"},
    {"finish_array", (PyCFunction)Sink_finish_array, METH_NOARGS,
     "finish_array(): close the JSON array and write out what is buffered"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject SinkType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "ctgen_tracer._native.Sink",
    .tp_basicsize = sizeof(Sink),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Sink(file): trace.json's array of events (convert.Sink), written to binary file `file`\n"
              "in UTF-8 with lone surrogates as U+FFFD, buffered (src/convert_rows.c)",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Sink_init,
    .tp_dealloc = (destructor)Sink_dealloc,
    .tp_methods = Sink_methods,
    .tp_getset = Sink_getset,
};

/* ---- the loop ---- */

/* convert_rows_setup's: record kind indices, reader constants, strings */
static int K_STEP = -1, K_VAR, K_VARINT = -1, NKINDS;
/* A record that stands for a Step without its fn (format 7's Line; -1: none)
   and the place its fn takes in the Step's row (reader._FN_ROLES). */
static int K_LINE = -1, LINE_FN_AT = -1;
static int STEP_FN, STEP_LINE, VAR_NAME, VAR_VALUE;   /* field places in a row (reader.RECORDS) */
/* Call, Arg, Return and their compact kinds of an int (-1: none; set by
   convert_rows_setup's last argument), their field places, convert.Act */
static int K_CALL = -1, K_ARG = -1, K_ARGINT = -1, K_RETURN = -1, K_RETURNINT = -1, K_YIELD = -1, K_YIELDINT = -1;
static int K_RESUME = -1, K_UNWIND = -1;
static int CALL_FN, ARG_NAME, ARG_VALUE, RETURN_VALUE, YIELD_VALUE, RESUME_FN, UNWIND_EXC;
static unsigned char *arg_like;     /* per kind: it leaves a pending Call pending (an Arg, a compact
                                       record of one, a definition) */
static PyObject *A_tree_json;
static PyObject *LiveClass, *A_chunk, *A_objects, *A_changed, *A_touched, *A_clock, *A_json_attr;
static PyObject *ActClass, *S_CALL, *A_trace, *A_functions, *A_name, *A_function_name, *A_thread_only;
static int N_A = -1, N_TYPE, N_KIND, N_FLAGS, N_FIELDS;   /* a value node's (reader.VALUE_FIELDS); -1: none */
static unsigned char *int_kind;     /* per value kind: its layout is int */
static int N_KINDS;
static unsigned char *plain;        /* per kind: rows() gives it as stored */
static int *as_kind;                /* per kind: the kind it is converted as here (a narrower record, format
                                       10's ShortLine or ShortVarInt, as its Line or VarInt: the same row) */
static PyObject *INT_KEY;           /* (TK_INT, the VarInt value's type name): node_types' key */
static unsigned long long NOT_RECORDED;
static PyObject *TraceError, *S_STEP;
static PyObject *A_step_no, *A_steps_written, *A_thread, *A_thread_now, *A_pending, *A_main,
    *A_toplevel_open, *A_held, *A_json_chunk, *A_json, *A_loc, *A_sel, *A_shown, *A_snap,
    *A_fn_of, *A_fn_info, *A_sourceless, *A_acts, *A_stacks, *A_where, *A_var_of, *A_node_types,
    *A_end_step, *A_max_chars, *A_first_step, *A_row, *A_live_json, *A_out, *A_var_value, *A_left, *A_values, *A_types, *A_sizes, *A_trees;

typedef struct {
    PyObject *conv, *chunk, *row_fn, *slow, *thread;   /* borrowed */
    Sink *sink;
    PyObject *fn_of, *fn_info, *sourceless, *stacks, *where, *var_of, *node_types;   /* owned */
    PyObject *values, *types, *sizes, *trees;     /* the chunk's (reader.Chunk), owned */
    long long step_no, steps_written, first_step;
    int usual;              /* no --steps end, no --max-size */
    /* reloaded after each call into the Converter (owned) */
    PyObject *cur_thread, *main, *held, *json;   /* json: Converter._json when it is this chunk's, else NULL */
    int toplevel_open;
    /* the pending record: 0 none, 1 a Step held here, 2 one Converter.pending holds,
       3 a Call held here (its thread, fn, FunctionId and Args so far) */
    int ptype;
    long pid, line;
    PyObject *psnap;        /* owned */
    int pshown;
    PyObject *pc_thread, *pc_fn, *pc_name, *pc_args;   /* owned: a Call's (its fn or name: either may be NULL);
                                                          pc_args a list of (VariableId, JSON text or Live) */
    long pc_fid;
    int plain_sel;          /* no --function, no --thread: every activation selected */
    PyObject *threads;      /* slow.fns.threads (borrowed), NULL: Calls and Returns go to Python */
} cs;

static PyObject *
get(PyObject *o, PyObject *name)
{
    return PyObject_GetAttr(o, name);
}

static int
get_ll(PyObject *o, PyObject *name, long long *v)
{
    PyObject *x = get(o, name);
    if (!x)
        return -1;
    *v = PyLong_AsLongLong(x);
    Py_DECREF(x);
    return *v == -1 && PyErr_Occurred() ? -1 : 0;
}

static int
set_ll(PyObject *o, PyObject *name, long long v)
{
    PyObject *x = PyLong_FromLongLong(v);
    if (!x)
        return -1;
    int r = PyObject_SetAttr(o, name, x);
    Py_DECREF(x);
    return r;
}

/* The state the Converter holds that this loop changes: put into it. */
static int
store(cs *s, PyObject *t)
{
    if (set_ll(s->conv, A_step_no, s->step_no) < 0 || set_ll(s->conv, A_steps_written, s->steps_written) < 0
            || PyObject_SetAttr(s->conv, A_thread_now, t) < 0)
        return -1;
    if (s->ptype == 1) {
        PyObject *p = Py_BuildValue("(OllOO)", S_STEP, s->pid, s->line, s->psnap,
                                    s->pshown ? Py_True : Py_False);
        if (!p)
            return -1;
        int r = PyObject_SetAttr(s->conv, A_pending, p);
        Py_DECREF(p);
        if (r < 0)
            return -1;
    } else if (s->ptype == 3) {     /* ("call", t, fid, name, args), as Converter.row makes it */
        PyObject *tr = NULL, *fns = NULL, *f = NULL, *name = Py_XNewRef(s->pc_name);
        if (!name) {
            tr = get(s->conv, A_trace);
            fns = tr ? get(tr, A_functions) : NULL;
            f = fns ? PyObject_GetItem(fns, s->pc_fn) : NULL;
            name = f ? get(f, A_name) : NULL;
        }
        PyObject *p = name ? Py_BuildValue("(OOlOO)", S_CALL, s->pc_thread, s->pc_fid, name, s->pc_args) : NULL;
        Py_XDECREF(tr);
        Py_XDECREF(fns);
        Py_XDECREF(f);
        Py_XDECREF(name);
        int r = p ? PyObject_SetAttr(s->conv, A_pending, p) : -1;
        Py_XDECREF(p);
        if (r < 0)
            return -1;
    } else if (s->ptype == 0 && PyObject_SetAttr(s->conv, A_pending, Py_None) < 0) {
        return -1;
    }
    return 0;
}

/* ... and read back from it. */
static int
load(cs *s)
{
    if (get_ll(s->conv, A_step_no, &s->step_no) < 0 || get_ll(s->conv, A_steps_written, &s->steps_written) < 0)
        return -1;
    Py_CLEAR(s->cur_thread);
    Py_CLEAR(s->main);
    Py_CLEAR(s->held);
    Py_CLEAR(s->json);
    Py_CLEAR(s->psnap);
    Py_CLEAR(s->pc_thread);
    Py_CLEAR(s->pc_fn);
    Py_CLEAR(s->pc_name);
    Py_CLEAR(s->pc_args);
    if (!(s->cur_thread = get(s->conv, A_thread)) || !(s->main = get(s->conv, A_main))
            || !(s->held = get(s->conv, A_held)))
        return -1;
    PyObject *x = get(s->conv, A_toplevel_open);
    if (!x)
        return -1;
    s->toplevel_open = PyObject_IsTrue(x);
    Py_DECREF(x);
    if (!(x = get(s->conv, A_json_chunk)))
        return -1;
    int same = x == s->chunk;
    Py_DECREF(x);
    if (same && !(s->json = get(s->conv, A_json)))
        return -1;
    if (s->json && !PyDict_CheckExact(s->json))
        Py_CLEAR(s->json);
    PyObject *p = get(s->conv, A_pending);
    if (!p)
        return -1;
    s->ptype = p == Py_None ? 0 : 2;
    if (PyTuple_CheckExact(p) && PyTuple_GET_SIZE(p) == 5 && PyUnicode_Check(PyTuple_GET_ITEM(p, 0))
            && PyUnicode_Compare(PyTuple_GET_ITEM(p, 0), S_STEP) == 0
            && PyLong_CheckExact(PyTuple_GET_ITEM(p, 1)) && PyLong_CheckExact(PyTuple_GET_ITEM(p, 2))
            && PyDict_CheckExact(PyTuple_GET_ITEM(p, 3))) {
        s->pid = PyLong_AsLong(PyTuple_GET_ITEM(p, 1));
        s->line = PyLong_AsLong(PyTuple_GET_ITEM(p, 2));
        s->pshown = PyObject_IsTrue(PyTuple_GET_ITEM(p, 4));
        if (!PyErr_Occurred() && s->pshown >= 0) {
            s->psnap = Py_NewRef(PyTuple_GET_ITEM(p, 3));
            s->ptype = 1;
        }
        PyErr_Clear();
    } else if (s->plain_sel && s->usual && PyTuple_CheckExact(p) && PyTuple_GET_SIZE(p) == 5
               && PyUnicode_Check(PyTuple_GET_ITEM(p, 0)) && PyUnicode_Compare(PyTuple_GET_ITEM(p, 0), S_CALL) == 0
               && PyLong_CheckExact(PyTuple_GET_ITEM(p, 2)) && PyList_CheckExact(PyTuple_GET_ITEM(p, 4))) {
        /* a Call the Converter made pending: its Args and its flush here */
        s->pc_fid = PyLong_AsLong(PyTuple_GET_ITEM(p, 2));
        if (!PyErr_Occurred()) {
            s->pc_thread = Py_NewRef(PyTuple_GET_ITEM(p, 1));
            s->pc_name = Py_NewRef(PyTuple_GET_ITEM(p, 3));
            s->pc_args = Py_NewRef(PyTuple_GET_ITEM(p, 4));
            s->ptype = 3;
        }
        PyErr_Clear();
    }
    Py_DECREF(p);
    return 0;
}

/* The record (kind k, fields row, thread t) done by the Converter. */
static int
by_python(cs *s, int k, PyObject *row, PyObject *t)
{
    if (store(s, t) < 0)
        return -1;
    PyObject *r = plain[k] ? PyObject_CallFunction(s->row_fn, "iOOO", k, row, t, s->chunk)
                           : PyObject_CallFunction(s->slow, "iOO", k, row, s->chunk);
    if (!r)
        return -1;
    Py_DECREF(r);
    return load(s);
}

static int
eq(PyObject *a, PyObject *b)
{
    return a == b ? 1 : PyObject_RichCompareBool(a, b, Py_EQ);
}

/* Converter.live_json(v) of a snapshot's entry that is no str (a Live):
   its JSON as made before when none of the objects it read changed since
   (reader.Objects.stale on Live's touched and clock), else the Converter's
   (rendered again). A new reference, NULL with an error. */
static PyObject *
live_json(cs *s, PyObject *v)
{
    PyObject *chunk = NULL, *objs = NULL, *changed = NULL, *touched = NULL, *clock = NULL, *json = NULL;
    int fresh = 0;
    if (!LiveClass || Py_TYPE(v) != (PyTypeObject *)LiveClass)
        goto python;
    if (!(chunk = get(v, A_chunk)) || !(objs = get(chunk, A_objects)) || !(changed = get(objs, A_changed))
            || !(touched = get(v, A_touched)) || !(clock = get(v, A_clock)) || !(json = get(v, A_json_attr)))
        goto out;
    if (!PyDict_CheckExact(changed) || !PyAnySet_CheckExact(touched) || !PyLong_CheckExact(clock)
            || !PyUnicode_CheckExact(json))
        goto python;
    long long at = PyLong_AsLongLong(clock);
    if (at == -1 && PyErr_Occurred())
        goto out;
    PyObject *it = PyObject_GetIter(touched), *oid;
    if (!it)
        goto out;
    fresh = 1;
    while (fresh && (oid = PyIter_Next(it))) {
        PyObject *c = PyDict_GetItemWithError(changed, oid);
        Py_DECREF(oid);
        long long when = c ? PyLong_AsLongLong(c) : 0;
        if (PyErr_Occurred())
            break;
        fresh = when <= at;
    }
    Py_DECREF(it);
    if (PyErr_Occurred())
        goto out;
python:
    if (!fresh)
        Py_XSETREF(json, PyObject_CallMethodOneArg(s->conv, A_live_json, v));
out:
    Py_XDECREF(chunk);
    Py_XDECREF(objs);
    Py_XDECREF(changed);
    Py_XDECREF(touched);
    Py_XDECREF(clock);
    if (PyErr_Occurred())
        Py_CLEAR(json);
    return json;
}

/* Write the pending Step (Converter.flush of a "step"): 1 done, 0 for the
   Converter to do, -1 error. */
static int
flush_step(cs *s)
{
    if (!s->pshown) {
        s->ptype = 0;
        Py_CLEAR(s->psnap);
        return 1;
    }
    if (PyList_CheckExact(s->held) ? PyList_GET_SIZE(s->held) != 0 : PyObject_IsTrue(s->held) != 0)
        return 0;
    char step[96];
    snprintf(step, sizeof step, "{\"Step\":{\"path_id\":%ld,\"line\":%ld}}", s->pid, s->line);
    Py_ssize_t pos = 0, n = PyDict_GET_SIZE(s->psnap);
    PyObject *key, *v;
    int lives = 0;
    while (PyDict_Next(s->psnap, &pos, &key, &v))
        lives |= !PyUnicode_CheckExact(v);
    Sink *k = s->sink;
    if (!lives) {       /* every entry its event's text */
        s->steps_written++;
        if (sink_open(k) < 0 || sink_raw(k, step, strlen(step)) < 0)
            return -1;
        k->chars += (long long)strlen(step) + 2 * n;
        k->events += 1 + n;
        for (pos = 0; PyDict_Next(s->psnap, &pos, &key, &v);)
            if (sink_raw(k, ",\n", 2) < 0 || sink_text(k, v, &k->chars) < 0)
                return -1;
        s->ptype = 0;
        Py_CLEAR(s->psnap);
        return k->n >= SINK_FLUSH_AT && sink_flush(k) < 0 ? -1 : 1;
    }
    /* the Lives' JSON first: making it may write Type events before the Step */
    pos = 0;
    PyObject *texts = PyList_New(n);
    if (!texts)
        return -1;
    Py_ssize_t i = 0;
    while (PyDict_Next(s->psnap, &pos, &key, &v)) {
        if (i >= n) {
            PyErr_SetString(PyExc_RuntimeError, "a snapshot changed while its Step was written");
            goto fail;
        }
        if (PyUnicode_CheckExact(v)) {
            PyList_SET_ITEM(texts, i++, Py_NewRef(v));
            continue;
        }
        PyObject *j = live_json(s, v);
        PyObject *e = j ? PyTuple_Pack(2, key, j) : NULL;    /* (written as _VALUE_EVENT % (key, j)) */
        Py_XDECREF(j);
        if (!e)
            goto fail;
        PyList_SET_ITEM(texts, i++, e);
    }
    s->steps_written++;
    if (sink_open(k) < 0 || sink_raw(k, step, strlen(step)) < 0)
        goto fail;
    k->chars += (long long)strlen(step);
    for (Py_ssize_t j = 0; j < i; j++) {
        PyObject *e = PyList_GET_ITEM(texts, j);
        if (sink_raw(k, ",\n", 2) < 0)
            goto fail;
        if (PyTuple_CheckExact(e)) {
            long long vid = PyLong_AsLongLong(PyTuple_GET_ITEM(e, 0));
            if (vid == -1 && PyErr_Occurred())
                goto fail;
            char head[64];
            int h = snprintf(head, sizeof head, "{\"Value\":{\"variable_id\":%lld,\"value\":", vid);
            if (sink_raw(k, head, (size_t)h) < 0 || sink_text(k, PyTuple_GET_ITEM(e, 1), &k->chars) < 0
                    || sink_raw(k, "}}", 2) < 0)
                goto fail;
            k->chars += h + 2;
        }
        else if (sink_text(k, e, &k->chars) < 0)
            goto fail;
    }
    k->chars += 2 * i;
    k->events += 1 + i;
    Py_DECREF(texts);
    s->ptype = 0;
    Py_CLEAR(s->psnap);
    return k->n >= SINK_FLUSH_AT && sink_flush(k) < 0 ? -1 : 1;
fail:
    Py_DECREF(texts);
    return -1;
}

static PyObject *
attr_of(PyObject *o, PyObject *name, int *truth)
{
    PyObject *x = get(o, name);
    if (x && truth) {
        *truth = PyObject_IsTrue(x);
        Py_DECREF(x);
        return *truth < 0 ? NULL : Py_None;
    }
    return x;
}

/* A Step record (Converter.row's Step: pending flushed, open_toplevel, step):
   1 done, 0 for the Converter to do (nothing changed then), -1 error. */
static int
step(cs *s, PyObject *row, PyObject *t)
{
    if (s->ptype == 2 || s->ptype == 3)
        return 0;
    if (s->ptype == 1) {
        int r = flush_step(s);
        if (r <= 0)
            return r;
    }
    if ((!s->toplevel_open && s->main == Py_None) || !s->usual)
        return 0;
    PyObject *fn = PyTuple_GET_ITEM(row, STEP_FN), *line_o = PyTuple_GET_ITEM(row, STEP_LINE);
    PyObject *fid = PyDict_GetItemWithError(s->fn_of, fn);
    if (!fid)
        return PyErr_Occurred() ? -1 : 0;
    int c = PySequence_Contains(s->sourceless, fn);
    if (c)
        return c < 0 ? -1 : 0;
    PyObject *st = PyDict_GetItemWithError(s->stacks, t);
    if (!st)
        return PyErr_Occurred() ? -1 : 0;
    if (!PyList_CheckExact(st))
        return 0;
    int is_main = eq(t, s->main);
    if (is_main < 0)
        return -1;
    Py_ssize_t depth = PyList_GET_SIZE(st);
    if (depth <= (is_main ? 1 : 0))
        return 0;
    PyObject *act = PyList_GET_ITEM(st, depth - 1);
    Py_ssize_t f = PyLong_AsSsize_t(fid);
    if (f < 0 || !PyList_CheckExact(s->fn_info) || f >= PyList_GET_SIZE(s->fn_info))
        return PyErr_Occurred() ? -1 : 0;
    PyObject *info = PyList_GET_ITEM(s->fn_info, f);
    if (!PyTuple_CheckExact(info) || PyTuple_GET_SIZE(info) != 2)
        return 0;
    long pid = PyLong_AsLong(PyTuple_GET_ITEM(info, 0));
    long line = PyLong_AsLong(line_o);
    if (line < 1)
        line = PyLong_AsLong(PyTuple_GET_ITEM(info, 1));
    if (PyErr_Occurred())
        return -1;
    int sel;
    if (!attr_of(act, A_sel, &sel))
        return -1;
    long long n = s->step_no + 1;
    int shown = sel && s->first_step <= n;
    if (shown) {        /* show(t): the thread current, every selected Call written */
        int same = eq(t, s->cur_thread);
        if (same <= 0)
            return same;
        for (Py_ssize_t i = 0; i < depth; i++) {
            int asel, ashown;
            PyObject *a = PyList_GET_ITEM(st, i);
            if (!attr_of(a, A_sel, &asel) || !attr_of(a, A_shown, &ashown))
                return -1;
            if (asel && !ashown)
                return 0;
        }
    }
    /* from here on, as Converter.step does */
    PyObject *loc = get(act, A_loc);     /* (pid, line): the same tuple when it is so already */
    if (!loc)
        return -1;
    if (!PyTuple_CheckExact(loc) || PyTuple_GET_SIZE(loc) != 2
            || PyLong_AsLong(PyTuple_GET_ITEM(loc, 0)) != pid || PyLong_AsLong(PyTuple_GET_ITEM(loc, 1)) != line) {
        PyErr_Clear();
        Py_DECREF(loc);
        if (!(loc = Py_BuildValue("(ll)", pid, line)) || PyObject_SetAttr(act, A_loc, loc) < 0) {
            Py_XDECREF(loc);
            return -1;
        }
    }
    if (shown && PyDict_SetItem(s->where, t, loc) < 0) {
        Py_DECREF(loc);
        return -1;
    }
    Py_DECREF(loc);
    PyObject *snap = get(act, A_snap);
    if (!snap)
        return -1;
    if (!PyDict_CheckExact(snap)) {     /* (the Converter's own, as it would be) */
        Py_DECREF(snap);
        PyErr_SetString(PyExc_TypeError, "an activation's snapshot is no dict");
        return -1;
    }
    s->step_no = n;
    s->ptype = 1;
    s->pid = pid;
    s->line = line;
    s->psnap = snap;
    s->pshown = shown;
    return 1;
}

/* The Value event of variable vid whose value's JSON is text (a str):
   _VALUE_EVENT % (vid, text). */
static PyObject *
value_event(long long vid, PyObject *text)
{
    if (!PyUnicode_IS_ASCII(text))
        return PyUnicode_FromFormat("{\"Value\":{\"variable_id\":%lld,\"value\":%U}}", vid, text);
    char head[64];
    int h = snprintf(head, sizeof head, "{\"Value\":{\"variable_id\":%lld,\"value\":", vid);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    PyObject *e = PyUnicode_New(h + n + 2, 127);
    if (!e)
        return NULL;
    char *p = (char *)PyUnicode_DATA(e);
    memcpy(p, head, (size_t)h);
    memcpy(p + h, PyUnicode_DATA(text), (size_t)n);
    memcpy(p + h + n, "}}", 2);
    return e;
}

/* The JSON of the value tree at `root` when it is one node of an int layout
   with no flags, as Converter.var_value makes it (through reader.Chunk.value,
   the tree's node counted against the chunk's budget as a tree decoded and
   not kept, and _tree_json): 0 with *text (borrowed from Converter._json)
   or NULL for var_value to make it, -1 error. This knows reader.Chunk's
   bookkeeping (_left, _sizes, _trees); the test comparing convert's native
   and Python paths holds it to it. */
static int
int_leaf(cs *s, PyObject *root, PyObject **text)
{
    *text = NULL;
    if (N_A < 0 || !s->values)
        return 0;
    Py_ssize_t i = PyLong_AsSsize_t(root);
    if (i < 0 || i >= PyList_GET_SIZE(s->values)) {
        PyErr_Clear();
        return 0;
    }
    int in = PyDict_Contains(s->trees, root);
    if (in)
        return in < 0 ? -1 : 0;
    if ((in = PyDict_Contains(s->sizes, root)))
        return in < 0 ? -1 : 0;
    PyObject *node = PyList_GET_ITEM(s->values, i);
    if (!PyTuple_CheckExact(node) || PyTuple_GET_SIZE(node) != N_FIELDS)
        return 0;
    long kind = PyLong_AsLong(PyTuple_GET_ITEM(node, N_KIND)), flags = PyLong_AsLong(PyTuple_GET_ITEM(node, N_FLAGS));
    long long a = PyLong_AsLongLong(PyTuple_GET_ITEM(node, N_A));
    if (PyErr_Occurred()) {
        PyErr_Clear();
        return 0;
    }
    if (kind < 0 || kind >= N_KINDS || !int_kind[kind] || flags != 0)
        return 0;
    PyObject *type = PyDict_GetItemWithError(s->types, PyTuple_GET_ITEM(node, N_TYPE));
    if (!type)
        return PyErr_Occurred() ? -1 : 0;
    PyObject *key = PyTuple_Pack(2, PyTuple_GET_ITEM(INT_KEY, 0), type);
    if (!key)
        return -1;
    PyObject *tid = PyDict_GetItemWithError(s->node_types, key);
    Py_DECREF(key);
    if (!tid || !PyLong_CheckExact(tid))
        return PyErr_Occurred() ? -1 : 0;
    long long left;
    if (get_ll(s->chunk, A_left, &left) < 0)
        return -1;
    if (left < 1)
        return 0;
    long long ti = PyLong_AsLongLong(tid);
    if (ti == -1 && PyErr_Occurred())
        return -1;
    char buf[96];
    int n = snprintf(buf, sizeof buf, "{\"kind\":\"Int\",\"i\":%lld,\"type_id\":%lld}", a, ti);
    PyObject *t = PyUnicode_FromStringAndSize(buf, n), *one = PyLong_FromLong(1);
    int r = t && one ? 0 : -1;
    if (!r)
        r = set_ll(s->chunk, A_left, left - 1);
    if (!r)
        r = PyDict_SetItem(s->sizes, root, one);
    if (!r)
        r = PyDict_SetItem(s->json, root, t);
    Py_XDECREF(one);
    Py_XDECREF(t);
    if (r < 0)
        return -1;
    *text = t;          /* (held by Converter._json) */
    return 0;
}

/* A Var (compact: of an int, its value `value`) with a Step pending here:
   the variable's entry in the snapshot. 1 done, 0 for the Converter, -1 error. */
static int
var(cs *s, PyObject *row, int compact)
{
    if (s->ptype != 1)
        return 0;
    PyObject *vid = PyDict_GetItemWithError(s->var_of, PyTuple_GET_ITEM(row, VAR_NAME));
    if (!vid)
        return PyErr_Occurred() ? -1 : 0;
    long long v = PyLong_AsLongLong(vid);
    if (v == -1 && PyErr_Occurred())
        return -1;
    PyObject *value = PyTuple_GET_ITEM(row, VAR_VALUE), *e;
    if (compact) {
        PyObject *tid = PyDict_GetItemWithError(s->node_types, INT_KEY);
        if (!tid || !PyLong_CheckExact(tid))
            return PyErr_Occurred() ? -1 : 0;
        long long i = PyLong_AsLongLong(value), ti = PyLong_AsLongLong(tid);
        if (PyErr_Occurred())
            return -1;
        char text[160];
        int n = snprintf(text, sizeof text,
                         "{\"Value\":{\"variable_id\":%lld,\"value\":{\"kind\":\"Int\",\"i\":%lld,\"type_id\":%lld}}}",
                         v, i, ti);
        e = PyUnicode_FromStringAndSize(text, n);
    } else {
        PyObject *text = s->json ? PyDict_GetItemWithError(s->json, value) : NULL;
        if (!text && PyErr_Occurred())
            return -1;
        if (!text && s->json) {
            int r = int_leaf(s, value, &text);
            if (r < 0)
                return -1;
        }
        if (text && PyUnicode_CheckExact(text)) {
            e = value_event(v, text);
        } else {    /* Converter.var_value makes it (it changes no state this loop keeps but _json) */
            PyObject *made = PyObject_CallMethodObjArgs(s->conv, A_var_value, s->chunk, value, NULL);
            if (!made)
                return -1;
            if (!s->json) {
                PyObject *jc = get(s->conv, A_json_chunk);
                if (!jc) {
                    Py_DECREF(made);
                    return -1;
                }
                if (jc == s->chunk && !(s->json = get(s->conv, A_json))) {
                    Py_DECREF(jc);
                    Py_DECREF(made);
                    return -1;
                }
                Py_DECREF(jc);
                if (s->json && !PyDict_CheckExact(s->json))
                    Py_CLEAR(s->json);
            }
            if (!PyUnicode_CheckExact(made)) {      /* a Live: the snapshot holds it */
                int r = PyDict_SetItem(s->psnap, vid, made);
                Py_DECREF(made);
                return r < 0 ? -1 : 1;
            }
            e = value_event(v, made);
            Py_DECREF(made);
        }
    }
    if (!e)
        return -1;
    int r = PyDict_SetItem(s->psnap, vid, e);
    Py_DECREF(e);
    return r < 0 ? -1 : 1;
}

/* The JSON text of a compact record's int value (an ArgInt's, a
   ReturnInt's: the type VarInt's is), as Trace.row_of's inline node and
   Converter.var_value / tree_json make it: a new reference, or NULL
   without an error when the Converter must make it (its type not defined
   yet), or NULL with an error. */
static PyObject *
int_text(cs *s, PyObject *value)
{
    PyObject *tid = PyDict_GetItemWithError(s->node_types, INT_KEY);
    if (!tid || !PyLong_CheckExact(tid))
        return NULL;
    long long i = PyLong_AsLongLong(value), ti = PyLong_AsLongLong(tid);
    if (PyErr_Occurred())
        return NULL;
    char text[96];
    int n = snprintf(text, sizeof text, "{\"kind\":\"Int\",\"i\":%lld,\"type_id\":%lld}", i, ti);
    return PyUnicode_FromStringAndSize(text, n);
}

/* The JSON text of value tree `root` of this chunk when it is made
   already (Converter._json) or is one int node (int_leaf): a new
   reference, or NULL (with an error, or without: the Converter's). */
static PyObject *
made_text(cs *s, PyObject *root)
{
    if (!s->json)
        return NULL;
    PyObject *text = PyDict_GetItemWithError(s->json, root);
    if (!text && !PyErr_Occurred() && int_leaf(s, root, &text) < 0)
        return NULL;
    return text && PyUnicode_CheckExact(text) ? Py_NewRef(text) : NULL;
}

/* After the Converter made a value's JSON: its _json, when this chunk's
   (it may have begun it). */
static int
resync_json(cs *s)
{
    if (s->json)
        return 0;
    PyObject *jc = get(s->conv, A_json_chunk);
    if (!jc)
        return -1;
    if (jc == s->chunk)
        s->json = get(s->conv, A_json);
    Py_DECREF(jc);
    if (s->json && !PyDict_CheckExact(s->json))
        Py_CLEAR(s->json);
    return PyErr_Occurred() ? -1 : 0;
}

/* what the chunk tells of functions (slow.fns.threads), for a record that
   opens an activation of fn (fn != NULL) or closes one (as
   reader.ChunkFunctions.feed does) */
static int
fns_feed(cs *s, PyObject *t, PyObject *fn)
{
    PyObject *st = PyDict_GetItemWithError(s->threads, t);   /* borrowed */
    if (st == NULL) {
        if (PyErr_Occurred() || !(st = PyList_New(1)))
            return -1;
        PyList_SET_ITEM(st, 0, Py_NewRef(Py_None));
        int rc = PyDict_SetItem(s->threads, t, st);
        Py_DECREF(st);
        if (rc < 0)
            return -1;
    }
    if (!PyList_CheckExact(st) || PyList_GET_SIZE(st) < 1) {
        PyErr_SetString(PyExc_TypeError, "ChunkFunctions.threads holds a list per thread");
        return -1;
    }
    if (fn)
        return PyList_Append(st, fn);
    Py_ssize_t n = PyList_GET_SIZE(st);
    if (n > 1)
        return PyList_SetSlice(st, n - 1, n, NULL);
    return PyList_SetItem(st, 0, Py_NewRef(Py_None));
}

/* A Call record (Converter.row's: the pending record flushed, the Call
   made pending): 1 done, 0 for the Converter (nothing changed), -1 error.
   Only when every activation is selected (no --function, --thread). */
/* opening: the start of a Call or Resume of function fn here (no
   Converter.pending of its own, no Call pending here, every activation
   selected, <toplevel> open, fn's FunctionId known: *f), the pending Step
   written: 1, else 0 for the Converter (nothing changed), -1 error. */
static int
opening(cs *s, PyObject *fn, long *f)
{
    if (s->ptype == 2 || s->ptype == 3 || !s->threads || !s->plain_sel || !s->usual)
        return 0;
    if (!s->toplevel_open && s->main == Py_None)
        return 0;
    PyObject *fid = PyDict_GetItemWithError(s->fn_of, fn);
    if (!fid)
        return PyErr_Occurred() ? -1 : 0;
    *f = PyLong_AsLong(fid);
    if (*f == -1 && PyErr_Occurred())
        return -1;
    return s->ptype == 1 ? flush_step(s) : 1;
}

static int
call_rec(cs *s, PyObject *row, PyObject *t)
{
    PyObject *fn = PyTuple_GET_ITEM(row, CALL_FN);
    long f;
    int r = opening(s, fn, &f);
    if (r <= 0)
        return r;
    PyObject *args = PyList_New(0);
    if (!args || fns_feed(s, t, fn) < 0) {
        Py_XDECREF(args);
        return -1;
    }
    s->ptype = 3;
    s->pc_thread = Py_NewRef(t);
    s->pc_fn = Py_NewRef(fn);
    s->pc_args = args;
    s->pc_fid = f;
    return 1;
}

static int flush_call(cs *s);

/* A Resume record (Converter.row's: the pending Step flushed, then
   Converter.other's: an activation of fn starts at once, as a Call of no
   arguments): 1 done, 0 for the Converter (nothing changed but the Step
   written), -1 error. Only when every activation is selected. */
static int
resume_rec(cs *s, PyObject *row, PyObject *t)
{
    PyObject *fn = PyTuple_GET_ITEM(row, RESUME_FN);
    long f;
    int r = opening(s, fn, &f);
    if (r <= 0)
        return r;
    PyObject *args = PyList_New(0);
    if (!args)
        return -1;
    s->ptype = 3;
    s->pc_thread = Py_NewRef(t);
    s->pc_fn = Py_NewRef(fn);
    s->pc_args = args;
    s->pc_fid = f;
    r = flush_call(s);
    if (r == 0) {       /* the Converter's (this record again, nothing pending) */
        s->ptype = 0;
        Py_CLEAR(s->pc_thread);
        Py_CLEAR(s->pc_fn);
        Py_CLEAR(s->pc_args);
        return 0;
    }
    return r < 0 || fns_feed(s, t, fn) < 0 ? -1 : 1;
}

/* An Arg (compact: of an int) with a Call pending here: appended to its
   arguments. 1 done, 0 for the Converter, -1 error. */
static int
arg_rec(cs *s, PyObject *row, int compact)
{
    if (s->ptype != 3)
        return 0;
    PyObject *vid = PyDict_GetItemWithError(s->var_of, PyTuple_GET_ITEM(row, ARG_NAME));
    if (!vid)
        return PyErr_Occurred() ? -1 : 0;
    PyObject *value = PyTuple_GET_ITEM(row, ARG_VALUE), *v;
    if (compact)
        v = int_text(s, value);
    else if (!(v = made_text(s, value)) && !PyErr_Occurred()) {
        v = PyObject_CallMethodObjArgs(s->conv, A_var_value, s->chunk, value, NULL);   /* text or a Live */
        if (v && resync_json(s) < 0)
            Py_CLEAR(v);
    }
    if (!v)
        return PyErr_Occurred() ? -1 : 0;
    PyObject *pair = PyTuple_Pack(2, vid, v);
    Py_DECREF(v);
    int r = pair ? PyList_Append(s->pc_args, pair) : -1;
    Py_XDECREF(pair);
    return r < 0 ? -1 : 1;
}

/* Write the pending Call (Converter.flush of a "call": Converter.call with
   every activation selected): 1 done, 0 for the Converter, -1 error. */
static int
flush_call(cs *s)
{
    PyObject *t = s->pc_thread;
    long long n = s->step_no + 1;
    int shown = s->first_step <= n;     /* in_window(call=True): no --steps end here (usual) */
    PyObject *st = PyDict_GetItemWithError(s->stacks, t);
    if (!st && PyErr_Occurred())
        return -1;
    if (st && !PyList_CheckExact(st))
        return 0;
    if (!PyList_CheckExact(s->fn_info) || s->pc_fid < 0 || s->pc_fid >= PyList_GET_SIZE(s->fn_info))
        return 0;
    PyObject *info = PyList_GET_ITEM(s->fn_info, s->pc_fid);
    if (!PyTuple_CheckExact(info) || PyTuple_GET_SIZE(info) != 2)
        return 0;
    long pid = PyLong_AsLong(PyTuple_GET_ITEM(info, 0)), line = PyLong_AsLong(PyTuple_GET_ITEM(info, 1));
    if (PyErr_Occurred())
        return -1;
    if (shown) {    /* show(t) and release(): only when they have nothing to do */
        int same = eq(t, s->cur_thread);
        if (same <= 0)
            return same;
        if (PyList_CheckExact(s->held) ? PyList_GET_SIZE(s->held) != 0 : PyObject_IsTrue(s->held) != 0)
            return 0;
        for (Py_ssize_t i = 0; st && i < PyList_GET_SIZE(st); i++) {
            int asel, ashown;
            PyObject *a = PyList_GET_ITEM(st, i);
            if (!attr_of(a, A_sel, &asel) || !attr_of(a, A_shown, &ashown))
                return -1;
            if (asel && !ashown)
                return 0;
        }
    }
    Py_ssize_t na = PyList_GET_SIZE(s->pc_args);
    PyObject *snap = PyDict_New(), *texts = PyList_New(na), *loc = NULL, *act = NULL;
    int rc = -1;
    if (!snap || !texts)
        goto out;
    for (Py_ssize_t i = 0; i < na; i++) {   /* snap_entry of each argument */
        PyObject *a = PyList_GET_ITEM(s->pc_args, i), *vid = PyTuple_GET_ITEM(a, 0), *v = PyTuple_GET_ITEM(a, 1);
        long long id = PyLong_AsLongLong(vid);
        if (id == -1 && PyErr_Occurred())
            goto out;
        PyObject *e = PyUnicode_CheckExact(v) ? value_event(id, v) : Py_NewRef(v);
        int r = e ? PyDict_SetItem(snap, vid, e) : -1;
        Py_XDECREF(e);
        if (r < 0)
            goto out;
    }
    if (shown) {
        Sink *k = s->sink;
        char head[160];
        int h = snprintf(head, sizeof head, "{\"Step\":{\"path_id\":%ld,\"line\":%ld}}", pid, line);
        if (sink_open(k) < 0 || sink_raw(k, head, (size_t)h) < 0)
            goto out;
        k->chars += h;
        k->events++;
        for (Py_ssize_t i = 0; i < na; i++) {   /* each argument's JSON after the Step (a Live's may write Types) */
            PyObject *v = PyTuple_GET_ITEM(PyList_GET_ITEM(s->pc_args, i), 1);
            PyObject *j = PyUnicode_CheckExact(v) ? Py_NewRef(v) : live_json(s, v);
            if (!j)
                goto out;
            PyList_SET_ITEM(texts, i, j);
            if (!PyUnicode_Check(j)) {
                PyErr_SetString(PyExc_TypeError, "an argument's JSON is no str");
                goto out;
            }
        }
        h = snprintf(head, sizeof head, "{\"Call\":{\"function_id\":%ld,\"args\":[", s->pc_fid);
        if (sink_open(k) < 0 || sink_raw(k, head, (size_t)h) < 0)
            goto out;
        k->chars += h;
        for (Py_ssize_t i = 0; i < na; i++) {
            long long id = PyLong_AsLongLong(PyTuple_GET_ITEM(PyList_GET_ITEM(s->pc_args, i), 0));
            h = snprintf(head, sizeof head, "%s{\"variable_id\":%lld,\"value\":", i ? "," : "", id);
            if (sink_raw(k, head, (size_t)h) < 0 || sink_text(k, PyList_GET_ITEM(texts, i), &k->chars) < 0
                    || sink_raw(k, "}", 1) < 0)
                goto out;
            k->chars += h + 1;
        }
        if (sink_raw(k, "]}}", 3) < 0)
            goto out;
        k->chars += 3;
        k->events++;
        if (k->n >= SINK_FLUSH_AT && sink_flush(k) < 0)
            goto out;
    }
    if (!(loc = Py_BuildValue("(ll)", pid, line))
            || !(act = PyObject_CallFunction(ActClass, "OOlOO", snap, loc, s->pc_fid, Py_True, shown ? Py_True : Py_False)))
        goto out;
    if (!st) {      /* Activations.stack(t) */
        if (!(st = PyList_New(0)))
            goto out;
        int r = PyDict_SetItem(s->stacks, t, st);
        Py_DECREF(st);
        if (r < 0)
            goto out;
    }
    if (PyList_Append(st, act) < 0)
        goto out;
    s->ptype = 0;
    Py_CLEAR(s->pc_thread);
    Py_CLEAR(s->pc_fn);
    Py_CLEAR(s->pc_name);
    Py_CLEAR(s->pc_args);
    rc = 1;
out:
    Py_XDECREF(snap);
    Py_XDECREF(texts);
    Py_XDECREF(loc);
    Py_XDECREF(act);
    return rc;
}

/* A Return or Yield (compact: of an int; its value at `at`) record
   (Converter.row's: the pending Step flushed, ret()): 1 done, 0 for the
   Converter (nothing changed), -1 error. */
static int
return_rec(cs *s, PyObject *row, PyObject *t, int compact, int at, int unwind)
{
    if (s->ptype == 2 || s->ptype == 3 || !s->threads)
        return 0;
    if (!s->toplevel_open && s->main == Py_None)
        return 0;
    if (PyTuple_GET_SIZE(row) <= at)
        return 0;
    PyObject *value = PyTuple_GET_ITEM(row, at);
    PyObject *st = PyDict_GetItemWithError(s->stacks, t);
    if (!st)
        return PyErr_Occurred() ? -1 : 0;
    if (!PyList_CheckExact(st))
        return 0;
    Py_ssize_t depth = PyList_GET_SIZE(st);
    int is_main = eq(t, s->main);
    if (is_main < 0)
        return -1;
    if (!depth || (is_main && depth == 1 && s->toplevel_open))
        return 0;       /* (dropped: the Converter counts it) */
    if (unwind && is_main && depth - 1 <= (s->toplevel_open ? 1 : 0))
        return 0;       /* (into code not recorded: the Converter keeps the exception) */
    int shown;
    if (!attr_of(PyList_GET_ITEM(st, depth - 1), A_shown, &shown))
        return -1;
    if (shown) {
        int same = eq(t, s->cur_thread);
        if (same <= 0)
            return same;
    }
    if (!compact) {
        unsigned long long root = PyLong_AsUnsignedLongLong(value);
        if (PyErr_Occurred()) {
            PyErr_Clear();
            return 0;
        }
        if (root == NOT_RECORDED)
            return 0;
    }
    if (s->ptype == 1) {    /* (the Step's flush changes nothing the checks above read) */
        int r = flush_step(s);
        if (r <= 0)
            return r;
    }
    PyObject *text = compact ? int_text(s, value) : made_text(s, value);
    if (!text && !compact && !PyErr_Occurred()) {   /* Converter.tree_json makes it (and may begin _json) */
        text = PyObject_CallMethodObjArgs(s->conv, A_tree_json, s->chunk, value, NULL);
        if (text && resync_json(s) < 0)
            Py_CLEAR(text);
        if (text && !PyUnicode_Check(text)) {
            Py_DECREF(text);
            PyErr_SetString(PyExc_TypeError, "a return value's JSON is no str");
            return -1;
        }
        if (!text)
            return -1;
    }
    if (!text)
        return PyErr_Occurred() ? -1 : 0;
    int rc = -1;
    if (fns_feed(s, t, NULL) < 0 || PyList_SetSlice(st, depth - 1, depth, NULL) < 0)
        goto out;
    if (shown) {
        Sink *k = s->sink;
        if (sink_open(k) < 0 || sink_raw(k, "{\"Return\":{\"return_value\":", 26) < 0
                || sink_text(k, text, &k->chars) < 0 || sink_raw(k, "}}", 2) < 0)
            goto out;
        k->chars += 26 + 2;
        k->events++;
        if (k->n >= SINK_FLUSH_AT && sink_flush(k) < 0)
            goto out;
    }
    rc = 1;
out:
    Py_DECREF(text);
    return rc;
}

static void
cs_clear(cs *s)
{
    Py_CLEAR(s->fn_of);
    Py_CLEAR(s->fn_info);
    Py_CLEAR(s->sourceless);
    Py_CLEAR(s->stacks);
    Py_CLEAR(s->where);
    Py_CLEAR(s->var_of);
    Py_CLEAR(s->node_types);
    Py_CLEAR(s->values);
    Py_CLEAR(s->types);
    Py_CLEAR(s->sizes);
    Py_CLEAR(s->trees);
    Py_CLEAR(s->cur_thread);
    Py_CLEAR(s->main);
    Py_CLEAR(s->held);
    Py_CLEAR(s->json);
    Py_CLEAR(s->psnap);
    Py_CLEAR(s->pc_thread);
    Py_CLEAR(s->pc_fn);
    Py_CLEAR(s->pc_name);
    Py_CLEAR(s->pc_args);
}

static int
need_dict(PyObject **slot, PyObject *o, PyObject *name)
{
    *slot = get(o, name);
    if (*slot && !PyDict_CheckExact(*slot)) {
        PyErr_Format(PyExc_TypeError, "Converter.%U is no dict", name);
        return -1;
    }
    return *slot ? 0 : -1;
}

static PyObject *
error(const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    PyErr_SetString(TraceError, msg);
    return NULL;
}

/* convert_rows(conv, kinds, vectors, chunk, thread, slow, count) */
/* told_step: what the chunk tells of functions (slow.fns, the chunk's
   reader.ChunkFunctions, whose `threads` maps a thread to the functions of
   its activations) followed for a Step (its fn becomes the innermost
   activation's) and a Line (read as its Step, with that function). The
   Python slow path feeds the same object with every other record that has
   a part in it (opens, closes), so both read one state. Returns the Step's
   row (a new reference: the row itself for a Step), or NULL without an
   error when the Line's chunk tells no function (the slow path then says
   so), or NULL with an error. */
static PyObject *
told_step(PyObject *threads, int k, PyObject *row, PyObject *t)
{
    PyObject *st = PyDict_GetItemWithError(threads, t);   /* borrowed */
    if (st == NULL) {
        if (PyErr_Occurred())
            return NULL;
        st = PyList_New(1);
        if (st == NULL)
            return NULL;
        PyList_SET_ITEM(st, 0, Py_NewRef(Py_None));
        int rc = PyDict_SetItem(threads, t, st);
        Py_DECREF(st);
        if (rc < 0)
            return NULL;
    }
    if (!PyList_CheckExact(st) || PyList_GET_SIZE(st) < 1) {
        PyErr_SetString(PyExc_TypeError, "ChunkFunctions.threads holds a list per thread");
        return NULL;
    }
    Py_ssize_t top = PyList_GET_SIZE(st) - 1;
    if (k == K_STEP) {
        if (PyTuple_GET_SIZE(row) <= STEP_FN)
            return NULL;   /* (the slow path says what is wrong) */
        PyList_SetItem(st, top, Py_NewRef(PyTuple_GET_ITEM(row, STEP_FN)));
        return Py_NewRef(row);
    }
    PyObject *fn = PyList_GET_ITEM(st, top);
    if (fn == Py_None)
        return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(row);
    if (LINE_FN_AT > n)
        return NULL;
    PyObject *step = PyTuple_New(n + 1);
    if (step == NULL)
        return NULL;
    for (Py_ssize_t j = 0, d = 0; j <= n; j++) {
        PyObject *x = j == LINE_FN_AT ? (d = 1, fn) : PyTuple_GET_ITEM(row, j - d);
        PyTuple_SET_ITEM(step, j, Py_NewRef(x));
    }
    return step;
}

static PyObject *
convert_rows(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *conv, *kinds, *vectors, *chunk, *thread, *slow, *count;
    if (!PyArg_ParseTuple(args, "OOO!OO!OO!:convert_rows", &conv, &kinds, &PyList_Type, &vectors, &chunk,
                          &PyList_Type, &thread, &slow, &PyList_Type, &count))
        return NULL;
    if (K_STEP < 0)
        return PyErr_Format(PyExc_RuntimeError, "convert_rows_setup was not called");
    if (PyList_GET_SIZE(vectors) != NKINDS || PyList_GET_SIZE(thread) != 1 || PyList_GET_SIZE(count) != 1)
        return PyErr_Format(PyExc_ValueError, "convert_rows: %d record vectors, a thread and a count expected",
                            NKINDS);
    Py_buffer kb;
    if (PyObject_GetBuffer(kinds, &kb, PyBUF_SIMPLE) < 0)
        return NULL;
    cs s;
    memset(&s, 0, sizeof s);
    s.conv = conv;
    s.chunk = chunk;
    s.thread = thread;
    s.slow = slow;
    Py_ssize_t *cursor = PyMem_Calloc((size_t)NKINDS, sizeof *cursor);
    Py_ssize_t done = 0;
    PyObject *result = NULL, *out = NULL, *acts = NULL, *threads = NULL;
    if (!cursor) {
        PyErr_NoMemory();
        goto end;
    }
    if (K_LINE >= 0) {   /* slow.fns.threads: what the chunk tells of functions (told_step) */
        PyObject *fns = PyObject_GetAttrString(slow, "fns");
        threads = fns != NULL ? PyObject_GetAttrString(fns, "threads") : NULL;
        Py_XDECREF(fns);
        if (threads == NULL)
            goto end;
        if (!PyDict_CheckExact(threads))
            Py_CLEAR(threads);   /* not ChunkFunctions': every Step and Line to the slow path */
    }
    if (!(s.row_fn = get(conv, A_row)))     /* (a bound method: owned, released below) */
        goto end;
    if (!(out = get(conv, A_out)))
        goto end;
    if (!PyObject_TypeCheck(out, &SinkType)) {
        PyErr_SetString(PyExc_TypeError, "convert_rows needs a Converter writing to a _native.Sink");
        goto end;
    }
    s.sink = (Sink *)out;
    if (!(acts = get(conv, A_acts)) || need_dict(&s.stacks, acts, A_stacks) < 0
            || need_dict(&s.fn_of, conv, A_fn_of) < 0 || need_dict(&s.where, conv, A_where) < 0
            || need_dict(&s.var_of, conv, A_var_of) < 0 || need_dict(&s.node_types, conv, A_node_types) < 0
            || !(s.sourceless = get(conv, A_sourceless)) || !(s.fn_info = get(conv, A_fn_info))
            || get_ll(conv, A_first_step, &s.first_step) < 0)
        goto end;
    if (N_A >= 0) {     /* the chunk's pools, for int_leaf */
        if (need_dict(&s.types, chunk, A_types) < 0 || need_dict(&s.sizes, chunk, A_sizes) < 0
                || need_dict(&s.trees, chunk, A_trees) < 0 || !(s.values = get(chunk, A_values)))
            goto end;
        if (!PyList_CheckExact(s.values))
            Py_CLEAR(s.values);
    }
    PyObject *a = get(conv, A_end_step), *b = get(conv, A_max_chars);
    s.usual = a == Py_None && b == Py_None;
    Py_XDECREF(a);
    Py_XDECREF(b);
    if (!a || !b)
        goto end;
    a = get(conv, A_function_name), b = get(conv, A_thread_only);
    s.plain_sel = ActClass != NULL && a == Py_None && b == Py_None;
    Py_XDECREF(a);
    Py_XDECREF(b);
    if (!a || !b || load(&s) < 0)
        goto end;
    s.threads = ActClass != NULL ? threads : NULL;
    const unsigned char *kp = kb.buf;
    for (Py_ssize_t i = 0; i < kb.len; i++) {
        int k = kp[i];
        if (k >= NKINDS) {
            error("unknown record kind %d", k);
            goto noted;
        }
        PyObject *vec = PyList_GET_ITEM(vectors, k);
        if (!PyList_Check(vec) || cursor[k] >= PyList_GET_SIZE(vec)) {
            PyObject *name = PyObject_CallMethod(slow, "name", "i", k);   /* (slow.name: the kind's name) */
            if (name)
                PyErr_Format(TraceError, "more %U kinds than %U records", name, name);
            Py_XDECREF(name);
            goto noted;
        }
        PyObject *row = PyList_GET_ITEM(vec, cursor[k]++);
        done++;         /* (a record that raises is counted, as convert.py counts it) */
        if (!PyTuple_CheckExact(row)) {
            PyErr_SetString(PyExc_TypeError, "a record row is no tuple");
            goto end;
        }
        int k0 = k;     /* its own kind: what the Converter is handed (by_python) */
        k = as_kind[k];
        PyObject *t = PyList_GET_ITEM(thread, 0);
        int r = 0;
        if (s.ptype == 3 && arg_like[k] && k != K_ARG && k != K_ARGINT) {   /* for the Converter, the Call kept */
            Py_INCREF(t);
            r = by_python(&s, k0, row, t);
            Py_DECREF(t);
            if (r < 0)
                goto end;
            continue;
        }
        if (s.ptype == 3 && k != K_ARG && k != K_ARGINT) {   /* the pending Call ends */
            r = flush_call(&s);
            if (r < 0)
                goto end;
            if (r == 0) {       /* (the Converter writes it, before this record) */
                Py_INCREF(t);
                r = by_python(&s, k0, row, t);
                Py_DECREF(t);
                if (r < 0)
                    goto end;
                continue;
            }
            r = 0;
        }
        if (k == K_CALL && PyTuple_GET_SIZE(row) > CALL_FN) {
            Py_INCREF(t);
            r = call_rec(&s, row, t);
            Py_DECREF(t);
        } else if (k == K_RESUME && PyTuple_GET_SIZE(row) > RESUME_FN) {
            Py_INCREF(t);
            r = resume_rec(&s, row, t);
            Py_DECREF(t);
        } else if ((k == K_ARG || k == K_ARGINT) && PyTuple_GET_SIZE(row) > ARG_NAME
                   && PyTuple_GET_SIZE(row) > ARG_VALUE) {
            r = arg_rec(&s, row, k == K_ARGINT);
        } else if (k == K_RETURN || k == K_RETURNINT || k == K_YIELD || k == K_YIELDINT) {
            Py_INCREF(t);
            r = return_rec(&s, row, t, k == K_RETURNINT || k == K_YIELDINT,
                           k == K_RETURN || k == K_RETURNINT ? RETURN_VALUE : YIELD_VALUE, 0);
            Py_DECREF(t);
        } else if (k == K_UNWIND) {
            Py_INCREF(t);
            r = return_rec(&s, row, t, 0, UNWIND_EXC, 1);
            Py_DECREF(t);
        }
        /* a Step, or a Line read as its Step, in C (what the chunk tells of
           functions followed in slow.fns, as the slow path follows it) */
        if (r != 0 || k == K_CALL || k == K_ARG || k == K_ARGINT || k == K_RETURN || k == K_RETURNINT
                || k == K_YIELD || k == K_YIELDINT) {
            ;
        } else if ((k == K_STEP || k == K_LINE) && threads != NULL) {
            PyObject *srow = told_step(threads, k, row, t);
            if (srow == NULL && PyErr_Occurred())
                goto end;
            if (srow != NULL && PyTuple_GET_SIZE(srow) > STEP_FN && PyTuple_GET_SIZE(srow) > STEP_LINE) {
                Py_INCREF(t);
                r = step(&s, srow, t);
                Py_DECREF(t);
            }
            Py_XDECREF(srow);
        } else if (k == K_STEP && plain[k] && PyTuple_GET_SIZE(row) > STEP_FN && PyTuple_GET_SIZE(row) > STEP_LINE) {
            Py_INCREF(t);
            r = step(&s, row, t);
            Py_DECREF(t);
        } else if ((k == K_VAR || k == K_VARINT) && PyTuple_GET_SIZE(row) > VAR_NAME && PyTuple_GET_SIZE(row) > VAR_VALUE) {
            r = var(&s, row, k == K_VARINT);
        }
        if (r < 0)
            goto end;
        if (r == 0) {
            Py_INCREF(t);
            r = by_python(&s, k0, row, t);
            Py_DECREF(t);
            if (r < 0)
                goto end;
        }
    }
    if (store(&s, PyList_GET_ITEM(thread, 0)) < 0)
        goto end;
    result = Py_NewRef(Py_None);
    goto end;
noted:      /* a reader's error: named as rows() names it (slow.noted) */
    if (PyErr_ExceptionMatches(TraceError)) {
        PyObject *et, *ev, *tb;
        PyErr_Fetch(&et, &ev, &tb);
        PyErr_NormalizeException(&et, &ev, &tb);
        PyObject *e = PyObject_CallMethod(slow, "noted", "O", ev ? ev : Py_None);
        Py_XDECREF(et);
        Py_XDECREF(ev);
        Py_XDECREF(tb);
        if (e) {
            PyErr_SetObject((PyObject *)Py_TYPE(e), e);
            Py_DECREF(e);
        }
    }
end:
    {
        PyObject *n = PyLong_FromSsize_t(done);
        if (n)
            PyList_SetItem(count, 0, n);
        else
            PyErr_Clear();
    }
    PyBuffer_Release(&kb);
    PyMem_Free(cursor);
    Py_XDECREF(s.row_fn);
    Py_XDECREF(out);
    Py_XDECREF(acts);
    Py_XDECREF(threads);
    cs_clear(&s);
    return result;
}

/* The truth of each item of seq, in a new array (its length to *n); NULL with an error set. */
static unsigned char *
truths(PyObject *seq, Py_ssize_t *n)
{
    if ((*n = PySequence_Size(seq)) < 0)
        return NULL;
    unsigned char *p = PyMem_Calloc((size_t)*n + 1, 1);
    if (!p) {
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t i = 0; i < *n; i++) {
        PyObject *o = PySequence_GetItem(seq, i);
        int t = o ? PyObject_IsTrue(o) : -1;
        Py_XDECREF(o);
        if (t < 0) {
            PyMem_Free(p);
            return NULL;
        }
        p[i] = (unsigned char)t;
    }
    return p;
}

static PyObject *
convert_rows_setup(PyObject *self, PyObject *args)
{
    (void)self;
    int step, var, varint, nkinds, places[4], nodes[5];
    PyObject *plain_seq, *int_key, *terr, *int_seq;
    unsigned long long nr;
    int line = -1, line_fn = -1;
    PyObject *calls = NULL, *alias = NULL;
    if (!PyArg_ParseTuple(args, "iiiiOOKO(iiii)(iiiii)O|(ii)OO:convert_rows_setup", &step, &var, &varint, &nkinds,
                          &plain_seq, &int_key, &nr, &terr, &places[0], &places[1], &places[2], &places[3],
                          &nodes[0], &nodes[1], &nodes[2], &nodes[3], &nodes[4], &int_seq, &line, &line_fn, &calls,
                          &alias))
        return NULL;
    if (nkinds <= 0 || nkinds > 256)
        return PyErr_Format(PyExc_ValueError, "convert_rows_setup: bad record kinds");
    int *ak = PyMem_Malloc((size_t)nkinds * sizeof *ak);
    if (ak == NULL)
        return PyErr_NoMemory();
    for (int i = 0; i < nkinds; i++) {
        ak[i] = i;
        if (alias != NULL) {
            PyObject *x = PySequence_GetItem(alias, i);
            long v = x != NULL ? PyLong_AsLong(x) : -1;
            Py_XDECREF(x);
            if (v < 0 || v >= nkinds) {
                PyMem_Free(ak);
                if (!PyErr_Occurred())
                    PyErr_SetString(PyExc_ValueError, "convert_rows_setup: a kind per record kind expected");
                return NULL;
            }
            ak[i] = (int)v;
        }
    }
    PyMem_Free(as_kind);
    as_kind = ak;
    if (calls != NULL) {    /* ((Call, Arg, ArgInt, Return, ReturnInt, Yield, YieldInt, Resume, Unwind), (Call.fn,
                               Arg.name, Arg.value, Return.value, Yield.value, Resume.fn, Unwind.exc), Act,
                               Arg-like kinds, Live) */
        int ck[9], cp[7];
        PyObject *act, *args_seq;
        PyObject *live;
        if (!PyArg_ParseTuple(calls, "(iiiiiiiii)(iiiiiii)OOO:convert_rows_setup calls", &ck[0], &ck[1], &ck[2],
                              &ck[3], &ck[4], &ck[5], &ck[6], &ck[7], &ck[8], &cp[0], &cp[1], &cp[2], &cp[3], &cp[4],
                              &cp[5], &cp[6], &act, &args_seq, &live))
            return NULL;
        if (!PyType_Check(live))
            return PyErr_Format(PyExc_TypeError, "convert_rows_setup: Live is a class");
        Py_XSETREF(LiveClass, Py_NewRef(live));
        Py_ssize_t na;
        unsigned char *al = truths(args_seq, &na);
        if (!al)
            return NULL;
        if (na != nkinds) {
            PyMem_Free(al);
            return PyErr_Format(PyExc_ValueError, "convert_rows_setup: an Arg truth per record kind expected");
        }
        PyMem_Free(arg_like);
        arg_like = al;
        for (int i = 0; i < 9; i++)
            if (ck[i] >= nkinds)
                return PyErr_Format(PyExc_ValueError, "convert_rows_setup: bad Call/Arg/Return kinds");
        for (int i = 0; i < 7; i++)
            if (cp[i] < 0 || cp[i] > 16)
                return PyErr_Format(PyExc_ValueError, "convert_rows_setup: bad Call/Arg/Return field places");
        K_CALL = ck[0], K_ARG = ck[1], K_ARGINT = ck[2], K_RETURN = ck[3], K_RETURNINT = ck[4];
        K_YIELD = ck[5], K_YIELDINT = ck[6], K_RESUME = ck[7], K_UNWIND = ck[8];
        CALL_FN = cp[0], ARG_NAME = cp[1], ARG_VALUE = cp[2], RETURN_VALUE = cp[3], YIELD_VALUE = cp[4];
        RESUME_FN = cp[5], UNWIND_EXC = cp[6];
        Py_XSETREF(ActClass, Py_NewRef(act));
    }
    if (line >= nkinds || line_fn > 16 || (line >= 0 && line_fn < 0))
        return PyErr_Format(PyExc_ValueError, "convert_rows_setup: bad Line kind or fn place");
    K_LINE = line;
    LINE_FN_AT = line_fn;
    if (!PyTuple_Check(int_key) || PyTuple_GET_SIZE(int_key) != 2)
        return PyErr_Format(PyExc_ValueError, "convert_rows_setup: the int key is a pair");
    Py_ssize_t nk;
    unsigned char *ik = truths(int_seq, &nk);
    if (!ik)
        return NULL;
    PyMem_Free(int_kind);
    int_kind = ik;
    N_KINDS = (int)nk;
    N_A = nodes[0];
    N_TYPE = nodes[1];
    N_KIND = nodes[2];
    N_FLAGS = nodes[3];
    N_FIELDS = nodes[4];
    for (int i = 0; i < 4; i++)
        if (nodes[i] < 0 || nodes[i] >= N_FIELDS)
            N_A = -1;       /* no such field: int_leaf leaves every value to var_value */
    for (int i = 0; i < 4; i++)
        if (places[i] < 0 || places[i] > 16)
            return PyErr_Format(PyExc_ValueError, "convert_rows_setup: bad field places");
    STEP_FN = places[0];
    STEP_LINE = places[1];
    VAR_NAME = places[2];
    VAR_VALUE = places[3];
    if (nkinds <= 0 || nkinds > 256 || PySequence_Size(plain_seq) != nkinds)
        return PyErr_Format(PyExc_ValueError, "convert_rows_setup: bad record kinds");
    Py_ssize_t np;
    unsigned char *p = truths(plain_seq, &np);
    if (!p)
        return NULL;
    PyMem_Free(plain);
    plain = p;
    K_STEP = step;
    K_VAR = var;
    K_VARINT = varint;
    NKINDS = nkinds;
    NOT_RECORDED = nr;
    Py_INCREF(int_key);
    Py_XSETREF(INT_KEY, int_key);
    Py_INCREF(terr);
    Py_XSETREF(TraceError, terr);
    Py_RETURN_NONE;
}

static PyMethodDef rows_methods[] = {
    {"convert_rows", convert_rows, METH_VARARGS,
     "convert_rows(converter, kinds, vectors, chunk, [thread], slow, [count]): convert.Converter.row() for\n"
     "each record of one decoded chunk (reader.Trace.row_chunks), the common ones in C (src/convert_rows.c);\n"
     "count[0]: the records done (also when it raises)"},
    {"convert_rows_setup", convert_rows_setup, METH_VARARGS,
     "convert_rows_setup(Step, Var, VarInt, record kinds, plain per kind, node_types key of VarInt's,\n"
     "NOT_RECORDED, TraceError, (Step.fn, Step.line, Var.name, Var.value places), (a value node's a, type,\n"
     "kind, flags places, its fields; a place -1: none), int layout per value kind[, (Line, its fn place),\n"
     "calls, the kind each record kind is converted as])"},
    {NULL, NULL, 0, NULL},
};

int
ctq_add_convert_rows(PyObject *module)
{
#define S(var, text) if (!(var = PyUnicode_InternFromString(text))) return -1
    S(S_STEP, "step");
    S(S_CALL, "call");
    S(A_chunk, "chunk");
    S(A_tree_json, "tree_json");
    S(A_objects, "objects");
    S(A_changed, "changed");
    S(A_touched, "touched");
    S(A_clock, "clock");
    S(A_json_attr, "json");
    S(A_trace, "trace");
    S(A_functions, "functions");
    S(A_name, "name");
    S(A_function_name, "function_name");
    S(A_thread_only, "thread_only");
    S(A_step_no, "step_no");
    S(A_steps_written, "steps_written");
    S(A_thread, "thread");
    S(A_thread_now, "thread_now");
    S(A_pending, "pending");
    S(A_main, "main");
    S(A_toplevel_open, "toplevel_open");
    S(A_held, "held");
    S(A_json_chunk, "_json_chunk");
    S(A_json, "_json");
    S(A_loc, "loc");
    S(A_sel, "sel");
    S(A_shown, "shown");
    S(A_snap, "snap");
    S(A_fn_of, "fn_of");
    S(A_fn_info, "fn_info");
    S(A_sourceless, "sourceless");
    S(A_acts, "acts");
    S(A_stacks, "stacks");
    S(A_where, "where");
    S(A_var_of, "var_of");
    S(A_node_types, "_node_types");
    S(A_end_step, "end_step");
    S(A_max_chars, "max_chars");
    S(A_first_step, "first_step");
    S(A_row, "row");
    S(A_live_json, "live_json");
    S(A_out, "out");
    S(A_var_value, "var_value");
    S(A_left, "_left");
    S(A_values, "values");
    S(A_types, "types");
    S(A_sizes, "_sizes");
    S(A_trees, "_trees");
#undef S
    if (PyType_Ready(&SinkType) < 0 || PyModule_AddObjectRef(module, "Sink", (PyObject *)&SinkType) < 0)
        return -1;
    return PyModule_AddFunctions(module, rows_methods);
}
