/*
** walk.c -- a chunk's state machine for random access in C
** (ctgen_tracer._native.chunk_walk, for index.py's ChunkState).
**
** index.ChunkStatePy is the reference: it reads one chunk's records as rows
** (reader.Trace.chunk_rows) and makes a StepState per step, with its
** activation, call stack, snapshot and events. chunk_walk reads the same
** records straight from the chunk's vectors (ctq_parse, the spec's tables
** in generated/decoder.h) and follows the same state: each thread's open
** activations from the index entry's on, the current thread, each
** activation's first and latest step, and per step its thread, function,
** line, activation, depth, previous step of its activation and whether it
** is a keyframe. What a screen may show later is kept as positions, not
** decoded: the Var, Unset and Arg records that change a snapshot (ops), the
** records after a step (events), Outputs and the object records. index.py
** makes a StepState, a snapshot or a Record of these only when asked for
** (ChunkState). What each record kind does is given by the caller (`roles`,
** index.py's, from the spec's tables), so nothing here lists records.
** tests/test_index.py checks that both agree on every step of the corpus.
**
** Every table is returned as bytes of native int64s, rows of a fixed width
** (the W_* below, given to Python as CHUNK_WALK_WIDTHS); None is INT64_MIN.
*/
#include <Python.h>
#include <stdint.h>
#include <string.h>
#include "decode.h"
#include "decoder.h"
#include "decode_py.h"

/* The roles index.py gives each record kind (its _WALK_ROLES). */
enum { R_OTHER, R_VAR, R_UNSET, R_OBJECT, R_DEFINITION, R_STEP, R_ARG, R_CALL, R_OPEN, R_CLOSE, R_OUTPUT, R_MARK,
       R_N };

#define NONE INT64_MIN
/* Row widths and the columns of each table. */
enum { S_THREAD, S_FID, S_LINE, S_ACT, S_DEPTH, S_PREV, S_KEY, S_OP0, S_OP1, S_CLOCK, S_EV, S_PIN, S_AID, W_STEP };
enum { A_ID, A_FID, A_KIND, A_THREAD, A_CARRIED, A_FIRST, A_LAST, A_LINE, A_PARENT, A_PLAST, A_PLINE, A_ARG0, A_ARG1,
       A_CHUNK, A_PIN, W_ACT };
enum { O_NAME, O_VALUE, O_WHAT, O_KIND, O_VI, O_CLOCK, W_OP };
enum { E_KIND, E_VI, E_THREAD, E_CLOCK, E_NEXT, E_HOLDER, W_EV };
enum { U_KIND, U_VI, U_AT, U_THREAD, W_OUT };
enum { L_KIND, L_VI, L_THREAD, W_LOG };
enum { OP_VAR, OP_UNSET, OP_CLEAR, OP_COMPACT };

typedef struct {
    int64_t *v;
    size_t n, cap;       /* int64s */
} table;

static int64_t *
row(table *t, int w)
{
    if (t->n + (size_t)w > t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 1024;
        while (cap < t->n + (size_t)w)
            cap *= 2;
        int64_t *v = PyMem_Realloc(t->v, cap * sizeof *v);
        if (v == NULL)
            return NULL;
        t->v = v;
        t->cap = cap;
    }
    int64_t *r = t->v + t->n;
    t->n += (size_t)w;
    return r;
}

typedef struct {
    uint64_t tid;
    int64_t *acts;        /* indices into the acts table, outermost first */
    size_t n, cap;
    int64_t last;         /* its latest step in this chunk (an index into steps), -1: none */
} wthread;

typedef struct {
    wthread *t;
    size_t n, cap;
} wthreads;

static wthread *
thread_of(wthreads *ts, uint64_t tid)
{
    for (size_t i = 0; i < ts->n; i++)
        if (ts->t[i].tid == tid)
            return &ts->t[i];
    if (ts->n == ts->cap) {
        size_t cap = ts->cap ? 2 * ts->cap : 4;
        wthread *t = PyMem_Realloc(ts->t, cap * sizeof *t);
        if (t == NULL)
            return NULL;
        ts->t = t;
        ts->cap = cap;
    }
    wthread *t = &ts->t[ts->n++];
    memset(t, 0, sizeof *t);
    t->tid = tid;
    t->last = -1;
    return t;
}

