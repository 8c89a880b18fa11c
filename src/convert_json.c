/*
** convert_json.c -- ctgen_tracer._native.value_json: the runtime_tracing
** ValueRecord JSON of a decoded value tree (reader.Value), for `convert`
** (convert.py, Converter._tree_json). Its reference is the pure-Python
** Converter._py_tree_json, which it must match byte for byte (the test
** test_native_and_python_value_decoders_convert_alike converts the corpus
** and damaged traces both ways): the same text, the same Type events in the
** same order (type ids are made by the Converter's own methods, called back
** in the order the Python code calls them).
**
** What it knows of value kinds comes from value_json_setup(), which is
** given reader.LAYOUTS (from the spec): each kind's layout, encoding,
** codetracer type and field names. It renders the common nodes itself
** (int, str, float, bool, None and Error markers, the containers, refs,
** elided containers) and
** hands the rarer leaves (bytes, names, big ints, complex, kinds of
** a layout it does not know) and the too-deep marker back to the Converter.
**
** The text is written in pre-order into one buffer; each node's entry keeps
** where its text is (a Ref repeats an earlier node's text), its type id and
** its JSON height. An attribute name that is no str is converted (Refs may
** point to it) but its text is not part of the output: it is moved to a
** side buffer.
*/
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "convert_json.h"
#include "value_obj.h"

enum { F_OTHER, F_NONE, F_BOOL, F_INT, F_FLOAT, F_TEXT, F_REF, F_ELIDED, F_ITEMS, F_TUPLE, F_PAIRS, F_ATTRS, F_FIELDS };

typedef struct {
    int form;
    int utf8;        /* text encoded utf8 (a str) */
    int none, error; /* codetracer None, Error */
    int hashset;     /* codetracer HashSet */
    PyObject *fields;   /* a `fields` layout: ((name, text name), ...); else NULL */
} lay_t;

static lay_t *lays;
static Py_ssize_t nlays;
static PyObject *kind_index;    /* kind name -> index in lays */
static PyObject *S_kind, *S_type, *S_data, *S_flags, *S_render, *S_length, *TUPLE_NAME;
static long FL_REDACTED, FL_TRUNCATED;
static int MAX_NESTING;
static PyObject *TK_INT, *TK_STRING, *TK_FLOAT, *TK_BOOL, *TK_TUPLE, *TK_SEQ, *TK_HASHSET, *TK_RECURSION,
    *TK_NONEXPANDED;   /* (NULL: an elided node is the Converter's) */

enum { E_NONE, E_DEEP, E_DONE };   /* an entry: None (in progress, or a name), too deep, done */

typedef struct {
    int st, spill, h;
    size_t a, b;        /* its text: [a, b) of the output (or the side buffer) */
    long tid;
} ent_t;

typedef struct {
    char *p;
    size_t n, cap;
} buf_t;

typedef struct {
    buf_t out, side;
    ent_t *e;
    size_t ne, ecap;
    PyObject *nt, *node_type, *type_id, *structs, *struct_type, *markers, *redacted, *leaf, *too_deep, *clean;
    int float_numbers;
    Py_ssize_t minref;      /* the lowest node index a Ref has pointed to (objects_json's) */
} J;

