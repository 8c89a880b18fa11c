/*
** derive.c -- the derivations (ctd_) and actions (cta_) that spec/events.spec
** declares and the generated callbacks call. Their prototypes are generated
** into events.h from the spec; the ones the spec marks `inline` are defined
** in derive_inline.h instead.
*/
#include "recorder.h"
#include "derive_inline.h"
#include "frame.h"
#include "nswatch.h"
#include "intern.h"
#include "redact.h"
#include "values.h"
#include "unseen.h"

#include <stdlib.h>
#include <string.h>

/* ---- derivations ---- */

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

/* noted: an exception the values' code left set is a failure of the event
   (the spec's `clean`: the event's end does not look for one); noted_in,
   for thread state ts, the caller's, taken once for the Step. */
static inline void
noted_in(ct_ev *ev, const PyThreadState *ts)
{
    if (ts->current_exception != NULL)   /* (PyErr_Occurred's read, 3.12 on) */
        ev->err = 1;
}

static void
noted(ct_ev *ev)
{
    noted_in(ev, PyThreadState_Get());
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

/* object_value: o, not an atom: the objects it reaches checked (Obj and
   ObjPut records), then its own nodes. */
static uint32_t
object_value(ct_chunk *c, PyObject *o)
{
    uint64_t print = ctv_check(c, o);
    return print == CTV_NO_PRINT ? CTV_NONE : ctv_inline(c, o, print);
}

static inline int solo(const PyThreadState *ts);

/* mark_check: the records written since chunk c held k0 kinds are a value
   check of the event whose record comes next; when it wrote records of
   an object the chunk named before (ctv_changed moved on from n0: an
   object the event's line changed, which the preceding Step's snapshot
   may show) right after a Step's records (the last record before them
   that is no definition a Step, Var or Unset, or one read as such), a
   Mark goes before them (format 11: the Step's snapshot ends
   there, docs/trace-format.md, "The stream"). It is appended to its vector
   (the latest Mark) and its kind put at k0, the kinds after it moved by
   one. `seq`: c's seq when the check began (a chunk handed over
   meanwhile: the records are in another chunk, after no Step). */
static void
mark_check(ct_chunk *c, size_t k0, uint64_t n0, uint64_t seq)
{
    if (ctv_changed == n0 || c->seq != seq || c->kinds.len <= k0 || c->failed)
        return;
    size_t j = k0;
    while (j > 0 && ctr_record_defines[(uint8_t)c->kinds.p[j - 1]])   /* the record before: a Step's, or its
                                                                         Var or Unset? */
        j--;
    int as = j > 0 ? ctr_record_as[(uint8_t)c->kinds.p[j - 1]] : -1;
    if (as != CTR_K_Step && as != CTR_K_Var && as != CTR_K_Unset)   /* (no Step open: its end came before) */
        return;
    size_t n = c->kinds.len - k0;
    ctr_emit_Mark(c, (uint32_t)n);   /* (it may move the kinds: read below) */
    if (c->failed)   /* (out of memory: the event fails) */
        return;
    uint8_t *kinds = (uint8_t *)c->kinds.p;
    memmove(kinds + k0 + 1, kinds + k0, n);
    kinds[k0] = CTR_K_Mark;
}

/* ctd_value with values on (derive_inline.h): a Return's or a Yield's
   value. Its check is made at the event's epoch as a Step's are
   (delta_vars): a root whose last replay was at this epoch, quiet since,
   is passed (the value returned by a pure line, `return self.current`,
   after the Step that checked it). */
uint32_t
ctd_value_values(ct_ev *ev, PyObject *o)
{
    uint32_t i;
    if (ctv_atom(o))
        i = checked(ev, ctv_value(ev->chunk, o));
    else {
        ctv_epoch();
        int alone = solo(PyThreadState_Get());
        if (alone) {
            ctv_eseq = ctu_opaque ? 0 : ctu_epoch;
            ctv_ebut = ctu_elast;
        }
        ct_chunk *c = ev->chunk;
        size_t k0 = c->kinds.len;
        uint64_t n0 = ctv_changed, seq = c->seq;
        i = checked(ev, object_value(c, o));
        mark_check(c, k0, n0, seq);
        if (alone) {
            ctv_eseq = 0;
            ctv_ebut = NULL;
        }
    }
    noted(ev);
    return i;
}

/* (an exception's value is a tree of its own, written whole, with no
   object record: it needs no Mark) */
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

/* ctd_atom with values on (derive_inline.h) */
int
ctd_atom_values(PyObject *o, int *kind, int64_t *a)
{
    return ctv_kind_a(o, kind, a);
}

/* compact: the Arg or Var record of name `id` bound to v as a compact
   record (the spec's `compacts Arg`, `compacts Var`) when one holds its
   value. 1 when written. */
static int
compact(ct_ev *ev, int arg, uint32_t id, PyObject *v)
{
    int kind;
    int64_t a;
    if (!ctv_kind_a(v, &kind, &a))
        return 0;
    return arg ? ctr_emit_compact_Arg(ev->chunk, id, kind, a) : ctr_emit_compact_Var(ev->chunk, id, kind, a);
}

/* variable: write one Arg or Var record for name `id` bound to `v`
   (redacted when `hidden`: ctx_hides of its name). */
static void
variable(ct_ev *ev, int arg, uint32_t id, int hidden, PyObject *v)
{
    if (hidden) {
        record_var(ev, arg, id, ctv_redacted(ev->chunk, v));
        return;
    }
    if (compact(ev, arg, id, v))
        return;
    record_var(ev, arg, id, ctv_atom(v) ? ctv_value(ev->chunk, v) : object_value(ev->chunk, v));
}

/* fast_vars: the bound names of an optimized frame, read one by one. */
static void
fast_vars(ct_ev *ev, PyFrameObject *f, Py_ssize_t n, int arg)
{
    ct_code *cc = ev->code;
    ctv_epoch();
    for (Py_ssize_t i = 0; i < n && !ev->err; i++) {
        PyObject *v = ctf_get(f, cc->code, cc->slots[i], cc->names[i]);
        if (v == NULL)   /* unbound */
            continue;
        variable(ev, arg, cc->name_ids[i], cc->hides[i], v);
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
    if (state != NULL)
        a->state = state;
    uint32_t *ids = state ? realloc(a->ids, n * sizeof *ids) : NULL;
    if (ids != NULL)
        a->ids = ids;
    uint32_t *seen = ids ? realloc(a->seen, n * sizeof *seen) : NULL;
    if (seen != NULL)
        a->seen = seen;
    PyObject **keys = seen ? realloc(a->keys, n * sizeof *keys) : NULL;
    if (keys != NULL)
        a->keys = keys;
    PyObject **objs = keys ? realloc(a->objs, n * sizeof *objs) : NULL;
    if (objs != NULL)
        a->objs = objs;
    uint8_t *hidden = objs ? realloc(a->hidden, n) : NULL;
    if (hidden != NULL)
        a->hidden = hidden;
    PyObject **fnq = hidden ? realloc(a->fnq, 2 * n * sizeof *fnq) : NULL;
    if (fnq == NULL)
        return -1;
    a->fnq = fnq;
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
        if (n > 0) {
            memset(a->last, 0, n * sizeof *a->last);
            memset(a->keys, 0, n * sizeof *a->keys);
            memset(a->fnq, 0, 2 * n * sizeof *a->fnq);
            memset(a->state, CT_UNBOUND, n);
        }
        if (a->index_cap > 0)
            memset(a->index, 0, a->index_cap * sizeof *a->index);
        a->nslots = n;
        a->nbound = 0;
        a->key = 0;
        a->nsw = NULL;   /* a slot reused unreleased (a rolled-back push) keeps its use until stop */
        a->ns_stale = 0;
        a->ready = 1;
    }
    return a;
}

/* unbind: slot i of `a` (name `id`) is no longer bound: an Unset record. */
static void
unbind(ct_ev *ev, ct_act *a, Py_ssize_t i, uint32_t id)
{
    ctr_emit_Unset(ev->chunk, id);
    Py_CLEAR(a->last[i]);
    a->state[i] = CT_UNBOUND;
    a->nbound--;
}

/* The values a Step has checked so far (non-atoms, unredacted), so that a
   value several of its variables are bound to is traversed once: the
   fingerprint of its own nodes. Pointers stay valid through a Step: no
   user code runs, and the frame or namespace holds each object. An open
   addressing table by address whose entries are the Step's while they
   carry its stamp (a new Step is a new stamp, nothing cleared), at most
   STEP_SEEN of them (a module body checks every name bound to an object:
   modfuncs' 31 functions at each Step). A check that let another thread
   record (a chunk handed over) ends the Step's use of the table: the other
   Step's entries carry its stamp, and what it checked may have changed
   since. */
#define STEP_TABLE 64
#define STEP_SEEN 32
static struct { PyObject *o; uint64_t print; uint32_t stamp; } step_seen[STEP_TABLE];
static uint32_t step_stamp, stamp_seq;
static int nstep_seen;

/* step_begin: a new Step's (or Call's) use of the table. */
static inline void
step_begin(void)
{
    if (++stamp_seq == 0) {   /* wrapped: no entry may carry a stamp to come */
        memset(step_seen, 0, sizeof step_seen);
        stamp_seq = 1;
    }
    step_stamp = stamp_seq;
    nstep_seen = 0;
}

/* checked_print: ctv_check of v, once per Step. */
static uint64_t
checked_print(ct_chunk *c, PyObject *v)
{
    uint32_t stamp = step_stamp;
    size_t j = (size_t)(((uintptr_t)v >> 4) * 0x9E3779B97F4A7C15ULL >> 58);
    while (step_seen[j].stamp == stamp) {
        if (step_seen[j].o == v)
            return step_seen[j].print;
        j = (j + 1) & (STEP_TABLE - 1);
    }
    uint64_t print = ctv_check(c, v);
    if (step_stamp != stamp) {   /* another thread's Step ran meanwhile */
        step_begin();
        nstep_seen = STEP_SEEN;   /* (this Step's checks so far are not in the table) */
        return print;
    }
    if (print != CTV_NO_PRINT && nstep_seen < STEP_SEEN) {
        step_seen[j].o = v;
        step_seen[j].print = print;
        step_seen[j].stamp = stamp;
        nstep_seen++;
    }
    return print;
}

/* slot_var: slot i of `a` (name `id`, `name`) is bound to v (borrowed): its
   Var record (an Arg record with `arg`) when it changed since the slot's
   last check, or always with `key` (a full snapshot). A slot bound to an
   atom is unchanged while it holds the same object. Any other value is
   traversed (ctv_check: the objects it reaches that changed get their Obj
   or ObjPut records) and is unchanged while the fingerprint of its own
   nodes is: an object is the same while its id is. */
static void
slot_var(ct_ev *ev, ct_act *a, Py_ssize_t i, uint32_t id, int hidden, PyObject *v, int key, int arg)
{
    ct_chunk *c = ev->chunk;
    int state = a->state[i];
    if (state == CT_UNBOUND)
        a->nbound++;
    if (ctv_atom(v)) {
        if (key || state != CT_SAME || a->last[i] != v)
            variable(ev, arg, id, hidden, v);
        Py_XSETREF(a->last[i], Py_NewRef(v));
        a->state[i] = CT_SAME;
        return;
    }
    Py_CLEAR(a->last[i]);
    if (hidden) {
        if (key || state != CT_REDACTED)
            record_var(ev, arg, id, ctv_redacted(c, v));
        a->state[i] = CT_REDACTED;
        return;
    }
    uint64_t print = checked_print(c, v);
    if (print == CTV_NO_PRINT) {
        ev->err = 1;
        return;
    }
    if (key || state != CT_PRINTED || print != a->print[i])
        record_var(ev, arg, id, ctv_inline(c, v, print));
    a->print[i] = print;
    a->state[i] = CT_PRINTED;
}

/* printed_again: slot i of `a` (name `id`), recorded last as a value of
   print[i] (CT_PRINTED: its name hides nothing, last[i] is NULL), bound
   now to v, no atom, at a Step that is no keyframe: slot_var's one case
   most Steps meet, inline. */
static inline void
printed_again(ct_ev *ev, ct_act *a, Py_ssize_t i, uint32_t id, PyObject *v)
{
    uint64_t print = checked_print(ev->chunk, v);
    if (print == CTV_NO_PRINT) {
        ev->err = 1;
    } else if (print != a->print[i]) {
        record_var(ev, 0, id, ctv_inline(ev->chunk, v, print));
        a->print[i] = print;
    }
}

/* solo: the recording's interpreter has no thread state but the caller's,
   ts (its list of them is linked both ways: the fields of PyThreadState
   that cpython/pystate.h declares, read as PyThreadState_Next does) */
static inline int
solo(const PyThreadState *ts)
{
    return ts->prev == NULL && ts->next == NULL;
}

/* pure_since: nothing a Step of activation `a` shows can have changed
   since its last check but what the last line's stores rebind (docs/
   design.md, "The pure-line epoch"): no event since that could follow code
   that changes an object no watcher tells of (ctu_epoch), no watched dict
   changed (ctv_watch_seq), and no weak reference with an opaque callback
   was made (ctu_opaque). The caller has seen that no other thread state
   exists now; the last check saw the same, or it left ep_seen 0 (another
   thread could have run between two of this one's events, and ended). */
static int
pure_since(const ct_act *a)
{
    return a->ep_seen == ctu_epoch && a->wseq_seen == ctv_watch_seq() && !ctu_opaque;
}

/* slot_check: delta_vars' work for slot i (the slot's variable read and
   compared with what its last Step recorded). */
static inline __attribute__((always_inline)) void
slot_check(ct_ev *ev, PyFrameObject *f, const ctf_word *fast, ct_act *a, Py_ssize_t i, int key,
           int arg)
{
    ct_code *cc = ev->code;
    int slot = cc->slots[i];
    int borrowed = fast != NULL && slot >= 0;   /* the same atom then needs no reference */
    PyObject *v = borrowed ? ctf_at(fast, slot) : ctf_get(f, cc->code, slot, cc->names[i]);
    if (v == a->last[i] && v != NULL && !key) {   /* the same atom (last[i]: an atom or NULL) */
        if (!borrowed)
            Py_DECREF(v);
        return;
    }
    if (borrowed)
        Py_XINCREF(v);
    if (v == NULL) {   /* unbound */
        if (a->state[i] != CT_UNBOUND)
            unbind(ev, a, i, cc->name_ids[i]);
        return;
    }
    if (!key && a->state[i] == CT_PRINTED && !ctv_atom(v))
        printed_again(ev, a, i, cc->name_ids[i], v);
    else
        slot_var(ev, a, i, cc->name_ids[i], cc->hides[i], v, key, arg);
    Py_DECREF(v);
}

/* quiet_vars: delta_vars' loop when pure_since holds: a slot that the
   last line's stores do not rebind holds what it held at the last check
   (an atom, an object nothing changed since, or nothing), and is passed
   unread; the others, and the names without a slot (cells, free
   variables), are read in the names' order (a loop of its own: the usual
   one stays as it was). Up to 64 names, only those are visited
   (ct_code.qname); more, each name is looked at. */
static __attribute__((noinline)) void
quiet_vars(ct_ev *ev, PyFrameObject *f, const ctf_word *fast, ct_act *a, Py_ssize_t n)
{
    ct_code *cc = ev->code;
    uint64_t rebind = a->rebind;   /* (the slots the last line's stores may have rebound) */
    if (cc->qok) {
        uint64_t names = cc->qalways;
        for (uint64_t m = rebind & ~(1ull << 63); m != 0; m &= m - 1) {   /* (bit 63: a slot past
                                                                            62, in qalways) */
            int i = cc->qname[__builtin_ctzll(m)];
            if (i >= 0)
                names |= 1ull << i;
        }
        if (n < 64)
            names &= (1ull << n) - 1;
        Py_ssize_t read = 0;
        for (; names != 0 && !ev->err; names &= names - 1, read++)
            slot_check(ev, f, fast, a, __builtin_ctzll(names), 0, 0);
        ctu_pure_skips += (uint64_t)(n - read);
        return;
    }
    for (Py_ssize_t i = 0; i < n && !ev->err; i++) {
        int slot = cc->slots[i];
        if (slot >= 0 && !(rebind & (slot >= 63 ? 1ull << 63 : 1ull << slot)))
            ctu_pure_skips++;
        else
            slot_check(ev, f, fast, a, i, 0, 0);
    }
}

/* delta_vars: for the first n slots of an optimized frame, the Var records
   of the variables that changed since the activation's previous step and
   Unset records for those unbound since; all bound variables at its first
   step in each chunk (a keyframe). With `arg`, the Call's Arg records
   instead: all of them, and they become what the activation's first Step
   is compared with; that check counts as the activation's last one, so
   its first Step passes what nothing changed since (a call's prologue
   binds no fast local). Variables nothing can have changed since the last
   check are passed (quiet_vars: the pure-line epoch). */
static void
delta_vars(ct_ev *ev, PyThreadState *ts, PyFrameObject *f, const ctf_word *fast, ct_act *a, Py_ssize_t n,
           int arg)
{
    ct_chunk *c = ev->chunk;
    int key = arg || a->key != c->seq + 1;
    a->key = c->seq + 1;
    step_begin();
    ctv_epoch();
    if (fast == NULL)
        fast = ctf_fast(f, ev->code->code);   /* NULL: every slot by ctf_get */
    int alone = solo(ts);
    if (alone) {   /* (its replays may pass what one line could not change: ctu_elast is NULL
                      while the pass is off, ctu_opaque) */
        ctv_eseq = ctu_opaque ? 0 : ctu_epoch;
        ctv_ebut = ctu_elast;
    }
    if (!key && alone && pure_since(a))
        quiet_vars(ev, f, fast, a, n);
    else
        for (Py_ssize_t i = 0; i < n && !ev->err; i++)
            slot_check(ev, f, fast, a, i, key, arg);
    if (alone) {
        ctv_eseq = 0;
        ctv_ebut = NULL;
    }
    a->ep_seen = alone ? ctu_epoch : 0;   /* (ctu_epoch is never 0) */
    a->wseq_seen = ctv_watch_seq();
}

/* user_name: a name of a module or class namespace worth showing: not a
   dunder, not __builtins__, not bound to a module. */
static int
user_name(PyObject *k, PyObject *v)
{
    if (!PyUnicode_CheckExact(k))
        return 0;
    Py_ssize_t n = PyUnicode_GET_LENGTH(k);
    if (n >= 4 && PyUnicode_READ_CHAR(k, 0) == '_' && PyUnicode_READ_CHAR(k, 1) == '_'
            && PyUnicode_READ_CHAR(k, n - 1) == '_' && PyUnicode_READ_CHAR(k, n - 2) == '_')
        return 0;
    return !PyModule_Check(v);   /* after the name: a subtype test for most values */
}

/* key_hash: where key object k's search starts in an index of mask + 1. */
static inline size_t
key_hash(PyObject *k, size_t mask)
{
    return (size_t)(((uintptr_t)k >> 4) * 0x9E3779B97F4A7C15ULL >> 20) & mask;
}

/* index_build: a namespace activation's index, made anew with cap entries
   (a power of 2 at least twice its slots); -1 when out of memory. */
static int
index_build(ct_act *a, size_t cap)
{
    uint32_t *index = calloc(cap, sizeof *index);
    if (index == NULL)
        return -1;
    free(a->index);
    a->index = index;
    a->index_cap = cap;
    for (Py_ssize_t i = 0; i < a->nslots; i++) {
        size_t j = key_hash(a->keys[i], cap - 1);
        while (index[j] != 0)
            j = (j + 1) & (cap - 1);
        index[j] = (uint32_t)i + 1;
    }
    return 0;
}

/* slot_found: the slot of namespace activation `a` whose key object is k
   (found by its address), or -1. */
static inline Py_ssize_t
slot_found(ct_act *a, PyObject *k)
{
    if (a->index_cap > 0) {
        size_t mask = a->index_cap - 1;
        for (size_t j = key_hash(k, mask); a->index[j] != 0; j = (j + 1) & mask) {
            if (a->keys[a->index[j] - 1] == k)
                return (Py_ssize_t)a->index[j] - 1;
        }
    }
    return -1;
}

/* slot_of: the slot of str key k of namespace activation `a`. A key object
   met before is found by its address (the slot holds it, so the address is
   not reused). Another key object is looked up by name id (*id): an equal
   str under which the name was found before (the name was deleted and set
   again) gives the name's slot, which takes the new key object; else a new
   slot (unbound). -1 on error. */
static Py_ssize_t
slot_of(ct_ev *ev, ct_act *a, PyObject *k)
{
    Py_ssize_t found = slot_found(a, k);
    if (found >= 0)
        return found;
    uint32_t id = cti_name(ev->chunk, k);
    if (id == CTI_NONE)
        return -1;
    for (Py_ssize_t i = 0; i < a->nslots; i++) {   /* rare: a name's first sight, or a new key object */
        if (a->ids[i] == id) {
            Py_SETREF(a->keys[i], Py_NewRef(k));
            return index_build(a, a->index_cap) < 0 ? -1 : i;
        }
    }
    Py_ssize_t i = a->nslots;
    if (i == a->cap && grow(a, a->cap ? 2 * a->cap : 16) < 0)
        return -1;
    a->last[i] = NULL;
    a->state[i] = CT_UNBOUND;
    a->ids[i] = id;
    a->seen[i] = 0;
    a->keys[i] = Py_NewRef(k);
    a->objs[i] = NULL;
    a->fnq[2 * i] = a->fnq[2 * i + 1] = NULL;
    a->hidden[i] = (uint8_t)ctx_hides(k);   /* an equal key object later: the same name */
    a->nslots++;
    if (2 * (size_t)a->nslots > a->index_cap)   /* kept at most half full */
        return index_build(a, a->index_cap ? 2 * a->index_cap : 64) < 0 ? -1 : i;
    size_t mask = a->index_cap - 1, j = key_hash(k, mask);
    while (a->index[j] != 0)
        j = (j + 1) & mask;
    a->index[j] = (uint32_t)i + 1;
    return i;
}

/* fn_same: slot i of namespace activation `a`, checked last bound to v
   (objs[i], CT_PRINTED), when v was an exact function whose name was made
   of its qualname and module strs then (fnq, held: ctv_func_name): v still
   has those two objects, so its value, that name's text, is the same. A
   function's value is its name alone (values.c, name_entry), and a
   reassigned __qualname__ or __module__ is another object; the refs held
   keep another str from taking either address. modfuncs: a module's 31
   functions, each looked up in the name cache at every Step of its body. */
static inline int
fn_same(const ct_act *a, Py_ssize_t i, PyObject *v)
{
    PyObject *q = a->fnq[2 * i];
    return q != NULL && Py_IS_TYPE(v, &PyFunction_Type) && ((PyFunctionObject *)v)->func_qualname == q
        && ((PyFunctionObject *)v)->func_module == a->fnq[2 * i + 1];
}

/* fn_note: slot i's value v was just checked: fnq as fn_same reads it. */
static void fn_set(ct_act *a, Py_ssize_t i, PyObject *v);

static inline void
fn_note(ct_act *a, Py_ssize_t i, PyObject *v)
{
    if (Py_IS_TYPE(v, &PyFunction_Type) || a->fnq[2 * i] != NULL)
        fn_set(a, i, v);
}

static __attribute__((noinline)) void
fn_set(ct_act *a, Py_ssize_t i, PyObject *v)
{
    PyObject *q = NULL, *m = NULL;
    if (a->state[i] != CT_PRINTED || !ctv_func_name(v, &q, &m))
        q = m = NULL;
    Py_XSETREF(a->fnq[2 * i], Py_XNewRef(q));
    Py_XSETREF(a->fnq[2 * i + 1], Py_XNewRef(m));
}

/* namespace_vars: the user names of a module or class body's namespace:
   every one (a full snapshot) when `a` is NULL; else as delta_vars does for
   fast locals: the Var records of the names that are new or changed since
   the activation's previous Step and Unset records for those gone since,
   and at its first Step in each chunk (a keyframe) an Unset of all names,
   then every name. */
static int namespace_changes(ct_ev *ev, PyObject *ns, ct_act *a, uint32_t epoch);

static void
namespace_vars(ct_ev *ev, PyObject *ns, ct_act *a)
{
    ct_chunk *c = ev->chunk;
    int key = 0;
    uint32_t epoch = 0;
    if (a != NULL) {
        key = a->key != c->seq + 1;
        a->key = c->seq + 1;
        if (key) {
            ctr_emit_Unset(c, CTR_ALL_NAMES);
            for (Py_ssize_t i = 0; i < a->nslots; i++) {
                Py_CLEAR(a->last[i]);
                a->state[i] = CT_UNBOUND;
            }
            a->nbound = 0;
        }
        if ((epoch = ++a->epoch) == 0) {   /* wrapped: 0 is "never seen" */
            memset(a->seen, 0, a->nslots * sizeof *a->seen);
            epoch = a->epoch = 1;
        }
    }
    step_begin();
    ctv_epoch();
    if (a != NULL && ns != NULL) {
        /* ns may be another dict than the one watched: 3.12's copy with an
           inlined comprehension's variables, 3.13's copy of a proxy. A look
           at it leaves the slots as that dict showed them, and the next look
           at the watched dict iterates it (ns_stale). */
        int mine = a->nsw != NULL && ctn_is(a->nsw, ns);
        if (!key && mine && !a->ns_stale && namespace_changes(ev, ns, a, epoch) == 0)
            return;
        if (!mine && a->nsw != NULL && ctn_is(a->nsw, NULL)) {   /* its dict died */
            ctn_drop(a->nsw);
            a->nsw = NULL;
        }
        if (a->nsw == NULL)
            mine = (a->nsw = ctn_watch(ns)) != NULL;
        if (mine)
            a->ns_seq = ctn_look(a->nsw);   /* before the look: what changes during it is seen next */
        a->ns_stale = !mine;
    }
    Py_ssize_t pos = 0, found = 0;
    PyObject *k, *v;
    while (ns != NULL && !ev->err && PyDict_Next(ns, &pos, &k, &v)) {
        Py_ssize_t i = 0;
        if (a != NULL && !key && (i = slot_found(a, k)) >= 0 && a->last[i] == v) {
            /* still bound to the atom it was recorded with (a slot is made for
               a user name only, and an atom is no module): unchanged */
            a->seen[i] = epoch;
            found++;
            continue;
        }
        if (!user_name(k, v))
            continue;
        uint32_t id = a == NULL ? cti_name(c, k) : (i = slot_of(ev, a, k)) < 0 ? CTI_NONE : a->ids[i];
        if (id == CTI_NONE) {
            ev->err = 1;
            return;
        }
        if (a == NULL) {
            variable(ev, 0, id, ctx_hides(k), v);
            continue;
        }
        a->seen[i] = epoch;
        found++;
        slot_var(ev, a, i, id, a->hidden[i], v, key, 0);
        a->objs[i] = v;
        fn_note(a, i, v);
    }
    if (a == NULL || ev->err || found == a->nbound)
        return;
    for (Py_ssize_t i = 0; i < a->nslots; i++) {   /* names gone since the last Step */
        if (a->seen[i] != epoch && a->state[i] != CT_UNBOUND)
            unbind(ev, a, i, a->ids[i]);
    }
}

/* slot_equal: the slot of `a` whose key is a str equal to exact str k, or -1. */
static Py_ssize_t
slot_equal(ct_act *a, PyObject *k)
{
    for (Py_ssize_t s = 0; s < a->nslots; s++) {
        if (a->keys[s] != NULL && PyUnicode_Compare(a->keys[s], k) == 0)
            return s;
    }
    return -1;
}

/* namespace_changes: a Step of namespace activation `a` (not a keyframe)
   from what its watch (nswatch.h) tells: the names stored or deleted since
   the last look, then every other name bound to an object (which may have
   changed inside) by a lookup of its key. 0 when done; -1 when the whole
   namespace must be iterated (the watch cannot tell, or a lookup failed),
   before anything was recorded. */
static int
namespace_changes(ct_ev *ev, PyObject *ns, ct_act *a, uint32_t epoch)
{
    PyObject *keys[CTN_RING];
    uint64_t now = ctn_look(a->nsw);
    int n = ctn_since(a->nsw, ns, a->ns_seq, keys);
    if (n < 0)
        return -1;
    a->ns_seq = now;
    for (int j = 0; j < n && !ev->err; j++) {
        PyObject *k = keys[j];
        Py_ssize_t i = slot_found(a, k);
        if (i >= 0 && a->seen[i] == epoch)
            continue;   /* stored twice since */
        PyObject *v = PyDict_GetItemWithError(ns, k);   /* borrowed; an exact str key: no code runs */
        if (v == NULL)
            PyErr_Clear();
        if (v == NULL || !user_name(k, v)) {   /* deleted, or a dunder, or now a module: not shown */
            if (i < 0)
                i = slot_equal(a, k);   /* shown under an equal key object */
            if (i >= 0 && a->state[i] != CT_UNBOUND)
                unbind(ev, a, i, a->ids[i]);
            if (i >= 0)
                a->seen[i] = epoch;
            continue;
        }
        if (i < 0 && (i = slot_of(ev, a, k)) < 0) {
            ev->err = 1;
            break;
        }
        a->seen[i] = epoch;
        slot_var(ev, a, i, a->ids[i], a->hidden[i], v, 0, 0);
        a->objs[i] = v;
        fn_note(a, i, v);
    }
    for (int j = 0; j < n; j++)
        Py_DECREF(keys[j]);
    /* objects: their insides may have changed. No name among them was
       stored or deleted since its last check (the watch would have told),
       so the dict still holds the object it had then: objs[i]. A function
       whose name is still the two strs of its last check is passed
       (fn_same). */
    for (Py_ssize_t i = 0; i < a->nslots && !ev->err; i++) {
        if (a->state[i] == CT_PRINTED && a->seen[i] != epoch) {
            a->seen[i] = epoch;
            PyObject *v = a->objs[i];
            if (fn_same(a, i, v))
                continue;
            printed_again(ev, a, i, a->ids[i], v);
            if (!ev->err)
                fn_note(a, i, v);
        }
    }
    return 0;
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
    PyObject *l = ctf_namespace(f, ev->code->code);
    if (l != NULL)
        return Py_NewRef(l);
    l = PyFrame_GetLocals(f);
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
proxy_vars(ct_ev *ev, PyObject *proxy, ct_act *a)
{
    PyObject *d = PyDict_New();
    if (d == NULL || PyDict_Merge(d, proxy, 1) < 0) {
        Py_XDECREF(d);
        ev->err = 1;
        return;
    }
    namespace_vars(ev, d, a);
    Py_DECREF(d);
}
#endif

/* running_slots: the running frame's slot array when a Step of ev's code
   can read every name there (no frame object then: see ctf_running), else
   NULL; ts: the caller's thread state. */
static inline const ctf_word *
running_slots(ct_ev *ev, PyThreadState *ts)
{
    return ev->code->all_slots && ct_R.adopting == NULL ? ctf_running(ts, ev->code->code) : NULL;
}

/* cta_args with values on (derive_inline.h) */
int
cta_args_values(ct_ev *ev, PyObject *code)
{
    (void)code;
    if (!ev->code->optimized)
        return 0;
    PyThreadState *ts = PyThreadState_Get();   /* (once: the slots and the error check) */
    const ctf_word *fast = running_slots(ev, ts);
    PyFrameObject *f = fast == NULL ? cte_frame() : NULL;
    ct_act *a;
    if (fast == NULL && f == NULL)
        return 0;
    if ((a = act_ready(ev, ev->code->nnames)) != NULL)
        delta_vars(ev, ts, f, fast, a, ev->code->nargs, 1);
    else if (!ev->err && (f != NULL || (f = cte_frame()) != NULL))
        fast_vars(ev, f, ev->code->nargs, 1);
    noted_in(ev, ts);
    return ev->err ? -1 : 0;
}

/* items_atoms: exact list x holds atoms alone, and few of them */
#define ITEMS_ATOMS_MAX 64
static int
items_atoms(PyObject *x)
{
    Py_ssize_t n = PyList_GET_SIZE(x);
    if (n > ITEMS_ATOMS_MAX)
        return 0;
    for (Py_ssize_t i = 0; i < n; i++)
        if (!ctv_atom(PyList_GET_ITEM(x, i)))
            return 0;
    return 1;
}

/* in_plain: `in` tests of v (exact) iterate nothing and run no code of
   its own: the element's __eq__ or __hash__ may run, Python code shows
   itself by its events */
static inline int
in_plain(PyObject *v)
{
    PyTypeObject *t = Py_TYPE(v);
    return t == &PySet_Type || t == &PyFrozenSet_Type || t == &PyDict_Type || t == &PyList_Type
        || t == &PyTuple_Type || t == &PyUnicode_Type || t == &PyBytes_Type || t == &PyRange_Type;
}

/* line_target: line l of activation `a` (innermost, just checked by this
   Step) is flagged CTC_L_TARGET: when the slots it needs hold atoms, those
   its `in` tests read exact built-in containers (in_plain), and its target
   slot an exact list (of atoms alone with CTC_L_ITEMS) or, without
   CTC_L_ITEMS, an exact set, the line changes
   that object alone (none without a target): a->impure
   becomes CT_LINE_TARGET (docs/design.md, "Lines that change one object").
   Only when this Step saw no other thread state (a->ep_seen), and with the
   frame's slots read directly. */
static void
line_target(ct_ev *ev, PyFrameObject *f, const ctf_word *fast, ct_act *a, int32_t l)
{
    ct_code *cc = ev->code;
    if (a->ep_seen == 0 || ctu_opaque || !cc->optimized)
        return;
    if (fast == NULL && (f == NULL || (fast = ctf_fast(f, cc->code)) == NULL))
        return;
    for (uint64_t m = cc->lneed[l]; m != 0; m &= m - 1) {
        PyObject *v = ctf_at(fast, __builtin_ctzll(m));
        if (v == NULL || !ctv_atom(v))
            return;
    }
    for (uint64_t m = cc->lcont[l]; m != 0; m &= m - 1) {
        PyObject *v = ctf_at(fast, __builtin_ctzll(m));
        if (v == NULL || !in_plain(v))
            return;
    }
    PyObject *x = NULL;
    if (cc->ltarget[l] >= 0) {
        x = ctf_at(fast, cc->ltarget[l]);
        if (x == NULL   /* (not a dict: instances may read theirs) */
                || (PyList_CheckExact(x) ? (cc->lflag[l] & CTC_L_ITEMS) && !items_atoms(x)
                    : !PySet_CheckExact(x) || (cc->lflag[l] & CTC_L_ITEMS)))
            return;
    }
    a->impure = CT_LINE_TARGET;
    a->etarget = x;
    a->tepoch = ctu_epoch;
}

/* for_shape: the next item (ctf_for_next's kind k, and v: its *next) has
   the shape check c (CTC_FOR_CHK) asks for */
static int
for_shape(int k, PyObject *v, uint16_t c)
{
    int n = c >> 12, path[3] = { (c >> 8) & 15, (c >> 4) & 15, c & 15 }, i = 0;
    if (k == CTF_FOR_PAIR) {   /* (v: its second part, or NULL) */
        if (path[0] == 0)
            return n == 2;
        if (path[0] != 2)
            return 0;
        i = 1;
    } else if (k != CTF_FOR_ITEM) {
        return 0;
    }
    if (v == NULL)
        return 0;
    for (; i < 3 && path[i] != 0; i++) {
        Py_ssize_t j = path[i] - 1;
        if (PyTuple_CheckExact(v) && j < PyTuple_GET_SIZE(v))
            v = PyTuple_GET_ITEM(v, j);
        else if (PyList_CheckExact(v) && j < PyList_GET_SIZE(v))
            v = PyList_GET_ITEM(v, j);
        else
            return 0;
    }
    return (PyTuple_CheckExact(v) && PyTuple_GET_SIZE(v) == n) || (PyList_CheckExact(v) && PyList_GET_SIZE(v) == n);
}

/* for_line: line l of activation `a` (innermost, this Step a LINE event
   of it; ts: the thread state) is flagged CTC_L_FOR: when the frame is at
   the line's FOR_ITER and its iterator's step runs no code, with a next
   item of the shapes the line's unpacking needs, the line changes no
   object (docs/design.md, "`for` lines"): a->impure becomes 0. */
static void
for_line(ct_ev *ev, PyThreadState *ts, ct_act *a, int32_t l)
{
    const ctc_for *F = &ev->code->lfor[l];
    PyObject *next = NULL;
    int k = ctf_for_next(ts, ev->code->code, F->unit, &next);
    if (k == CTF_FOR_NO)
        return;
    if (k != CTF_FOR_END)   /* (exhausted: the loop's end, up to a line start, code.c's for_end) */
        for (int i = 0; i < F->nchk; i++)
            if (!for_shape(k, next, F->chk[i]))
                return;
    a->impure = 0;
}

/* cta_locals with values on (derive_inline.h) */
int
cta_locals_values(ct_ev *ev, PyObject *code)
{
    PyThreadState *ts = PyThreadState_Get();   /* (once: the slots and the error check) */
    const ctf_word *fast = ev->code->optimized ? running_slots(ev, ts) : NULL;
    PyFrameObject *f = fast == NULL ? cte_frame() : NULL;
    if (fast == NULL && f == NULL)
        return 0;
    ct_act *a = act_ready(ev, ev->code->optimized ? ev->code->nnames : 0);
    if (ev->err)
        return -1;
    if (ev->code->optimized && a != NULL) {
        delta_vars(ev, ts, f, fast, a, ev->code->nnames, 0);
    } else if (ev->code->optimized) {   /* a full snapshot: forget all, then every variable */
        if (f != NULL || (f = cte_frame()) != NULL) {
            ctr_emit_Unset(ev->chunk, CTR_ALL_NAMES);
            fast_vars(ev, f, ev->code->nnames, 0);
        }
    } else {   /* a module or class body */
        if (a == NULL)
            ctr_emit_Unset(ev->chunk, CTR_ALL_NAMES);
        PyObject *ns = namespace_of(ev, f);
#if PY_VERSION_HEX >= 0x030D0000
        if (ns != NULL && PyFrameLocalsProxy_Check(ns))
            proxy_vars(ev, ns, a);
        else
#endif
            namespace_vars(ev, ns != NULL && PyDict_Check(ns) ? ns : NULL, a);
        Py_XDECREF(ns);
    }
    ct_act *top = ctt_last->top;
    if (top != NULL && top->code == ev->code) {
        ct_code *cc = ev->code;
        int built = cc->lcount > 0 || ctc_purity(cc) == 0;
        int32_t l = ev->line - cc->lfirst;   /* (lfirst: after ctc_purity, at the code's first Step) */
        if (built && l >= 0 && l < cc->lcount) {
            top->impure = cc->lflag[l] & CTC_L_IMPURE;
            top->rebind = cc->lrebind[l];
            top->calls = NULL;
            if (cc->lflag[l] & CTC_L_CALLS) {
                top->calls = &cc->lcall[l];
                top->cseen = 0;
            }
            if ((cc->lflag[l] & CTC_L_TARGET) && top == a && !ev->err)
                line_target(ev, f, fast, top, l);
            else if ((cc->lflag[l] & CTC_L_FOR) && top == a && ev->event == CTG_EV_LINE && !ev->err)
                for_line(ev, ts, top, l);
        } else {
            top->impure = 1;
            top->rebind = ~0ull;
            top->calls = NULL;
        }
    }
    noted_in(ev, ts);
    return ev->err ? -1 : 0;
}
