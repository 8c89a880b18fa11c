/*
** recorder.h -- the recorder (cte_): its state ct_R, the entry and exit that
** every generated callback (generated/events.c) runs for an event
** (cte_begin, cte_skip, cte_end), the start/stop lifecycle and the failure
** policy. Below it: the code cache (code.h), threads (thread.h), values
** (values.h), ids (intern.h), redaction (redact.h) and the event file
** (writer.h), none of which knows the recorder.
*/
#ifndef CT_RECORDER_H
#define CT_RECORDER_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#include "events.h"
#include "records.h"
#include "code.h"
#include "thread.h"
#include "unseen.h"
#include "frame.h"

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
    int inline_values;     /* instances' attributes read in place, no __dict__ made (inline.h):
                              1 always, 0 never, -1 where that costs no more (civ_setup) */
} ct_options;

/* ct_rec.active while recording: true either way; CT_ACTIVE_NOVALUES is
   the no-values fast paths' gate (one test for recording and no values). */
#define CT_ACTIVE_VALUES   1
#define CT_ACTIVE_NOVALUES 2

/* The recorder: one per process. */
typedef struct ct_rec {
    int active;            /* recording now (0, CT_ACTIVE_VALUES or CT_ACTIVE_NOVALUES) */
    int tool;              /* sys.monitoring tool id */
    uint64_t generation;   /* incremented by every start */
    uint32_t event_set;    /* CTG_EV bits enabled */
    ct_options opt;
    ct_chunk chunk;        /* the chunk being built */
    size_t fast_room;      /* a no-values fast path runs while 1 <= chunk.kinds.len <= fast_room (cte_fast_room) */
    uint64_t events;       /* events recorded */
    uint64_t records, steps;  /* records and Steps handed to the writer */
    PyObject *disable;     /* sys.monitoring.DISABLE */
    PyObject *missing;     /* sys.monitoring.MISSING */
    char *error;           /* why recording stopped, if it failed */
    const char *cap;       /* the cap that stopped recording ("max_steps", "max_trace_size"), or NULL */
    int fail_next;         /* tests: make the next recorded event fail */
    PyFrameObject *adopting;  /* frame replayed by start(), else NULL */
    uint64_t t0;           /* CLOCK_MONOTONIC at start, ns: the origin of Clock records */
} ct_rec;

extern ct_rec ct_R;

/* The state of one event being recorded. A callback keeps it in registers
   when its address never leaves the callback: cte_fail takes its fields,
   the values paths of the inline derivations and actions (derive.c) a
   copy; only cte_begin_full takes its address, on the path past
   cte_begin_novalues (generated/events.c). */
typedef struct ct_ev {
    int event;             /* CTG_EV_* */
    int disable;           /* cte_skip returns DISABLE */
    int err;               /* a derivation or action failed */
    int stack;             /* +1: pushed an activation, -1: popped one */
    int values;            /* values are recorded (ct_R.opt.values; 0, a constant, on cte_begin_novalues' path) */
    ct_code *code;
    ct_chunk *chunk;
    size_t kinds0, values0, data0;   /* chunk sizes at entry, for rollback (CT_UNCHANGED: not appended to) */
    int32_t line;          /* a LINE's line (ctd_line), for the pure-line epoch */
} ct_ev;

/* ct_ev.values0 and data0 of an event that appends nothing to the chunk's
   values or data (a no-values fast path: its records have no text). */
#define CT_UNCHANGED SIZE_MAX

/* ---- slow paths of the entry (recorder.c) ---- */

/* cte_flush: hand the chunk being built to the writer (may wait for it,
   GIL released); a write error stops recording. */
void cte_flush(void);

/* cte_code: the code cache entry of `code`, computed now; NULL when
   recording stopped (it failed, or another thread stopped it while the
   selector ran). Never returns with an exception set (cte_end_clean). */
ct_code *cte_code(PyObject *code);

/* cte_switch: the calling thread's Thread record; -1 when recording stopped
   (out of memory). */
int cte_switch(void);