static int
reserve(buf_t *b, size_t more)
{
    if (b->n + more <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + more)
        cap *= 2;
    char *p = PyMem_Realloc(b->p, cap);
    if (p == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

static int
put(buf_t *b, const char *s, size_t n)
{
    if (reserve(b, n) < 0)
        return -1;
    memcpy(b->p + b->n, s, n);
    b->n += n;
    return 0;
}

#define PUTS(b, lit) put((b), (lit), sizeof(lit) - 1)

static int
put_long(buf_t *b, long long v)
{
    char tmp[24], *e = tmp + sizeof tmp, *p = e;
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    do
        *--p = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        *--p = '-';
    return put(b, p, (size_t)(e - p));
}

/* put_tid: `,"type_id":N}` */
static int
put_tid(buf_t *b, long tid)
{
    return PUTS(b, "\"type_id\":") < 0 || put_long(b, tid) < 0 || PUTS(b, "}") < 0 ? -1 : 0;
}

/* put_str_in: str s as a JSON string, as json's C encoder writes it with
   ensure_ascii=False (s holds no lone surrogate: the caller cleaned it),
   after pre and before extra (text that needs no escapes) in the quotes. */
static int
put_str_in(buf_t *b, PyObject *s, const char *pre, const char *extra)
{
    Py_ssize_t n;
    const char *p = PyUnicode_AsUTF8AndSize(s, &n);
    if (p == NULL)
        return -1;
    size_t en = extra ? strlen(extra) : 0, pn = pre ? strlen(pre) : 0;
    if (reserve(b, (size_t)n * 6 + pn + en + 2) < 0)
        return -1;
    char *o = b->p + b->n;
    *o++ = '"';
    if (pn) {
        memcpy(o, pre, pn);
        o += pn;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            *o++ = (char)c;
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        default:
            *o++ = 'u'; *o++ = '0'; *o++ = '0';
            *o++ = "0123456789abcdef"[c >> 4];
            *o++ = "0123456789abcdef"[c & 15];
        }
    }
    if (en) {
        memcpy(o, extra, en);
        o += en;
    }
    *o++ = '"';
    b->n = (size_t)(o - b->p);
    return 0;
}

static int
put_str(buf_t *b, PyObject *s, const char *extra)
{
    return put_str_in(b, s, NULL, extra);
}

/* cleaned: s, or the Converter's clean(s) (new reference) when s is not ASCII. */
static PyObject *
cleaned(J *j, PyObject *s)
{
    if (PyUnicode_Check(s) && PyUnicode_IS_ASCII(s))
        return Py_NewRef(s);
    return PyObject_CallOneArg(j->clean, s);
}

/* float_repr: repr(x) of a finite float, from a small cache: a value
   re-rendered at each step (convert's Live values) repeats most of its
   floats, and their shortest repr is the costliest part of their JSON.
   (The GIL is held: the cache is not shared between threads running.) */
typedef struct {
    uint64_t bits;
    unsigned char len;    /* 0: empty */
    char s[31];
} fcache_t;

static fcache_t fcache[1 << 12];

static const fcache_t *
float_repr(double x)
{
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    fcache_t *c = &fcache[(bits * 0x9E3779B97F4A7C15ull) >> 52];
    if (c->len && c->bits == bits)
        return c;
    char *r = PyOS_double_to_string(x, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
    if (r == NULL)
        return NULL;
    size_t n = strlen(r);
    if (n >= sizeof c->s) {     /* (a repr is at most 24 characters) */
        PyMem_Free(r);
        PyErr_SetString(PyExc_ValueError, "a float's repr is longer than expected");
        return NULL;
    }
    memcpy(c->s, r, n);
    c->len = (unsigned char)n;
    c->bits = bits;
    PyMem_Free(r);
    return c;
}

static Py_ssize_t
push(J *j, int st)
{
    if (j->ne == j->ecap) {
        size_t cap = j->ecap ? j->ecap * 2 : 64;
        ent_t *e = PyMem_Realloc(j->e, cap * sizeof *e);
        if (e == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        j->e = e;
        j->ecap = cap;
    }
    ent_t *e = &j->e[j->ne];
    e->st = st;
    e->spill = 0;
    e->h = 1;
    e->tid = 0;
    e->a = e->b = j->out.n;
    return (Py_ssize_t)j->ne++;
}

/* A TypeId found in Converter._node_types (nt) for (tk, our), by the
   objects' addresses: a key once in nt keeps its TypeId, and the entry
   holds nt and our so that no other object takes their addresses. */
typedef struct {
    PyObject *nt, *tk, *our;
    long tid;
} tidc_t;

static tidc_t tidc[256];

/* node_tid: the TypeId of our type `our` of TypeKind tk (Converter.node_type, cached). */
static long
node_tid(J *j, PyObject *tk, PyObject *our)
{
    tidc_t *c = &tidc[(((uintptr_t)our >> 4) ^ ((uintptr_t)tk >> 4) * 31) & 255];
    if (c->our == our && c->tk == tk && c->nt == j->nt)
        return c->tid;
    PyObject *key = PyTuple_Pack(2, tk, our);
    if (key == NULL)
        return -1;
    PyObject *t = PyDict_GetItemWithError(j->nt, key);
    Py_DECREF(key);
    if (t != NULL) {
        long v = PyLong_AsLong(t);
        if (v == -1 && PyErr_Occurred())
            return -1;
        Py_XSETREF(c->nt, Py_NewRef(j->nt));
        Py_XSETREF(c->our, Py_NewRef(our));
        c->tk = tk;     /* (one of this file's TK_ constants, held for the module's life) */
        c->tid = v;
        return v;
    }
    if (PyErr_Occurred())
        return -1;
    t = PyObject_CallFunctionObjArgs(j->node_type, tk, our, NULL);
    if (t == NULL)
        return -1;
    long v = PyLong_AsLong(t);
    Py_DECREF(t);
    return v;
}

/* set_from: entry me is r, a (text, type id, height) tuple the Converter made. */
static int
set_from(J *j, Py_ssize_t me, PyObject *r)
{
    if (!PyTuple_Check(r) || PyTuple_GET_SIZE(r) != 3) {
        PyErr_SetString(PyExc_TypeError, "a value's JSON is not (text, type id, height)");
        return -1;
    }
    Py_ssize_t n;
    const char *p = PyUnicode_AsUTF8AndSize(PyTuple_GET_ITEM(r, 0), &n);
    if (p == NULL)
        return -1;
    long tid = PyLong_AsLong(PyTuple_GET_ITEM(r, 1));
    long h = PyLong_AsLong(PyTuple_GET_ITEM(r, 2));
    if (PyErr_Occurred())
        return -1;
    size_t a = j->out.n;
    if (put(&j->out, p, (size_t)n) < 0)
        return -1;
    ent_t *e = &j->e[me];
    e->st = E_DONE;
    e->spill = 0;
    e->a = a;
    e->b = j->out.n;
    e->tid = tid;
    e->h = (int)h;
    return 0;
}

static void
done(J *j, Py_ssize_t me, size_t a, long tid, int h)
{
    ent_t *e = &j->e[me];
    e->st = E_DONE;
    e->spill = 0;
    e->a = a;
    e->b = j->out.n;
    e->tid = tid;
    e->h = h;
}

/* raw_text: entry me (its text from out offset a) is a Raw of text s (a
   new reference, taken; NULL: an error is set) and TypeId tid. */
static int
raw_text(J *j, Py_ssize_t me, size_t a, PyObject *s, long tid)
{
    if (s == NULL)
        return -1;
    buf_t *o = &j->out;
    int rc = PUTS(o, "{\"kind\":\"Raw\",\"r\":") < 0 || put_str(o, s, NULL) < 0 || PUTS(o, ",") < 0
             || put_tid(o, tid) < 0;
    Py_DECREF(s);
    if (rc)
        return -1;
    done(j, me, a, tid, 1);
    return 0;
}

/* skip: container v's items are not written: v and every node below it
   are marked too deep, then v's entry is r (Converter's skip()). */
static Py_ssize_t
skip(J *j, PyObject *v, PyObject *r)
{
    Py_ssize_t me = (Py_ssize_t)j->ne;
    PyObject *stack = PyList_New(0);
    if (stack == NULL || PyList_Append(stack, v) < 0)
        goto fail;
    while (PyList_GET_SIZE(stack)) {
        Py_ssize_t n = PyList_GET_SIZE(stack);
        PyObject *x = Py_NewRef(PyList_GET_ITEM(stack, n - 1));
        if (PyList_SetSlice(stack, n - 1, n, NULL) < 0 || push(j, E_DEEP) < 0) {
            Py_DECREF(x);
            goto fail;
        }
        PyObject *d = ctq_value_get(x, CTQ_V_DATA);
        Py_DECREF(x);
        if (d == NULL)
            goto fail;
        if (PyList_CheckExact(d)
                && PyList_SetSlice(stack, PyList_GET_SIZE(stack), PyList_GET_SIZE(stack), d) < 0) {
            Py_DECREF(d);
            goto fail;
        }
        Py_DECREF(d);
    }
    Py_DECREF(stack);
    if (set_from(j, me, r) < 0)
        return -1;
    return me;
fail:
    Py_XDECREF(stack);
    return -1;
}

static Py_ssize_t conv(J *j, PyObject *v, int level);

/* to_side: the text written since out offset p0 (by entries e0 on) moves to
   the side buffer: it is not part of the output, but Refs may repeat it. */
static int
to_side(J *j, size_t p0, size_t e0)
{
    size_t s0 = j->side.n;
    if (put(&j->side, j->out.p + p0, j->out.n - p0) < 0)
        return -1;
    for (size_t i = e0; i < j->ne; i++) {
        ent_t *e = &j->e[i];
        if (e->st == E_DONE && !e->spill) {
            e->a = e->a - p0 + s0;
            e->b = e->b - p0 + s0;
            e->spill = 1;
        }
    }
    j->out.n = p0;
    return 0;
}

/* a kind's layout found before, by the kind's object (kept alive here so
   that no other object takes its address): the readers' kinds are a few
   interned names */
static struct {
    PyObject *kind;
    const lay_t *lay;
} lay_memo[64];

static int
lay_of(PyObject *kind, const lay_t **lay)
{
    size_t h = ((uintptr_t)kind >> 4) & 63;
    if (lay_memo[h].kind == kind) {
        *lay = lay_memo[h].lay;
        return 0;
    }
    PyObject *i = PyDict_GetItemWithError(kind_index, kind);
    if (i == NULL) {
        if (!PyErr_Occurred())
            PyErr_SetObject(PyExc_KeyError, kind);
        return -1;
    }
    *lay = &lays[PyLong_AsSsize_t(i)];
    Py_XSETREF(lay_memo[h].kind, Py_NewRef(kind));
    lay_memo[h].lay = *lay;
    return 0;
}

/* structs_tid: the TypeId of a Struct of type `our` with fields `names`
   (a list of str) of TypeIds `ftypes` (a list of int): Converter._structs
   by (our, names, ftypes) as tuples, else Converter.struct_type (kept
   there). -1 with an error set. */
static long
structs_tid(J *j, PyObject *our, PyObject *names, PyObject *ftypes)
{
    long tid = -1;
    PyObject *nt = PyList_AsTuple(names), *ft = PyList_AsTuple(ftypes), *key = NULL, *t;
    if (nt == NULL || ft == NULL || (key = PyTuple_Pack(3, our, nt, ft)) == NULL)
        goto out;
    if ((t = PyDict_GetItemWithError(j->structs, key)) != NULL)
        Py_INCREF(t);
    else if (PyErr_Occurred())
        goto out;
    else if ((t = PyObject_CallFunctionObjArgs(j->struct_type, our, names, ftypes, NULL)) == NULL)
        goto out;
    else if (PyDict_SetItem(j->structs, key, t) < 0) {
        Py_DECREF(t);
        goto out;
    }
    tid = PyLong_AsLong(t);
    Py_DECREF(t);
out:
    Py_XDECREF(nt);
    Py_XDECREF(ft);
    Py_XDECREF(key);
    return tid;
}

/* field_value: convert a Struct's field value c (its type id appended to
   ftypes, *h raised to its height); -1 with an error set. */
static int
field_value(J *j, PyObject *c, int level, PyObject *ftypes, int *h)
{
    Py_ssize_t ct = conv(j, c, level + 2);
    if (ct < 0)
        return -1;
    PyObject *t = PyLong_FromLong(j->e[ct].tid);
    if (t == NULL || PyList_Append(ftypes, t) < 0) {
        Py_XDECREF(t);
        return -1;
    }
    Py_DECREF(t);
    if (j->e[ct].h > *h)
        *h = j->e[ct].h;
    return 0;
}

/* conv_node: the body of conv() for a node whose entry is me. */
static int
conv_node(J *j, PyObject *v, int level, Py_ssize_t me, const lay_t *lay, PyObject *kind, PyObject *our,
          long flags, PyObject *d)
{
    buf_t *o = &j->out;
    size_t a = o->n;
    long tid;
    int container = lay->form >= F_ITEMS;

    if (flags & FL_REDACTED) {
        if (container) {     /* a redacted container: its items are not written */
            j->ne--;
            return skip(j, v, j->redacted) < 0 ? -1 : 0;
        }
        return set_from(j, me, j->redacted);
    }
    switch (lay->form) {
    case F_INT: {
        if (!PyLong_Check(d))
            break;
        if ((tid = node_tid(j, TK_INT, our)) == -1 && PyErr_Occurred())
            return -1;
        int over;
        long long x = PyLong_AsLongLongAndOverflow(d, &over);
        if (x == -1 && PyErr_Occurred())
            return -1;
        if (PUTS(o, "{\"kind\":\"Int\",\"i\":") < 0)
            return -1;
        if (over) {
            PyObject *s = PyObject_Str(d);
            Py_ssize_t n;
            const char *p = s ? PyUnicode_AsUTF8AndSize(s, &n) : NULL;
            int rc = p == NULL ? -1 : put(o, p, (size_t)n);
            Py_XDECREF(s);
            if (rc < 0)
                return -1;
        }
        else if (put_long(o, x) < 0)
            return -1;
        if (PUTS(o, ",") < 0 || put_tid(o, tid) < 0)
            return -1;
        done(j, me, a, tid, 1);
        return 0;
    }
    case F_TEXT: {
        if (!lay->utf8 || !PyUnicode_Check(d))
            break;
        PyObject *t = cleaned(j, d);
        if (t == NULL)
            return -1;
        if ((tid = node_tid(j, TK_STRING, our)) == -1 && PyErr_Occurred()) {
            Py_DECREF(t);
            return -1;
        }
        int rc = PUTS(o, "{\"kind\":\"String\",\"text\":") < 0
                 || put_str(o, t, flags & FL_TRUNCATED ? "\xe2\x80\xa6" : NULL) < 0
                 || PUTS(o, ",") < 0 || put_tid(o, tid) < 0;
        Py_DECREF(t);
        if (rc)
            return -1;
        done(j, me, a, tid, 1);
        return 0;
    }
    case F_FLOAT: {
        if (!PyFloat_CheckExact(d))
            break;
        if ((tid = node_tid(j, TK_FLOAT, our)) == -1 && PyErr_Occurred())
            return -1;
        double x = PyFloat_AS_DOUBLE(d);
        const char *special = isnan(x) ? "nan" : isinf(x) ? (x > 0 ? "inf" : "-inf") : NULL;
        int rc;
        if (special != NULL)
            rc = (j->float_numbers ? PUTS(o, "{\"kind\":\"Raw\",\"r\":\"") : PUTS(o, "{\"kind\":\"Float\",\"f\":\"")) < 0
                 || put(o, special, strlen(special)) < 0 || PUTS(o, "\",") < 0;
        else {
            const fcache_t *r = float_repr(x);
            if (r == NULL)
                return -1;
            rc = (j->float_numbers ? PUTS(o, "{\"kind\":\"Float\",\"f\":") : PUTS(o, "{\"kind\":\"Float\",\"f\":\"")) < 0
                 || put(o, r->s, r->len) < 0 || (j->float_numbers ? PUTS(o, ",") : PUTS(o, "\",")) < 0;
        }
        if (rc || put_tid(o, tid) < 0)
            return -1;
        done(j, me, a, tid, 1);
        return 0;
    }
    case F_BOOL: {
        if ((tid = node_tid(j, TK_BOOL, our)) == -1 && PyErr_Occurred())
            return -1;
        int b = PyObject_IsTrue(d);
        if (b < 0 || (b ? PUTS(o, "{\"kind\":\"Bool\",\"b\":true,") : PUTS(o, "{\"kind\":\"Bool\",\"b\":false,")) < 0
                || put_tid(o, tid) < 0)
            return -1;
        done(j, me, a, tid, 1);
        return 0;
    }
    case F_NONE:
        if (lay->none) {
            if (PUTS(o, "{\"kind\":\"None\",\"type_id\":0}") < 0)
                return -1;
            done(j, me, a, 0, 1);
            return 0;
        }
        if (lay->error) {
            PyObject *r = PyDict_GetItemWithError(j->markers, kind);
            if (r == NULL) {
                if (!PyErr_Occurred())
                    PyErr_SetObject(PyExc_KeyError, kind);
                return -1;
            }
            return set_from(j, me, r);
        }
        break;
    case F_ITEMS: case F_TUPLE: case F_PAIRS: {
        if (!PyList_CheckExact(d))
            break;
        int tup = lay->form == F_TUPLE && !(flags & FL_TRUNCATED);
        if ((tup ? PUTS(o, "{\"kind\":\"Tuple\",\"elements\":[") : PUTS(o, "{\"kind\":\"Sequence\",\"elements\":[")) < 0)
            return -1;
        int h = 0;
        Py_ssize_t n = PyList_GET_SIZE(d);
        if (lay->form == F_PAIRS) {
            long pt = -1;
            for (Py_ssize_t i = 0; i < n; i += 2) {
                if (i + 1 >= n) {
                    PyErr_SetString(PyExc_IndexError, "list index out of range");
                    return -1;
                }
                if ((i && PUTS(o, ",") < 0) || PUTS(o, "{\"kind\":\"Tuple\",\"elements\":[") < 0)
                    return -1;
                Py_ssize_t kt = conv(j, PyList_GET_ITEM(d, i), level + 4);
                if (kt < 0 || PUTS(&j->out, ",") < 0)
                    return -1;
                Py_ssize_t vt = conv(j, PyList_GET_ITEM(d, i + 1), level + 4);
                if (vt < 0)
                    return -1;
                if (pt < 0) {
                    PyObject *t = PyObject_CallFunctionObjArgs(j->type_id, TK_TUPLE, TUPLE_NAME, NULL);
                    if (t == NULL)
                        return -1;
                    pt = PyLong_AsLong(t);
                    Py_DECREF(t);
                    if (pt == -1 && PyErr_Occurred())
                        return -1;
                }
                if (PUTS(&j->out, "],") < 0 || put_tid(&j->out, pt) < 0)
                    return -1;
                if (j->e[kt].h + 2 > h)
                    h = j->e[kt].h + 2;
                if (j->e[vt].h + 2 > h)
                    h = j->e[vt].h + 2;
            }
        }
        else
            for (Py_ssize_t i = 0; i < n; i++) {
                if (i && PUTS(&j->out, ",") < 0)
                    return -1;
                Py_ssize_t ct = conv(j, PyList_GET_ITEM(d, i), level + 2);
                if (ct < 0)
                    return -1;
                if (j->e[ct].h > h)
                    h = j->e[ct].h;
            }
        o = &j->out;
        if (tup) {
            if ((tid = node_tid(j, TK_TUPLE, our)) == -1 && PyErr_Occurred())
                return -1;
            if (PUTS(o, "],") < 0 || put_tid(o, tid) < 0)
                return -1;
        }
        else {
            if ((tid = node_tid(j, lay->hashset ? TK_HASHSET : TK_SEQ, our)) == -1 && PyErr_Occurred())
                return -1;
            if ((flags & FL_TRUNCATED ? PUTS(o, "],\"is_slice\":true,") : PUTS(o, "],\"is_slice\":false,")) < 0
                    || put_tid(o, tid) < 0)
                return -1;
        }
        done(j, me, a, tid, h + 2);
        return 0;
    }
    case F_ATTRS: case F_FIELDS: {
        if (!PyList_CheckExact(d))
            break;
        int h = 0, rc = -1;
        Py_ssize_t n = PyList_GET_SIZE(d);
        PyObject *names = PyList_New(0), *ftypes = PyList_New(0);
        if (names == NULL || ftypes == NULL || PUTS(o, "{\"kind\":\"Struct\",\"field_values\":[") < 0)
            goto out;
        if (lay->form == F_ATTRS) {
            for (Py_ssize_t i = 0; i < n; i += 2) {
                if (i + 1 >= n) {
                    PyErr_SetString(PyExc_IndexError, "list index out of range");
                    goto out;
                }
                PyObject *name = PyList_GET_ITEM(d, i), *nk = ctq_value_get(name, CTQ_V_KIND), *nm;
                const lay_t *nl;
                if (nk == NULL)
                    goto out;
                int bad = lay_of(nk, &nl);
                Py_DECREF(nk);
                if (bad)
                    goto out;
                if (nl->utf8) {
                    nm = ctq_value_get(name, CTQ_V_DATA);
                    if (nm == NULL || push(j, E_NONE) < 0) {    /* a leaf no Ref can point to */
                        Py_XDECREF(nm);
                        goto out;
                    }
                }
                else {   /* not a str: named by its rendering, as the reader shows it */
                    size_t p0 = j->out.n, e0 = j->ne;
                    if (conv(j, name, level + 2) < 0 || to_side(j, p0, e0) < 0)
                        goto out;
                    nm = PyObject_CallMethodNoArgs(name, S_render);
                    if (nm == NULL)
                        goto out;
                }
                PyObject *c = cleaned(j, nm);
                Py_DECREF(nm);
                if (c == NULL)
                    goto out;
                int e = PyList_Append(names, c);
                Py_DECREF(c);
                if (e < 0 || (i && PUTS(&j->out, ",") < 0))
                    goto out;
                if (field_value(j, PyList_GET_ITEM(d, i + 1), level, ftypes, &h) < 0)
                    goto out;
            }
        }
        else {
            Py_ssize_t nf = lay->fields ? PyTuple_GET_SIZE(lay->fields) : 0;
            for (Py_ssize_t i = 0; i < n && i < nf; i++) {
                PyObject *c = PyList_GET_ITEM(d, i), *f = PyTuple_GET_ITEM(lay->fields, i);
                if (i && PUTS(&j->out, ",") < 0)
                    goto out;
                if (field_value(j, c, level, ftypes, &h) < 0)
                    goto out;
                PyObject *ck = ctq_value_get(c, CTQ_V_KIND);
                const lay_t *cl;
                if (ck == NULL)
                    goto out;
                int bad = lay_of(ck, &cl);
                Py_DECREF(ck);
                if (bad || PyList_Append(names, PyTuple_GET_ITEM(f, cl->utf8 ? 1 : 0)) < 0)
                    goto out;
            }
        }
        if (((tid = structs_tid(j, our, names, ftypes)) == -1 && PyErr_Occurred()) || PUTS(&j->out, "],") < 0
                || put_tid(&j->out, tid) < 0)
            goto out;
        done(j, me, a, tid, h + 2);
        rc = 0;
    out:
        Py_XDECREF(names);
        Py_XDECREF(ftypes);
        return rc;
    }
    case F_REF: {
        if (!PyLong_CheckExact(d))
            break;
        Py_ssize_t at = PyLong_AsSsize_t(d);
        if (at == -1 && PyErr_Occurred())
            return -1;
        const ent_t *t = NULL;
        if (at < 0) {    /* as Python indexes a list from its end */
            if ((size_t)-at > j->ne) {
                PyErr_SetString(PyExc_IndexError, "list index out of range");
                return -1;
            }
            at += (Py_ssize_t)j->ne;
        }
        if (at < j->minref)
            j->minref = at;
        if ((size_t)at < j->ne && j->e[at].st != E_NONE)
            t = &j->e[at];
        if (t != NULL && (t->st == E_DEEP || level + t->h - 1 > MAX_NESTING)) {
            PyObject *r = PyObject_CallFunction(j->too_deep, "OOi", kind, our, 0);
            if (r == NULL)
                return -1;
            int rc = set_from(j, me, r);
            Py_DECREF(r);
            return rc;
        }
        if (t != NULL) {
            size_t ta = t->a, tn = t->b - t->a;
            int side = t->spill;
            long ttid = t->tid;
            int th = t->h;
            if (reserve(o, tn) < 0)
                return -1;
            memcpy(o->p + o->n, (side ? j->side.p : o->p) + ta, tn);
            o->n += tn;
            done(j, me, a, ttid, th);
            return 0;
        }
        if ((tid = node_tid(j, TK_RECURSION, our)) == -1 && PyErr_Occurred())
            return -1;
        PyObject *c = cleaned(j, our), *s = c ? PyUnicode_FromFormat("<cycle: %U>", c) : NULL;
        Py_XDECREF(c);
        return raw_text(j, me, a, s, tid);
    }
    case F_ELIDED: {     /* a container beyond the depth limit: <type with N items, not expanded> */
        if (TK_NONEXPANDED == NULL || !PyUnicode_Check(our))
            break;
        PyObject *len = ctq_value_get(v, CTQ_V_LENGTH);
        if (len == NULL)
            return -1;
        long long n = 0;
        if (len != Py_None) {
            n = PyLong_AsLongLong(len);
            if (n == -1 && PyErr_Occurred()) {
                Py_DECREF(len);
                return -1;
            }
        }
        Py_DECREF(len);
        if ((tid = node_tid(j, TK_NONEXPANDED, our)) == -1 && PyErr_Occurred())
            return -1;
        PyObject *c = cleaned(j, our);
        PyObject *s = c == NULL ? NULL : n ? PyUnicode_FromFormat("<%U with %lld items, not expanded>", c, n)
                                           : PyUnicode_FromFormat("<%U, not expanded>", c);
        Py_XDECREF(c);
        return raw_text(j, me, a, s, tid);
    }
    default:
        break;
    }
    /* the rarer leaves: the Converter's _leaf_json */
    PyObject *r = PyObject_CallOneArg(j->leaf, v);
    if (r == NULL)
        return -1;
    int rc = set_from(j, me, r);
    Py_DECREF(r);
    return rc;
}

/* conv: convert Value v, whose JSON object opens nesting level `level`;
   returns its entry's index, -1 with an error set. */
static Py_ssize_t
conv(J *j, PyObject *v, int level)
{
    PyObject *kind = ctq_value_get(v, CTQ_V_KIND), *our = NULL, *fl = NULL, *d = NULL;
    Py_ssize_t me = -1;
    const lay_t *lay;
    if (kind == NULL || lay_of(kind, &lay) < 0 || (our = ctq_value_get(v, CTQ_V_TYPE)) == NULL
            || (fl = ctq_value_get(v, CTQ_V_FLAGS)) == NULL || (d = ctq_value_get(v, CTQ_V_DATA)) == NULL)
        goto out;
    long flags = PyLong_AsLong(fl);
    if (flags == -1 && PyErr_Occurred())
        goto out;
    if (lay->form >= F_ITEMS && !(flags & FL_REDACTED)
            && level + (lay->form == F_PAIRS ? 4 : 2) > MAX_NESTING) {
        Py_ssize_t n = PyObject_Length(d);
        if (n < 0)
            goto out;
        PyObject *r = PyObject_CallFunction(j->too_deep, "OOn", kind, our,
                                            lay->form == F_PAIRS || lay->form == F_ATTRS ? n / 2 : n);
        if (r == NULL)
            goto out;
        me = skip(j, v, r);
        Py_DECREF(r);
        goto out;
    }
    me = push(j, E_NONE);
    if (me >= 0 && conv_node(j, v, level, me, lay, kind, our, flags, d) < 0)
        me = -1;            /* (a redacted container: skip() put it back at index me) */
out:
    Py_XDECREF(kind);
    Py_XDECREF(our);
    Py_XDECREF(fl);
    Py_XDECREF(d);
    return me;
}

/* j_of: j set up (empty) with the context (Converter._tree_json's: read as
   is, it comes with every value); -1 with an error set. */
static int
j_of(J *j, PyObject *ctx)
{
    memset(j, 0, sizeof *j);
    PyObject **c = &PyTuple_GET_ITEM(ctx, 0);
    if (PyTuple_GET_SIZE(ctx) != 11 || !PyDict_Check(c[0]) || !PyDict_Check(c[3]) || !PyDict_Check(c[5])) {
        PyErr_SetString(PyExc_TypeError, "value_json: a context that is not Converter._tree_json's");
        return -1;
    }
    j->nt = c[0], j->node_type = c[1], j->type_id = c[2], j->structs = c[3], j->struct_type = c[4];
    j->markers = c[5], j->redacted = c[6], j->leaf = c[7], j->too_deep = c[8], j->clean = c[9];
    j->float_numbers = c[10] == Py_True;
    j->minref = PY_SSIZE_T_MAX;
    return 0;
}

static PyObject *
value_json(PyObject *self, PyObject *args)
{
    PyObject *value, *ctx;
    J j;
    if (lays == NULL || TK_INT == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "value_json_setup() was not called with convert's constants");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "OO!:value_json", &value, &PyTuple_Type, &ctx) || j_of(&j, ctx) < 0)
        return NULL;
    PyObject *res = NULL;
    Py_ssize_t root = conv(&j, value, 1);
    if (root >= 0) {
        const ent_t *e = &j.e[root];
        res = PyUnicode_DecodeUTF8((e->spill ? j.side.p : j.out.p) + e->a, (Py_ssize_t)(e->b - e->a), "strict");
    }
    PyMem_Free(j.out.p);
    PyMem_Free(j.side.p);
    PyMem_Free(j.e);
    return res;
}

static int
form_of(const char *s)
{
    static const struct { const char *name; int form; } forms[] = {
        {"none", F_NONE}, {"bool", F_BOOL}, {"int", F_INT}, {"float", F_FLOAT}, {"text", F_TEXT},
        {"ref", F_REF}, {"elided", F_ELIDED}, {"items", F_ITEMS}, {"tuple", F_TUPLE}, {"pairs", F_PAIRS}, {"attrs", F_ATTRS},
        {"fields", F_FIELDS},
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++)
        if (!strcmp(s, forms[i].name))
            return forms[i].form;
    return F_OTHER;   /* complex, or a layout this file does not know: the Converter's */
}

static int
str_is(PyObject *o, const char *s)
{
    return o != NULL && PyUnicode_Check(o) && PyUnicode_CompareWithASCIIString(o, s) == 0;
}

static int
set_consts(PyObject *consts)
{
    int max;
    if (!PyTuple_Check(consts) || !PyArg_ParseTuple(consts, "lliOOOOOOOO|O:value_json_setup constants", &FL_REDACTED,
                          &FL_TRUNCATED, &max, &TK_INT, &TK_STRING, &TK_FLOAT, &TK_BOOL, &TK_TUPLE, &TK_SEQ,
                          &TK_HASHSET, &TK_RECURSION, &TK_NONEXPANDED)) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "value_json_setup: constants not a tuple");
        return -1;
    }
    MAX_NESTING = max;
    PyObject *tks[] = {TK_INT, TK_STRING, TK_FLOAT, TK_BOOL, TK_TUPLE, TK_SEQ, TK_HASHSET, TK_RECURSION};
    for (size_t i = 0; i < sizeof tks / sizeof tks[0]; i++)
        Py_INCREF(tks[i]);      /* kept for the module's life */
    Py_XINCREF(TK_NONEXPANDED);
    return 0;
}