static int
push(wthread *t, int64_t act)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 16;
        int64_t *a = PyMem_Realloc(t->acts, cap * sizeof *a);
        if (a == NULL)
            return -1;
        t->acts = a;
        t->cap = cap;
    }
    t->acts[t->n++] = act;
    return 0;
}

static int field(int k, const char *name)
{
    for (int f = 0; f < ctq_records[k].nfields; f++)
        if (!strcmp(ctq_records[k].fields[f].name, name))
            return f;
    return -1;
}

/* The fields the walk reads, by record kind (-1: none). */
static struct {
    int ready;
    int8_t name[CTR_N_RECORDS], value[CTR_N_RECORDS], fn[CTR_N_RECORDS], line[CTR_N_RECORDS];
    int thread_id, thread_what;
} wf;

static void
fields_setup(void)
{
    if (wf.ready)
        return;
    for (int k = 0; k < CTR_N_RECORDS; k++) {
        wf.name[k] = (int8_t)field(k, "name");
        wf.value[k] = (int8_t)field(k, "value");
        wf.fn[k] = (int8_t)field(k, "fn");
        wf.line[k] = (int8_t)field(k, "line");
    }
    wf.thread_id = field(CTR_K_Thread, "id");
    wf.thread_what = field(CTR_K_Thread, "what");
    wf.ready = 1;
}

static int64_t
tid_out(uint64_t tid)
{
    return tid == CTQ_THREAD_NONE ? NONE : (int64_t)tid;
}

static int
tid_in(PyObject *o, uint64_t *tid)
{
    if (o == Py_None) {
        *tid = CTQ_THREAD_NONE;
        return 0;
    }
    unsigned long long v = PyLong_AsUnsignedLongLong(o);
    if (v == (unsigned long long)-1 && PyErr_Occurred())
        return -1;
    if (v >= CTQ_THREAD_NONE) {
        PyErr_SetString(PyExc_ValueError, "a thread id is a uint32");
        return -1;
    }
    *tid = v;
    return 0;
}

static int
opt_in(PyObject *o, int64_t *v)
{
    if (o == Py_None) {
        *v = NONE;
        return 0;
    }
    *v = PyLong_AsLongLong(o);
    return *v == -1 && PyErr_Occurred() ? -1 : 0;
}

typedef struct {
    table steps, acts, ops, evs, outs, log;
    wthreads th;
    ctq_fns fns;
} walk;

static void
walk_free(walk *w)
{
    PyMem_Free(w->steps.v);
    PyMem_Free(w->acts.v);
    PyMem_Free(w->ops.v);
    PyMem_Free(w->evs.v);
    PyMem_Free(w->outs.v);
    PyMem_Free(w->log.v);
    for (size_t i = 0; i < w->th.n; i++)
        PyMem_Free(w->th.t[i].acts);
    PyMem_Free(w->th.t);
    ctq_fns_free(&w->fns);
}

/* carried: [(thread, [(id, fid, last, chunk, first, line), ...]), ...], outermost first. -1: error set. */
static int
carry(walk *w, PyObject *carried)
{
    PyObject *seq = PySequence_Fast(carried, "carried: a list of (thread, activations)");
    if (seq == NULL)
        return -1;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
        PyObject *pair = PySequence_Fast_GET_ITEM(seq, i), *acts;
        PyObject *to;
        uint64_t tid;
        if (!PyArg_ParseTuple(pair, "OO", &to, &acts) || tid_in(to, &tid) < 0)
            goto fail;
        wthread *t = thread_of(&w->th, tid);
        if (t == NULL) {
            PyErr_NoMemory();
            goto fail;
        }
        PyObject *as = PySequence_Fast(acts, "activations: a list");
        if (as == NULL)
            goto fail;
        int64_t parent = -1, plast = NONE, pline = NONE;
        for (Py_ssize_t j = 0; j < PySequence_Fast_GET_SIZE(as); j++) {
            PyObject *a = PySequence_Fast_GET_ITEM(as, j), *lo, *fo, *no;
            long long id, fid, chunk;
            int64_t last, first, line;
            if (!PyArg_ParseTuple(a, "LLOLOO", &id, &fid, &lo, &chunk, &fo, &no) || opt_in(lo, &last) < 0
                    || opt_in(fo, &first) < 0 || opt_in(no, &line) < 0) {
                Py_DECREF(as);
                goto fail;
            }
            int64_t ix = (int64_t)(w->acts.n / W_ACT), *r = row(&w->acts, W_ACT);
            if (r == NULL || push(t, ix) < 0) {
                Py_DECREF(as);
                PyErr_NoMemory();
                goto fail;
            }
            r[A_ID] = id;
            r[A_FID] = fid;
            r[A_KIND] = NONE;
            r[A_THREAD] = tid_out(tid);
            r[A_CARRIED] = 1;
            r[A_FIRST] = first;
            r[A_LAST] = last;
            r[A_LINE] = line;
            r[A_PARENT] = parent;
            r[A_PLAST] = plast;
            r[A_PLINE] = pline;
            r[A_ARG0] = r[A_ARG1] = 0;
            r[A_CHUNK] = chunk;
            r[A_PIN] = -1;
            parent = ix;
            plast = last;
            pline = line;
        }
        Py_DECREF(as);
    }
    Py_DECREF(seq);
    return 0;
