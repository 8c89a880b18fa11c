/*
** code.h -- the code cache (ctc_): per-code-object data, computed once per
** recording when the recorder first meets a code object and kept in its
** co_extra: whether the selector records it, its FunctionDef id, its names
** and line table. A recorded code object gets the recording's local events.
*/
#ifndef CT_CODE_H
#define CT_CODE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#include "records.h"

/* Per-code-object data, kept in co_extra. */
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
    int *slots;            /* each plain fast local's frame slot (ctf_slot: read directly under
                              3.12 and 3.13), or -1 */
    uint8_t all_slots;     /* every name has a slot: a Step needs no frame object */
    /* the pure-line epoch's pass (derive.c, quiet_vars), when qok (at most
       64 names): qname[s], the name whose slot is s (s < 63), -1: none;
       qalways, the names without such a slot (bit i: name i), read at
       every Step */
    uint8_t qok;
    int8_t qname[63];
    uint64_t qalways;
    uint8_t *hides;        /* each name is hidden by the recording's redaction (ctx_hides) */
    PyObject *code;        /* the code object (borrowed: it owns this entry) */
    int32_t *lines;        /* line of each code unit (offset / 2), -1: none; built on first use */
    Py_ssize_t nlines;
    /* the pure-line epoch (docs/design.md): per line - lfirst, its flags
       (CTC_L_IMPURE) and the frame slots its stores rebind (bit s: slot s;
       bit 63: a slot >= 63); lcount 0: not built, -1: could not be */
    uint8_t *lflag;
    uint64_t *lrebind;
    /* a line impure only by what the Step before it can bound
       (CTC_L_TARGET: ctc_purity's line_targets): the slots that must hold
       atoms then (lneed) and the one slot whose list its subscript
       stores change (ltarget, -1: none) */
    uint64_t *lneed;
    uint64_t *lcont;       /* the slots that must hold exact built-in containers then (an `in` test) */
    int16_t *ltarget;
    struct ctc_for *lfor;  /* per line (CTC_L_FOR), NULL when no line is flagged so */
    struct ctc_call *lcall;   /* per line (CTC_L_CALLS), NULL when no line is flagged so */
    int32_t lfirst, lcount;
    uint8_t impure_any;    /* not recorded: some opcode of it is impure (its PY_START bumps ctu_epoch) */
} ct_code;
#define CTC_L_IMPURE 1
/* CTC_L_TARGET: the line's impure opcodes are in-place operators whose left
   operand is an atom when the lneed slots hold atoms at the Step before it,
   or one of the target's items (CTC_L_ITEMS: a list of atoms then),
   subscript stores and deletes into the object the target slot holds then
   (an exact list, or an exact set without CTC_L_ITEMS: a subscript then
   raises), keyed by such atoms, calls of the target's list or set methods
   that change it alone (code.c, lt_methods), and `in` tests of the objects the
   lcont slots hold then (exact built-in containers, whose test iterates
   nothing): it changes that object alone (docs/design.md, "Lines that change one object"). */
#define CTC_L_TARGET 2
#define CTC_L_ITEMS 4
/* CTC_L_FOR: the line is a `for` statement's head whose run from its
   FOR_ITER (lfor[l].unit: where a LINE event stops at the loop's next turn)
   takes the next item, unpacks it and stores the parts in fast locals, and
   nothing else, until another line: it changes no object but the iterator
   (which the recorder reads as its type alone) when, at that Step, the
   iterator is a built-in one whose step runs no code and the next item
   has the shapes its unpacking needs (lfor[l].chk: CTC_FOR_CHK), which
   derive.c's for_line checks (docs/design.md, "`for` lines"). */
#define CTC_L_FOR 8
/* CTC_L_CALLS: the line's impure opcodes are calls alone (CALL, CALL_KW; at
   most CTC_CALLS of them), each run at most once per run of the line (no
   jump back within it), at units lcall[l].unit[k] to lcall[l].last[k]
   (its caches), in the order they run: when the PY_START of a Python
   function comes from call k (the new frame's caller is the line's frame
   at those units: an inlined call, no C code between) and every call
   before k came so too, no C code of the line has run yet, and when every
   call has, the line is of Python calls alone, which show what they change
   themselves: it is pure (recorder.h, cte_epoch_event and
   cte_python_call; docs/design.md, "Calls of Python functions") */
#define CTC_L_CALLS 16
#define CTC_CALLS 4
typedef struct ctc_call { uint8_t n; int32_t unit[CTC_CALLS], last[CTC_CALLS]; } ctc_call;
#define CTC_FOR_CHECKS 8
/* a shape check: the part of the next item at path i0, i1, i2 (each 1 + an
   index, 0: the path ends) is an exact tuple or list of n items */
#define CTC_FOR_CHK(n, i0, i1, i2) ((uint16_t)((n) << 12 | (i0) << 8 | (i1) << 4 | (i2)))
typedef struct ctc_for {
    int32_t unit;    /* the FOR_ITER's code unit (offset / 2); read only for a line flagged CTC_L_FOR */
    uint8_t nchk;
    uint16_t chk[CTC_FOR_CHECKS];   /* parents before their parts */
} ctc_for;
/* ctc_purity: build cc's per-line flags and rebinds; 0, or -1 (none: every
   line impure) */