static PyObject *
value_json_setup(PyObject *self, PyObject *args)
{
    PyObject *layouts, *consts;
    if (!PyArg_ParseTuple(args, "O!O:value_json_setup", &PyDict_Type, &layouts, &consts))
        return NULL;
    if (consts != Py_None && set_consts(consts) < 0)
        return NULL;
    if (lays != NULL)       /* the spec's layouts: once (the reader's and convert's are the same) */
        Py_RETURN_NONE;
    if (S_kind == NULL && ((S_kind = PyUnicode_InternFromString("kind")) == NULL
            || (S_type = PyUnicode_InternFromString("type")) == NULL
            || (S_data = PyUnicode_InternFromString("data")) == NULL
            || (S_flags = PyUnicode_InternFromString("flags")) == NULL
            || (S_render = PyUnicode_InternFromString("render")) == NULL
            || (S_length == NULL && (S_length = PyUnicode_InternFromString("length")) == NULL)
            || (TUPLE_NAME = PyUnicode_InternFromString("tuple")) == NULL))
        return NULL;
    nlays = PyDict_GET_SIZE(layouts);
    lays = PyMem_Calloc((size_t)nlays + 1, sizeof *lays);
    kind_index = PyDict_New();
    if (lays == NULL || kind_index == NULL)
        return PyErr_NoMemory();
    PyObject *k, *row;
    Py_ssize_t pos = 0, i = 0;
    while (PyDict_Next(layouts, &pos, &k, &row)) {
        PyObject *form, *enc, *ct, *fields;
        if (!PyArg_ParseTuple(row, "UOOO:value_json_setup layout", &form, &enc, &ct, &fields))
            return NULL;
        lay_t *l = &lays[i];
        l->form = form_of(PyUnicode_AsUTF8(form));
        l->utf8 = str_is(enc, "utf8");
        l->none = str_is(ct, "None");
        l->error = str_is(ct, "Error");
        l->hashset = str_is(ct, "HashSet");
        if (l->form == F_FIELDS) {
            if (!PyTuple_Check(fields)) {
                PyErr_SetString(PyExc_TypeError, "a fields layout's fields are not a tuple");
                return NULL;
            }
            else {
                for (Py_ssize_t f = 0; f < PyTuple_GET_SIZE(fields); f++) {
                    PyObject *x = PyTuple_GET_ITEM(fields, f);
                    if (!PyTuple_Check(x) || PyTuple_GET_SIZE(x) != 2) {
                        PyErr_SetString(PyExc_TypeError, "a fields layout's field is not (name, text name)");
                        return NULL;
                    }
                }
                l->fields = Py_NewRef(fields);
            }
        }
        PyObject *ix = PyLong_FromSsize_t(i);
        if (ix == NULL || PyDict_SetItem(kind_index, k, ix) < 0) {
            Py_XDECREF(ix);
            return NULL;
        }
        Py_DECREF(ix);
        i++;
    }
    Py_RETURN_NONE;
}

