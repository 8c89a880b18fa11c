/*
** module.c -- the extension module ctgen_tracer._native: start and stop a
** recording (tool id, callbacks and event masks from the generated event
** table), adopt the frames already running, and the Exit record.
*/
#include "core.h"
#include "thread.h"
#include "values.h"
#include "writer.h"
#include "sigterm.h"
#include "numbering.h"

#include <string.h>
#include <unistd.h>

int ctc_setup(void);
static int watch_forks(void);

static PyObject *monitoring;          /* sys.monitoring */
static PyObject *callbacks[CTG_N_EVENTS];

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
read_options(PyObject *kw)
{
    long values, depth, items, text, nodes, chunk, capture_io, compress;
    unsigned long long max_bytes = 0, max_steps = 0;
    if (opt_int(kw, "values", 1, 0, 1, &values) < 0
            || opt_int(kw, "max_depth", CT_DEPTH_DEFAULT, 0, CT_DEPTH_MAX, &depth) < 0
            || opt_int(kw, "capture_io", 0, 0, 1, &capture_io) < 0
            || opt_int(kw, "max_items", CT_ITEMS_DEFAULT, 0, CT_ITEMS_MAX, &items) < 0
            || opt_int(kw, "max_text", CT_TEXT_DEFAULT, 0, CT_TEXT_MAX, &text) < 0
            || opt_int(kw, "max_nodes", CT_NODES_DEFAULT, 1, CT_NODES_MAX, &nodes) < 0
            || opt_int(kw, "chunk_bytes", 1 << 20, 4096, 1 << 28, &chunk) < 0
            || opt_int(kw, "compress", 0, 0, 9, &compress) < 0
            || opt_u64(kw, "max_trace_size", &max_bytes) < 0
            || opt_u64(kw, "max_steps", &max_steps) < 0)
        return -1;
    ct_R.opt = (ct_options){ .values = values != 0, .max_depth = (int)depth, .max_items = items,
                             .max_text = text, .max_nodes = (uint32_t)nodes,
                             .chunk_bytes = (size_t)chunk,
                             .capture_io = capture_io != 0, .compress = (int)compress,
                             .max_bytes = max_bytes, .max_steps = max_steps };
    return 0;
}

/* set_redact: the redaction fragments from a sequence of str, as their
   words (ctv_name_words: "apiKey" -> "_api_key_"). */
static int
set_redact(PyObject *seq)
{
    PyObject *t = PySequence_Tuple(seq);
    if (t == NULL)
        return -1;
    Py_ssize_t n = PyTuple_GET_SIZE(t);
    ct_R.redact = calloc(n + 1, sizeof *ct_R.redact);
    for (Py_ssize_t i = 0; ct_R.redact != NULL && i < n; i++) {
        const char *s = PyUnicode_Check(PyTuple_GET_ITEM(t, i)) ? PyUnicode_AsUTF8(PyTuple_GET_ITEM(t, i)) : NULL;
        if (s == NULL) {
            Py_DECREF(t);
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "redact: expected a sequence of str");
            return -1;
        }
        Py_ssize_t len = (Py_ssize_t)strlen(s);
        char *p = malloc((size_t)(2 * len + 3));
        if (p == NULL)
            break;
        p[ctv_name_words(s, len, p)] = '\0';
        ct_R.redact[ct_R.nredact++] = p;
    }
    Py_DECREF(t);
    if (ct_R.redact == NULL || ct_R.nredact < n) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static void
clear_state(void)
{
    Py_CLEAR(ct_R.set_local_events);
    Py_CLEAR(ct_R.selector);
    for (int i = 0; i < ct_R.nredact; i++)
        free(ct_R.redact[i]);
    free(ct_R.redact);
    ct_R.redact = NULL;
    ct_R.nredact = 0;
    Py_CLEAR(ct_R.enabled_codes);
    Py_CLEAR(ct_R.disable);
    Py_CLEAR(ct_R.missing);
    cti_clear(&ct_R.ids);
    ctr_chunk_reset(&ct_R.chunk);
    ctt_reset_all();
}

