/*
** derive.c -- the derivations (ctd_) and actions (cta_) that spec/events.spec
** declares and the generated callbacks call. Their prototypes are generated
** into events.h from the spec.
*/
#include "recorder.h"
#include "intern.h"
#include "redact.h"
#include "values.h"

#include <stdlib.h>
#include <string.h>

/* ---- derivations ---- */

uint32_t
ctd_fn(ct_ev *ev, PyObject *code)
{
    return ev->code->fn;
}

int32_t
ctd_line(ct_ev *ev, long v)
{
    return (int32_t)v;
}

int32_t
ctd_offset(ct_ev *ev, long v)
{
    return (int32_t)v;
}

int32_t
ctd_line_at(ct_ev *ev, long offset)
{
    ct_code *cc = ev->code;
    if (cc->lines == NULL && ctc_lines(cc) < 0) {
        ev->err = 1;
        return -1;
    }
    long unit = offset / 2;
    return unit >= 0 && unit < cc->nlines ? cc->lines[unit] : -1;
}

uint8_t
ctd_side(ct_ev *ev, long v)
{
    return (uint8_t)v;
}

/* checked: the index of a value just written, noting an error. */
static uint32_t
checked(ct_ev *ev, uint32_t i)
{
    if (i == CTV_NONE) {
        ev->err = 1;
        return CTR_NOT_RECORDED;
    }
    return i;
}

/* atom: an object whose identity fixes its value and whose extra reference
   nobody can observe (no finalizer, no weakrefs): unchanged if the same. */
static int
atom(PyObject *v)
{
    PyTypeObject *t = Py_TYPE(v);
    return v == Py_None || t == &PyLong_Type || t == &PyUnicode_Type || t == &PyBool_Type
        || t == &PyFloat_Type || t == &PyBytes_Type || t == &PyComplex_Type;
}

uint32_t
ctd_value(ct_ev *ev, PyObject *o)
{
    if (!ct_R.opt.values)
        return CTR_NOT_RECORDED;
    if (atom(o))
        return checked(ev, ctv_value(ev->chunk, o));
    uint64_t print;
    return checked(ev, ctv_value_new(ev->chunk, o, &print, CTV_NO_PRINT));
}

uint32_t
ctd_exc(ct_ev *ev, PyObject *o)
{
    return checked(ev, ctv_exception(ev->chunk, o));
}

uint32_t
ctd_callable(ct_ev *ev, PyObject *o)
{
    return checked(ev, ctv_value(ev->chunk, o));
}

/* ---- actions ---- */

int
cta_push(ct_ev *ev, PyObject *code)
{
    if (ctt_push(ev->code) < 0) {
        ev->err = 1;
        return -1;
    }
    ev->stack = 1;
    return 0;
}

int
cta_pop(ct_ev *ev, PyObject *code)
{
    int rc = ctt_pop(ev->code);
    if (rc == 0)
        ev->stack = -1;
    return rc;
}

/* record_var: an Arg or Var record for name `id` with value tree `root`. */
static void
record_var(ct_ev *ev, int arg, uint32_t id, uint32_t root)
{
    if (root == CTV_NONE)
        ev->err = 1;
    else if (arg)
        ctr_emit_Arg(ev->chunk, id, root);
    else
        ctr_emit_Var(ev->chunk, id, root);
}

/* variable: write one Arg or Var record for name `id` bound to `v`. */
static void
variable(ct_ev *ev, int arg, uint32_t id, PyObject *name, PyObject *v)
{
    uint64_t print;
    uint32_t root = ctx_hides(name) ? ctv_redacted(ev->chunk, v)
                  : atom(v) ? ctv_value(ev->chunk, v)
                  : ctv_value_new(ev->chunk, v, &print, CTV_NO_PRINT);
    record_var(ev, arg, id, root);
}

/* fast_vars: the bound names of an optimized frame, read one by one. */
static void
fast_vars(ct_ev *ev, PyFrameObject *f, Py_ssize_t n, int arg)
{
    ct_code *cc = ev->code;
    for (Py_ssize_t i = 0; i < n && !ev->err; i++) {
        PyObject *v = PyFrame_GetVar(f, cc->names[i]);
        if (v == NULL) {   /* unbound */
            PyErr_Clear();
            continue;
        }
        variable(ev, arg, cc->name_ids[i], cc->names[i], v);
        Py_DECREF(v);
    }
}