fail:
    Py_DECREF(seq);
    return -1;
}

#define BAD(...) do { PyErr_Format(PyExc_ValueError, __VA_ARGS__); return -1; } while (0)
#define NOMEM() do { PyErr_NoMemory(); return -1; } while (0)

/* The walk of chunk c's records. -1: error set (ValueError: the records are wrong). */
static int
run(walk *w, const ctq_chunk *c, const uint8_t *roles, uint64_t seq, int64_t step0, int64_t acts, uint64_t thread)
{
    uint32_t cursor[CTR_N_RECORDS] = {0};
    const ctq_vec *kinds = &c->slot[CTQ_SLOT_kinds];
    int64_t n = step0, cur = -1;        /* cur: the step whose Vars and Unsets come next */
    wthread *t = thread_of(&w->th, thread);    /* the stack of the latest record's thread */
    if (t == NULL)
        NOMEM();
    for (uint32_t j = 0; j < kinds->n; j++) {
        unsigned k = kinds->p[j];
        if (k >= CTR_N_RECORDS)
            BAD("unknown record kind %u", k);
        const ctq_record *r = &ctq_records[k];
        const ctq_vec *vec = &c->slot[r->slot];
        if (cursor[k] >= vec->n)
            BAD("more %s kinds than %s records", r->name, r->name);
        uint32_t vi = cursor[k]++;
        const uint8_t *rec = vec->p + (size_t)vi * r->size;
        int role = roles[k];
        int64_t nlog = (int64_t)(w->log.n / W_LOG);
        if (role == R_VAR || role == R_UNSET) {
            if (cur < 0)
                continue;
            int64_t *o = row(&w->ops, W_OP);
            if (o == NULL)
                NOMEM();
            uint32_t name = (uint32_t)ctq_get((int)k, rec, wf.name[k]);
            o[O_NAME] = name;
            o[O_VALUE] = NONE;
            if (role == R_VAR) {
                o[O_WHAT] = r->compacts >= 0 ? OP_COMPACT : OP_VAR;
                if (r->compacts < 0)
                    o[O_VALUE] = ctq_get((int)k, rec, wf.value[k]);
            } else {
                o[O_WHAT] = name == CTR_ALL_NAMES ? OP_CLEAR : OP_UNSET;
            }
            o[O_KIND] = k;
            o[O_VI] = vi;
            o[O_CLOCK] = nlog;
            w->steps.v[cur * W_STEP + S_OP1] = (int64_t)(w->ops.n / W_OP);
            continue;
        }
        if (role == R_OBJECT) {
            int64_t *l = row(&w->log, W_LOG);
            if (l == NULL)
                NOMEM();
            l[L_KIND] = k;
            l[L_VI] = vi;
            l[L_THREAD] = tid_out(thread);
            continue;
        }
        if (role == R_DEFINITION)
            continue;
        if (cur >= 0) {
            w->steps.v[cur * W_STEP + S_CLOCK] = nlog;
            cur = -1;
        }
        if (role == R_MARK)   /* (it ends the step: the next event's value check follows) */
            continue;
        uint64_t rtid = thread;      /* the record's thread: a Thread record's is its id */
        if (k == CTR_K_Thread) {
            rtid = (uint32_t)ctq_get((int)k, rec, wf.thread_id);
            if (ctq_get((int)k, rec, wf.thread_what) != CTR_ThreadEvent_Exit)
                thread = rtid;
        }
        if (t->tid != rtid && (t = thread_of(&w->th, rtid)) == NULL)
            NOMEM();
        uint64_t known = CTQ_FN_UNKNOWN;
        if (ctq_fns_feed(&w->fns, (int)k, rec, rtid, &known) < 0)
            NOMEM();
        if (role == R_STEP) {
            int64_t fid, line = ctq_get((int)k, rec, wf.line[k]);
            if (r->omits >= 0) {
                if (known == CTQ_FN_UNKNOWN) {
                    if (rtid == CTQ_THREAD_NONE)
                        BAD("%s record on thread None whose chunk tells no function of its activation", r->name);
                    BAD("%s record on thread %llu whose chunk tells no function of its activation", r->name,
                        (unsigned long long)rtid);
                }
                fid = (int64_t)known;
            } else {
                fid = ctq_get((int)k, rec, wf.fn[k]);
            }
            int64_t si = (int64_t)(w->steps.n / W_STEP), *s = row(&w->steps, W_STEP);
            if (s == NULL)
                NOMEM();
            int64_t ai = t->n ? t->acts[t->n - 1] : -1, key = 0, prev = NONE, pin = -1;
            if (ai >= 0) {
                int64_t *a = w->acts.v + ai * W_ACT;
                key = a[A_CARRIED] && (a[A_LAST] == NONE || a[A_LAST] < step0) && a[A_FIRST] != NONE;
                if (a[A_FIRST] == NONE)
                    a[A_FIRST] = n;
                prev = a[A_LAST];
                pin = a[A_PIN];
                a[A_LAST] = n;
                a[A_LINE] = line;
                a[A_PIN] = si;
            }
            s[S_THREAD] = tid_out(rtid);
            s[S_FID] = fid;
            s[S_LINE] = line;
            s[S_ACT] = ai;
            s[S_DEPTH] = (int64_t)t->n;
            s[S_PREV] = prev;
            s[S_KEY] = key;
            s[S_OP0] = s[S_OP1] = (int64_t)(w->ops.n / W_OP);
            s[S_CLOCK] = nlog;
            s[S_EV] = -1;
            s[S_PIN] = pin;
            s[S_AID] = ai >= 0 ? w->acts.v[ai * W_ACT + A_ID] : -1 - n;   /* (a step outside any: an id of its own) */
            t->last = si;
            cur = si;
            n++;
            continue;
        }
        if (role == R_ARG) {
            if (t->n) {
                int64_t *a = w->acts.v + t->acts[t->n - 1] * W_ACT;
                if (!a[A_CARRIED]) {
                    int64_t *o = row(&w->ops, W_OP);
                    if (o == NULL)
                        NOMEM();
                    a = w->acts.v + t->acts[t->n - 1] * W_ACT;     /* (row() moved no act: another table) */
                    o[O_NAME] = (uint32_t)ctq_get((int)k, rec, wf.name[k]);
                    o[O_WHAT] = r->compacts >= 0 ? OP_COMPACT : OP_VAR;
                    o[O_VALUE] = r->compacts >= 0 ? NONE : ctq_get((int)k, rec, wf.value[k]);
                    o[O_KIND] = k;
                    o[O_VI] = vi;
                    o[O_CLOCK] = nlog;
                    a[A_ARG1] = (int64_t)(w->ops.n / W_OP);
                }
            }
            continue;
        }
        if (role == R_OPEN || role == R_CALL) {
            int64_t ai = (int64_t)(w->acts.n / W_ACT), *a = row(&w->acts, W_ACT);
            if (a == NULL)
                NOMEM();
            int64_t parent = t->n ? t->acts[t->n - 1] : -1;
            const int64_t *p = parent >= 0 ? w->acts.v + parent * W_ACT : NULL;
            a[A_ID] = acts++;
            a[A_FID] = wf.fn[k] >= 0 ? ctq_get((int)k, rec, wf.fn[k]) : 0;
            a[A_KIND] = k;
            a[A_THREAD] = tid_out(rtid);
            a[A_CARRIED] = 0;
            a[A_FIRST] = a[A_LAST] = a[A_LINE] = NONE;
            a[A_PARENT] = parent;
            a[A_PLAST] = p ? p[A_LAST] : NONE;
            a[A_PLINE] = p ? p[A_LINE] : NONE;
            a[A_ARG0] = a[A_ARG1] = (int64_t)(w->ops.n / W_OP);
            a[A_CHUNK] = (int64_t)seq;
            a[A_PIN] = -1;
            if (push(t, ai) < 0)
                NOMEM();
        } else if (role == R_CLOSE) {
            if (t->n)
                t->n--;
        } else if (role == R_OUTPUT) {
            int64_t *u = row(&w->outs, W_OUT);
            if (u == NULL)
                NOMEM();
            int64_t at = NONE;
            for (size_t i = t->n; i-- > 0;) {
                int64_t last = w->acts.v[t->acts[i] * W_ACT + A_LAST];
                if (last != NONE) {
                    at = last;
                    break;
                }
            }
            u[U_KIND] = k;
            u[U_VI] = vi;
            u[U_AT] = at;
            u[U_THREAD] = tid_out(rtid);
        }
        if (t->last >= 0) {       /* an event after the thread's latest step */
            int64_t ei = (int64_t)(w->evs.n / W_EV), *e = row(&w->evs, W_EV);
            if (e == NULL)
                NOMEM();
            e[E_KIND] = k;
            e[E_VI] = vi;
            e[E_THREAD] = tid_out(rtid);
            e[E_CLOCK] = nlog;
            e[E_NEXT] = -1;
            e[E_HOLDER] = t->last;
            /* appended to the holder's list: its last event links to this one */
            int64_t *h = w->steps.v + t->last * W_STEP;
            if (h[S_EV] < 0) {
                h[S_EV] = ei;
            } else {
                int64_t x = h[S_EV];
                while (w->evs.v[x * W_EV + E_NEXT] >= 0)
                    x = w->evs.v[x * W_EV + E_NEXT];
                w->evs.v[x * W_EV + E_NEXT] = ei;
            }
        }
    }
    if (cur >= 0)
        w->steps.v[cur * W_STEP + S_CLOCK] = (int64_t)(w->log.n / W_LOG);
    return 0;
}