/* ---- reader.Objects.render in C ---- */

static PyObject *ValueClass, *TraceErrorClass, *S_Object, *S_Ref, *S_Elided;
static Py_ssize_t SEEN_MAX, RENDER_SLACK;

typedef struct {
    PyObject *node, *kids, *data, *full;   /* strong references (node, full: NULL at the root) */
    Py_ssize_t pos;
    long depth;
    int room;
} frame_t;

static void
frame_clear(frame_t *f)
{
    Py_CLEAR(f->node);
    Py_CLEAR(f->kids);
    Py_CLEAR(f->data);
    Py_CLEAR(f->full);
}

#define make_value ctq_value_new

static int
is_kind(PyObject *k, PyObject *name)
{
    return k == name || (PyUnicode_Check(k) && PyUnicode_Compare(k, name) == 0);
}

/* render_objects(tree, table, max_depth, max_nodes) -> (Value, set of object ids read):
   reader.Objects.render (its docstring says what), by the same rules in the same order. */
static PyObject *
render_objects(PyObject *self, PyObject *args)
{
    PyObject *tree, *table, *max_depth_o, *max_nodes_o;
    if (ValueClass == NULL || lays == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "render_setup() and value_json_setup() were not called");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "OO!OO:render_objects", &tree, &PyDict_Type, &table, &max_depth_o, &max_nodes_o))
        return NULL;
    long max_depth = PyLong_AsLong(max_depth_o);
    Py_ssize_t max_nodes = PyLong_AsSsize_t(max_nodes_o);
    if (PyErr_Occurred())
        return NULL;
    Py_ssize_t most = 4 * max_nodes + RENDER_SLACK, count = 0;
    PyObject *seen = PyDict_New(), *touched = PySet_New(NULL), *out = PyList_New(0), *res = NULL;
    frame_t *stack = NULL, f = {NULL, NULL, NULL, NULL, 0, 0, 2};
    size_t ns = 0, cap = 0;
    if (seen == NULL || touched == NULL || out == NULL || (f.kids = PyTuple_Pack(1, tree)) == NULL)
        goto done;
    f.data = Py_NewRef(out);
    for (;;) {
        Py_ssize_t nk = PyList_Check(f.kids) ? PyList_GET_SIZE(f.kids) : PyTuple_GET_SIZE(f.kids);
        if (f.pos < nk && (f.room == 2 || count < max_nodes || (f.room == 1 && f.pos % 2))) {
            PyObject *item = PyList_Check(f.kids) ? PyList_GET_ITEM(f.kids, f.pos) : PyTuple_GET_ITEM(f.kids, f.pos);
            f.pos++;
            PyObject *k = ctq_value_get(item, CTQ_V_KIND), *v = NULL, *idata = NULL;
            frame_t sub = {NULL, NULL, NULL, NULL, 0, 0, 0};
            int has_sub = 0;
            if (k == NULL)
                goto done;
            if (is_kind(k, S_Object)) {
                PyObject *oid = ctq_value_get(item, CTQ_V_DATA), *obj;
                if (oid == NULL) {
                    Py_DECREF(k);
                    goto done;
                }
                obj = PyDict_GetItemWithError(table, oid);
                if (obj == NULL || !PyList_Check(obj) || PyList_GET_SIZE(obj) != 5) {
                    if (!PyErr_Occurred())
                        PyErr_Format(TraceErrorClass, "a value refers to object %S, which no Obj record gave", oid);
                    Py_DECREF(oid);
                    Py_DECREF(k);
                    goto done;
                }
                PyObject *okind = PyList_GET_ITEM(obj, 0), *otype = PyList_GET_ITEM(obj, 1),
                         *oflags = PyList_GET_ITEM(obj, 2), *olen = PyList_GET_ITEM(obj, 3),
                         *okids = PyList_GET_ITEM(obj, 4), *at;
                const lay_t *lay;
                if (PySet_Add(touched, oid) < 0 || lay_of(okind, &lay) < 0) {
                    Py_DECREF(oid);
                    Py_DECREF(k);
                    goto done;
                }
                int pairs = lay->form == F_PAIRS || lay->form == F_ATTRS;
                if (lay->form == F_FIELDS) {        /* an exception */
                    PyObject *kids = PyList_New(0);
                    v = kids ? make_value(okind, otype, kids, olen, oflags) : NULL;
                    Py_XDECREF(kids);
                    sub.kids = Py_NewRef(okids), sub.depth = f.depth + 1, sub.room = 2;
                    has_sub = 1;
                }
                else if ((at = PyDict_GetItemWithError(seen, oid)) != NULL) {
                    PyObject *zero = PyLong_FromLong(0);
                    v = zero ? make_value(S_Ref, otype, at, Py_None, zero) : NULL;
                    Py_XDECREF(zero);
                }
                else if (PyErr_Occurred())
                    v = NULL;
                else if (f.depth >= max_depth)
                    v = make_value(S_Elided, otype, Py_None, olen, oflags);
                else {
                    PyObject *kids = PyList_New(0);
                    v = kids ? make_value(okind, otype, kids, olen, oflags) : NULL;
                    Py_XDECREF(kids);
                    if (v != NULL && PyDict_GET_SIZE(seen) < SEEN_MAX) {
                        PyObject *c = PyLong_FromSsize_t(count);
                        if (c == NULL || PyDict_SetItem(seen, oid, c) < 0)
                            Py_CLEAR(v);
                        Py_XDECREF(c);
                    }
                    sub.kids = Py_NewRef(okids), sub.depth = f.depth + 1, sub.room = pairs ? 1 : 0;
                    if (pairs) {
                        PyObject *two = PyLong_FromLong(2);
                        sub.full = two ? PyNumber_Multiply(two, olen) : NULL;
                        Py_XDECREF(two);
                        if (sub.full == NULL)
                            Py_CLEAR(v);
                    }
                    else
                        sub.full = Py_NewRef(olen);
                    has_sub = 1;
                }
                Py_DECREF(oid);
            }
            else if ((idata = ctq_value_get(item, CTQ_V_DATA)) == NULL)
                ;
            else if (PyList_CheckExact(idata)) {   /* an inline Range or Slice: its children at its level */
                PyObject *t = ctq_value_get(item, CTQ_V_TYPE), *len = ctq_value_get(item, CTQ_V_LENGTH),
                         *fl = ctq_value_get(item, CTQ_V_FLAGS), *kids = PyList_New(0);
                if (t && len && fl && kids)
                    v = make_value(k, t, kids, len, fl);
                Py_XDECREF(t);
                Py_XDECREF(len);
                Py_XDECREF(fl);
                Py_XDECREF(kids);
                sub.kids = Py_NewRef(idata), sub.depth = f.depth, sub.room = 2;
                has_sub = 1;
            }
            else
                v = Py_NewRef(item);
            Py_DECREF(k);
            Py_XDECREF(idata);
            if (v == NULL) {
                Py_XDECREF(sub.kids);
                Py_XDECREF(sub.full);
                goto done;
            }
            count++;
            if (count > most) {
                PyErr_Format(TraceErrorClass, "a value rendered from objects has more than %zd nodes (limit %zd): "
                             "damaged objects", most, max_nodes);
                Py_DECREF(v);
                Py_XDECREF(sub.kids);
                Py_XDECREF(sub.full);
                goto done;
            }
            if (PyList_Append(f.data, v) < 0) {
                Py_DECREF(v);
                Py_XDECREF(sub.kids);
                Py_XDECREF(sub.full);
                goto done;
            }
            if (!has_sub) {
                Py_DECREF(v);
                continue;
            }
            if (!PyList_Check(sub.kids) && !PyTuple_Check(sub.kids)) {
                PyErr_SetString(TraceErrorClass, "a value rendered from objects has children that are no list");
                Py_DECREF(v);
                Py_XDECREF(sub.kids);
                Py_XDECREF(sub.full);
                goto done;
            }
            if (ns == cap) {
                size_t nc = cap ? cap * 2 : 16;
                frame_t *st = PyMem_Realloc(stack, nc * sizeof *st);
                if (st == NULL) {
                    PyErr_NoMemory();
                    Py_DECREF(v);
                    Py_XDECREF(sub.kids);
                    Py_XDECREF(sub.full);
                    goto done;
                }
                stack = st;
                cap = nc;
            }
            stack[ns++] = f;
            sub.node = v;    /* the reference */
            sub.data = ctq_value_get(v, CTQ_V_DATA);
            sub.pos = 0;
            f = sub;
            if (f.data == NULL)
                goto done;
            continue;
        }
        if (f.node == NULL) {
            res = Py_BuildValue("(OO)", PyList_GET_ITEM(out, 0), touched);
            goto done;
        }
        if (f.room != 2) {
            PyObject *n = PyLong_FromSsize_t(PyList_GET_SIZE(f.data));
            int lt = n ? PyObject_RichCompareBool(n, f.full, Py_LT) : -1;
            Py_XDECREF(n);
            if (lt < 0)
                goto done;
            if (lt) {
                PyObject *fl = ctq_value_get(f.node, CTQ_V_FLAGS), *tr = PyLong_FromLong(FL_TRUNCATED), *nf = NULL;
                if (fl && tr)
                    nf = PyNumber_Or(fl, tr);
                Py_XDECREF(fl);
                Py_XDECREF(tr);
                if (nf == NULL || PyObject_SetAttr(f.node, S_flags, nf) < 0) {
                    Py_XDECREF(nf);
                    goto done;
                }
                Py_DECREF(nf);
            }
        }
        frame_clear(&f);
        f = stack[--ns];
    }
