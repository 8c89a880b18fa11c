/*
** values.c -- the value walker and its encoders (ctv_enc_NAME, dispatched by
** generated/values.h). Limits (ct_R.opt): nesting depth, items per
** container, bytes per text; cut-off data is flagged Truncated with the full
** size in `b`. Containers seen earlier in the same tree become Ref nodes.
*/
#include "values.h"

#include <string.h>

#include "value_kinds.h"

#define SEEN_MAX 64   /* containers remembered per tree for Ref nodes */

struct ctv_walk {
    ct_chunk *c;
    uint32_t root;               /* index of the tree's first node */
    int depth;
    int err;
    size_t nseen;
    PyObject *seen[SEEN_MAX];
    uint32_t seen_at[SEEN_MAX];
};

/* node: append a node for o of `kind`; returns its index (CTV_NONE on error). */
static uint32_t
node(ctv_walk *w, PyObject *o, int kind, int flags)
{
    uint32_t type = cti_type(&ct_R.ids, w->c, Py_TYPE(o));
    ctr_Value *v = ct_vec_push(&w->c->values, sizeof *v);
    if (v == NULL || type == CTI_NONE) {
        w->err = 1;
        return CTV_NONE;
    }
    *v = (ctr_Value){ .type = type, .kind = (uint8_t)kind, .flags = (uint8_t)flags };
    return (uint32_t)(w->c->values.len / sizeof *v - 1);
}

/* at: the node at index i (valid until the pool grows). */
static ctr_Value *
at(ctv_walk *w, uint32_t i)
{
    return (ctr_Value *)w->c->values.p + i;
}

/* walk: record o as the next subtree. Recursion is bounded by max_depth:
   container() writes an Elided node instead of descending further. */
static int
walk(ctv_walk *w, PyObject *o)
{
    if (w->err)
        return -1;
    return ctv_dispatch(w, o);
}

/* text: a text-like node: data = the first max_text bytes of s[0:n]. */
static int
text(ctv_walk *w, PyObject *o, int kind, int flags, const char *s, Py_ssize_t n, Py_ssize_t full)
{
    Py_ssize_t keep = n < ct_R.opt.max_text ? n : ct_R.opt.max_text;
    uint32_t i = node(w, o, kind, flags | (keep < n ? CTR_ValueFlag_Truncated : 0));
    if (i == CTV_NONE)
        return -1;
    uint32_t off = ctr_text(w->c, s, (uint32_t)keep);
    ctr_Value *v = at(w, i);
    v->a = off;
    v->len = (uint32_t)keep;
    v->b = full;
    return 0;
}

/* container: start a container node, or write a Ref / Elided node instead.
   Returns the node index, or CTV_NONE when no children are to follow. */
static uint32_t
container(ctv_walk *w, PyObject *o, int kind, int flags, Py_ssize_t len)
{
    for (size_t i = 0; i < w->nseen; i++) {
        if (w->seen[i] == o) {
            uint32_t r = node(w, o, CTV_Ref, 0);
            if (r != CTV_NONE)
                at(w, r)->a = w->seen_at[i] - w->root;
            return CTV_NONE;
        }
    }
    if (w->depth >= ct_R.opt.max_depth) {
        uint32_t r = node(w, o, CTV_Elided, flags);
        if (r != CTV_NONE)
            at(w, r)->b = len;
        return CTV_NONE;
    }
    uint32_t r = node(w, o, kind, flags);
    if (r == CTV_NONE)
        return CTV_NONE;
    at(w, r)->b = len;
    if (w->nseen < SEEN_MAX) {
        w->seen[w->nseen] = o;
        w->seen_at[w->nseen++] = r;
    }
    return r;
}

/* close: set the stored child count of container r and its Truncated flag. */
static int
close_container(ctv_walk *w, uint32_t r, Py_ssize_t stored, Py_ssize_t len)
{
    if (w->err)
        return -1;
    ctr_Value *v = at(w, r);
    v->len = (uint32_t)stored;
    if (stored < len)
        v->flags |= CTR_ValueFlag_Truncated;
    return 0;
}

/* items: a container whose children are the n objects of array `items`. */
static int
items(ctv_walk *w, PyObject *o, int kind, int flags, PyObject *const *items, Py_ssize_t n)
{
    uint32_t r = container(w, o, kind, flags, n);
    if (r == CTV_NONE)
        return w->err ? -1 : 0;
    Py_ssize_t keep = n < ct_R.opt.max_items ? n : ct_R.opt.max_items;
    w->depth++;
    for (Py_ssize_t i = 0; i < keep; i++)
        walk(w, items[i]);
    w->depth--;
    return close_container(w, r, keep, n);
}