/* cte_clock: begin the empty chunk with its Clock record (one clock read
   per chunk, never per event); 0 when recording stopped (out of memory). */
int cte_clock(void);

/* The most records a chunk holds, whatever its bytes: a reader decodes a
   chunk to show one step of it (index.py), so its decoding time is bounded
   by this (since objects with identity, a chunk of 1 MiB may hold 40,000
   records rather than about 1,000: a value is most often an ObjPut). 8192
   since the chunk's state machine is C (src/walk.c): a cold chunk costs a
   screen ~3 ms, and a chunk of 8192 saves 7 % of the bytes and half the
   index against 4096 (bench/README.md, "Viewer moves, session 7"). */
#define CT_CHUNK_RECORDS 8192

/* cte_room: 1 when recording goes on after flushing a full chunk (its
   bytes at chunk_bytes, or CT_CHUNK_RECORDS records); an empty chunk is
   begun with its Clock record. */
static inline __attribute__((always_inline)) int
cte_room(void)
{
    ct_chunk *c = &ct_R.chunk;
    if (c->values.len + c->data.len + (c->kinds.len << 4) >= ct_R.opt.chunk_bytes
            || c->kinds.len >= CT_CHUNK_RECORDS) {
        cte_flush();   /* may wait for the writer, GIL released */
        if (!ct_R.active)
            return 0;
    }
    if (__builtin_expect(c->kinds.len == 0, 0))
        return cte_clock();
    return 1;
}

/* cte_fast_room: set ct_R.fast_room, the bound of cte_begin_fast's test of
   room on the no-values fast paths: the chunk with kinds.len records has
   room (as cte_room counts it) exactly while 1 <= kinds.len <= fast_room,
   as long as its values and data pools stay as they are now. The fast
   paths append nothing there (their records have no text), so it is set
   again only after code that may: at the end of every callback's path but
   a fast one (cte_out, generated/events.c), after a flush, at start and
   after io.c's Output records. (A bound set before the pools shrank is too
   low: an event that fails it takes the full path, which tests the bytes
   itself and sets the bound again.) */
static inline void
cte_fast_room(void)
{
    ct_chunk *c = &ct_R.chunk;
    size_t used = c->values.len + c->data.len, n = 0;
    if (used < ct_R.opt.chunk_bytes && !ct_R.fail_next) {   /* (fail_next: cte_end_fast) */
        /* the fewest records with used + 16 records >= chunk_bytes */
        n = (ct_R.opt.chunk_bytes - used + 15) >> 4;
        if (n > CT_CHUNK_RECORDS)
            n = CT_CHUNK_RECORDS;
    }
    ct_R.fast_room = n ? n - 1 : 0;
}

/* cte_out: a callback's result r on any path but a no-values fast path,
   with ct_R.fast_room set again (cte_fast_room) when recording without
   values (only then is it read; start sets it anew: a recording with
   values pays one test per event). */
static inline PyObject *
cte_out(PyObject *r)
{
    if (ct_R.active == CT_ACTIVE_NOVALUES)
        cte_fast_room();
    return r;
}

/* cte_on_thread: 1 when the records that follow are the calling thread's
   (a Thread record written if needed), 0 when recording stopped. */
static inline __attribute__((always_inline)) int
cte_on_thread(void)
{
    return ctt_here() || cte_switch() == 0;
}

/* ---- the per-event entry and exit ---- */

/* ctg_fast_reserve (generated/events.c): reserve in chunk c the room the
   no-values fast paths append into without a test; 0, or -1 when out of
   memory. cte_start calls it for a recording without values. */
int ctg_fast_reserve(ct_chunk *c);

/* cte_begin_full: cte_begin's checks in full, past its fast path
   (recorder.c, out of line): the chunk flushed or begun, the code's entry
   looked up or made, a Thread record written; 1 with ev's code, chunk and
   rollback marks set, 0 when the event is not to be recorded. */
int cte_begin_full(ct_ev *ev, PyObject *const *args, Py_ssize_t nargs, Py_ssize_t want);

