/*
** core.h -- the recorder's state and the per-event entry and exit that every
** generated callback (generated/events.c) runs: ctc_begin, ctc_skip, ctc_end.
** Code cache: code.c (ctc_). Threads and activations: thread.c (ctt_).
*/
#ifndef CT_CORE_H
#define CT_CORE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#include "events.h"
#include "intern.h"
#include "records.h"

/* A value index meaning "not recorded" (no values, no exception, or an
   activation still running when recording stopped). */
#define CT_NOT_RECORDED UINT32_MAX

/* Per-code-object data, kept in co_extra (see code.c). */
typedef struct ct_code {
    uint64_t generation;   /* recording it was computed for; stale otherwise */
    uint8_t recorded;      /* 1: this recording records the code */
    uint8_t optimized;     /* CO_OPTIMIZED: fast locals (else a dict: module/class body) */
    uint8_t has_cells;     /* cell or free variables */
    uint32_t fn;           /* FunctionDef id */
    int nargs;             /* parameters, including *args and **kwargs */
    Py_ssize_t nnames;     /* visible local names: varnames, cellvars, freevars */
    PyObject **names;      /* borrowed from the code object's name tuples */
    uint32_t *name_ids;    /* VarNameDef ids of names */
    PyObject *code;        /* the code object (borrowed: it owns this entry) */
    int32_t *lines;        /* line of each code unit (offset / 2), -1: none; built on first use */
    Py_ssize_t nlines;
} ct_code;

/* One activation on a thread's stack, with what its last Step recorded of
   each local slot (the arrays stay with the stack slot and are reused). */
typedef struct ct_act {
    ct_code *code;
    PyObject **last;       /* per slot: the atom recorded last (strong ref) or NULL */
    uint64_t *print;       /* per slot: fingerprint of the value recorded last */
    uint8_t *state;        /* per slot: CT_UNBOUND; CT_SAME: the atom last[i]; CT_PRINTED,
                              CT_CHANGED: print[i], unchanged / changed at the last check;
                              CT_REDACTED: a redacted non-atom */
    Py_ssize_t cap;        /* capacity of last/print/state */
    int ready;             /* last/state describe this activation */
    uint64_t key;          /* 1 + seq of the chunk of its last full snapshot */
} ct_act;

enum { CT_UNBOUND, CT_SAME, CT_PRINTED, CT_CHANGED, CT_REDACTED };

/* Per-thread state (see thread.c). */
typedef struct ct_thread {
    uint64_t generation;
    unsigned long ident;   /* threading.get_ident() */
    uint32_t id;           /* trace-unique thread number */
    int exited;            /* the OS thread has ended (set without the GIL) */
    ct_act *stack;
    size_t depth, cap;
    struct ct_thread *next;  /* all threads of this recording */
} ct_thread;

/* The value limits' defaults and ranges (module.c checks them; the package
   reads them as _native.LIMITS). max_depth is bounded because the walker
   recurses once per nesting level (about 100 bytes of C stack each). */
#define CT_DEPTH_DEFAULT 4
#define CT_DEPTH_MAX 1000
#define CT_ITEMS_DEFAULT 100
#define CT_ITEMS_MAX 10000000
#define CT_TEXT_DEFAULT 1000
#define CT_TEXT_MAX 100000000
#define CT_NODES_DEFAULT 1000
#define CT_NODES_MAX 100000000

/* Recording options (see module.c for their Python names). */
typedef struct ct_options {
    int values;            /* record variable values and arguments */
    int max_depth;         /* containers nested deeper are Elided */
    Py_ssize_t max_items;  /* items recorded per container */
    Py_ssize_t max_text;   /* bytes recorded per str/bytes */
    uint32_t max_nodes;    /* containers take no more children once a tree has this many nodes */
    size_t chunk_bytes;    /* flush a chunk at about this size */
    int capture_io;        /* record writes to sys.stdout/sys.stderr (io.c) */
    int compress;          /* zlib level of the writer thread's compression; 0: none */
    uint64_t max_bytes;    /* caps (0: none): stop recording once the event file has this */
    uint64_t max_steps;    /* many bytes, or this many Steps were handed to the writer */
} ct_options;

/* The recorder: one per process. */
typedef struct ct_rec {
    int active;            /* recording now */
    int tool;              /* sys.monitoring tool id */
    uint64_t generation;   /* incremented by every start */
    uint32_t event_set;    /* CTG_EV bits enabled */
    uint32_t local_mask;   /* PEP 669 bits set on each recorded code object */
    ct_options opt;
    ct_chunk chunk;
    ct_thread *thread;     /* thread of the last record */
    ct_thread *threads;
    uint32_t next_thread;
    cti_table ids;         /* interned paths, types, names */
    uint32_t next_fn;
    uint64_t events;       /* events recorded */
    PyObject *disable;     /* sys.monitoring.DISABLE */
    PyObject *missing;     /* sys.monitoring.MISSING */
    PyObject *set_local_events;
    PyObject *selector;    /* callable(filename, module) -> bool */
    PyObject *enabled_codes;  /* list of code objects given local events */
    char **redact;         /* lowercase ASCII fragments of names to redact */
    int nredact;
    char *error;           /* why recording stopped, if it failed */
    const char *cap;       /* the cap that stopped recording ("max_steps", "max_trace_size"), or NULL */
    int fail_next;         /* tests: make the next recorded event fail */
    PyFrameObject *adopting;  /* frame replayed by start(), else NULL */
} ct_rec;

