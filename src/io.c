/*
** io.c -- program output (capture_io): the text the program writes to
** sys.stdout and sys.stderr, as Output records on the writing thread.
**
** The stream objects are not replaced. start() puts a hook under the key
** "write" in each stream object's instance dict (sys.stdout.__dict__), where
** it shadows the type's write method for every attribute lookup: print(),
** file.write(), writelines(), logging, warnings and the interpreter's own
** traceback display all look `write` up on the object. The hook records the
** text and then calls the write it shadows with the same arguments, and
** returns what that returns (or lets its exception through). stop() removes
** the hook again if the dict entry is still the hook. The object's identity,
** type and every other attribute stay what they were; references taken
** before start() see the hook too. See docs/design.md, "Program output".
*/
#include "io.h"
#include "recorder.h"

#include <string.h>

/* One hooked stream: the callable stored as the object's "write". */
typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    PyObject *target;      /* the stream object */
    PyObject *orig;        /* the write it shadows, bound to target */
    PyObject *prev;        /* the instance dict's own "write" before us, or NULL */
    int stream;            /* CTR_Stream_* */
} cto_hook;

static PyObject *hooks[2];          /* the hooks installed by this recording */
static CT_TLS int in_write;         /* this thread is inside a hook's write */
static char *scratch;               /* UTF-8 of one piece of non-ASCII text */
static size_t scratch_cap;

/* piece_bytes: the largest piece of text one Output record holds. */
static size_t
piece_bytes(void)
{
    size_t n = ct_R.opt.chunk_bytes / 4;
    return n < 1024 ? 1024 : n > (256u << 10) ? (256u << 10) : n;
}

/* utf8_piece: encode whole code points from *i on (at most `max` bytes) into
   scratch; surrogates as their 3-byte sequence ("surrogatepass"). Returns
   the byte count, -1 when out of memory. */
static Py_ssize_t
utf8_piece(int kind, const void *data, Py_ssize_t n, Py_ssize_t *i, size_t max)
{
    if (scratch_cap < max) {   /* reused: freed at stop */
        char *p = realloc(scratch, max);
        if (p == NULL)
            return -1;
        scratch = p;
        scratch_cap = max;
    }
    unsigned char *o = (unsigned char *)scratch, *end = o + max;
    Py_ssize_t k = *i;
    for (; k < n; k++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, k);
        if (o + (ch < 0x80 ? 1 : ch < 0x800 ? 2 : ch < 0x10000 ? 3 : 4) > end)
            break;   /* max >= 1024: a piece holds at least one code point */
        if (ch < 0x80) {
            *o++ = (unsigned char)ch;
        } else if (ch < 0x800) {
            *o++ = (unsigned char)(0xC0 | (ch >> 6));
            *o++ = (unsigned char)(0x80 | (ch & 0x3F));
        } else if (ch < 0x10000) {
            *o++ = (unsigned char)(0xE0 | (ch >> 12));
            *o++ = (unsigned char)(0x80 | ((ch >> 6) & 0x3F));
            *o++ = (unsigned char)(0x80 | (ch & 0x3F));
        } else {
            *o++ = (unsigned char)(0xF0 | (ch >> 18));
            *o++ = (unsigned char)(0x80 | ((ch >> 12) & 0x3F));
            *o++ = (unsigned char)(0x80 | ((ch >> 6) & 0x3F));
            *o++ = (unsigned char)(0x80 | (ch & 0x3F));
        }
    }
    *i = k;
    return (Py_ssize_t)(o - (unsigned char *)scratch);
}

/* A place in the chunk, to withdraw the records of a write that failed. */
typedef struct {
    uint64_t generation, seq;   /* seq UINT64_MAX: cannot be withdrawn */
    size_t kinds, recs, data;
    size_t joined;              /* 1 + index of the Output record extended, or 0 */
    uint32_t joined_len;        /* its text_len before */
    size_t pieces;              /* records written or extended */
} cto_mark;

/* joinable: the chunk's last record when it is an Output of `stream` whose
   text ends the data pool and has room for n more bytes, else NULL. Nothing
   was recorded since, so it is this thread's, at the same step. */
static ctr_Output *
joinable(ct_chunk *c, int stream, size_t n, size_t max)
{
    if (c->kinds.len == 0 || (uint8_t)c->kinds.p[c->kinds.len - 1] != CTR_K_Output)
        return NULL;
    ctr_Output *r = (ctr_Output *)(c->rec[CTR_K_Output].p + c->rec[CTR_K_Output].len) - 1;
    if (r->stream != stream || (size_t)r->text_off + r->text_len != c->data.len
            || r->text_len + n > max)
        return NULL;
    return r;
}