done:
    frame_clear(&f);
    while (ns)
        frame_clear(&stack[--ns]);
    PyMem_Free(stack);
    Py_XDECREF(seen);
    Py_XDECREF(touched);
    Py_XDECREF(out);
    return res;
}

/* render_setup(Value, TraceError, object kind, ref kind, elided kind, SEEN_MAX, RENDER_SLACK, the Truncated flag) */
static PyObject *
render_setup(PyObject *self, PyObject *args)
{
    PyObject *value, *err, *o, *r, *e;
    if (!PyArg_ParseTuple(args, "OOUUUnnl:render_setup", &value, &err, &o, &r, &e, &SEEN_MAX, &RENDER_SLACK,
                          &FL_TRUNCATED))   /* (the reader may render before convert's value_json_setup) */
        return NULL;
    if (S_length == NULL && (S_length = PyUnicode_InternFromString("length")) == NULL)
        return NULL;
    if (ctq_value_class(value) < 0)
        return NULL;
    Py_XSETREF(ValueClass, Py_NewRef(value));
    Py_XSETREF(TraceErrorClass, Py_NewRef(err));
    Py_XSETREF(S_Object, Py_NewRef(o));
    Py_XSETREF(S_Ref, Py_NewRef(r));
    Py_XSETREF(S_Elided, Py_NewRef(e));
    Py_RETURN_NONE;
}

/* objects_stale(changed, touched, clock) -> bool: reader.Objects.stale (whether an object
   of `touched` changed since `clock`: changed maps an object id to its last change). */
static PyObject *
objects_stale(PyObject *self, PyObject *args)
{
    PyObject *changed, *touched, *clock_o, *it, *oid;
    if (!PyArg_ParseTuple(args, "O!OO:objects_stale", &PyDict_Type, &changed, &touched, &clock_o))
        return NULL;
    long long clock = PyLong_AsLongLong(clock_o);
    if ((clock == -1 && PyErr_Occurred()) || (it = PyObject_GetIter(touched)) == NULL)
        return NULL;
    int stale = 0;
    while (!stale && (oid = PyIter_Next(it)) != NULL) {
        PyObject *c = PyDict_GetItemWithError(changed, oid);
        Py_DECREF(oid);
        if (c == NULL && PyErr_Occurred())
            break;
        if (c != NULL) {
            long long at = PyLong_AsLongLong(c);
            if (at == -1 && PyErr_Occurred())
                break;
            stale = at > clock;
        }
    }
    Py_DECREF(it);
    if (PyErr_Occurred())
        return NULL;
    return PyBool_FromLong(stale);
}

/* ---- objects_json: Objects.render and value_json fused, with each object's JSON kept ---- */

/* A tree that refers to objects (a Live's) is rendered from the object table
   straight into JSON, by Objects.render's rules in its order and with
   value_json's text, node entries and type callbacks (the same Type events
   in the same order), without making the rendered Values. What it does not
   do itself (an exception, an inline container, a redacted container, a
   Tuple cut by the node budget, a node nested too deep, a missing object,
   more nodes than a tree may have, a stored Ref) it leaves: it returns None
   and the caller renders the tree the other way, which makes the same
   callbacks in the same order up to that point and the rest after it.

   Each object's JSON rendered here is kept in an ObjectsJsonCache (per
   Converter: its type ids) by (object id, depth, nesting level, whether
   the tree's seen set was full): its text, its nodes' entries, the objects
   it read with the clock, and the objects it registered in the seen set.
   It is copied where that object is met again at the same depth when no
   object it read changed since, it reads no object the tree met before
   (none of its nodes would be a Ref to outside it), its nodes fit in the
   node budget, and its registrations in the seen set are what they were
   (all made, or none because it was full). It is kept only when it was
   made so: no Ref out of it, no budget cut in it. A copy counts the
   registrations its entry had refused as refused again (FZ.regfail), so
   that an object around it, begun while the seen set had room, is not
   kept as if all below it had been registered: copied where the set has
   room again, it would leave out a Ref's target (a Ref would be written
   as the object rendered anew). */

#define OC_SLOTS 4096
#define OC_BYTES (4u << 20)     /* the texts and tables kept: at most (then all dropped) */

typedef struct {
    long long oid;
    int depth, level, full, used;
    long long clock;        /* Objects.clock when made */
    Py_ssize_t n, nreg, nt;
    int nfail;              /* the registrations it had refused (the seen set full) */
    size_t tn, bytes;
    char *text;
    ent_t *ents;            /* its n nodes' entries, offsets from its text's start */
    long long *regs;        /* nreg (object id, node index from its own) */
    PyObject **touched;     /* nt object ids (strong references), each once */
    long long *toid;        /* their values */
} oce_t;

/* a Struct's TypeId by (its type's name, its field names, its fields'
   TypeIds), the names and type name as the objects they are (the same
   objects each time an object is rendered): Converter._structs without
   making the key's tuples */
#define SM_SLOTS 1024
typedef struct {
    PyObject *our;          /* strong; NULL: empty */
    Py_ssize_t n;
    PyObject **names;       /* n strong references */
    long *ftypes;
    long tid;
} smemo_t;

typedef struct {
    PyObject_HEAD
    oce_t *slot;
    size_t mask;            /* slots - 1 */
    smemo_t *sm;
    size_t bytes;
    PyObject *table;        /* the object table the entries are of */
    long max_depth;
    Py_ssize_t max_nodes;
    long long hits, made, missed;
} OCache;

static void
oce_clear(oce_t *e)
{
    for (Py_ssize_t i = 0; i < e->nt; i++)
        Py_DECREF(e->touched[i]);
    PyMem_Free(e->text);
    PyMem_Free(e->ents);
    PyMem_Free(e->regs);
    PyMem_Free(e->touched);
    PyMem_Free(e->toid);
    memset(e, 0, sizeof *e);
}

static void
sm_clear(smemo_t *m)
{
    for (Py_ssize_t i = 0; i < m->n; i++)
        Py_DECREF(m->names[i]);
    Py_CLEAR(m->our);
    PyMem_Free(m->names);
    PyMem_Free(m->ftypes);
    memset(m, 0, sizeof *m);
}

