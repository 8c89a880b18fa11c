/*
** thread.h -- per-thread state: Thread records and activation stacks (ctt_).
** Callbacks run under the GIL, so ctt_last is the thread of the last record;
** a Thread record (Start or Switch) marks each change.
*/
#ifndef CT_THREAD_H
#define CT_THREAD_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#include "code.h"
#include "records.h"

/* One activation on a thread's stack, with what its last Step recorded of
   each variable slot (the arrays stay with the stack slot and are reused).
   An optimized frame's slots are its fast locals, cells and frees, in
   code->names order. A module or class body's slots are the names its
   namespace has shown, in order of first sight, found by the namespace's
   key object through `index`. */
typedef struct ct_act {
    ct_code *code;
    PyObject **last;       /* per slot: the atom recorded last (strong ref) or NULL */
    uint64_t *print;       /* per slot: fingerprint of the value's own nodes recorded last
                              (an object: its id; values.h, ctv_check) */
    uint8_t *state;        /* per slot: CT_UNBOUND; CT_SAME: the atom last[i]; CT_PRINTED:
                              print[i]; CT_REDACTED: a redacted non-atom */
    uint32_t *ids;         /* namespace: per slot, its name id */
    PyObject **keys;       /* namespace: per slot, the str key it was last found under (strong
                              ref: a str has no finalizer and no weakrefs), or NULL */
    uint32_t *seen;        /* namespace: per slot, the step (epoch) it was last found at */
    PyObject **objs;       /* namespace: per slot, the object it was bound to at its last check
                              (borrowed: read only while the dict's watch tells no store of the
                              name since, so the dict still holds it) */
    uint8_t *hidden;       /* namespace: per slot, its name hides its value (ctx_hides) */
    PyObject **fnq;        /* namespace: per slot, two strong refs (2i, 2i + 1): the qualname
                              and module (or NULL) of the exact function objs[i] was at its last
                              check, its name being those strs (its value is that name alone),
                              or NULL: a Step passes the slot while the function still has
                              them (derive.c, fn_same) */
    Py_ssize_t cap;        /* capacity of last/print/state/ids/seen/objs/hidden (fnq: twice it) */
    Py_ssize_t nslots;     /* slots in use */
    Py_ssize_t nbound;     /* namespace: slots not CT_UNBOUND */
    struct ctn_ns *nsw;    /* namespace: the watch of its dict (nswatch.h), or NULL */
    uint64_t ns_seq;       /* namespace: nsw's count at the last look */
    int ns_stale;          /* namespace: the last look was at another dict than nsw's */
    uint32_t *index;       /* namespace: open addressing, keys[slot] -> slot + 1 (0: empty) */
    size_t index_cap;      /* a power of 2, or 0 */
    uint32_t epoch;        /* namespace: its Steps so far */
    int ready;             /* last/state describe this activation */
    uint64_t key;          /* 1 + seq of the chunk of its last full snapshot */
    uint64_t fn_chunk;     /* 1 + seq of the chunk that tells a reader its function `fn`: its
                              Call, Resume or Throw, or a Step while innermost (ctd_omit_function) */
    uint32_t fn;           /* the function id that chunk tells */
    uint8_t impure;        /* its current line may change an unwatched object (ctu_epoch):
                              1, or CT_LINE_TARGET: that object alone, etarget (NULL: none), when
                              no bump came since tepoch (derive.c, line_target) */
    PyObject *etarget;     /* (borrowed: an address compared, never read) */
    const struct ctc_call *calls;   /* its current line's calls (CTC_L_CALLS), NULL: none */
    uint8_t cseen;         /* those of them a Python function's PY_START came from (bit k: call k) */
    uint64_t tepoch;
    uint64_t rebind;       /* the slots its current line may rebind */
    uint64_t ep_seen, wseq_seen;   /* ctu_epoch and wseq at its last check of its variables */
} ct_act;

enum { CT_UNBOUND, CT_SAME, CT_PRINTED, CT_REDACTED };
#define CT_LINE_TARGET 2   /* ct_act.impure: the line changes one object at most */