/* cte_code_of: the entry of `code` when it is current for the recording
   and recorded, else NULL, for an event of the thread of the last record
   (ctt_here): the last one's (ctc_last_cc); else, for the events that meet
   code objects first (`discover`: PY_START, PY_RESUME), that of its slot in
   ctc_cache (which holds only entries current for the recording and
   recorded, each of a live code object: code.h); else (an event in the
   caller after a return, the return itself) that of the thread's innermost
   activation, which its running frame keeps alive; else NULL
   (cte_begin_full looks, in co_extra, and fills the slot). No call here:
   the fast paths save fewer registers. */
static inline __attribute__((always_inline)) ct_code *
cte_code_of(PyObject *code, int discover)
{
    ct_code *cc;
    if (code == ctc_last_code) {
        cc = ctc_last_cc;
        if (cc == NULL)   /* (never: code.h sets and clears the two together) */
            __builtin_unreachable();
        return cc;
    }
    ctc_slot *slot = ctc_slot_of(code);
    ct_thread *th = ctt_last;
    if (discover && slot->code == code) {
        cc = slot->cc;
        if (cc == NULL)   /* (never: a slot's code and entry are set and cleared together) */
            __builtin_unreachable();
    } else if (th->top != NULL && th->top->code->code == code) {
        cc = th->top->code;   /* (pushed by this recording: recorded) */
    } else {
        return NULL;
    }
    ctc_last_code = code;
    ctc_last_cc = cc;
    return cc;
}

/* cte_python_call: at a PY_START while activation `a`'s current line is
   one of calls (CTC_L_CALLS): 1 when the new frame was pushed by the eval
   loop from one of the line's calls and every call before it was too (no
   C code of the line has run: no bump is needed); then when every call of
   the line has, the line changes nothing by itself and becomes pure. */
static __attribute__((noinline)) int
cte_python_call(ct_act *a)
{
    int u = ctf_caller_unit(PyThreadState_Get(), a->code->code);
    const ctc_call *L = a->calls;
    for (int k = 0; k < L->n; k++) {
        if (u >= L->unit[k] && u <= L->last[k]) {
            if (a->cseen != (1u << k) - 1)   /* (a call before it did not come so) */
                return 0;
            a->cseen |= (uint8_t)(1u << k);
            if (a->cseen == (1u << L->n) - 1) {
                a->impure = 0;
                a->calls = NULL;
            }
            return 1;
        }
    }
    return 0;
}

/* cte_epoch_event: the pure-line epoch at an event of code cc of the
   thread of the last record, in a chunk going on, with values: bumped when
   the event may follow code that changed an object no watcher tells of
   (docs/design.md, "The pure-line epoch"): the innermost activation's
   current line is impure (but a line that changed one object, which names
   it, and a line of Python calls whose call this PY_START is, which makes
   no bump), or the event is not of that activation's code object. */
static inline __attribute__((always_inline)) void
cte_epoch_event(int event, const ct_code *cc)
{
    ct_act *top = ctt_last->top;
    if (top == NULL || top->impure || (!(ctg_events[event].flags & CTG_F_DISCOVER) && top->code != cc)) {
        if (top != NULL && top->impure == CT_LINE_TARGET && top->tepoch == ctu_epoch
                && ((ctg_events[event].flags & CTG_F_DISCOVER) || top->code == cc)) {
            if (top->etarget != NULL) {   /* the line changed that object alone */
                ctu_bump();
                ctu_elast = top->etarget;
            }
        } else if (!(event == CTG_EV_PY_START && top != NULL && top->impure == 1 && top->calls != NULL
                     && cte_python_call(top))) {
            ctu_bump();
        }
    }
}

/* cte_begin_fast's `gated`: the caller tested ct_R.active (the fast paths'
   gate), for a recording without values (CTE_GATED_NOVALUES) or with them
   (CTE_GATED_VALUES); 0: not tested. */
#define CTE_GATED_NOVALUES 1
#define CTE_GATED_VALUES   2

/* cte_begin_fast: cte_begin's fast path: the usual event: recording (when
   `gated`, the caller has tested it), the chunk begun and with room, the
   last record the calling thread's, the code object's entry there
   (cte_code_of) and recorded; 1 with ev ready, else 0 (and ev not set). */
