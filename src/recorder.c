/*
** recorder.c -- the recorder: its state, start and stop (tool id, callbacks
** and event masks from the generated event table; the frames already
** running adopted), the chunk handed to the writer, the failure policy, the
** records the recorder writes itself (Exit) and the fork hooks.
*/
#include "recorder.h"
#include "chunk.h"
#include "inline.h"
#include "intern.h"
#include "numbering.h"
#include "redact.h"
#include "frame.h"
#include "nswatch.h"
#include "sigterm.h"
#include "unseen.h"
#include "values.h"
#include "writer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

ct_rec ct_R;

static PyObject *monitoring;          /* sys.monitoring */
static PyObject *callbacks[CTG_N_EVENTS];

/* ---- sys.monitoring ---- */

/* call: sys.monitoring.NAME(*args) (NULL with an error set). */
static PyObject *
call(const char *name, const char *fmt, ...)
{
    PyObject *f = PyObject_GetAttrString(monitoring, name);
    if (f == NULL)
        return NULL;
    va_list va;
    va_start(va, fmt);
    PyObject *args = Py_VaBuildValue(fmt, va);
    va_end(va);
    PyObject *r = args ? PyObject_CallObject(f, args) : NULL;
    Py_XDECREF(args);
    Py_DECREF(f);
    return r;
}

/* event_bit: 1 << the PEP 669 number of event ev in this CPython. */
static unsigned long
event_bit(int ev)
{
    return 1UL << ctg_events[ev].number;
}

/* masks: the global and the per-code PEP 669 masks of event set `set`. */
static void
masks(uint32_t set, unsigned long *global, unsigned long *local)
{
    *global = *local = 0;
    for (int i = 0; i < CTG_N_EVENTS; i++) {
        if (!(set & (1u << i)))
            continue;
        const ctg_event *e = &ctg_events[i];
        if (e->group == CTG_GROUP_EXCEPTION || (e->flags & CTG_F_DISCOVER))
            *global |= event_bit(i);
        if (e->group != CTG_GROUP_EXCEPTION)
            *local |= event_bit(i);
    }
}

/* set_callbacks: register (or with `on` = 0, unregister) the callbacks of `set`. */
static int
set_callbacks(uint32_t set, int on)
{
    for (int i = 0; i < CTG_N_EVENTS; i++) {
        if (!(set & (1u << i)))
            continue;
        if (callbacks[i] == NULL && (callbacks[i] = PyCFunction_New(ctg_events[i].def, NULL)) == NULL)
            return -1;
        PyObject *r = call("register_callback", "(ikO)", ct_R.tool, event_bit(i),
                           on ? callbacks[i] : Py_None);
        if (r == NULL)
            return -1;
        Py_DECREF(r);
    }
    return 0;
}

/* unmonitor: turn off every event this recording turned on. */
static int
unmonitor(void)
{
    int rc = 0;
    PyObject *r = call("set_events", "(ik)", ct_R.tool, 0UL);
    if (r == NULL)
        rc = -1;
    Py_XDECREF(r);
    if (ctc_unmonitor() < 0)
        rc = -1;
    if (set_callbacks(ct_R.event_set, 0) < 0)
        rc = -1;
    r = call("free_tool_id", "(i)", ct_R.tool);
    if (r == NULL)
        rc = -1;
    Py_XDECREF(r);
    return rc;
}

/* check_numbering: compare every event's number with its bit in `events`
   (sys.monitoring.events); 0 if all agree, else -1 with an ImportError. */
static int
check_numbering(PyObject *events)
{
    for (int i = 0; i < CTG_N_EVENTS; i++) {
        const ctg_event *e = &ctg_events[i];
        if (e->number < 0)
            continue;
        PyObject *bit = PyObject_GetAttrString(events, e->name);
        if (bit == NULL)
            return -1;
        long v = PyLong_AsLong(bit);
        Py_DECREF(bit);
        if (v != 1L << e->number) {
            PyErr_Format(PyExc_ImportError,
                         "ctgen_tracer was generated for %s numbering of CPython " CTG_PY_VERSION
                         " (%s = 1 << %d), but this interpreter says %ld: "
                         "rerun ./configure.py for this interpreter", e->name, e->name, e->number, v);
            return -1;
        }
    }
    return 0;
}