static PyObject *
bytes_of(const table *t)
{
    return PyBytes_FromStringAndSize((const char *)t->v, (Py_ssize_t)(t->n * sizeof *t->v));
}

PyDoc_STRVAR(chunk_walk_doc,
"chunk_walk(buf, seq, step0, act0, thread, carried, roles) -> (steps, acts, ops, events, outputs, objects)\n\n"
"Walk the size-prefixed chunk buf (chunk number seq, first step step0, first activation id act0,\n"
"current thread `thread` (None: before any Thread record), the activations open at its start\n"
"`carried`: [(thread, [(id, fid, last, chunk, first, line), ...])], outermost first) with the\n"
"record kinds' `roles` (bytes, one per kind); its tables as bytes of int64 rows (CHUNK_WALK_WIDTHS).\n"
"ValueError names what is wrong with the records.");

static PyObject *
chunk_walk(PyObject *self, PyObject *args)
{
    Py_buffer buf, roles;
    unsigned long long seq;
    long long step0, act0;
    PyObject *to, *carried;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*KLLOOy*", &buf, &seq, &step0, &act0, &to, &carried, &roles))
        return NULL;
    PyObject *res = NULL;
    walk w;
    memset(&w, 0, sizeof w);
    ctq_chunk c;
    char err[256];
    uint64_t thread;
    fields_setup();
    if (roles.len != CTR_N_RECORDS) {
        PyErr_Format(PyExc_ValueError, "roles: %d bytes, one per record kind", CTR_N_RECORDS);
        goto done;
    }
    for (Py_ssize_t i = 0; i < roles.len; i++) {     /* each role on a record kind with the fields it reads */
        int r = ((const uint8_t *)roles.buf)[i], k = (int)i, compact = ctq_records[k].compacts >= 0;
        if (r >= R_N || ((r == R_VAR || r == R_UNSET || r == R_ARG) && wf.name[k] < 0)
                || ((r == R_VAR || r == R_ARG) && !compact && wf.value[k] < 0)
                || (r == R_STEP && (wf.line[k] < 0 || (ctq_records[k].omits < 0 && wf.fn[k] < 0)))) {
            PyErr_Format(PyExc_ValueError, "roles: record %s cannot have role %d", ctq_records[k].name, r);
            goto done;
        }
    }
    if (tid_in(to, &thread) < 0)
        goto done;
    if (ctq_parse(buf.buf, (size_t)buf.len, &c, err, sizeof err) < 0) {
        PyErr_SetString(PyExc_ValueError, err);
        goto done;
    }
    if (c.seq != seq && c.seq != 0) {    /* (0: absent, the default, as in the first chunk) */
        PyErr_Format(PyExc_ValueError, "its seq is %llu", (unsigned long long)c.seq);
        goto done;
    }
    if (carry(&w, carried) < 0 || run(&w, &c, roles.buf, seq, step0, act0, thread) < 0)
        goto done;
    res = Py_BuildValue("(NNNNNN)", bytes_of(&w.steps), bytes_of(&w.acts), bytes_of(&w.ops), bytes_of(&w.evs),
                        bytes_of(&w.outs), bytes_of(&w.log));
done:
    walk_free(&w);
    PyBuffer_Release(&buf);
    PyBuffer_Release(&roles);
    return res;
}