PyDoc_STRVAR(start_doc,
"start(events_file, tool, events, selector, redact, **options)\n"
"Start recording into events_file. events: names of the PEP 669 events to\n"
"record; selector(filename, module) -> bool decides which code is recorded;\n"
"redact: name fragments (ASCII case-insensitive) whose values are hidden.\n"
"Options: values, max_depth, max_items, max_text, max_nodes, chunk_bytes, capture_io,\n"
"compress (a zlib level 1-9 for the writer thread; 0: no compression).\n"
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
    if (ct_R.active || ct_R.enabled_codes != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "ctgen_tracer is already recording");
        return NULL;
    }
    uint32_t set;
    unsigned long global, local;
    if (read_options(kw) < 0 || parse_events(events, &set) < 0 || watch_forks() < 0)
        return NULL;
    masks(set, &global, &local);
    PyObject *r = call("use_tool_id", "(is)", tool, "ctgen-tracer");
    if (r == NULL) {
        PyObject *owner = call("get_tool", "(i)", tool);
        PyErr_Clear();
        PyErr_Format(PyExc_RuntimeError, "sys.monitoring tool id %d is in use by %R", tool,
                     owner ? owner : Py_None);
        Py_XDECREF(owner);
        return NULL;
    }
    Py_DECREF(r);
    ct_R.tool = tool;
    ct_R.event_set = set;
    ct_R.local_mask = (uint32_t)local;
    ct_R.selector = Py_NewRef(selector);
    if (set_redact(redact) < 0)
        goto fail;
    ct_R.set_local_events = PyObject_GetAttrString(monitoring, "set_local_events");
    ct_R.disable = PyObject_GetAttrString(monitoring, "DISABLE");
    ct_R.missing = PyObject_GetAttrString(monitoring, "MISSING");
    ct_R.enabled_codes = PyList_New(0);
    if (ct_R.set_local_events == NULL || ct_R.disable == NULL || ct_R.missing == NULL
            || ct_R.enabled_codes == NULL || cti_init(&ct_R.ids) < 0
            || ctw_open(path, ct_R.opt.compress) < 0)
        goto fail;
    ct_R.generation++;
    ct_R.next_fn = 0;
    ct_R.next_thread = 0;
    ct_R.events = 0;
    ct_R.chunk.seq = 0;
    free(ct_R.error);
    ct_R.error = NULL;
    if (set_callbacks(set, 1) < 0)
        goto fail_open;
    ct_R.active = 1;
    if (adopt(PyEval_GetFrame()) < 0 && !ct_R.active)
        goto fail_open;
    PyObject *io = ct_R.opt.capture_io ? cto_install() : Py_NewRef(Py_None);
    if (io == NULL)
        goto fail_open;
    r = call("set_events", "(ik)", tool, global);
    if (r == NULL) {
        cto_uninstall();
        Py_DECREF(io);
        goto fail_open;
    }
    Py_DECREF(r);
    return io;
fail_open:
    ct_R.active = 0;
    {
        PyObject *exc = PyErr_GetRaisedException();
        set_callbacks(set, 0);
        PyErr_Clear();
        ctw_close();
        PyErr_Clear();
        PyErr_SetRaisedException(exc);
    }
fail:
    {
        PyObject *exc = PyErr_GetRaisedException();
        r = call("free_tool_id", "(i)", tool);
        Py_XDECREF(r);
        PyErr_Clear();
        clear_state();
        PyErr_SetRaisedException(exc);
    }
    return NULL;
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
    for (Py_ssize_t i = 0; ct_R.enabled_codes && i < PyList_GET_SIZE(ct_R.enabled_codes); i++) {
        r = call("set_local_events", "(iOk)", ct_R.tool, PyList_GET_ITEM(ct_R.enabled_codes, i), 0UL);
        if (r == NULL)
            rc = -1;
        Py_XDECREF(r);
    }
    if (set_callbacks(ct_R.event_set, 0) < 0)
        rc = -1;
    r = call("free_tool_id", "(i)", ct_R.tool);
    if (r == NULL)
        rc = -1;
    Py_XDECREF(r);
    return rc;
}