int
cte_init(void)
{
    if (monitoring != NULL)
        return 0;
    PyObject *sys = PyImport_ImportModule("sys");
    monitoring = sys ? PyObject_GetAttrString(sys, "monitoring") : NULL;
    Py_XDECREF(sys);
    if (monitoring == NULL)
        return -1;
    PyObject *ev = PyObject_GetAttrString(monitoring, "events");
    int rc = ev ? check_numbering(ev) : -1;
    Py_XDECREF(ev);
    if (rc < 0 || ctc_setup() < 0) {
        Py_CLEAR(monitoring);
        return -1;
    }
    return 0;
}

/* ---- the slow paths of the entry ---- */

/* check_caps: stop recording, cleanly, if a cap is reached (checked at each
   chunk: a cap is exceeded by at most the chunks handed to the writer and
   not yet written). Not a failure: nothing is printed, the program runs on. */
static void
check_caps(void)
{
    if (!ct_R.active)
        return;
    if (ct_R.opt.max_steps && ct_R.steps >= ct_R.opt.max_steps)
        ct_R.cap = "max_steps";
    else if (ct_R.opt.max_bytes && ctw_bytes() >= ct_R.opt.max_bytes)
        ct_R.cap = "max_trace_size";
    if (ct_R.cap != NULL)
        ct_R.active = 0;
}

/* now_ns: CLOCK_MONOTONIC in nanoseconds. */
static uint64_t
now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* begin_clock: put the chunk's Clock record first, its records after it
   (a chunk begun by a record written outside cte_room: a thread's exit or
   the Exit at stop); 0, or -1 when out of memory. */
static int
begin_clock(ct_chunk *c)
{
    ctr_emit_Clock(c, now_ns() - ct_R.t0);
    if (c->failed)
        return -1;
    memmove(c->kinds.p + 1, c->kinds.p, c->kinds.len - 1);
    c->kinds.p[0] = (char)CTR_K_Clock;
    return 0;
}

int
cte_clock(void)
{
    ct_chunk *c = &ct_R.chunk;
    ctr_emit_Clock(c, now_ns() - ct_R.t0);
    if (!c->failed)
        return 1;
    c->failed = 0;
    cte_stop_with("out of memory");
    return 0;
}

/* flush: hand the chunk being built to the writer (closing: the last one,
   from stop(), written even though recording stopped). */
static void
flush(int closing)
{
    ct_chunk *c = &ct_R.chunk;
    if (!ctw_ready() || c->kinds.len == 0)
        return;
    if (ctw_foreign()) {   /* the parent's chunk and file: drop it, stop quietly */
        ctk_reset(c);
        ct_R.active = 0;
        return;
    }
    while (ctw_wait())   /* other threads ran: recording may have stopped */
        if (!closing && !ct_R.active)
            return;
    if (c->kinds.len == 0)   /* another thread flushed it meanwhile */
        return;
    if ((uint8_t)c->kinds.p[0] != CTR_K_Clock && begin_clock(c) < 0) {
        cte_stop_with("out of memory");
        ctk_reset(c);
        return;
    }
    uint64_t records = c->kinds.len;
    uint64_t steps = ctr_count_Step(c);
    int e = ctw_put(c);
    c->seq++;
    ctk_reset(c);
    cte_fast_room();
    if (!e) {
        ct_R.records += records;
        ct_R.steps += steps;
        if (ct_R.opt.max_bytes || ct_R.opt.max_steps)
            check_caps();
        return;
    }
    char why[200];
    if (e == EFBIG)
        snprintf(why, sizeof why, "a chunk grew past 1 GiB, the format's limit (values too big: "
                 "lower --max-items, --max-text or --max-depth); that chunk is lost");
    else
        snprintf(why, sizeof why, "cannot write the trace: %s", strerror(e));
    cte_stop_with(why);
}

void
cte_flush(void)
{
    flush(0);
}