/* record: the text s written to `stream` by this thread, appended to the
   previous Output record when that is the chunk's last record (same thread,
   same step, same stream), else as a new one; text longer than a piece
   goes into several. 1 when anything was recorded (m marks where), else 0.
   A failure stops recording (the write itself goes on). */
static int
record(int stream, PyObject *s, cto_mark *m)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(s), i = 0;
    if (n == 0)
        return 0;
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    int ascii = PyUnicode_IS_ASCII(s);
    size_t max = piece_bytes(), pieces = 0, added = 0;
    ct_chunk *c = &ct_R.chunk;
    while (i < n) {
        if (!cte_room() || !ct_R.active || !cte_on_thread())   /* may let other threads run */
            return pieces > 0;
        cto_mark here = { ct_R.generation, c->seq, c->kinds.len, c->rec[CTR_K_Output].len,
                          c->data.len, 0, 0, 0 };
        const char *p;
        Py_ssize_t len;
        if (ascii) {
            p = (const char *)data + i;
            len = n - i < (Py_ssize_t)max ? n - i : (Py_ssize_t)max;
            i += len;
        } else {
            len = utf8_piece(kind, data, n, &i, max);
            p = scratch;   /* after: utf8_piece may move it */
        }
        ctr_Output *last = len > 0 ? joinable(c, stream, (size_t)len, max) : NULL;
        if (pieces == 0) {
            *m = here;
            if (last != NULL) {
                m->joined = (size_t)(last - (ctr_Output *)c->rec[CTR_K_Output].p) + 1;
                m->joined_len = last->text_len;
            }
        } else if (here.seq != m->seq || here.kinds != m->kinds + added) {
            m->seq = UINT64_MAX;   /* other records came between the pieces */
        }
        char *dst = NULL;
        if (len >= 0 && !ct_R.fail_next) {
            if (last != NULL && (dst = ct_vec_push(&c->data, (size_t)len)) != NULL) {
                memcpy(dst, p, (size_t)len);
                last->text_len += (uint32_t)len;
            } else if (last == NULL) {
                ctr_emit_Output(c, (uint8_t)stream, p, (uint32_t)len);
                added++;
            }
        }
        if (len < 0 || c->failed || ct_R.fail_next || (last != NULL && dst == NULL)) {
            c->kinds.len = here.kinds;
            c->rec[CTR_K_Output].len = here.recs;
            c->data.len = here.data;
            c->failed = 0;
            int injected = ct_R.fail_next;
            ct_R.fail_next = 0;
            cte_stop_with(injected ? "injected failure (test)" : "out of memory (program output)");
            return pieces > 0;
        }
        m->pieces = ++pieces;
    }
    return 1;
}

/* withdraw: undo what record() did from m on: the write raised, so its
   text was not written (a closed file, an encoding error). A write of one
   piece is taken out wherever it is in the chunk being built (the write
   may have run recorded code before raising); a longer one only when
   nothing else was recorded since. Records already flushed stay. */
static void
withdraw(const cto_mark *m)
{
    ct_chunk *c = &ct_R.chunk;
    ct_vec *out = &c->rec[CTR_K_Output];
    if (m->generation != ct_R.generation || m->seq != c->seq || c->kinds.len < m->kinds
            || out->len < m->recs)
        return;
    if (m->pieces == 1) {
        if (m->joined > 0) {   /* the text extended an earlier record */
            ctr_Output *r = (ctr_Output *)out->p + (m->joined - 1);
            if ((size_t)r->text_off + r->text_len == c->data.len)
                c->data.len = (size_t)r->text_off + m->joined_len;
            r->text_len = m->joined_len;
            return;
        }
        if (m->kinds >= c->kinds.len || (uint8_t)c->kinds.p[m->kinds] != CTR_K_Output
                || out->len < m->recs + sizeof(ctr_Output))
            return;
        ctr_Output *r = (ctr_Output *)(out->p + m->recs);
        if ((size_t)r->text_off + r->text_len == c->data.len)
            c->data.len = r->text_off;   /* else its bytes stay, unreferenced */
        memmove(c->kinds.p + m->kinds, c->kinds.p + m->kinds + 1, c->kinds.len - m->kinds - 1);
        c->kinds.len--;
        memmove(out->p + m->recs, out->p + m->recs + sizeof(ctr_Output),
                out->len - m->recs - sizeof(ctr_Output));
        out->len -= sizeof(ctr_Output);
        return;
    }
    for (size_t k = m->kinds; k < c->kinds.len; k++)
        if ((uint8_t)c->kinds.p[k] != CTR_K_Output)
            return;
    if (m->joined > 0) {
        if (m->joined * sizeof(ctr_Output) > out->len)
            return;
        ((ctr_Output *)out->p)[m->joined - 1].text_len = m->joined_len;
    }
    c->kinds.len = m->kinds;
    out->len = m->recs;
    c->data.len = m->data;
}