/* grow: make room for n slots in an activation's per-slot arrays. */
static int
grow(ct_act *a, Py_ssize_t n)
{
    PyObject **last = realloc(a->last, n * sizeof *last);
    if (last != NULL)
        a->last = last;
    uint64_t *print = last ? realloc(a->print, n * sizeof *print) : NULL;
    if (print != NULL)
        a->print = print;
    uint8_t *state = print ? realloc(a->state, n) : NULL;
    if (state == NULL)
        return -1;
    a->state = state;
    a->cap = n;
    return 0;
}

/* act_ready: prepare the top activation's per-slot memory for n slots. */
static ct_act *
act_ready(ct_ev *ev, Py_ssize_t n)
{
    ct_thread *th = ctt_last;
    if (th->depth == 0)
        return NULL;
    ct_act *a = &th->stack[th->depth - 1];
    if (a->code != ev->code)
        return NULL;
    if (!a->ready) {
        if (a->cap < n && grow(a, n) < 0) {
            ev->err = 1;
            return NULL;
        }
        memset(a->last, 0, n * sizeof *a->last);
        memset(a->state, CT_UNBOUND, n);
        a->key = 0;
        a->ready = 1;
    }
    return a;
}

/* delta_vars: for the first n slots, the Var records of the variables that
   changed since the activation's previous step and Unset records for those
   unbound since; all bound variables at its first step in each chunk (a
   keyframe). A slot bound to an atom is unchanged while it holds the same
   object. Any other value is unchanged while its fingerprint (a hash of
   exactly what would be written) is the same: a slot found unchanged at its
   last check is checked by a walk that writes nothing; one found changed is
   written at once, and the tree undone if its fingerprint shows no change.
   With `arg`, the Call's Arg records instead: all of them, and they become
   what the activation's first Step is compared with. */
static void
delta_vars(ct_ev *ev, PyFrameObject *f, ct_act *a, Py_ssize_t n, int arg)
{
    ct_code *cc = ev->code;
    ct_chunk *c = ev->chunk;
    int key = arg || a->key != c->seq + 1;
    a->key = c->seq + 1;
    for (Py_ssize_t i = 0; i < n && !ev->err; i++) {
        uint32_t id = cc->name_ids[i];
        PyObject *v = PyFrame_GetVar(f, cc->names[i]);
        if (v == NULL) {   /* unbound */
            PyErr_Clear();
            if (a->state[i] != CT_UNBOUND) {
                ctr_emit_Unset(c, id);
                Py_CLEAR(a->last[i]);
                a->state[i] = CT_UNBOUND;
            }
            continue;
        }
        if (atom(v)) {
            if (key || a->state[i] != CT_SAME || a->last[i] != v)
                variable(ev, arg, id, cc->names[i], v);
            Py_XSETREF(a->last[i], v);
            a->state[i] = CT_SAME;
            continue;
        }
        Py_CLEAR(a->last[i]);
        int state = a->state[i];
        uint64_t print;
        if (ctx_hides(cc->names[i])) {
            if (key || state != CT_REDACTED)
                record_var(ev, arg, id, ctv_redacted(c, v));
            a->state[i] = CT_REDACTED;
        } else if (key || (state != CT_PRINTED && state != CT_CHANGED)) {
            record_var(ev, arg, id, ctv_value_new(c, v, &print, CTV_NO_PRINT));
            a->print[i] = print;
            a->state[i] = CT_CHANGED;
        } else if (state == CT_CHANGED) {
            uint32_t root = ctv_value_new(c, v, &print, a->print[i]);
            if (root != CTV_SAME)
                record_var(ev, arg, id, root);
            a->print[i] = print;
            a->state[i] = root == CTV_SAME ? CT_PRINTED : CT_CHANGED;
        } else if ((print = ctv_fingerprint(c, v)) != a->print[i] || print == CTV_NO_PRINT) {
            record_var(ev, arg, id, ctv_value_printed(c, v, print));
            a->print[i] = print;
            a->state[i] = CT_CHANGED;
        }
        Py_DECREF(v);
    }
}

/* user_name: a name of a module or class namespace worth showing: not a
   dunder, not __builtins__, not bound to a module. */