/* ---- encoders named by the spec ---- */

int
ctv_enc_none(ctv_walk *w, PyObject *o, int kind, int flags)
{
    return node(w, o, kind, flags) == CTV_NONE ? -1 : 0;
}

int
ctv_enc_bool(ctv_walk *w, PyObject *o, int kind, int flags)
{
    uint32_t i = node(w, o, kind, flags);
    if (i == CTV_NONE)
        return -1;
    at(w, i)->a = o == Py_True;
    return 0;
}

/* bigint: data = little-endian two's complement bytes of int o. */
static int
bigint(ctv_walk *w, PyObject *o, int flags)
{
    size_t nbytes = _PyLong_NumBits(o) / 8 + 1;
    if ((Py_ssize_t)nbytes > ct_R.opt.max_text) {   /* too long: size only */
        uint32_t i = node(w, o, CTV_BigInt, flags | CTR_ValueFlag_Truncated);
        if (i != CTV_NONE)
            at(w, i)->b = (int64_t)nbytes;
        return i == CTV_NONE ? -1 : 0;
    }
    unsigned char *buf = PyMem_Malloc(nbytes);
    if (buf == NULL
#if PY_VERSION_HEX >= 0x030D0000
        || PyLong_AsNativeBytes(o, buf, (Py_ssize_t)nbytes, Py_ASNATIVEBYTES_LITTLE_ENDIAN) < 0
#else
        || _PyLong_AsByteArray((PyLongObject *)o, buf, nbytes, 1, 1) < 0
#endif
    ) {
        PyMem_Free(buf);
        PyErr_Clear();
        w->err = 1;
        return -1;
    }
    int rc = text(w, o, CTV_BigInt, flags, (const char *)buf, (Py_ssize_t)nbytes, (Py_ssize_t)nbytes);
    PyMem_Free(buf);
    return rc;
}

int
ctv_enc_int(ctv_walk *w, PyObject *o, int kind, int flags)
{
    int overflow;
    long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (overflow)
        return bigint(w, o, flags);
    uint32_t i = node(w, o, kind, flags);
    if (i == CTV_NONE)
        return -1;
    at(w, i)->a = v;
    return 0;
}

int
ctv_enc_float(ctv_walk *w, PyObject *o, int kind, int flags)
{
    uint32_t i = node(w, o, kind, flags);
    if (i == CTV_NONE)
        return -1;
    double d = PyFloat_AS_DOUBLE(o);
    memcpy(&at(w, i)->a, &d, 8);
    return 0;
}

int
ctv_enc_complex(ctv_walk *w, PyObject *o, int kind, int flags)
{
    uint32_t i = node(w, o, kind, flags);
    if (i == CTV_NONE)
        return -1;
    Py_complex z = ((PyComplexObject *)o)->cval;
    memcpy(&at(w, i)->a, &z.real, 8);
    memcpy(&at(w, i)->b, &z.imag, 8);
    return 0;
}

int
ctv_enc_str(ctv_walk *w, PyObject *o, int kind, int flags)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(o);
    if (PyUnicode_IS_ASCII(o))
        return text(w, o, kind, flags, (const char *)PyUnicode_DATA(o), n, n);
    /* at most max_text code points, encoded; then cut to max_text bytes */
    Py_ssize_t keep = n < ct_R.opt.max_text ? n : ct_R.opt.max_text;
    PyObject *sub = PyUnicode_Substring(o, 0, keep);
    PyObject *b = sub ? PyUnicode_AsEncodedString(sub, "utf-8", "surrogatepass") : NULL;
    Py_XDECREF(sub);
    if (b == NULL) {
        PyErr_Clear();
        w->err = 1;
        return -1;
    }
    Py_ssize_t len = PyBytes_GET_SIZE(b);
    const char *s = PyBytes_AS_STRING(b);
    Py_ssize_t cut = len < ct_R.opt.max_text ? len : ct_R.opt.max_text;
    while (cut < len && cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
        cut--;   /* do not split a UTF-8 sequence */
    uint32_t i = node(w, o, kind, flags | (cut < len || keep < n ? CTR_ValueFlag_Truncated : 0));
    if (i != CTV_NONE) {
        uint32_t off = ctr_text(w->c, s, (uint32_t)cut);
        ctr_Value *v = at(w, i);
        v->a = off;
        v->len = (uint32_t)cut;
        v->b = n;
    }
    Py_DECREF(b);
    return i == CTV_NONE ? -1 : 0;
}