/* path_list: the recorded paths in id order (trace_paths.json). */
static PyObject *
path_list(void)
{
    PyObject *list = PyList_New(ct_R.ids.npaths);
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    while (list != NULL && ct_R.ids.paths && PyDict_Next(ct_R.ids.paths, &pos, &k, &v)) {
        Py_ssize_t i = PyLong_AsSsize_t(v);
        if (i >= 0 && i < PyList_GET_SIZE(list))
            PyList_SET_ITEM(list, i, Py_NewRef(k));
    }
    return list;
}

PyDoc_STRVAR(stop_doc,
"stop() -> dict\n"
"Stop recording; write the last chunk and close the event file (a write\n"
"error is returned as 'error', not raised). Returns\n"
"{'events', 'bytes', 'chunks', 'uncompressed_bytes', 'compressed_chunks',\n"
"'error', 'paths'}; 'error' says why recording stopped early, or is None;\n"
"'uncompressed_bytes' counts compressed chunks at their size before compression.");

static PyObject *
stop(PyObject *self, PyObject *unused)
{
    if (ct_R.enabled_codes == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "ctgen_tracer is not recording");
        return NULL;
    }
    ctt_close_all();   /* also after a failure: the trace stays balanced */
    ct_R.active = 0;
    cto_uninstall();
    int rc = unmonitor();
    PyObject *exc = rc < 0 ? PyErr_GetRaisedException() : NULL;
    PyObject *paths = path_list();
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
    return Py_BuildValue("{sKsKsKsKsKsKszszsN}", "events", (unsigned long long)ct_R.events,
                         "steps", (unsigned long long)ctw_steps(),
                         "bytes", (unsigned long long)ctw_bytes(),
                         "chunks", (unsigned long long)ctw_chunks(),
                         "uncompressed_bytes", (unsigned long long)ctw_raw_bytes(),
                         "compressed_chunks", (unsigned long long)ctw_compressed_chunks(),
                         "error", ct_R.error, "cap", cap, "paths", paths);
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
    if (!ct_R.active)
        Py_RETURN_NONE;
    ct_thread *th = ctt_current;
    if (th == NULL || th != ct_R.thread || th->generation != ct_R.generation)
        ctt_switch();
    uint32_t v = exc == Py_None ? CT_NOT_RECORDED : ctv_exception(&ct_R.chunk, exc);
    if (v == CTV_NONE && exc != Py_None) {
        ctc_stop_with(NULL);
        Py_RETURN_NONE;
    }
    ctr_emit_Exit(&ct_R.chunk, status, v);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(events_doc,
"events() -> list of dict\n"
"The events of the spec: name, option, number in this CPython (-1 if\n"
"absent), group, default, discover, requires.");

static PyObject *
events(PyObject *self, PyObject *unused)
{
    static const char *groups[] = { "local", "exception", "ancillary" };
    PyObject *list = PyList_New(0);
    for (int i = 0; list != NULL && i < CTG_N_EVENTS; i++) {
        const ctg_event *e = &ctg_events[i];
        PyObject *d = Py_BuildValue("{sssssisssOsOss}", "name", e->name, "option", e->option,
            "number", e->number, "group", groups[e->group],
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
    Py_RETURN_NONE;
}

static PyObject *
active(PyObject *self, PyObject *unused)
{
    return PyBool_FromLong(ct_R.active);
}

/* The fork point, noted by fork_before() in the parent; the child reads it
   from its copy of the parent's memory. */
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
        if (ct_R.enabled_codes != NULL)
            ctw_fork_before();
    }
    return 0;
}

/* watch_forks: add the audit hook, once per process (it cannot be removed;
   it is added by the first start(), never by importing the module). */
static int
watch_forks(void)
{
    static int added;
    if (added)
        return 0;
    if (PySys_AddAuditHook(audit, NULL) < 0)
        return -1;
    added = 1;
    return 0;
}