int ctc_purity(ct_code *cc);

/* The co_extra index of the cache (ctc_setup gets it). */
extern int ctc_extra_index;

/* The code object ctc_lookup (or the recorder: cte_code_of) found last
   current and recorded, and its entry (ctc_last_cc): consecutive events
   mostly come from one code object. code_free, which CPython calls when a
   code object's entry is freed or replaced, forgets them, so the pointer is
   never one of a freed entry; ctc_start forgets them, so that they are
   always of the current recording and recorded. */
extern PyObject *ctc_last_code;
extern void *ctc_last_cc;

/* Beside it, a direct-mapped cache of the entries ctc_lookup found current
   and recorded, by code object (a PY_START's code object is mostly another
   than the last event's: this spares it the call into co_extra). code_free
   and ctc_start clear its slots as they do ctc_last_*. */
#define CTC_CACHE 256
typedef struct ctc_slot {
    PyObject *code;
    ct_code *cc;
} ctc_slot;
extern ctc_slot ctc_cache[CTC_CACHE];

/* ctc_slot_of: the cache slot of `code` (Fibonacci hashing of its address: the top 8 bits). */
static inline ctc_slot *
ctc_slot_of(PyObject *code)
{
    _Static_assert(CTC_CACHE == 256, "ctc_slot_of hashes to 8 bits");
    return &ctc_cache[((uintptr_t)code * 0x9e3779b97f4a7c15ull) >> 56];
}

/* ctc_unseen: a direct-mapped cache (by ctc_slot_of's hash) of code
   objects current for the recording, not recorded, with an impure opcode
   (impure_any): their PY_START stays on, and cte_begin_full answers it from
   here without the call into co_extra. code_free and ctc_start clear its
   slots as they do ctc_cache's. */
extern PyObject *ctc_unseen[CTC_CACHE];

static inline PyObject **
ctc_unseen_of(PyObject *code)
{
    return &ctc_unseen[ctc_slot_of(code) - ctc_cache];
}

/* ctc_setup: reserve the co_extra index, once per process; -1 with an error. */
int ctc_setup(void);

/* ctc_lookup: the entry of code object `code` when it is current for
   recording `generation`, else NULL. */
static inline __attribute__((always_inline)) ct_code *
ctc_lookup(PyObject *code, uint64_t generation)
{
    void *extra = NULL;
    ctc_slot *slot = ctc_slot_of(code);
    if (code == ctc_last_code) {
        extra = ctc_last_cc;
    } else if (slot->code == code) {
        extra = slot->cc;
    } else if (PyUnstable_Code_GetExtra(code, ctc_extra_index, &extra) < 0) {
        PyErr_Clear();
        extra = NULL;
    }
    ct_code *cc = extra;   /* (none yet: ctc_code makes it) */
    if (cc == NULL || cc->generation != generation)
        return NULL;
    if (cc->recorded) {
        ctc_last_code = code;
        ctc_last_cc = cc;
        slot->code = code;
        slot->cc = cc;
    } else if (cc->impure_any) {
        *ctc_unseen_of(code) = code;
    }
    return cc;
}

/* ctc_start: the selection of recording `generation`: selector(filename,
   module) -> bool decides which code is recorded; a recorded code object
   gets the PEP 669 events `local_mask` of tool `tool` through
   set_local_events (sys.monitoring's). With `unseen` (values are
   recorded), a code object not recorded is scanned for impure opcodes
   (impure_any: its PY_START stays on, for the pure-line epoch) and, when
   it has one, gets the events `unseen_mask` (PY_THROW where it is a local
   event: a generator closed at its death runs its `finally` through it).
   Takes references; -1 with an error. */
int ctc_start(uint64_t generation, PyObject *selector, int tool, uint32_t local_mask,
              int unseen, uint32_t unseen_mask, PyObject *set_local_events);

/* ctc_code_init: compute the entry of `code` for the current recording,
   running in `frame` (for the module name; may be NULL); its FunctionDef
   and ids go into chunk c. NULL with an error set on failure; NULL without
   one when another thread stopped the recording while the selector (Python
   code) ran. */
ct_code *ctc_code_init(PyObject *code, PyFrameObject *frame, ct_chunk *c);

/* ctc_lines: build cc's line table from co_lines(); -1 with an error set. */
int ctc_lines(ct_code *cc);

/* ctc_started: 1 between ctc_start and ctc_clear (a recording, perhaps
   stopped by a failure, that stop() has not ended yet). */
int ctc_started(void);

/* ctc_unmonitor: take the local events off every code object that got
   them; -1 with an error set when a call failed (it goes on). */
int ctc_unmonitor(void);

/* ctc_clear: forget the selection (at the end of a recording). */
void ctc_clear(void);

#endif