int
ctv_enc_bytes(ctv_walk *w, PyObject *o, int kind, int flags)
{
    Py_ssize_t n = PyBytes_GET_SIZE(o);
    return text(w, o, kind, flags, PyBytes_AS_STRING(o), n, n);
}

int
ctv_enc_bytearray(ctv_walk *w, PyObject *o, int kind, int flags)
{
    Py_ssize_t n = PyByteArray_GET_SIZE(o);
    return text(w, o, kind, flags, PyByteArray_AS_STRING(o), n, n);
}

int
ctv_enc_list(ctv_walk *w, PyObject *o, int kind, int flags)
{
    return items(w, o, kind, flags, ((PyListObject *)o)->ob_item, PyList_GET_SIZE(o));
}

int
ctv_enc_tuple(ctv_walk *w, PyObject *o, int kind, int flags)
{
    return items(w, o, kind, flags, ((PyTupleObject *)o)->ob_item, PyTuple_GET_SIZE(o));
}

int
ctv_enc_dict(ctv_walk *w, PyObject *o, int kind, int flags)
{
    Py_ssize_t n = PyDict_GET_SIZE(o);
    uint32_t r = container(w, o, kind, flags, n);
    if (r == CTV_NONE)
        return w->err ? -1 : 0;
    Py_ssize_t pos = 0, stored = 0;
    PyObject *k, *v;
    w->depth++;
    while (stored < ct_R.opt.max_items && PyDict_Next(o, &pos, &k, &v)) {
        walk(w, k);
        walk(w, v);
        stored++;
    }
    w->depth--;
    return close_container(w, r, 2 * stored, 2 * n);
}

int
ctv_enc_set(ctv_walk *w, PyObject *o, int kind, int flags)
{
    Py_ssize_t n = PySet_GET_SIZE(o);
    uint32_t r = container(w, o, kind, flags, n);
    if (r == CTV_NONE)
        return w->err ? -1 : 0;
    PyObject *it = PySet_Type.tp_iter(o);   /* the built-in iterator, never __iter__ */
    if (it == NULL) {
        PyErr_Clear();
        w->err = 1;
        return -1;
    }
    Py_ssize_t stored = 0;
    PyObject *item;
    w->depth++;
    while (stored < ct_R.opt.max_items && (item = Py_TYPE(it)->tp_iternext(it)) != NULL) {
        walk(w, item);
        Py_DECREF(item);
        stored++;
    }
    w->depth--;
    Py_DECREF(it);
    PyErr_Clear();
    return close_container(w, r, stored, n);
}

/* three: a node with three children (range, slice). */
static int
three(ctv_walk *w, PyObject *o, int kind, int flags, PyObject *x, PyObject *y, PyObject *z)
{
    uint32_t r = node(w, o, kind, flags);
    if (r == CTV_NONE)
        return -1;
    walk(w, x);
    walk(w, y);
    walk(w, z);
    return close_container(w, r, 3, 3);
}

int
ctv_enc_range(ctv_walk *w, PyObject *o, int kind, int flags)
{
    PyObject *a[3] = {
        PyObject_GetAttrString(o, "start"),   /* C getters of the exact range type */
        PyObject_GetAttrString(o, "stop"),
        PyObject_GetAttrString(o, "step"),
    };
    int rc = -1;
    if (a[0] && a[1] && a[2])
        rc = three(w, o, kind, flags, a[0], a[1], a[2]);
    else
        w->err = 1;
    for (int i = 0; i < 3; i++)
        Py_XDECREF(a[i]);
    PyErr_Clear();
    return rc;
}

int
ctv_enc_slice(ctv_walk *w, PyObject *o, int kind, int flags)
{
    PySliceObject *s = (PySliceObject *)o;
    return three(w, o, kind, flags, s->start, s->stop, s->step);
}