PyDoc_STRVAR(fork_before_doc,
"fork_before()\n"
"os.register_at_fork(before=...): note the fork point and end the writer\n"
"thread (queued chunks are written first), so that the process forks with no\n"
"thread or lock of the recorder's.");

static PyObject *
fork_before(PyObject *self, PyObject *unused)
{
    fork_point.valid = 0;
    cts_fork_before();
    if (ct_R.enabled_codes == NULL)
        Py_RETURN_NONE;
    ct_thread *th = ctt_current;
    ct_chunk *c = &ct_R.chunk;
    fork_point.valid = 1;
    fork_point.pid = (long)getpid();
    fork_point.thread = th != NULL && th->generation == ct_R.generation ? (long)th->id : -1;
    fork_point.record = ctw_records() + c->kinds.len;
    fork_point.step = ctw_steps() + c->rec[CTR_K_Step].len / ctr_record_size[CTR_K_Step];
    ctw_fork_before();
    ctw_fork_begin();
    Py_RETURN_NONE;
}

PyDoc_STRVAR(fork_parent_doc,
"fork_parent()\n"
"os.register_at_fork(after_in_parent=...): the writer and SIGTERM threads\n"
"start again once os.fork() has returned (a pending call).");

/* resume: a pending call, run by the main thread once os.fork() has
   returned (after CPython counted the threads): our threads again. */
static int
resume(void *unused)
{
    ctw_resume();
    cts_resume();
    return 0;
}

static PyObject *
fork_parent(PyObject *self, PyObject *unused)
{
    ctw_fork_parent();
    if (Py_AddPendingCall(resume, NULL) < 0) {
        /* the queue is full: the writer restarts at the next flush */
    }
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
    if (ct_R.enabled_codes == NULL)
        Py_RETURN_NONE;
    ctw_fork_child();
    ctr_chunk_reset(&ct_R.chunk);
    ctt_fork_child();
    ct_R.active = 0;
    cto_uninstall();   /* the child's start() puts fresh hooks in, if it records */
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
    PyObject *r = PyUnicode_DecodeUTF8(out, ctv_name_words(s, n, out), "surrogatepass");
    free(out);
    return r;
}

static PyObject *
sigterm_unguard(PyObject *self, PyObject *unused)
{
    cts_unguard();
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
    if (monitoring == NULL) {
        PyObject *sys = PyImport_ImportModule("sys");
        monitoring = sys ? PyObject_GetAttrString(sys, "monitoring") : NULL;
        Py_XDECREF(sys);
        if (monitoring == NULL)
            return NULL;
        PyObject *ev = PyObject_GetAttrString(monitoring, "events");
        int rc = ev ? ctg_check_numbering(ev) : -1;
        Py_XDECREF(ev);
        if (rc < 0 || ctc_setup() < 0) {
            Py_CLEAR(monitoring);
            return NULL;
        }
    }
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    if (PyModule_AddStringConstant(m, "PY_VERSION", CTG_PY_VERSION) < 0
            || PyModule_AddStringConstant(m, "OPTIONS", CTG_OPTIONS) < 0
            || PyModule_AddIntConstant(m, "FORMAT_VERSION", CTR_VERSION) < 0
            || PyModule_AddIntConstant(m, "PLAIN_FORMAT_VERSION", CTW_PLAIN_VERSION) < 0
            || add_new(m, "MAGIC", PyBytes_FromString(CTR_MAGIC)) < 0
            || add_new(m, "LIMITS", Py_BuildValue("{s(iii)s(iii)s(iii)s(iii)s(iii)}",
                   "max_depth", CT_DEPTH_DEFAULT, 0, CT_DEPTH_MAX,
                   "max_items", CT_ITEMS_DEFAULT, 0, CT_ITEMS_MAX,
                   "max_text", CT_TEXT_DEFAULT, 0, CT_TEXT_MAX,
                   "max_nodes", CT_NODES_DEFAULT, 1, CT_NODES_MAX,
                   "chunk_bytes", 1 << 20, 4096, 1 << 28)) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