static inline __attribute__((always_inline)) int
cte_begin_fast(ct_ev *ev, int event, PyObject *const *args, Py_ssize_t nargs, Py_ssize_t want,
               int gated)
{
    ct_chunk *c = &ct_R.chunk;
    size_t kinds = c->kinds.len;
    /* (kinds - 1: 0 is a chunk not begun; a no-values fast path: the bound
       cte_fast_room set for the chunk's pools, which it leaves as they are,
       in place of the bytes) */
    if (__builtin_expect(nargs == want
                         && (gated == CTE_GATED_NOVALUES ? kinds - 1 < ct_R.fast_room
                                   : (gated || ct_R.active) && kinds - 1 < CT_CHUNK_RECORDS - 1
                                     && c->values.len + c->data.len + (kinds << 4) < ct_R.opt.chunk_bytes)
                         && ctt_here(), 1)) {
        ct_code *cc = cte_code_of(args[0], (ctg_events[event].flags & CTG_F_DISCOVER) != 0);
        if (__builtin_expect(cc != NULL, 1)) {
            /* (field by field: a compound literal is built on the stack and
               copied when ev is in memory, a fast path with values) */
            ev->event = event;
            ev->disable = ctg_events[event].group == CTG_GROUP_LOCAL;
            ev->err = ev->stack = 0;
            ev->values = ct_R.opt.values;
            ev->code = cc;
            ev->chunk = c;
            ev->kinds0 = kinds;
            ev->values0 = c->values.len;
            ev->data0 = c->data.len;
            ct_R.events++;
            if (gated == CTE_GATED_VALUES || (!gated && ct_R.opt.values))
                cte_epoch_event(event, cc);
            return 1;
        }
    }
    return 0;
}

/* cte_begin: 1 when event `event` with these arguments is to be recorded,
   with ev ready; 0 when it is not (cte_skip then says what to return).
   Always inlined into each callback: its fast path (cte_begin_fast), and
   anything else goes to cte_begin_full, which decides the same way (an
   event for which cte_code_of gave NULL looks its code object up there). */
static inline __attribute__((always_inline)) int
cte_begin(ct_ev *ev, int event, PyObject *const *args, Py_ssize_t nargs, Py_ssize_t want)
{
    if (cte_begin_fast(ev, event, args, nargs, want, 0))
        return 1;
    *ev = (ct_ev){ .event = event, .disable = ctg_events[event].group == CTG_GROUP_LOCAL,
                   .values = ct_R.opt.values };
    return cte_begin_full(ev, args, nargs, want);
}

/* cte_begin_novalues: cte_begin's fast path when values are not recorded
   (--no-values), with ev->values the constant 0: the values paths of the
   inline derivations and actions fold away, and ev stays in registers; its
   records have no text, so values0 and data0 are CT_UNCHANGED. The
   caller has tested the gate (ct_R.active == CT_ACTIVE_NOVALUES). 0: the
   event takes the callback's full path (cte_begin), which decides whether
   to record it. The generated callbacks whose derivations and actions are
   all inline try this first (gen/gen_events_c.lua). */
static inline __attribute__((always_inline)) int
cte_begin_novalues(ct_ev *ev, int event, PyObject *const *args, Py_ssize_t nargs, Py_ssize_t want)
{
    if (!cte_begin_fast(ev, event, args, nargs, want, CTE_GATED_NOVALUES))
        return 0;
    ev->values = 0;
    ev->values0 = ev->data0 = CT_UNCHANGED;   /* (no register kept for them) */
    return 1;
}

/* cte_begin_values: cte_begin's fast path when values are recorded, with
   ev->values the constant 1: the caller has tested the gate (ct_R.active
   == CT_ACTIVE_VALUES) and is a callback's fast path with values
   (ctg_values_EVENT, generated/events.c), which does not call
   cte_begin_full: ev's address is taken only by the copy the values paths
   get (see ct_ev), so ev stays in registers until then. 0: the event takes
   the callback's general path (cte_begin). */