/* name_of: "module.qualname" of a function, class, module or callable. */
static Py_ssize_t
name_of(PyObject *o, char *buf, size_t size)
{
    if (PyType_Check(o))
        return cti_type_name((PyTypeObject *)o, buf, size);
    if (PyMethod_Check(o))
        o = PyMethod_GET_FUNCTION(o);
    const char *mod = NULL, *qual = NULL;
    PyObject *m = NULL, *q = NULL;
    if (PyFunction_Check(o)) {
        m = PyFunction_GetModule(o);   /* borrowed */
        q = ((PyFunctionObject *)o)->func_qualname;
    } else if (PyModule_Check(o)) {
        q = PyModule_GetNameObject(o);
        PyErr_Clear();
        qual = q && PyUnicode_CheckExact(q) ? PyUnicode_AsUTF8(q) : "?";
        int n = snprintf(buf, size, "%s", qual ? qual : "?");
        Py_XDECREF(q);
        PyErr_Clear();
        return n < 0 ? 0 : ((size_t)n < size ? n : (Py_ssize_t)size - 1);
    } else if (PyCFunction_Check(o)) {
        PyObject *self = PyCFunction_GET_SELF(o);
        const char *name = ((PyCFunctionObject *)o)->m_ml->ml_name;
        if (self == NULL || PyModule_Check(self))
            return snprintf(buf, size, "%s", name);
        char tb[256];
        PyTypeObject *t = PyType_Check(self) ? (PyTypeObject *)self : Py_TYPE(self);
        cti_type_name(t, tb, sizeof tb);
        int n = snprintf(buf, size, "%s.%s", tb, name);
        return n < 0 ? 0 : ((size_t)n < size ? n : (Py_ssize_t)size - 1);
    }
    if (m != NULL && PyUnicode_CheckExact(m))
        mod = PyUnicode_AsUTF8(m);
    if (q != NULL && PyUnicode_CheckExact(q))
        qual = PyUnicode_AsUTF8(q);
    PyErr_Clear();
    int n = mod ? snprintf(buf, size, "%s.%s", mod, qual ? qual : "?")
                : snprintf(buf, size, "%s", qual ? qual : "?");
    return n < 0 ? 0 : ((size_t)n < size ? n : (Py_ssize_t)size - 1);
}

int
ctv_enc_qualname(ctv_walk *w, PyObject *o, int kind, int flags)
{
    char buf[512];
    Py_ssize_t n = name_of(o, buf, sizeof buf);
    return text(w, o, kind, flags, buf, n, n);
}

/* special_member: a member of a C type made from a spec that describes the
   layout, not an attribute (functools.partial's __vectorcalloffset__ reads
   as a pointer, different in every process). */
static int
special_member(const PyMemberDef *m)
{
    return strcmp(m->name, "__vectorcalloffset__") == 0 || strcmp(m->name, "__dictoffset__") == 0
        || strcmp(m->name, "__weaklistoffset__") == 0;
}

/* attrs: the (name, value) children of an instance: its __dict__ entries
   (read from the dict itself) and its __slots__ members. */
static Py_ssize_t
attrs(ctv_walk *w, PyObject *o, Py_ssize_t stored)
{
    PyTypeObject *t = Py_TYPE(o);
    if (t->tp_dictoffset != 0 || (t->tp_flags & Py_TPFLAGS_MANAGED_DICT)) {
        /* A type with its own dict slot: read the slot, never create the
           dict (PyObject_GenericGetDict would, and a functools.partial
           whose dict exists is no longer flattened by partial()). */
        PyObject *d;
        if (t->tp_dictoffset > 0 && !(t->tp_flags & Py_TPFLAGS_MANAGED_DICT))
            d = Py_XNewRef(*(PyObject **)((char *)o + t->tp_dictoffset));
        else
            d = PyObject_GenericGetDict(o, NULL);
        if (d == NULL)
            PyErr_Clear();
        else {
            if (PyDict_Check(d)) {
                Py_ssize_t pos = 0;
                PyObject *k, *v;
                while (stored < ct_R.opt.max_items && PyDict_Next(d, &pos, &k, &v)) {
                    walk(w, k);
                    if (PyUnicode_Check(k) && ctv_redact_name(k))
                        node(w, v, CTV_Redacted, 0);
                    else
                        walk(w, v);
                    stored++;
                }
            }
            Py_DECREF(d);
        }
    }
    PyObject *mro = Py_TYPE(o)->tp_mro;
    for (Py_ssize_t i = 0; mro && i < PyTuple_GET_SIZE(mro); i++) {
        PyTypeObject *t = (PyTypeObject *)PyTuple_GET_ITEM(mro, i);
        if (!(t->tp_flags & Py_TPFLAGS_HEAPTYPE))
            continue;
        PyObject *td = PyType_GetDict(t);
        Py_ssize_t pos = 0;
        PyObject *k, *d;
        while (td && stored < ct_R.opt.max_items && PyDict_Next(td, &pos, &k, &d)) {
            if (!Py_IS_TYPE(d, &PyMemberDescr_Type) || special_member(((PyMemberDescrObject *)d)->d_member))
                continue;
            PyObject *v = PyMember_GetOne((const char *)o, ((PyMemberDescrObject *)d)->d_member);
            if (v == NULL) {   /* unset slot */
                PyErr_Clear();
                continue;
            }
            walk(w, k);
            if (ctv_redact_name(k))
                node(w, v, CTV_Redacted, 0);
            else
                walk(w, v);
            Py_DECREF(v);
            stored++;
        }
        Py_XDECREF(td);
    }
    return stored;
}