int
cte_begin_full(ct_ev *ev, PyObject *const *args, Py_ssize_t nargs, Py_ssize_t want)
{
    if (!ct_R.active)
        return 0;
    if (nargs != want || !PyCode_Check(args[0])) {
        ev->disable = 0;   /* a code-like object (3.13+): not ours to record */
        return 0;
    }
    if (ev->event == CTG_EV_PY_START && *ctc_unseen_of(args[0]) == args[0]) {
        ctu_bump();   /* (code not recorded with an impure opcode, met before: below) */
        ev->disable = 0;
        return 0;
    }
    uint64_t seq = ct_R.chunk.seq;
    int going = ct_R.chunk.kinds.len > 0;   /* (a chunk begun: going on unless flushed below) */
    if (!cte_room())
        return 0;
    going = going && ct_R.chunk.seq == seq;
    ct_code *cc = ctc_lookup(args[0], ct_R.generation);
    int known = cc != NULL;
    if (cc == NULL && (cc = cte_code(args[0])) == NULL)
        return 0;
    if (!cc->recorded) {
        if (cc->impure_any) {   /* code not recorded that may change an object (values only):
                                   its PY_START and PY_THROW stay on and bump the epoch */
            ctu_bump();
            if (ev->event == CTG_EV_PY_START || ev->event == CTG_EV_PY_THROW)
                ev->disable = 0;
        }
        return 0;
    }
    int here = ctt_here();
    if (!cte_on_thread())
        return 0;
    ct_chunk *c = &ct_R.chunk;
    ev->code = cc;
    ev->chunk = c;
    ev->kinds0 = c->kinds.len;
    ev->values0 = c->values.len;
    ev->data0 = c->data.len;
    ct_R.events++;
    if (known && here && going && ct_R.opt.values)   /* what the fast path would do (its caches missed) */
        cte_epoch_event(ev->event, cc);
    else
        ctu_bump();   /* (another thread's, a new chunk's, a new code object's: not known pure) */
    return 1;
}

ct_code *
cte_code(PyObject *code)
{
    ct_code *cc = ctc_code_init(code, cte_frame(), &ct_R.chunk);
    if (PyErr_Occurred()) {   /* (cc NULL without one: stopped meanwhile by another thread) */
        cte_stop_with(NULL);
        return NULL;
    }
    return cc;
}

int
cte_switch(void)
{
    if (ctt_switch(&ct_R.chunk, ct_R.generation) == 0)
        return 0;
    cte_stop_with("out of memory (thread state)");
    return -1;
}

/* ---- failure ---- */

/* rollback: undo what the failed event did: its records (the chunk's sizes
   at its entry: kinds0, values0, data0; CT_UNCHANGED: the event appends
   nothing there) and its push or pop of an activation (stack; a popped
   entry is still in place above the top). */
static void
rollback(int stack, size_t kinds0, size_t values0, size_t data0)
{
    ct_chunk *c = &ct_R.chunk;
    ct_thread *th = ctt_last;
    th->depth -= stack;
    ctt_set_top(th);
    while (c->kinds.len > kinds0) {
        int k = (uint8_t)c->kinds.p[--c->kinds.len];
        c->rec[k].len -= ctr_record_size[k];
    }
    if (values0 != CT_UNCHANGED)
        c->values.len = values0;
    if (data0 != CT_UNCHANGED)
        c->data.len = data0;
    c->failed = 0;
    ctv_forget_shared();
    if (th->depth > 0)   /* its variables may be half recorded: a keyframe next */
        th->stack[th->depth - 1].key = 0;
}

PyObject *
cte_fail(int stack, size_t kinds0, size_t values0, size_t data0)
{
    int oom = ct_R.chunk.failed;
    rollback(stack, kinds0, values0, data0);
    if (ct_R.fail_next) {
        ct_R.fail_next = 0;
        cte_stop_with("injected failure (test)");
        return Py_NewRef(Py_None);
    }
    cte_stop_with(oom ? "out of memory" : NULL);
    return Py_NewRef(Py_None);
}