/* hook_call: the hook as the stream's write(): record, then forward. */
static PyObject *
hook_call(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    cto_hook *h = (cto_hook *)self;
    cto_mark m = { 0 };
    int rec = 0;
    if (ct_R.active && ct_R.opt.capture_io && !in_write && PyVectorcall_NARGS(nargsf) == 1
            && kwnames == NULL && PyUnicode_Check(args[0])) {
        rec = record(h->stream, args[0], &m);
        cte_fast_room();   /* (its text: the no-values fast paths' bound) */
    }
    in_write++;
    PyObject *r = PyObject_Vectorcall(h->orig, args, nargsf, kwnames);
    in_write--;
    if (r == NULL && rec && ct_R.active)
        withdraw(&m);
    return r;
}

/* hook_getattro: the hook's own attributes, then those of the write it
   shadows (__name__, __self__, __doc__, ...). */
static PyObject *
hook_getattro(PyObject *self, PyObject *name)
{
    PyObject *r = PyObject_GenericGetAttr(self, name);
    if (r != NULL || !PyErr_ExceptionMatches(PyExc_AttributeError))
        return r;
    PyErr_Clear();
    return PyObject_GetAttr(((cto_hook *)self)->orig, name);
}

static PyObject *
hook_repr(PyObject *self)
{
    return PyUnicode_FromFormat("<ctgen_tracer output hook of %R>", ((cto_hook *)self)->orig);
}

static int
hook_traverse(PyObject *self, visitproc visit, void *arg)
{
    cto_hook *h = (cto_hook *)self;
    Py_VISIT(h->target);
    Py_VISIT(h->orig);
    Py_VISIT(h->prev);
    return 0;
}

static int
hook_clear(PyObject *self)
{
    cto_hook *h = (cto_hook *)self;
    Py_CLEAR(h->target);
    Py_CLEAR(h->orig);
    Py_CLEAR(h->prev);
    return 0;
}

static void
hook_dealloc(PyObject *self)
{
    PyObject_GC_UnTrack(self);
    hook_clear(self);
    PyObject_GC_Del(self);
}

static PyTypeObject hook_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "ctgen_tracer._native.OutputHook",
    .tp_doc = "write() of sys.stdout or sys.stderr while ctgen_tracer records program output",
    .tp_basicsize = sizeof(cto_hook),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_vectorcall_offset = offsetof(cto_hook, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_getattro = hook_getattro,
    .tp_repr = hook_repr,
    .tp_traverse = hook_traverse,
    .tp_clear = hook_clear,
    .tp_dealloc = hook_dealloc,
};

/* mro_lookup: attribute `name` of type t as the type defines it, without
   running any code (borrowed; NULL when absent). */
static PyObject *
mro_lookup(PyTypeObject *t, PyObject *name)
{
    PyObject *mro = t->tp_mro;
    for (Py_ssize_t i = 0; mro != NULL && i < PyTuple_GET_SIZE(mro); i++) {
        PyObject *d = PyType_GetDict((PyTypeObject *)PyTuple_GET_ITEM(mro, i));
        PyObject *v = d ? PyDict_GetItemWithError(d, name) : NULL;
        Py_XDECREF(d);   /* the type keeps it alive */
        if (v != NULL || PyErr_Occurred())
            return v;
    }
    return NULL;
}

/* install: hook obj's write as stream `stream`. NULL on success, else why
   not (obj is left as it was). Runs no code of the program: the checks make
   sure the lookups below are the generic ones on built-in descriptors. */