/* exception: an Exception node: the type, and one child: the message of a
   built-in exception type (its single str argument), else its args. */
static int
exception(ctv_walk *w, PyObject *exc)
{
    uint32_t r = node(w, exc, CTV_Exception, 0);
    if (r == CTV_NONE)
        return -1;
    PyObject *args = ((PyBaseExceptionObject *)exc)->args;
    int builtin = !(Py_TYPE(exc)->tp_flags & Py_TPFLAGS_HEAPTYPE);
    w->depth++;
    if (builtin && args && PyTuple_CheckExact(args) && PyTuple_GET_SIZE(args) == 1
            && PyUnicode_CheckExact(PyTuple_GET_ITEM(args, 0)))
        walk(w, PyTuple_GET_ITEM(args, 0));
    else if (args && PyTuple_Check(args))
        walk(w, args);
    else
        node(w, Py_None, CTV_Null, 0);
    w->depth--;
    return close_container(w, r, 1, 1);
}

int
ctv_enc_other(ctv_walk *w, PyObject *o)
{
    if (PyExceptionInstance_Check(o))
        return exception(w, o);
    uint32_t r = container(w, o, CTV_Instance, 0, 0);
    if (r == CTV_NONE)
        return w->err ? -1 : 0;
    w->depth++;
    Py_ssize_t n = attrs(w, o, 0);
    w->depth--;
    if (w->err)
        return -1;
    at(w, r)->b = n;
    return close_container(w, r, 2 * n, 2 * n);
}

/* ---- entry points ---- */

static void
walk_init(ctv_walk *w, ct_chunk *c)
{
    w->c = c;
    w->root = (uint32_t)(c->values.len / sizeof(ctr_Value));
    w->depth = 0;
    w->err = 0;
    w->nseen = 0;
}

uint32_t
ctv_value(ct_chunk *c, PyObject *o)
{
    ctv_walk w;
    walk_init(&w, c);
    if (o == ct_R.missing)
        return node(&w, o, CTV_Missing, 0);
    walk(&w, o);
    return w.err ? CTV_NONE : w.root;
}

uint32_t
ctv_redacted(ct_chunk *c, PyObject *o)
{
    ctv_walk w;
    walk_init(&w, c);
    return node(&w, o, CTV_Redacted, 0);
}

uint32_t
ctv_exception(ct_chunk *c, PyObject *exc)
{
    ctv_walk w;
    walk_init(&w, c);
    if (!PyExceptionInstance_Check(exc))
        walk(&w, exc);
    else
        exception(&w, exc);
    return w.err ? CTV_NONE : w.root;
}

/* contains_ci: 1 when `hay` contains `needle` (m bytes, lowercase ASCII),
   ignoring ASCII case. */
static int
contains_ci(const char *hay, Py_ssize_t n, const char *needle, size_t m)
{
    for (Py_ssize_t i = 0; i + (Py_ssize_t)m <= n; i++) {
        size_t j = 0;
        while (j < m) {
            char c = hay[i + j];
            if (c >= 'A' && c <= 'Z')
                c = (char)(c - 'A' + 'a');
            if (c != needle[j])
                break;
            j++;
        }
        if (j == m)
            return 1;
    }
    return 0;
}

/* redact_match: the policy's verdict for a name, computed. */
static int
redact_match(PyObject *name)
{
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(name, &n);
    if (s == NULL) {
        PyErr_Clear();
        return 0;
    }
    for (int i = 0; i < ct_R.nredact; i++)
        if (contains_ci(s, n, ct_R.redact[i], strlen(ct_R.redact[i])))
            return 1;
    return 0;
}

/* Verdicts per exact str object (attribute and variable names are nearly
   always interned, so the same object comes back): a pointer map holding a
   reference to each key, cleared with the recording's ids. */
static cti_ptrmap redact_cache;
static uint64_t redact_generation;

int
ctv_redact_name(PyObject *name)
{
    if (ct_R.nredact == 0 || !PyUnicode_Check(name))
        return 0;
    if (!PyUnicode_CheckExact(name))
        return redact_match(name);
    if (redact_generation != ct_R.generation) {
        cti_ptrmap_clear(&redact_cache);
        redact_generation = ct_R.generation;
    }
    int found;
    uint32_t v = cti_ptrmap_get(&redact_cache, name, &found);
    if (found)
        return (int)v;
    int yes = redact_match(name);
    cti_ptrmap_put(&redact_cache, name, (uint32_t)yes);   /* no room: just not cached */
    return yes;
}