void
cte_stop_with(const char *why)
{
    char buf[300];
    if (why == NULL) {
        why = "internal error";
        PyObject *exc = PyErr_GetRaisedException();
        if (exc != NULL) {
            PyObject *s = PyObject_Str(exc);   /* our own error: a built-in exception */
            const char *m = s ? PyUnicode_AsUTF8(s) : NULL;
            snprintf(buf, sizeof buf, "%s: %s", Py_TYPE(exc)->tp_name, m ? m : "?");
            why = buf;
            Py_XDECREF(s);
            Py_DECREF(exc);
        }
    }
    PyErr_Clear();
    if (!ct_R.active)
        return;
    ct_R.active = 0;
    free(ct_R.error);
    ct_R.error = strdup(why);
    fprintf(stderr, "ctgen-tracer: recording stopped: %s\n", why);
}

/* ---- start and stop ---- */

/* adopt: replay PY_START, as the spec describes it, for each frame already
   running on this thread (outermost first), so that recorded frames get an
   activation and a Call and their returns balance. */
static int
adopt(PyFrameObject *f)
{
    if (f == NULL)
        return 0;
    PyFrameObject *back = PyFrame_GetBack(f);
    int rc = adopt(back);
    Py_XDECREF(back);
    if (rc < 0)
        return -1;
    PyObject *args[2] = { (PyObject *)PyFrame_GetCode(f), PyLong_FromLong(PyFrame_GetLasti(f)) };
    PyObject *r = NULL;
    if (args[1] != NULL) {
        PyMethodDef *def = ctg_events[CTG_EV_PY_START].def;
        ct_R.adopting = f;
        r = ((PyObject *(*)(PyObject *, PyObject *const *, Py_ssize_t))(void (*)(void))def->ml_meth)(
                NULL, args, 2);
        ct_R.adopting = NULL;
    }
    Py_XDECREF(r);
    Py_DECREF(args[0]);
    Py_XDECREF(args[1]);
    return ct_R.active ? 0 : -1;
}

/* clear_state: forget everything of the recording but its summary. */
static void
clear_state(void)
{
    ctc_clear();
    ctx_clear();
    Py_CLEAR(ct_R.disable);
    Py_CLEAR(ct_R.missing);
    cti_clear();
    ctv_deaths_remove();
    ctu_remove();
    ctv_stop();
    ctk_reset(&ct_R.chunk);
    ctt_reset_all();
    ctn_stop();   /* after the activations that held watches */
}

int
cte_started(void)
{
    return ctc_started();
}

/* free_tool: give the tool id back, keeping the error set. */
static void
free_tool(int tool)
{
    PyObject *exc = PyErr_GetRaisedException();
    PyObject *r = call("free_tool_id", "(i)", tool);
    Py_XDECREF(r);
    PyErr_Clear();
    clear_state();
    PyErr_SetRaisedException(exc);
}