/* Per-thread state. */
typedef struct ct_thread {
    uint64_t generation;   /* recording it belongs to; stale otherwise */
    unsigned long ident;   /* threading.get_ident() */
    uint32_t id;           /* trace-unique thread number */
    int exited;            /* the OS thread has ended (set without the GIL) */
    ct_act *stack;
    size_t depth, cap;
    ct_act *top;           /* &stack[depth - 1], NULL at depth 0 (ctt_set_top after any other
                              change of depth or stack than ctt_push's and ctt_pop's) */
    struct ct_thread *next;  /* all threads of this process */
} ct_thread;

/* The thread's state. initial-exec: one load, not a __tls_get_addr call per
   access (glibc keeps a static TLS reserve for dlopened modules; this
   module's thread-locals, here and in values.c, take 76 bytes of it: readelf
   -l shows the TLS segment). */
#define CT_TLS _Thread_local __attribute__((tls_model("initial-exec")))
extern CT_TLS ct_thread *ctt_current;

/* ctt_last: the thread of the last record (&ctt_none: none yet). Only
   ctt_switch sets it, to a thread of the recording it writes for; a new
   recording (cte_start) and ctt_reset_all reset it to &ctt_none: it is
   &ctt_none or a thread of the current recording, never NULL. ctt_none is
   no thread's state (ctt_current never points at it) and has no
   activations (depth 0). */
extern ct_thread *ctt_last;
extern ct_thread ctt_none;

/* ctt_here: 1 when the calling thread's state is current for the
   recording and the last record is its own (no Thread record needed):
   it is ctt_last (of the current recording, above; one compare: ctt_last
   is never NULL, so a thread without state, ctt_current NULL, fails it). */
static inline __attribute__((always_inline)) int
ctt_here(void)
{
    return ctt_current == ctt_last;
}

/* ctt_switch: make the calling thread the thread of the records that
   follow in chunk c: its Thread Start (first record of it in recording
   `generation`) or Switch record, after the Exit records of threads that
   ended. -1 when out of memory (nothing recorded). */
int ctt_switch(ct_chunk *c, uint64_t generation);

/* ctt_grow: make room for one more activation on th's stack (thread.c);
   -1 on OOM. */
int ctt_grow(ct_thread *th);

/* ctt_release: drop what activation `a` holds of its last step. */
void ctt_release(ct_act *a);

/* ctt_set_top: th's top after its depth or stack changed. */
static inline void
ctt_set_top(ct_thread *th)
{
    th->top = th->depth ? &th->stack[th->depth - 1] : NULL;
}

/* ctt_push: push an activation of cc on the last record's thread: the
   activation, NULL on OOM. */
static inline ct_act *
ctt_push(ct_code *cc)
{
    ct_thread *th = ctt_last;
    if (th->depth == th->cap && ctt_grow(th) < 0)
        return NULL;
    ct_act *a = &th->stack[th->depth++];
    th->top = a;
    a->code = cc;
    a->ready = 0;
    a->impure = 0;
    a->calls = NULL;
    a->rebind = ~0ull;
    a->ep_seen = 0;
    return a;
}

/* ctt_pop: pop the last record's thread's top activation if it is cc's: 0
   when popped, 1 when there is none of cc to pop (its start was not recorded). */
static inline int
ctt_pop(ct_code *cc)
{
    ct_thread *th = ctt_last;
    ct_act *a = th->top;
    if (a == NULL || a->code != cc)
        return 1;
    th->top = --th->depth ? a - 1 : NULL;
    if (a->ready)
        ctt_release(a);
    return 0;
}

/* ctt_close_all: at the end of recording `generation`, record into c the
   exits of ended threads and a Return (value not recorded) for every
   activation still running, so that every Call is matched. */
void ctt_close_all(ct_chunk *c, uint64_t generation);

/* ctt_reset_all: forget the activations of every thread (at stop). */
void ctt_reset_all(void);

/* ctt_fork_child: in a forked child, free the state of every thread but
   the calling one (they do not exist here) and forget all activations. */
void ctt_fork_child(void);

#endif