static inline __attribute__((always_inline)) int
cte_begin_values(ct_ev *ev, int event, PyObject *const *args, Py_ssize_t nargs, Py_ssize_t want)
{
    if (!cte_begin_fast(ev, event, args, nargs, want, CTE_GATED_VALUES))
        return 0;
    ev->values = 1;
    return 1;
}

/* cte_unseen: for a discovering event with values that its fast path
   did not take: 1 when it is the PY_START of code not recorded that holds
   an impure opcode, met before (ctc_unseen), after bumping the pure-line
   epoch (docs/design.md, "The pure-line epoch"); its callback returns None
   at once, and the event stays on. 0: the general path decides. */
static inline __attribute__((always_inline)) int
cte_unseen(int event, PyObject *const *args, Py_ssize_t nargs)
{
    if (event != CTG_EV_PY_START || nargs < 1 || ct_R.active != CT_ACTIVE_VALUES
            || *ctc_unseen_of(args[0]) != args[0])
        return 0;
    ctu_bump();
    return 1;
}

/* cte_skip: the callback's result for an event not recorded: DISABLE for
   local events (the location stays quiet from now on), else None. */
static inline PyObject *
cte_skip(ct_ev *ev)
{
    if (ev->disable && ct_R.disable != NULL)
        return Py_NewRef(ct_R.disable);
    Py_RETURN_NONE;
}

/* cte_fail: stop recording because this event could not be recorded: its
   records are rolled back (the chunk's sizes at its entry: kinds0,
   values0, data0; its push (stack 1) or pop (-1) of an activation). The
   program goes on: no exception escapes into it. Returns None. Given
   scalars, not the event: a callback's call of it is a tail call, and its
   event is not in memory. */
PyObject *cte_fail(int stack, size_t kinds0, size_t values0, size_t data0);

/* cte_end: the callback's result after recording the event; a failure of
   any kind (noted, out of memory, an exception left set) stops recording
   and is never passed on to the program. */
static inline PyObject *
cte_end(ct_ev *ev)
{
    if (ev->err | ev->chunk->failed | ct_R.fail_next || PyErr_Occurred())
        return cte_fail(ev->stack, ev->kinds0, ev->values0, ev->data0);
    Py_RETURN_NONE;   /* (None is immortal: no reference counted, 3.12 on) */
}

/* cte_end_clean: cte_end for an event whose derivations and actions are all
   `clean` in the spec (each notes its failures in ev->err, never leaving an
   exception set without it; cte_begin's slow paths neither): no
   PyErr_Occurred (a thread-local read of libpython's, about 30 instructions
   per event). */
static inline PyObject *
cte_end_clean(ct_ev *ev)
{
    if (__builtin_expect(ev->err | ev->chunk->failed | ct_R.fail_next, 0))
        return cte_fail(ev->stack, ev->kinds0, ev->values0, ev->data0);
    Py_RETURN_NONE;   /* (None is immortal: no reference counted, 3.12 on) */
}

/* cte_end_fast: cte_end_clean on a no-values fast path, which tests only
   ev->err: the chunk's `failed` is 0 at its entry (what sets it ends its
   event through cte_fail, which clears it, or clears it itself: io.c) and
   its CTG_PUTs never set it (ctg_fast_reserve); while ct_R.fail_next is
   set, no fast path runs (cte_fast_room makes fast_room 0). */
static inline PyObject *
cte_end_fast(ct_ev *ev)
{
    if (__builtin_expect(ev->err, 0))
        return cte_fail(ev->stack, ev->kinds0, ev->values0, ev->data0);
    Py_RETURN_NONE;   /* (None is immortal: no reference counted, 3.12 on) */
}

/* cte_small: `o` is an int that cte_long reads at once: a compact one that
   is not negative (a line or an offset, always); cte_small_value: its
   value. Read from the int's tag as the headers' own inline functions
   (PyUnstable_Long_IsCompact, PyUnstable_Long_CompactValue) read it, at
   the headers' constants: with the sign bits 0 (positive) or 1 (zero) and
   at most one digit, the tag is 0, 1, 8 or 9 (CPython makes 1, zero, and
   8, one digit), and the value is the digit times the digit count (the
   count, not the digit, says zero: a zero's digit need not be 0 before
   3.15). A negative int takes cte_long's general read. */