int
cte_start(const char *path, int tool, uint32_t set, PyObject *selector, PyObject *redact,
          const ct_options *opt)
{
    unsigned long global, local;
    masks(set, &global, &local);
    PyObject *r = call("use_tool_id", "(is)", tool, "ctgen-tracer");
    if (r == NULL) {
        PyObject *owner = call("get_tool", "(i)", tool);
        PyErr_Clear();
        PyErr_Format(PyExc_RuntimeError, "sys.monitoring tool id %d is in use by %R", tool,
                     owner ? owner : Py_None);
        Py_XDECREF(owner);
        return -1;
    }
    Py_DECREF(r);
    if (!opt->values && ctg_fast_reserve(&ct_R.chunk) < 0) {
        free_tool(tool);
        PyErr_NoMemory();
        return -1;
    }
    ct_R.opt = *opt;
    civ_setup(opt->inline_values);
    ct_R.tool = tool;
    ct_R.event_set = set;
    if (ctx_set(redact) < 0) {
        free_tool(tool);
        return -1;
    }
    PyObject *set_local_events = PyObject_GetAttrString(monitoring, "set_local_events");
    ct_R.disable = PyObject_GetAttrString(monitoring, "DISABLE");
    ct_R.missing = PyObject_GetAttrString(monitoring, "MISSING");
    int ok = set_local_events != NULL && ct_R.disable != NULL && ct_R.missing != NULL
             && ctc_start(ct_R.generation + 1, selector, tool, (uint32_t)local, opt->values,
                          opt->values && (set & (1u << CTG_EV_PY_THROW))
                              && ctg_events[CTG_EV_PY_THROW].group != CTG_GROUP_EXCEPTION
                          ? (uint32_t)event_bit(CTG_EV_PY_THROW) : 0, set_local_events) == 0;
    Py_XDECREF(set_local_events);
    if (!ok || cti_init() < 0 || ctw_open(path, opt->compress) < 0) {
        free_tool(tool);
        return -1;
    }
    ct_R.generation++;
    ctt_last = &ctt_none;   /* (ctt_here: &ctt_none or a thread of this recording) */
    ct_R.events = ct_R.records = ct_R.steps = 0;
    ct_R.chunk.seq = 0;
    ct_R.t0 = now_ns();
    free(ct_R.error);
    ct_R.error = NULL;
    ctv_start(&(ctv_limits){ .max_depth = opt->max_depth, .max_items = opt->max_items,
                             .max_text = opt->max_text, .max_nodes = opt->max_nodes },
              ct_R.missing);
    if (set_callbacks(set, 1) < 0) {
        cte_abort();
        return -1;
    }
    ct_R.active = opt->values ? CT_ACTIVE_VALUES : CT_ACTIVE_NOVALUES;
    if (opt->values) {
        ctv_deaths_install();
        ctu_install();
        ctu_pure_skips = 0;
        ctu_target_passes = 0;
        ctu_epoch_passes = 0;
    }
    cte_fast_room();   /* (this recording's chunk_bytes, before adopt's PY_STARTs) */
    if (adopt(PyEval_GetFrame()) < 0 && !ct_R.active) {
        cte_abort();
        return -1;
    }
    return 0;
}

int
cte_monitor(void)
{
    unsigned long global, local;
    masks(ct_R.event_set, &global, &local);
    PyObject *r = call("set_events", "(ik)", ct_R.tool, global);
    Py_XDECREF(r);
    return r == NULL ? -1 : 0;
}

void
cte_abort(void)
{
    ct_R.active = 0;
    PyObject *exc = PyErr_GetRaisedException();
    set_callbacks(ct_R.event_set, 0);
    PyErr_Clear();
    flush(1);
    ctw_close();
    PyErr_Clear();
    PyErr_SetRaisedException(exc);
    free_tool(ct_R.tool);
}

void
cte_halt(void)
{
    ctt_close_all(&ct_R.chunk, ct_R.generation);
    ct_R.active = 0;
}

PyObject *
cte_stop(void)
{
    int rc = unmonitor();
    PyObject *exc = rc < 0 ? PyErr_GetRaisedException() : NULL;
    PyObject *paths = cti_path_list();
    flush(1);
    if (ctw_close() < 0) {   /* a write failed: reported, not raised */
        PyObject *w = PyErr_GetRaisedException();
        PyObject *msg = w ? PyObject_Str(w) : NULL;
        if (ct_R.error == NULL)
            ct_R.error = strdup(msg && PyUnicode_Check(msg) ? PyUnicode_AsUTF8(msg) : "cannot write the trace");
        Py_XDECREF(msg);
        Py_XDECREF(w);
        PyErr_Clear();
    }
    clear_state();
    if (exc != NULL || paths == NULL) {
        Py_XDECREF(paths);
        if (exc != NULL)
            PyErr_SetRaisedException(exc);
        return NULL;
    }
    const char *cap = ct_R.cap;
    ct_R.cap = NULL;
    return Py_BuildValue("{sKsKsKsKsKsKsKsKszszsNsOsKsKsKsOss}", "events", (unsigned long long)ct_R.events,
                         "clock_origin_ns", (unsigned long long)ct_R.t0,
                         "records", (unsigned long long)ct_R.records,
                         "steps", (unsigned long long)ct_R.steps,
                         "bytes", (unsigned long long)ctw_bytes(),
                         "chunks", (unsigned long long)ctw_chunks(),
                         "uncompressed_bytes", (unsigned long long)ctw_raw_bytes(),
                         "compressed_chunks", (unsigned long long)ctw_compressed_chunks(),
                         "error", ct_R.error, "cap", cap, "paths", paths,
                         "dict_watcher", ctv_dict_watcher() ? Py_True : Py_False,
                         "pure_skips", (unsigned long long)ctu_pure_skips,
                         "target_passes", (unsigned long long)ctu_target_passes,
                         "epoch_passes", (unsigned long long)ctu_epoch_passes,
                         "pure_line_skip", ct_R.opt.values && !ctu_opaque ? Py_True : Py_False,
                         "frame_slots", ctf_direct() ? "direct" : "by name");
}