static void
oc_clear(OCache *c)
{
    if (c->slot)
        for (size_t i = 0; i <= c->mask; i++)
            if (c->slot[i].used)
                oce_clear(&c->slot[i]);
    c->bytes = 0;
}

static PyObject *
OCache_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    Py_ssize_t slots = OC_SLOTS;
    static char *kwlist[] = {"slots", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|n:ObjectsJsonCache", kwlist, &slots))
        return NULL;
    if (slots < 1 || (slots & (slots - 1)) || slots > (1 << 24)) {
        PyErr_SetString(PyExc_ValueError, "ObjectsJsonCache: slots must be a power of two (at most 2**24)");
        return NULL;
    }
    OCache *c = (OCache *)type->tp_alloc(type, 0);
    if (c == NULL)
        return NULL;
    c->mask = (size_t)slots - 1;
    c->slot = PyMem_Calloc((size_t)slots, sizeof *c->slot);
    c->sm = PyMem_Calloc(SM_SLOTS, sizeof *c->sm);
    if (c->slot == NULL || c->sm == NULL) {
        Py_DECREF(c);
        return PyErr_NoMemory();
    }
    return (PyObject *)c;
}

static void
OCache_dealloc(OCache *c)
{
    oc_clear(c);
    if (c->sm)
        for (size_t i = 0; i < SM_SLOTS; i++)
            sm_clear(&c->sm[i]);
    PyMem_Free(c->sm);
    PyMem_Free(c->slot);
    Py_XDECREF(c->table);
    Py_TYPE(c)->tp_free((PyObject *)c);
}

static PyObject *
OCache_stats(OCache *c, PyObject *unused)
{
    return Py_BuildValue("{sLsLsLsn}", "hits", c->hits, "made", c->made, "missed", c->missed,
                         "bytes", (Py_ssize_t)c->bytes);
}