PyDoc_STRVAR(chunk_find_doc,
"chunk_find(steps, i, forward, thread, max_depth, act, line, fids) -> int\n\n"
"The first row of chunk_walk's steps table from row i on (forward) or down from it whose thread\n"
"is `thread` (NONE: None; None: any), depth at most max_depth, activation id `act`, line `line`\n"
"with a function in fids (a tuple of ints) (each None: any); -1 when none is.");

static PyObject *
chunk_find(PyObject *self, PyObject *args)
{
    Py_buffer b;
    Py_ssize_t i;
    int forward;
    PyObject *to, *mo, *ao, *lo, *fids;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*npOOOOO", &b, &i, &forward, &to, &mo, &ao, &lo, &fids))
        return NULL;
    const int64_t *v = b.buf;
    Py_ssize_t n = b.len / (Py_ssize_t)(W_STEP * sizeof *v), found = -1;
    int64_t th = 0, md = 0, act = 0, line = 0;
    int any_th = to == Py_None, any_md = mo == Py_None, any_act = ao == Py_None, any_line = lo == Py_None;
    int64_t fv[64];
    Py_ssize_t nf = 0;
    if ((!any_th && (th = PyLong_AsLongLong(to)) == -1 && PyErr_Occurred())
            || (!any_md && (md = PyLong_AsLongLong(mo)) == -1 && PyErr_Occurred())
            || (!any_act && (act = PyLong_AsLongLong(ao)) == -1 && PyErr_Occurred())
            || (!any_line && (line = PyLong_AsLongLong(lo)) == -1 && PyErr_Occurred()))
        goto done;
    if (!any_line) {
        if (!PyTuple_Check(fids) || PyTuple_GET_SIZE(fids) > 64) {
            PyErr_SetString(PyExc_ValueError, "fids: a tuple of at most 64 function ids");
            goto done;
        }
        nf = PyTuple_GET_SIZE(fids);
        for (Py_ssize_t f = 0; f < nf; f++)
            if ((fv[f] = PyLong_AsLongLong(PyTuple_GET_ITEM(fids, f))) == -1 && PyErr_Occurred())
                goto done;
    }
    for (Py_ssize_t j = i; j >= 0 && j < n; j += forward ? 1 : -1) {
        const int64_t *s = v + j * W_STEP;
        if ((any_th || s[S_THREAD] == th) && (any_md || s[S_DEPTH] <= md) && (any_act || s[S_AID] == act)) {
            if (!any_line) {
                if (s[S_LINE] != line)
                    continue;
                Py_ssize_t f = 0;
                while (f < nf && fv[f] != s[S_FID])
                    f++;
                if (f == nf)
                    continue;
            }
            found = j;
            break;
        }
    }
    PyBuffer_Release(&b);
    return PyLong_FromSsize_t(found);
done:
    PyBuffer_Release(&b);
    return NULL;
}

static PyMethodDef walk_methods[] = {
    {"chunk_walk", chunk_walk, METH_VARARGS, chunk_walk_doc},
    {"chunk_find", chunk_find, METH_VARARGS, chunk_find_doc},
    {NULL, NULL, 0, NULL},
};

int
ctw_add(PyObject *module)
{
    if (PyModule_AddFunctions(module, walk_methods) < 0)
        return -1;
    PyObject *w = Py_BuildValue("{sisisisisisi}", "steps", W_STEP, "acts", W_ACT, "ops", W_OP, "events", W_EV,
                                "outputs", W_OUT, "objects", W_LOG);
    if (w == NULL)
        return -1;
    int rc = PyModule_AddObjectRef(module, "CHUNK_WALK_WIDTHS", w);
    Py_DECREF(w);
    return rc;
}
