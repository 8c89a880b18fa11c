/*
** derive_inline.h -- the derivations (ctd_) and actions (cta_) that
** spec/events.spec marks `inline`: a few instructions each, run at every
** step, defined here so that the generated callbacks (generated/events.c,
** which includes this file) have them inline; events.h declares no
** prototype for them. The rest are in derive.c. Also ctd_omit_function,
** which the callbacks of records with `omits` call, and ctd_atom, which
** those of records with `compacts` call. Each that does nothing without
** values tests that first and calls its values path in derive.c.
*/
#ifndef CT_DERIVE_INLINE_H
#define CT_DERIVE_INLINE_H

#include "recorder.h"

/* CTD_VALUES_PATH(ev): the callback is a fast path with values
   (cte_begin_values: ev->values the constant 1), where ev is in memory for
   the values paths anyway: they are given ev itself. Elsewhere they are
   given a copy, so that taking its address does not keep ev out of
   registers on the paths where they fold away (ev->values the constant 0,
   the no-values fast paths) or are not taken. */
#define CTD_VALUES_PATH(ev) (__builtin_constant_p((ev)->values) && (ev)->values)

/* ---- derivations ---- */

static inline uint32_t
ctd_fn(ct_ev *ev, PyObject *code)
{
    (void)code;
    return ev->code->fn;
}

static inline int32_t
ctd_line(ct_ev *ev, long v)
{
    ev->line = (int32_t)v;
    return (int32_t)v;
}

static inline int32_t
ctd_offset(ct_ev *ev, long v)
{
    (void)ev;
    return (int32_t)v;
}

static inline uint8_t
ctd_side(ct_ev *ev, long v)
{
    (void)ev;
    return (uint8_t)v;
}

/* ctd_omit_function: a Step may be a Line (its fn omitted) when the chunk
   tells a reader `fn` as the thread's current activation's function: as
   the reader tracks it (docs/trace-format.md, "Records that omit a field"),
   the activation's Call, Resume or Throw is in this chunk, or a Step of it
   while it was the innermost, the latest of which gave `fn`. Else the Step
   is written whole, and tells it from now on. 1: omit it; 0: write it. */
static inline int
ctd_omit_function(ct_ev *ev, uint32_t fn)
{
    ct_act *a = ctt_last->top;   /* (ctt_last is never NULL: thread.h) */
    if (a == NULL)
        return 0;
    uint64_t here = ev->chunk->seq + 1;
    if (a->fn_chunk == here && a->fn == fn)
        return 1;
    a->fn_chunk = here;
    a->fn = fn;
    return 0;
}

uint32_t ctd_value_values(ct_ev *ev, PyObject *o);   /* derive.c */

/* ctd_value: with --no-values, CTR_NOT_RECORDED; else ctd_value_values
   (given a copy of ev: see ct_ev). */
static inline uint32_t
ctd_value(ct_ev *ev, PyObject *o)
{
    if (!ev->values)
        return CTR_NOT_RECORDED;
    if (CTD_VALUES_PATH(ev))
        return ctd_value_values(ev, o);
    ct_ev copy = *ev;
    uint32_t r = ctd_value_values(&copy, o);
    ev->err = copy.err;
    return r;
}

int ctd_atom_values(PyObject *o, int *kind, int64_t *a);   /* derive.c */

/* ctd_atom: 1 when `value(o)` would be one node (value kind *kind, its `a`
   *a, no flags) that a compact record (`compacts`) may hold, else 0 (always
   0 with --no-values). */
static inline int
ctd_atom(ct_ev *ev, PyObject *o, int *kind, int64_t *a)
{
    return ev->values && ctd_atom_values(o, kind, a);
}

/* ---- actions ---- */

/* cta_push: the thread's new activation, whose Call, Resume or Throw names
   its function. */
static inline int
cta_push(ct_ev *ev, PyObject *code)
{
    (void)code;
    ct_act *a = ctt_push(ev->code);
    if (a == NULL) {
        ev->err = 1;
        return -1;
    }
    a->fn_chunk = ev->chunk->seq + 1;
    a->fn = ev->code->fn;
    if (ev->event == CTG_EV_PY_START)
        a->rebind = 0;   /* (its first Step follows the prologue, which binds no fast local) */
    else
        a->impure = 1;   /* (a generator resumed: the rest of its yield's line runs first) */
    ev->stack = 1;
    return 0;
}

static inline int
cta_pop(ct_ev *ev, PyObject *code)
{
    (void)code;
    int rc = ctt_pop(ev->code);
    if (rc == 0)
        ev->stack = -1;
    return rc;
}

int cta_args_values(ct_ev *ev, PyObject *code);     /* derive.c */

/* cta_args: with --no-values, nothing; else cta_args_values (given a copy
   of ev: see ct_ev). */
static inline int
cta_args(ct_ev *ev, PyObject *code)
{
    if (!ev->values)
        return 0;
    if (CTD_VALUES_PATH(ev))
        return cta_args_values(ev, code);
    ct_ev copy = *ev;
    int r = cta_args_values(&copy, code);
    ev->err = copy.err;
    return r;
}

int cta_locals_values(ct_ev *ev, PyObject *code);   /* derive.c */

/* cta_locals: with --no-values, nothing; else cta_locals_values (given a
   copy of ev: see ct_ev). */
static inline int
cta_locals(ct_ev *ev, PyObject *code)
{
    if (!ev->values)
        return 0;
    if (CTD_VALUES_PATH(ev))
        return cta_locals_values(ev, code);
    ct_ev copy = *ev;
    int r = cta_locals_values(&copy, code);
    ev->err = copy.err;
    return r;
}

#endif