static int
user_name(PyObject *k, PyObject *v)
{
    if (!PyUnicode_CheckExact(k) || PyModule_Check(v))
        return 0;
    Py_ssize_t n = PyUnicode_GET_LENGTH(k);
    if (n >= 4 && PyUnicode_READ_CHAR(k, 0) == '_' && PyUnicode_READ_CHAR(k, 1) == '_'
            && PyUnicode_READ_CHAR(k, n - 1) == '_' && PyUnicode_READ_CHAR(k, n - 2) == '_')
        return 0;
    return 1;
}

/* namespace_vars: the user names of a module or class body's namespace. */
static void
namespace_vars(ct_ev *ev, PyObject *ns)
{
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    while (!ev->err && PyDict_Next(ns, &pos, &k, &v)) {
        if (!user_name(k, v))
            continue;
        uint32_t id = cti_name(ev->chunk, k);
        if (id == CTI_NONE) {
            ev->err = 1;
            return;
        }
        variable(ev, 0, id, k, v);
    }
}

/* namespace_of: the namespace of a non-optimized frame (module or class
   body; new ref), or NULL. On 3.13+ PyFrame_GetLocals returns the namespace
   itself. On 3.12 it first writes the frame's non-hidden fast variables into
   the namespace (FastToLocals, through PyObject_SetItem), which for a class
   body with cell or free variables (__class__, closures) would change the
   class and could call a __prepare__ mapping's methods: those frames are not
   read. Hidden fast variables (inlined comprehensions, PEP 709) are skipped
   by FastToLocals, so module code stays safe to read. */
static PyObject *
namespace_of(ct_ev *ev, PyFrameObject *f)
{
#if PY_VERSION_HEX < 0x030D0000
    if (ev->code->has_cells)
        return NULL;
#endif
    PyObject *l = PyFrame_GetLocals(f);
    if (l == NULL)
        PyErr_Clear();
    return l;
}

#if PY_VERSION_HEX >= 0x030D0000
/* proxy_vars: 3.13+, a module or class body while an inlined comprehension
   (PEP 709) has its variables bound: PyFrame_GetLocals returns a
   FrameLocalsProxy (a C type: copying it runs no user code), which shows
   those variables (and not the namespace): record what it shows. */
static void
proxy_vars(ct_ev *ev, PyObject *proxy)
{
    PyObject *d = PyDict_New();
    if (d == NULL || PyDict_Merge(d, proxy, 1) < 0) {
        Py_XDECREF(d);
        ev->err = 1;
        return;
    }
    namespace_vars(ev, d);
    Py_DECREF(d);
}
#endif

int
cta_args(ct_ev *ev, PyObject *code)
{
    if (!ct_R.opt.values)
        return 0;
    PyFrameObject *f = cte_frame();
    ct_act *a;
    if (f == NULL || !ev->code->optimized)
        return 0;
    if ((a = act_ready(ev, ev->code->nnames)) != NULL)
        delta_vars(ev, f, a, ev->code->nargs, 1);
    else if (!ev->err)
        fast_vars(ev, f, ev->code->nargs, 1);
    return ev->err ? -1 : 0;
}

int
cta_locals(ct_ev *ev, PyObject *code)
{
    if (!ct_R.opt.values)
        return 0;
    PyFrameObject *f = cte_frame();
    if (f == NULL)
        return 0;
    ct_act *a;
    if (ev->code->optimized && (a = act_ready(ev, ev->code->nnames)) != NULL) {
        delta_vars(ev, f, a, ev->code->nnames, 0);
    } else if (!ev->err) {   /* a full snapshot: forget all, then every variable */
        ctr_emit_Unset(ev->chunk, CTR_ALL_NAMES);
        if (ev->code->optimized) {
            fast_vars(ev, f, ev->code->nnames, 0);
        } else {
            PyObject *ns = namespace_of(ev, f);
            if (ns != NULL && PyDict_Check(ns))
                namespace_vars(ev, ns);
#if PY_VERSION_HEX >= 0x030D0000
            else if (ns != NULL && PyFrameLocalsProxy_Check(ns))
                proxy_vars(ev, ns);
#endif
            Py_XDECREF(ns);
        }
    }
    return ev->err ? -1 : 0;
}