_Static_assert(_PyLong_NON_SIZE_BITS == 3 && _PyLong_SIGN_MASK == 3,
               "cte_small reads an int's tag as CPython 3.12 to 3.15 lay it out");
static inline int
cte_small(PyObject *o)
{
    return PyLong_CheckExact(o)
        && (((PyLongObject *)o)->long_value.lv_tag & ~(uintptr_t)((1 << _PyLong_NON_SIZE_BITS) | 1)) == 0;
}

static inline long
cte_small_value(PyObject *o)
{
    const PyLongObject *l = (const PyLongObject *)o;
    return (long)(l->long_value.ob_digit[0] * (l->long_value.lv_tag >> _PyLong_NON_SIZE_BITS));
}

/* cte_long: an int argument of the event as a C long (0 and ev->err on error). */
static inline long
cte_long(ct_ev *ev, PyObject *o)
{
    if (cte_small(o))
        return cte_small_value(o);
    long v = PyLong_AsLong(o);
    if (v == -1 && PyErr_Occurred()) {
        PyErr_Clear();
        ev->err = 1;
    }
    return v;
}

/* cte_frame: the frame of the event: the running frame (inside a C
   callback, the monitored one), or the frame start() is adopting. */
static inline PyFrameObject *
cte_frame(void)
{
    return ct_R.adopting != NULL ? ct_R.adopting : PyEval_GetFrame();
}

/* ---- failure ---- */

/* cte_stop_with: stop recording with message `why` (kept for the summary,
   printed on stderr); NULL: the Python exception set, or "internal error".
   The program goes on; the trace stays readable up to here. */
void cte_stop_with(const char *why);

/* ---- lifecycle (the Python API is module.c's) ---- */

/* cte_init: once per process, when the module is imported: sys.monitoring,
   the event numbering of this CPython checked, the code cache's index; -1
   with an error. */
int cte_init(void);

/* cte_started: a recording was started and not yet stopped (it may have
   stopped recording events after a failure). */
int cte_started(void);

/* cte_start: start recording into the event file `path` with tool id
   `tool`, the events of CTG_EV bit set `set`, the selector, the redaction
   fragments and the options; the frames already running are adopted.
   Events are not yet turned on: cte_monitor does that. -1 with an error
   (nothing started). */
int cte_start(const char *path, int tool, uint32_t set, PyObject *selector, PyObject *redact,
              const ct_options *opt);

/* cte_monitor: turn the recording's global events on; -1 with an error
   (the caller then calls cte_abort). */
int cte_monitor(void);

/* cte_abort: undo a cte_start that cannot go on (the error set stays set). */
void cte_abort(void);

/* cte_halt: stop recording events: a Return for every activation still
   running, so that the trace stays balanced (also after a failure). */
void cte_halt(void);

/* cte_stop: after cte_halt: monitoring off, the last chunk written and the
   file closed (a write error is reported, not raised), state cleared.
   Returns the summary {'events', 'steps', 'bytes', 'chunks',
   'uncompressed_bytes', 'compressed_chunks', 'error', 'cap', 'paths'}; NULL with an error. */
PyObject *cte_stop(void);

/* cte_exit: record the end of the program: exit status and uncaught
   exception (None: none). */
void cte_exit(int status, PyObject *exc);

/* Around os.fork() (os.register_at_fork and the "os.fork" audit event):
   cte_fork_before notes the fork point and stops our threads; cte_fork_parent
   starts them again later; cte_fork_child drops the parent's recording in
   the child and returns the fork point {'pid', 'thread', 'record', 'step'}
   ({} when unknown). */
void cte_fork_before(void);
void cte_fork_parent(void);
PyObject *cte_fork_child(void);

/* cte_watch_forks: add the "os.fork" audit hook, once per process. */
int cte_watch_forks(void);

#endif