extern ct_rec ct_R;

/* The state of one event being recorded. */
typedef struct ct_ev {
    int event;             /* CTG_EV_* */
    int disable;           /* ctc_skip returns DISABLE */
    int err;               /* a derivation or action failed */
    int stack;             /* +1: pushed an activation, -1: popped one */
    ct_code *code;
    ct_chunk *chunk;
    size_t kinds0, values0, data0;   /* chunk sizes at entry, for rollback */
} ct_ev;

/* ctc_check_caps: stop recording, cleanly, if a cap is reached (checked at
   each chunk: a cap is exceeded by at most the chunks handed to the writer
   and not yet written). */
void ctc_check_caps(void);

/* Slow paths of ctc_begin (code.c, thread.c, writer.c). */
ct_code *ctc_code_init(PyObject *code);

/* ctc_lines: build cc's line table from co_lines(); -1 with an error set. */
int ctc_lines(ct_code *cc);
void ctt_switch(void);
void ctw_flush_chunk(void);
extern int ctc_extra_index;
/* The thread's state. initial-exec: one load, not a __tls_get_addr call per
   access (8 bytes of glibc's static TLS reserve for dlopened modules). */
#define CT_TLS _Thread_local __attribute__((tls_model("initial-exec")))
extern CT_TLS ct_thread *ctt_current;

/* ctc_begin: 1 when event `event` with these arguments is to be recorded,
   with ev ready; 0 when it is not (ctc_skip then says what to return). */
static inline int
ctc_begin(ct_ev *ev, int event, PyObject *const *args, Py_ssize_t nargs, Py_ssize_t want)
{
    ev->event = event;
    ev->err = 0;
    ev->stack = 0;
    ev->disable = ctg_events[event].group == CTG_GROUP_LOCAL;
    if (!ct_R.active)
        return 0;
    if (nargs != want || !PyCode_Check(args[0])) {
        ev->disable = 0;   /* a code-like object (3.13+): not ours to record */
        return 0;
    }
    ct_chunk *c = &ct_R.chunk;
    if (c->values.len + c->data.len + (c->kinds.len << 4) >= ct_R.opt.chunk_bytes) {
        ctw_flush_chunk();   /* may wait for the writer, GIL released */
        if (ct_R.opt.max_bytes || ct_R.opt.max_steps)
            ctc_check_caps();
        if (!ct_R.active)
            return 0;
    }
    void *extra = NULL;
    if (PyUnstable_Code_GetExtra(args[0], ctc_extra_index, &extra) < 0) {
        PyErr_Clear();
        extra = NULL;
    }
    ct_code *cc = extra;
    if (cc == NULL || cc->generation != ct_R.generation) {
        cc = ctc_code_init(args[0]);
        if (cc == NULL)
            return 0;
    }
    if (!cc->recorded)
        return 0;
    ct_thread *th = ctt_current;
    if (th == NULL || th != ct_R.thread || th->generation != ct_R.generation) {
        ctt_switch();
        if (!ct_R.active)
            return 0;
    }
    ev->code = cc;
    ev->chunk = c;
    ev->kinds0 = c->kinds.len;
    ev->values0 = c->values.len;
    ev->data0 = c->data.len;
    ct_R.events++;
    return 1;
}

/* ctc_skip: the callback's result for an event not recorded: DISABLE for
   local events (the location stays quiet from now on), else None. */
static inline PyObject *
ctc_skip(ct_ev *ev)
{
    if (ev->disable && ct_R.disable != NULL)
        return Py_NewRef(ct_R.disable);
    return Py_NewRef(Py_None);
}

/* ctc_fail: stop recording because this event could not be recorded. The
   program goes on: no exception escapes into it. Returns None. */
PyObject *ctc_fail(ct_ev *ev);

/* ctc_end: the callback's result after recording the event; a failure of
   any kind (noted, out of memory, an exception left set) stops recording
   and is never passed on to the program. */
static inline PyObject *
ctc_end(ct_ev *ev)
{
    if (ev->err | ev->chunk->failed | ct_R.fail_next || PyErr_Occurred())
        return ctc_fail(ev);
    return Py_NewRef(Py_None);
}

/* ctc_long: an int argument of the event as a C long (0 and ev->err on error). */
static inline long
ctc_long(ct_ev *ev, PyObject *o)
{
    long v = PyLong_AsLong(o);
    if (v == -1 && PyErr_Occurred()) {
        PyErr_Clear();
        ev->err = 1;
    }
    return v;
}

/* ctc_frame: the frame of the event: the running frame (inside a C
   callback, the monitored one), or the frame start() is adopting. */
static inline PyFrameObject *
ctc_frame(void)
{
    return ct_R.adopting != NULL ? ct_R.adopting : PyEval_GetFrame();
}

/* ctc_stop_with: stop recording with message `why` (kept for the summary). */
void ctc_stop_with(const char *why);

/* cto_install: hook the write of sys.stdout and sys.stderr (io.c); returns
   {"stdout": status, "stderr": status}, NULL with an error set. */
PyObject *cto_install(void);

/* cto_uninstall: remove the hooks that are still in place. */
void cto_uninstall(void);

#endif