static const char *
install(PyObject *obj, int stream)
{
    PyObject *write = PyUnicode_InternFromString("write");
    PyObject *getattribute = PyUnicode_InternFromString("__getattribute__");
    const char *why = NULL;
    PyObject *dict = NULL, *prev = NULL, *orig = NULL, *d = NULL;
    PyTypeObject *t = Py_TYPE(obj);
    if (write == NULL || getattribute == NULL) {
        why = "out of memory";
        goto done;
    }
    if (t->tp_getattro != PyObject_GenericGetAttr
            && mro_lookup(t, getattribute) != mro_lookup(&PyBaseObject_Type, getattribute)) {
        why = "its type defines __getattribute__";
        goto done;
    }
    d = mro_lookup(t, write);
    if (d != NULL && Py_TYPE(d)->tp_descr_set != NULL) {
        why = "its type's write is a data descriptor";
        goto done;
    }
    if (t->tp_dictoffset == 0) {
        why = "it has no instance __dict__";
        goto done;
    }
    dict = PyObject_GenericGetDict(obj, NULL);
    if (dict == NULL || !PyDict_Check(dict)) {
        why = "it has no instance __dict__";
        goto done;
    }
    prev = PyDict_GetItemWithError(dict, write);
    if (prev != NULL) {
        orig = Py_NewRef(prev);
    } else if (d == NULL) {
        why = PyErr_Occurred() ? "cannot read its __dict__" : "it has no write method";
        goto done;
    } else if (Py_TYPE(d)->tp_descr_get == NULL) {
        orig = Py_NewRef(d);
    } else if (Py_TYPE(d) != &PyFunction_Type && Py_TYPE(d) != &PyMethodDescr_Type
               && Py_TYPE(d) != &PyStaticMethod_Type) {
        why = "its type's write is a custom descriptor";   /* its __get__ could run code */
        goto done;
    } else {
        orig = Py_TYPE(d)->tp_descr_get(d, obj, (PyObject *)t);
        if (orig == NULL) {
            why = "cannot bind its write method";
            goto done;
        }
    }
    cto_hook *h = PyObject_GC_New(cto_hook, &hook_type);
    if (h == NULL) {
        why = "out of memory";
        goto done;
    }
    h->vectorcall = hook_call;
    h->target = Py_NewRef(obj);
    h->orig = orig;
    h->prev = Py_XNewRef(prev);
    h->stream = stream;
    orig = NULL;
    PyObject_GC_Track((PyObject *)h);
    if (PyDict_SetItem(dict, write, (PyObject *)h) < 0) {
        Py_DECREF(h);
        why = "cannot set its write";
        goto done;
    }
    hooks[stream] = (PyObject *)h;
done:
    PyErr_Clear();
    Py_XDECREF(orig);
    Py_XDECREF(dict);
    Py_XDECREF(write);
    Py_XDECREF(getattribute);
    return why;
}

/* uninstall: put back what the hook shadowed, if the dict still holds it. */
static void
uninstall(cto_hook *h)
{
    PyObject *exc = PyErr_GetRaisedException();
    PyObject *dict = PyObject_GenericGetDict(h->target, NULL);
    PyObject *cur = dict ? PyDict_GetItemString(dict, "write") : NULL;
    if (cur == (PyObject *)h) {
        if (h->prev != NULL)
            PyDict_SetItemString(dict, "write", h->prev);
        else
            PyDict_DelItemString(dict, "write");
    }
    Py_XDECREF(dict);
    PyErr_Clear();
    PyErr_SetRaisedException(exc);
}

PyObject *
cto_install(void)
{
    static const char *names[2] = { "stdout", "stderr" };
    if (PyType_Ready(&hook_type) < 0)
        return NULL;
    PyObject *status = PyDict_New();
    if (status == NULL)
        return NULL;
    for (int s = 0; s < 2; s++) {
        PyObject *obj = PySys_GetObject(names[s]);   /* borrowed */
        const char *why = NULL;
        if (obj == NULL || obj == Py_None)
            why = "it is None";
        else if (s == CTR_Stream_Stderr && hooks[CTR_Stream_Stdout] != NULL
                 && ((cto_hook *)hooks[CTR_Stream_Stdout])->target == obj)
            why = "it is sys.stdout (recorded as stdout)";
        else
            why = install(obj, s);
        PyObject *v = why ? PyUnicode_FromFormat("not captured: %s", why) : PyUnicode_FromString("captured");
        if (v == NULL || PyDict_SetItemString(status, names[s], v) < 0) {
            Py_XDECREF(v);
            Py_DECREF(status);
            cto_uninstall();
            return NULL;
        }
        Py_DECREF(v);
    }
    return status;
}

void
cto_uninstall(void)
{
    for (int s = 0; s < 2; s++) {
        if (hooks[s] != NULL) {
            uninstall((cto_hook *)hooks[s]);
            Py_CLEAR(hooks[s]);
        }
    }
    free(scratch);
    scratch = NULL;
    scratch_cap = 0;
}