void
cte_exit(int status, PyObject *exc)
{
    if (!ct_R.active || !cte_on_thread())
        return;
    uint32_t v = exc == Py_None ? CTR_NOT_RECORDED : ctv_exception(&ct_R.chunk, exc);
    if (v == CTV_NONE && exc != Py_None) {
        cte_stop_with(NULL);
        return;
    }
    ctr_emit_Exit(&ct_R.chunk, status, v);
}

/* ---- fork ---- */

/* The fork point, noted by cte_fork_before() in the parent; the child reads
   it from its copy of the parent's memory. */
static struct {
    int valid;
    long pid;
    long thread;           /* trace id of the forking thread, -1: none yet */
    uint64_t record, step; /* records and Steps recorded before the fork */
} fork_point;

/* audit: the "os.fork" (and "os.forkpty") audit event comes before
   CPython counts the process's threads for its "multi-threaded fork"
   warning (3.13+ count before the at-fork hooks run): stop our threads
   here, so the count is the program's own. fork_parent starts them again
   (also when the fork fails). Other events cost a string compare. */
static int
audit(const char *event, PyObject *args, void *data)
{
    if (event[0] == 'o' && (strcmp(event, "os.fork") == 0 || strcmp(event, "os.forkpty") == 0)) {
        cts_fork_before();
        if (cte_started())
            ctw_fork_before();
    }
    return 0;
}

int
cte_watch_forks(void)
{
    static int added;   /* the hook cannot be removed; added by the first start() */
    if (added)
        return 0;
    if (PySys_AddAuditHook(audit, NULL) < 0)
        return -1;
    added = 1;
    return 0;
}

void
cte_fork_before(void)
{
    fork_point.valid = 0;
    cts_fork_before();
    if (!cte_started())
        return;
    ct_thread *th = ctt_current;
    ct_chunk *c = &ct_R.chunk;
    fork_point.valid = 1;
    fork_point.pid = (long)getpid();
    fork_point.thread = th != NULL && th->generation == ct_R.generation ? (long)th->id : -1;
    fork_point.record = ct_R.records + c->kinds.len;
    fork_point.step = ct_R.steps + ctr_count_Step(c);
    ctw_fork_before();
    ctw_fork_begin();
}

/* resume: a pending call, run by the main thread once os.fork() has
   returned (after CPython counted the threads): our threads again. */
static int
resume(void *unused)
{
    ctw_resume();
    cts_resume();
    return 0;
}

void
cte_fork_parent(void)
{
    ctw_fork_parent();
    if (Py_AddPendingCall(resume, NULL) < 0) {
        /* the queue is full: the writer restarts at the next flush */
    }
}

PyObject *
cte_fork_child(void)
{
    ct_R.active = 0;
    ctw_fork_child();
    ctk_reset(&ct_R.chunk);
    ctt_fork_child();
    if (unmonitor() < 0)
        PyErr_Clear();
    free(ct_R.error);
    ct_R.error = NULL;
    clear_state();
    if (!fork_point.valid)
        return PyDict_New();
    return Py_BuildValue("{slslsKsK}", "pid", fork_point.pid, "thread", fork_point.thread,
                         "record", (unsigned long long)fork_point.record,
                         "step", (unsigned long long)fork_point.step);
}