static PyMethodDef OCache_methods[] = {
    {"stats", (PyCFunction)OCache_stats, METH_NOARGS, "stats() -> {hits, made, missed, bytes}"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject OCacheType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "ctgen_tracer._native.ObjectsJsonCache",
    .tp_basicsize = sizeof(OCache),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "ObjectsJsonCache(slots=4096): the JSON of objects rendered by objects_json, kept per\n"
              "(object, depth) in `slots` places (a power of two), and Struct TypeIds (a Converter's).",
    .tp_new = OCache_new,
    .tp_dealloc = (destructor)OCache_dealloc,
    .tp_methods = OCache_methods,
};

/* the seen set: object id -> its node's index (at most SEEN_MAX of them) */
#define SEEN_SLOTS 256
typedef struct {
    long long k[SEEN_SLOTS];
    Py_ssize_t v[SEEN_SLOTS];
    unsigned char used[SEEN_SLOTS];
    Py_ssize_t n;
} seen_t;

static size_t
seen_hash(long long k)
{
    return (size_t)(((unsigned long long)k * 0x9E3779B97F4A7C15ull) >> 56) & (SEEN_SLOTS - 1);
}

static Py_ssize_t
seen_get(const seen_t *s, long long k)
{
    for (size_t i = seen_hash(k);; i = (i + 1) & (SEEN_SLOTS - 1)) {
        if (!s->used[i])
            return -1;
        if (s->k[i] == k)
            return s->v[i];
    }
}

static void
seen_put(seen_t *s, long long k, Py_ssize_t v)
{
    size_t i = seen_hash(k);
    while (s->used[i])
        i = (i + 1) & (SEEN_SLOTS - 1);
    s->used[i] = 1;
    s->k[i] = k;
    s->v[i] = v;
    s->n++;
}

typedef struct {
    long long oid;
    PyObject *o;    /* strong */
} tch_t;

typedef struct {
    J j;
    OCache *cache;
    PyObject *table, *changed;
    long long clock;
    long max_depth;
    Py_ssize_t max_nodes, most, count;
    seen_t *seen;
    int regfail;            /* registrations refused (the seen set full) so far */
    tch_t *tch;             /* the objects read, in order (repeats kept) */
    size_t ntch, ctch;
    long long *regs;        /* the registrations made: (object id, node index) */
    size_t nregs, cregs;
} FZ;

enum { FZ_BAIL = -2 };

static int
fz_touch(FZ *f, long long oid, PyObject *o)
{
    if (f->ntch == f->ctch) {
        size_t cap = f->ctch ? 2 * f->ctch : 64;
        tch_t *t = PyMem_Realloc(f->tch, cap * sizeof *t);
        if (t == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        f->tch = t;
        f->ctch = cap;
    }
    f->tch[f->ntch].oid = oid;
    f->tch[f->ntch++].o = Py_NewRef(o);
    return 0;
}

static int
fz_reg(FZ *f, long long oid, Py_ssize_t at)
{
    if (f->nregs + 2 > f->cregs) {
        size_t cap = f->cregs ? 2 * f->cregs : 64;
        long long *r = PyMem_Realloc(f->regs, cap * sizeof *r);
        if (r == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        f->regs = r;
        f->cregs = cap;
    }
    f->regs[f->nregs++] = oid;
    f->regs[f->nregs++] = at;
    seen_put(f->seen, oid, at);
    return 0;
}

static size_t
oc_slot(const OCache *c, long long oid, int depth, int full)
{
    unsigned long long h = (unsigned long long)oid * 0x9E3779B97F4A7C15ull ^ (unsigned long long)(depth * 2 + full) * 0xC2B2AE3D27D4EB4Full;
    return (size_t)(h >> 40) & c->mask;
}

/* oc_use: the kept JSON of object oid, met at node index f->count (its
   entry me pushed), depth and level, copied into the output when it may
   be: 1 done, 0 not, -1 error. */
static int
oc_use(FZ *f, long long oid, int depth, int level, Py_ssize_t me)
{
    int full = f->seen->n >= SEEN_MAX;
    oce_t *e = &f->cache->slot[oc_slot(f->cache, oid, depth, full)];
    if (!e->used || e->oid != oid || e->depth != depth || e->level != level || e->full != full)
        return 0;
    if (f->count + e->n > f->max_nodes || (!full && f->seen->n + e->nreg > SEEN_MAX))
        return 0;
    if (e->clock != f->clock)
        for (Py_ssize_t i = 0; i < e->nt; i++) {
            PyObject *c = PyDict_GetItemWithError(f->changed, e->touched[i]);
            if (c == NULL) {
                if (PyErr_Occurred())
                    return -1;
                continue;
            }
            long long at = PyLong_AsLongLong(c);
            if (at == -1 && PyErr_Occurred())
                return -1;
            if (at > e->clock) {
                f->cache->missed++;
                return 0;
            }
        }
    for (Py_ssize_t i = 0; i < e->nt; i++)
        if (seen_get(f->seen, e->toid[i]) >= 0)
            return 0;
    /* copy: its text, its nodes' entries, its registrations, what it read */
    J *j = &f->j;
    size_t a = j->out.n;
    if (put(&j->out, e->text, e->tn) < 0)
        return -1;
    j->ne = (size_t)me;
    for (Py_ssize_t i = 0; i < e->n; i++) {
        Py_ssize_t k = push(j, E_NONE);
        if (k < 0)
            return -1;
        ent_t *d = &j->e[k];
        *d = e->ents[i];
        d->a += a;
        d->b += a;
    }
    for (Py_ssize_t i = 0; i < e->nreg; i++)
        if (fz_reg(f, e->regs[2 * i], me + (Py_ssize_t)e->regs[2 * i + 1]) < 0)
            return -1;
    for (Py_ssize_t i = 0; i < e->nt; i++)
        if (fz_touch(f, e->toid[i], e->touched[i]) < 0)
            return -1;
    f->regfail += e->nfail;
    f->count = me + e->n;
    if (f->count > f->most)
        return FZ_BAIL;
    f->cache->hits++;
    return 1;
}

static int
tch_cmp(const void *x, const void *y)
{
    long long a = ((const tch_t *)x)->oid, b = ((const tch_t *)y)->oid;
    return a < b ? -1 : a > b;
}

/* oc_keep: object oid's JSON, just made at node me (from out offset a, what
   it read from f->tch[t0], its registrations from f->regs[r0], nfail
   refused), kept. */
static int
oc_keep(FZ *f, long long oid, int depth, int level, int full, Py_ssize_t me, size_t t0, size_t r0, int nfail)
{
    J *j = &f->j;
    Py_ssize_t n = f->count - me;
    ent_t *root = &j->e[me];
    size_t a = root->a, tn = root->b - root->a;
    Py_ssize_t nreg = (Py_ssize_t)(f->nregs - r0) / 2;
    size_t nt = f->ntch - t0;
    size_t bytes = tn + (size_t)n * sizeof(ent_t) + (size_t)nreg * 2 * sizeof(long long) + nt * (sizeof(PyObject *) + sizeof(long long));
    if (bytes > OC_BYTES / 8)
        return 0;
    OCache *c = f->cache;
    if (c->bytes + bytes > OC_BYTES)
        oc_clear(c);
    oce_t *e = &c->slot[oc_slot(c, oid, depth, full)];
    if (e->used) {
        c->bytes -= e->bytes;
        oce_clear(e);
    }
    tch_t *tt = PyMem_Malloc((nt ? nt : 1) * sizeof *tt);
    e->text = PyMem_Malloc(tn ? tn : 1);
    e->ents = PyMem_Malloc((size_t)n * sizeof(ent_t));
    e->regs = PyMem_Malloc((nreg ? (size_t)nreg : 1) * 2 * sizeof(long long));
    e->touched = PyMem_Malloc((nt ? nt : 1) * sizeof(PyObject *));
    e->toid = PyMem_Malloc((nt ? nt : 1) * sizeof(long long));
    if (tt == NULL || e->text == NULL || e->ents == NULL || e->regs == NULL || e->touched == NULL || e->toid == NULL) {
        PyMem_Free(tt);
        oce_clear(e);
        PyErr_NoMemory();
        return -1;
    }
    memcpy(e->text, j->out.p + a, tn);
    e->tn = tn;
    for (Py_ssize_t i = 0; i < n; i++) {
        e->ents[i] = j->e[me + i];
        e->ents[i].a -= a;
        e->ents[i].b -= a;
    }
    for (Py_ssize_t i = 0; i < nreg; i++) {
        e->regs[2 * i] = f->regs[r0 + 2 * i];
        e->regs[2 * i + 1] = f->regs[r0 + 2 * i + 1] - me;
    }
    memcpy(tt, f->tch + t0, nt * sizeof *tt);
    qsort(tt, nt, sizeof *tt, tch_cmp);
    Py_ssize_t k = 0;
    for (size_t i = 0; i < nt; i++)
        if (i == 0 || tt[i].oid != tt[i - 1].oid) {
            e->toid[k] = tt[i].oid;
            e->touched[k++] = Py_NewRef(tt[i].o);
        }
    PyMem_Free(tt);
    e->oid = oid;
    e->depth = depth;
    e->level = level;
    e->full = full;
    e->used = 1;
    e->clock = f->clock;
    e->n = n;
    e->nreg = nreg;
    e->nfail = nfail;
    e->nt = k;
    e->bytes = bytes;
    c->bytes += bytes;
    c->made++;
    return 0;
}

static Py_ssize_t fz_node(FZ *f, PyObject *item, int depth, int level);

/* fz_count: a node was added: -1 (bail) past the most a tree may have */
static int
fz_count(FZ *f)
{
    return ++f->count > f->most ? FZ_BAIL : 0;
}

/* struct_tid: the TypeId of a Struct of type `our` of the nf fields named
   nms (the names' objects, not cleaned) of TypeIds fts: from the memo, else
   as value_json finds it (Converter._structs, else Converter.struct_type),
   then kept in the memo. -1 with an error set. */
static long
struct_tid(FZ *f, PyObject *our, PyObject **nms, const long *fts, Py_ssize_t nf)
{
    J *j = &f->j;
    unsigned long long hh = (uintptr_t)our * 0x9E3779B97F4A7C15ull + (unsigned long long)nf;
    for (Py_ssize_t i = 0; i < nf; i++)
        hh = (hh ^ (uintptr_t)nms[i]) * 0x100000001B3ull ^ (unsigned long long)fts[i] * 0xC2B2AE3D27D4EB4Full;
    smemo_t *m = &f->cache->sm[(hh >> 32) & (SM_SLOTS - 1)];
    if (m->our == our && m->n == nf) {
        Py_ssize_t i = 0;
        while (i < nf && m->names[i] == nms[i] && m->ftypes[i] == fts[i])
            i++;
        if (i == nf)
            return m->tid;
    }
    long tid = -1;
    PyObject *names = PyList_New(nf), *ftypes = PyList_New(nf);
    if (names == NULL || ftypes == NULL)
        goto out;
    for (Py_ssize_t i = 0; i < nf; i++) {
        PyObject *c = cleaned(j, nms[i]), *t = c ? PyLong_FromLong(fts[i]) : NULL;
        if (t == NULL) {
            Py_XDECREF(c);
            goto out;
        }
        PyList_SET_ITEM(names, i, c);
        PyList_SET_ITEM(ftypes, i, t);
    }
    if ((tid = structs_tid(j, our, names, ftypes)) == -1 && PyErr_Occurred())
        goto out;
    sm_clear(m);
    m->names = PyMem_Malloc((nf ? (size_t)nf : 1) * sizeof *m->names);
    m->ftypes = PyMem_Malloc((nf ? (size_t)nf : 1) * sizeof *m->ftypes);
    if (m->names == NULL || m->ftypes == NULL) {
        PyMem_Free(m->names);
        PyMem_Free(m->ftypes);
        m->names = NULL;
        m->ftypes = NULL;
        goto out;       /* (not kept) */
    }
    for (Py_ssize_t i = 0; i < nf; i++) {
        m->names[i] = Py_NewRef(nms[i]);
        m->ftypes[i] = fts[i];
    }
    m->n = nf;
    m->our = Py_NewRef(our);
    m->tid = tid;
out:
    Py_XDECREF(names);
    Py_XDECREF(ftypes);
    return tid;
}

/* fz_container: the children of object container `lay` (its entry me, at
   out offset a): written, then its closing and type. */
static int
fz_container(FZ *f, const lay_t *lay, PyObject *our, long flags, PyObject *kids, Py_ssize_t full, int depth,
             int level, Py_ssize_t me, size_t a)
{
    J *j = &f->j;
    int pairs = lay->form == F_PAIRS || lay->form == F_ATTRS, room = pairs ? 1 : 0;
    if (!PyList_CheckExact(kids))
        return FZ_BAIL;
    Py_ssize_t nk = PyList_GET_SIZE(kids), pos = 0;
    if (pairs && nk % 2)
        return FZ_BAIL;
    long tid;
    int h = 0, rc = -1;
    if (lay->form == F_ATTRS) {
        /* the names (as the objects they are) and the fields' TypeIds: for the Struct's TypeId */
        PyObject *nm_small[32], **nms = nm_small;
        long ft_small[32], *fts = ft_small;
        Py_ssize_t nf = 0;
        if (nk / 2 > 32) {
            nms = PyMem_Malloc((size_t)(nk / 2) * sizeof *nms);
            fts = PyMem_Malloc((size_t)(nk / 2) * sizeof *fts);
            if (nms == NULL || fts == NULL) {
                PyErr_NoMemory();
                goto aout;
            }
        }
        if (PUTS(&j->out, "{\"kind\":\"Struct\",\"field_values\":[") < 0)
            goto aout;
        while (pos < nk && (f->count < f->max_nodes || (pos % 2))) {
            PyObject *name = PyList_GET_ITEM(kids, pos), *nk_ = ctq_value_get(name, CTQ_V_KIND), *nm;
            const lay_t *nl;
            if (nk_ == NULL)
                goto aout;
            int bad = lay_of(nk_, &nl);
            Py_DECREF(nk_);
            if (bad)
                goto aout;
            if (!nl->utf8) {
                rc = FZ_BAIL;
                goto aout;
            }
            nm = ctq_value_get(name, CTQ_V_DATA);
            if (nm == NULL || push(j, E_NONE) < 0) {
                Py_XDECREF(nm);
                goto aout;
            }
            Py_DECREF(nm);      /* (name, in the object table, holds it) */
            if ((rc = fz_count(f)) < 0)
                goto aout;
            rc = -1;
            if (pos && PUTS(&j->out, ",") < 0)
                goto aout;
            nms[nf] = nm;
            pos++;
            Py_ssize_t ct = fz_node(f, PyList_GET_ITEM(kids, pos), depth, level + 2);
            pos++;
            if (ct < 0) {
                rc = (int)ct;
                goto aout;
            }
            fts[nf++] = j->e[ct].tid;
            if (j->e[ct].h > h)
                h = j->e[ct].h;
        }
        if ((tid = struct_tid(f, our, nms, fts, nf)) == -1 && PyErr_Occurred())
            goto aout;
        if (PUTS(&j->out, "],") < 0 || put_tid(&j->out, tid) < 0)
            goto aout;
        done(j, me, a, tid, h + 2);
        rc = 0;
    aout:
        if (nms != nm_small) {
            PyMem_Free(nms);
            PyMem_Free(fts);
        }
        return rc;
    }
    /* items, tuple, pairs: a Tuple only when not cut (the cut is known at the end: else left) */
    int tup = lay->form == F_TUPLE;
    if ((tup ? PUTS(&j->out, "{\"kind\":\"Tuple\",\"elements\":[") : PUTS(&j->out, "{\"kind\":\"Sequence\",\"elements\":[")) < 0)
        return -1;
    long pt = -1;
    while (pos < nk && (f->count < f->max_nodes || (room == 1 && pos % 2))) {
        if (lay->form == F_PAIRS) {
            if ((pos && PUTS(&j->out, ",") < 0) || PUTS(&j->out, "{\"kind\":\"Tuple\",\"elements\":[") < 0)
                return -1;
            Py_ssize_t kt = fz_node(f, PyList_GET_ITEM(kids, pos), depth, level + 4);
            pos++;
            if (kt < 0)
                return (int)kt;
            if (PUTS(&j->out, ",") < 0)
                return -1;
            Py_ssize_t vt = fz_node(f, PyList_GET_ITEM(kids, pos), depth, level + 4);
            pos++;
            if (vt < 0)
                return (int)vt;
            if (pt < 0) {
                PyObject *t = PyObject_CallFunctionObjArgs(j->type_id, TK_TUPLE, TUPLE_NAME, NULL);
                if (t == NULL)
                    return -1;
                pt = PyLong_AsLong(t);
                Py_DECREF(t);
                if (pt == -1 && PyErr_Occurred())
                    return -1;
            }
            if (PUTS(&j->out, "],") < 0 || put_tid(&j->out, pt) < 0)
                return -1;
            if (j->e[kt].h + 2 > h)
                h = j->e[kt].h + 2;
            if (j->e[vt].h + 2 > h)
                h = j->e[vt].h + 2;
        }
        else {
            if (pos && PUTS(&j->out, ",") < 0)
                return -1;
            Py_ssize_t ct = fz_node(f, PyList_GET_ITEM(kids, pos), depth, level + 2);
            pos++;
            if (ct < 0)
                return (int)ct;
            if (j->e[ct].h > h)
                h = j->e[ct].h;
        }
    }
    if (pos < full)
        flags |= FL_TRUNCATED;
    buf_t *o = &j->out;
    if (tup && !(flags & FL_TRUNCATED)) {
        if ((tid = node_tid(j, TK_TUPLE, our)) == -1 && PyErr_Occurred())
            return -1;
        if (PUTS(o, "],") < 0 || put_tid(o, tid) < 0)
            return -1;
    }
    else {
        if (tup)
            return FZ_BAIL;     /* a Tuple cut: a Sequence (rare: by the other way) */
        if ((tid = node_tid(j, lay->hashset ? TK_HASHSET : TK_SEQ, our)) == -1 && PyErr_Occurred())
            return -1;
        if ((flags & FL_TRUNCATED ? PUTS(o, "],\"is_slice\":true,") : PUTS(o, "],\"is_slice\":false,")) < 0
                || put_tid(o, tid) < 0)
            return -1;
    }
    done(j, me, a, tid, h + 2);
    return 0;
}

/* fz_raw: entry me (its text from out offset a) is the Raw "<pre><our><post>"
   of TypeId tid (raw_text's, without making the str). */
static int
fz_raw(J *j, Py_ssize_t me, size_t a, PyObject *our, const char *pre, const char *post, long tid)
{
    PyObject *c = cleaned(j, our);
    if (c == NULL)
        return -1;
    buf_t *o = &j->out;
    int rc = PUTS(o, "{\"kind\":\"Raw\",\"r\":") < 0 || put_str_in(o, c, pre, post) < 0 || PUTS(o, ",") < 0
             || put_tid(o, tid) < 0;
    Py_DECREF(c);
    if (rc)
        return -1;
    done(j, me, a, tid, 1);
    return 0;
}

/* fz_object: an Object node (object oid) at depth, level: a Ref, an
   Elided, its kept JSON or its JSON made here (and kept). */
static Py_ssize_t
fz_object(FZ *f, PyObject *oid_o, int depth, int level)
{
    J *j = &f->j;
    long long oid = PyLong_AsLongLong(oid_o);
    if (oid == -1 && PyErr_Occurred()) {
        PyErr_Clear();
        return FZ_BAIL;
    }
    PyObject *obj = PyDict_GetItemWithError(f->table, oid_o);
    if (obj == NULL || !PyList_CheckExact(obj) || PyList_GET_SIZE(obj) != 5)
        return PyErr_Occurred() ? -1 : FZ_BAIL;
    PyObject *okind = PyList_GET_ITEM(obj, 0), *otype = PyList_GET_ITEM(obj, 1), *oflags = PyList_GET_ITEM(obj, 2),
             *olen = PyList_GET_ITEM(obj, 3), *okids = PyList_GET_ITEM(obj, 4);
    const lay_t *lay;
    if (fz_touch(f, oid, oid_o) < 0 || lay_of(okind, &lay) < 0)
        return -1;
    if (lay->form == F_FIELDS || lay->form < F_ITEMS)
        return FZ_BAIL;     /* an exception (never a Ref nor Elided), or no container */
    long flags = PyLong_AsLong(oflags);
    if (flags == -1 && PyErr_Occurred())
        return -1;
    Py_ssize_t me = push(j, E_NONE), at;
    if (me < 0)
        return -1;
    size_t a = j->out.n;
    long tid;
    if ((at = seen_get(f->seen, oid)) >= 0) {     /* a Ref (its flags 0) */
        int rc;
        if ((rc = fz_count(f)) < 0)
            return rc;
        if (at < f->j.minref)
            f->j.minref = at;
        const ent_t *t = (size_t)at < j->ne && j->e[at].st != E_NONE ? &j->e[at] : NULL;
        if (t != NULL && (t->st == E_DEEP || t->spill || level + t->h - 1 > MAX_NESTING))
            return FZ_BAIL;
        if (t != NULL) {
            size_t ta = t->a, tn = t->b - t->a;
            long ttid = t->tid;
            int th = t->h;
            if (reserve(&j->out, tn) < 0)
                return -1;
            memcpy(j->out.p + j->out.n, j->out.p + ta, tn);
            j->out.n += tn;
            done(j, me, a, ttid, th);
            return me;
        }
        if ((tid = node_tid(j, TK_RECURSION, otype)) == -1 && PyErr_Occurred())
            return -1;
        return fz_raw(j, me, a, otype, "<cycle: ", ">", tid) < 0 ? -1 : me;
    }
    if (flags & FL_REDACTED)
        return FZ_BAIL;
    if (depth >= f->max_depth) {    /* Elided: <type with N items, not expanded> */
        int rc;
        if ((rc = fz_count(f)) < 0)
            return rc;
        if (TK_NONEXPANDED == NULL || !PyUnicode_Check(otype))
            return FZ_BAIL;
        long long n = 0;
        if (olen != Py_None && (n = PyLong_AsLongLong(olen)) == -1 && PyErr_Occurred())
            return -1;
        if ((tid = node_tid(j, TK_NONEXPANDED, otype)) == -1 && PyErr_Occurred())
            return -1;
        char tail[64];
        if (n)
            snprintf(tail, sizeof tail, " with %lld items, not expanded>", n);
        return fz_raw(j, me, a, otype, "<", n ? tail : ", not expanded>", tid) < 0 ? -1 : me;
    }
    int pairs = lay->form == F_PAIRS || lay->form == F_ATTRS;
    if (level + (lay->form == F_PAIRS ? 4 : 2) > MAX_NESTING)
        return FZ_BAIL;
    if (!PyLong_CheckExact(olen))
        return FZ_BAIL;
    int rc = oc_use(f, oid, depth, level, me);
    if (rc != 0)
        return rc == 1 ? me : rc;
    /* made here */
    Py_ssize_t start = me, minref = f->j.minref;
    int full0 = f->seen->n >= SEEN_MAX, regfail = f->regfail;
    size_t t0 = f->ntch - 1, r0 = f->nregs;
    if ((rc = fz_count(f)) < 0)
        return rc;
    if (f->seen->n < SEEN_MAX) {
        if (fz_reg(f, oid, me) < 0)
            return -1;
    }
    else
        f->regfail++;
    long long olen_n = PyLong_AsLongLong(olen);
    if (olen_n == -1 && PyErr_Occurred())
        return -1;
    f->j.minref = PY_SSIZE_T_MAX;
    rc = fz_container(f, lay, otype, flags, okids, pairs ? 2 * (Py_ssize_t)olen_n : (Py_ssize_t)olen_n, depth + 1,
                      level, me, a);
    if (rc < 0)
        return rc;
    int keep = f->j.minref >= start && f->count < f->max_nodes
               && (full0 ? 1 : f->regfail == regfail);
    if (f->j.minref > minref)
        f->j.minref = minref;
    if (keep && oc_keep(f, oid, depth, level, full0, me, t0, r0, f->regfail - regfail) < 0)
        return -1;
    return me;
}

static Py_ssize_t
fz_node(FZ *f, PyObject *item, int depth, int level)
{
    PyObject *k = ctq_value_get(item, CTQ_V_KIND);
    if (k == NULL)
        return -1;
    int obj = is_kind(k, S_Object);
    Py_DECREF(k);
    PyObject *d = ctq_value_get(item, CTQ_V_DATA);
    if (d == NULL)
        return -1;
    Py_ssize_t r;
    if (obj)
        r = fz_object(f, d, depth, level);
    else if (PyList_Check(d))
        r = FZ_BAIL;    /* an inline container (a Range, a Slice) */
    else {
        Py_ssize_t n0 = (Py_ssize_t)f->j.ne;
        r = conv(&f->j, item, level);
        if (r >= 0 && ((Py_ssize_t)f->j.ne != n0 + 1 || f->j.e[r].st != E_DONE))
            r = FZ_BAIL;    /* (a stored Ref, or a leaf that is not one node) */
        else if (r >= 0 && fz_count(f) < 0)
            r = FZ_BAIL;
    }
    Py_DECREF(d);
    return r;
}

/* objects_json(tree, table, changed, clock, max_depth, max_nodes, context, cache)
   -> (JSON, set of object ids read), or None: left to Objects.render and value_json. */
static PyObject *
objects_json(PyObject *self, PyObject *args)
{
    PyObject *tree, *table, *changed, *ctx, *max_depth_o, *max_nodes_o;
    long long clock;
    OCache *cache;
    if (lays == NULL || TK_INT == NULL || ValueClass == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "value_json_setup() and render_setup() were not called");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "OO!O!LOOO!O!:objects_json", &tree, &PyDict_Type, &table, &PyDict_Type, &changed,
                          &clock, &max_depth_o, &max_nodes_o, &PyTuple_Type, &ctx, &OCacheType, &cache))
        return NULL;
    if (max_depth_o == Py_None || max_nodes_o == Py_None || SEEN_MAX > SEEN_SLOTS / 2)
        Py_RETURN_NONE;     /* (no limits yet: the other way says so; a seen set larger than seen_t's) */
    long max_depth = PyLong_AsLong(max_depth_o);
    Py_ssize_t max_nodes = PyLong_AsSsize_t(max_nodes_o);
    if (PyErr_Occurred())
        return NULL;
    FZ f;
    memset(&f, 0, sizeof f);
    if (j_of(&f.j, ctx) < 0)
        return NULL;
    if (cache->table != table || cache->max_depth != max_depth || cache->max_nodes != max_nodes) {
        oc_clear(cache);
        Py_XSETREF(cache->table, Py_NewRef(table));
        cache->max_depth = max_depth;
        cache->max_nodes = max_nodes;
    }
    f.cache = cache;
    f.table = table;
    f.changed = changed;
    f.clock = clock;
    f.max_depth = max_depth;
    f.max_nodes = max_nodes;
    f.most = 4 * max_nodes + RENDER_SLACK;
    f.seen = PyMem_Calloc(1, sizeof *f.seen);
    PyObject *res = NULL;
    if (f.seen == NULL) {
        PyErr_NoMemory();
        goto out;
    }
    Py_ssize_t root = fz_node(&f, tree, 0, 1);
    if (root == FZ_BAIL)
        res = Py_NewRef(Py_None);
    else if (root >= 0) {
        const ent_t *e = &f.j.e[root];
        PyObject *text = PyUnicode_DecodeUTF8(f.j.out.p + e->a, (Py_ssize_t)(e->b - e->a), "strict");
        PyObject *touched = text ? PySet_New(NULL) : NULL;
        for (size_t i = 0; touched && i < f.ntch; i++)
            if (PySet_Add(touched, f.tch[i].o) < 0)
                Py_CLEAR(touched);
        if (touched)
            res = PyTuple_Pack(2, text, touched);
        Py_XDECREF(text);
        Py_XDECREF(touched);
    }
out:
    for (size_t i = 0; i < f.ntch; i++)
        Py_DECREF(f.tch[i].o);
    PyMem_Free(f.tch);
    PyMem_Free(f.regs);
    PyMem_Free(f.seen);
    PyMem_Free(f.j.out.p);
    PyMem_Free(f.j.side.p);
    PyMem_Free(f.j.e);
    return res;
}

static PyMethodDef json_methods[] = {
    {"objects_json", objects_json, METH_VARARGS,
     "objects_json(tree, table, changed, clock, max_depth, max_nodes, context, cache) -> (str, set of object ids)\n"
     "or None: Objects.render and value_json in one pass, each object's JSON kept in cache"},
    {"objects_stale", objects_stale, METH_VARARGS,
     "objects_stale(changed, touched, clock) -> bool: reader.Objects.stale"},
    {"render_objects", render_objects, METH_VARARGS,
     "render_objects(tree, table, max_depth, max_nodes) -> (Value, set of object ids): reader.Objects.render"},
    {"render_setup", render_setup, METH_VARARGS,
     "render_setup(Value, TraceError, object kind, ref kind, elided kind, SEEN_MAX, RENDER_SLACK, the Truncated flag)"},
    {"value_json", value_json, METH_VARARGS,
     "value_json(value, context) -> str: the ValueRecord JSON of a decoded value tree, as\n"
     "convert.Converter._py_tree_json makes it (context: see Converter._tree_json)"},
    {"value_json_setup", value_json_setup, METH_VARARGS,
     "value_json_setup(layouts, constants): the value kinds' layouts (kind -> (layout, encoding,\n"
     "codetracer, fields), from reader.LAYOUTS) and convert's constants"},
    {NULL, NULL, 0, NULL},
};

int
ctq_add_convert(PyObject *module)
{
    if (PyModule_AddFunctions(module, json_methods) < 0 || PyType_Ready(&OCacheType) < 0
            || PyModule_AddObjectRef(module, "ObjectsJsonCache", (PyObject *)&OCacheType) < 0)
        return -1;
    return ctq_add_convert_rows(module);
}
