/*
** values.c -- the value walker and its encoders (ctv_enc_NAME, dispatched by
** generated/value_kinds.h), and the object table. Limits (ctv_start):
** nesting depth, items per container, bytes per text; cut-off data is
** flagged Truncated with the full size in `b`. Containers seen earlier in
** the same tree become Ref nodes.
**
** The walker has three modes. TREE writes (or fingerprints) a whole value
** tree (exceptions and callables of records). SHALLOW writes (or
** fingerprints) one level: an object (list, tuple, dict, set, frozenset,
** instance, exception) becomes an Object node naming its id, except the
** object whose content is being recorded (`expand`), whose children are
** then the content. TRAVERSE writes nothing: it visits exactly the nodes
** a reader renders from the objects (the same depth, item, node and Ref
** rules as TREE) and checks each object it meets against what was last
** recorded of it (obj_check), writing an Obj or ObjPut record when it
** differs. docs/trace-format.md, "Values" and "Objects".
*/
#include "values.h"
#include "chunk.h"
#include "intern.h"
#include "redact.h"
#include "frame.h"
#include "inline.h"
#include "thread.h"   /* CT_TLS */
#include "unseen.h"   /* ctu_epoch, ctu_elast */

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "value_kinds.h"

/* The limits and sys.monitoring.MISSING of the current recording. */
static ctv_limits lim;
static PyObject *missing;

#define SEEN_MAX 64   /* containers remembered per tree for Ref nodes */

/* A walk either writes the tree into the chunk or only computes its
   fingerprint: a 64-bit hash of exactly what it would write (kinds, flags,
   types, numbers, text bytes, shape), so that an unchanged value can be
   recognised without writing it. Node indices are relative to the tree's
   root in both modes. */
enum { W_TREE, W_SHALLOW, W_TRAVERSE };

/* One child of an object's content, as last recorded: the fingerprint of
   its subtree and, for an immutable atom, a strong reference to it (the
   same atom needs no new fingerprint; a str or an int has no finalizer and
   no weak references, so nobody sees the reference). */
/* `print` has bit 0 set, and bit 1 (KID_BYTES) only when the child's node
   is made again by its holder's check: an exact bytearray's from its bytes
   (bytes_print), or a leaf of its own that is neither an atom nor an Object
   node, a function or a class say, by its encoder (leaf_same). */
typedef struct { uint64_t print; PyObject *atom; } ctv_ekid;   /* an entry's kid (ctv_obj.kp) */

/* Children as a check's walk notes them, in two arrays as an entry keeps
   them (ctv_obj.kp, ekids), so that they are copied to and from an entry
   by memcpy: `p` each child itself, borrowed (NULL: a Redacted one; the
   object table reads it only while a watched dict holds it unchanged, or
   once a shadow's comparison found it in place), `k` its print and atom;
   room for `cap` of each. */
typedef struct { PyObject **p; ctv_ekid *k; uint32_t cap; } ctv_kids;
#define KID_BYTES ((uint64_t)2)

/* An object a traversal checked, the version of its entry then, the
   shape of its content then (ctv_obj.sig) and the entry's slot in the
   object table (valid while the table is not rebuilt: objs_gen). */
typedef struct {
    PyObject *o;
    uint64_t ver, sig;
    size_t slot;
    PyTypeObject *type;          /* o's type when checked */
    PyObject *wdict;             /* the watched dict o's content was read from, when a replay of a
                                    quiet root may pass o by its type and dict pointer alone
                                    (quiet_same); NULL: it may not */
    /* where the traversal met o, for a replay that patches the list (patch): */
    uint32_t size;               /* the entries of o's subtree, o's own included (they follow it) */
    uint32_t n0;                 /* the traversal's node count before o's node */
    uint32_t nodes;              /* the nodes of o's subtree, o's own included */
    uint16_t depth;              /* the traversal's depth at o */
    uint8_t inseen;              /* o became one of the containers a later Ref names (seen) */
} ctv_seen;

/* A Ref node a traversal made: to container o, at depth `depth`, after
   `pos` entries of its list, `n0` nodes before it (patch). */
typedef struct { PyObject *o; uint32_t pos, depth, n0; } ctv_ref;

struct ctv_walk {
    ct_chunk *c;
    int mode;                    /* W_TREE, W_SHALLOW, W_TRAVERSE */
    PyObject *expand;            /* shallow: the object whose content is walked */
    int level;                   /* walk() nesting: 1 at the root */
    ctv_kids kids;               /* shallow, with expand: each child's fingerprint */
    uint32_t nkids;
    ctv_kids old;                /* shallow: the children last recorded (atom shortcut; read only) */
    uint32_t nold;
    uint32_t lo, hi;             /* shallow writing: children [lo, hi) are written, the others only hashed */
    int discard;                 /* with lo, hi: the others are neither hashed nor visited (their
                                    prints and the walk's are not read) */
    int64_t root_b;              /* shallow: the root's b (its length) */
    int root_kind, root_flags;   /* shallow: the root's kind and flags (Truncated left out) */
    int pairs;                   /* shallow: the root's children are key, value (name, value) pairs */
    int names;                   /* shallow writing: the pairs' names are name ids (name_ids), not
                                    nodes; -1: a name could not be one (written again without) */
    int probe;                   /* a leaf's print made again (leaf_same): an object met makes
                                    it fail (w->err) instead of naming an entry */
    int transient;               /* the child being walked may be a temporary object (a slot
                                    member's value made by PyMember_GetOne): kept as an atom only
                                    when collected (collect: the stack holds it until the check
                                    takes its reference), compared by value (member_same) */
    int collect;                 /* shallow, with expand: each child is also pushed on *st */
    struct ctv_stack *st;        /* this thread's children collected by checks (coll) */
    int objnode;                 /* shallow: the child just walked became an Object node */
    int rootobj;                 /* shallow: the root became an Object node */
    int unstable;                /* shallow: a child's nodes may change with its dict unchanged
                                    (not an atom, an Object node, Redacted, an exact bytearray or
                                    a leaf made again: a bytearray subclass, a slice of a list...) */
    int bytes;                   /* shallow: a child is an exact bytearray or a leaf made again
                                    (KID_BYTES); bit 1 (BYTES_TREE) set too when such a leaf is
                                    more than one node (fixed_nodes: a range) */
    int slots;                   /* shallow: the instance's type has members (__slots__) */
    PyObject *idict;             /* shallow: the instance's dict its attributes were read from */
    ctv_seen *vis;               /* traverse: the objects checked, in order, each with its
                                    entry's version and shape after the check; NULL: not kept */
    uint32_t nvis, capvis;
    int vis_heap;                /* vis was allocated (else it is the caller's array) */
    uint64_t vgen;               /* objs_gen when the traversal began (vis's slots) */
    ctv_ref *refs;               /* traverse, with vis: the Ref nodes made, in order */
    uint32_t nrefs, caprefs;
    int refs_heap;               /* refs was allocated (else it is the caller's array) */
    int nopatch;                 /* traverse, with vis: the list cannot be patched (a subtree not
                                    delimited, a Ref not kept) */
    uint32_t nchk;               /* obj_check attempts of this walk (patch) */
    uint32_t root;               /* emit: pool index of the tree's first node */
    uint32_t n;                  /* nodes made so far */
    int depth;
    int err;
    int hash;                    /* 1: fingerprint only, nothing is written */
    uint64_t h;
    size_t nseen;
    uint64_t seenbits;           /* a bit per seen container's seen_bit: a clear bit, not seen */
    PyObject *seen[SEEN_MAX];
    uint32_t seen_at[SEEN_MAX];
};

#define WALK_SEED 0x243F6A8885A308D3ULL   /* a walk's first print (walk_init), and a kid's (kid()) */

/* mix: fold one 64-bit word into a fingerprint. */
static inline uint64_t
mix(uint64_t h, uint64_t x)
{
    h = ((h << 23) | (h >> 41)) ^ x;
    h *= 0x9FB21C651E98DF25ULL;
    return h ^ (h >> 28);
}

/* mix_bytes: fold n bytes (and n) into a fingerprint. */
static uint64_t
mix_bytes(uint64_t h, const char *s, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x;
        memcpy(&x, s + i, 8);
        h = mix(h, x);
    }
    uint64_t t = 0;
    memcpy(&t, s + i, n - i);
    return mix(mix(h, t), n);
}

/* at: the node at relative index i (emit mode; valid until the pool grows). */
static ctr_Value *
at(ctv_walk *w, uint32_t i)
{
    return (ctr_Value *)w->c->values.p + w->root + i;
}

/* node: the next node: o's type, `kind`, `flags`, numbers a and b, and len
   (children or bytes stored; a container's is set by close_container).
   Returns its relative index (CTV_NONE on error). */
static uint32_t
node(ctv_walk *w, PyObject *o, int kind, int flags, int64_t a, int64_t b, uint32_t len)
{
    if (w->mode == W_TRAVERSE)
        return w->n++;
    if (w->mode == W_SHALLOW && w->n == 0) {
        w->root_kind = kind;
        w->root_flags = flags & ~CTR_ValueFlag_Truncated;
    }
    uint64_t h = mix(w->h, (uint64_t)kind | (uint64_t)flags << 8 | (uint64_t)len << 32);
    h = mix(h, cti_type_print(Py_TYPE(o)));
    w->h = mix(mix(h, (uint64_t)a), (uint64_t)b);
    if (w->hash)
        return w->n++;
    uint32_t type = cti_type(w->c, Py_TYPE(o));
    ctr_Value *v = ct_vec_push(&w->c->values, sizeof *v);
    if (v == NULL || type == CTI_NONE) {
        w->err = 1;
        return CTV_NONE;
    }
    *v = (ctr_Value){ .a = a, .b = b, .len = len, .type = type, .kind = (uint8_t)kind,
                      .flags = (uint8_t)flags };
    w->n++;
    /* its index: a shallow walk may have skipped (hashed) children before it */
    return (uint32_t)(w->c->values.len / sizeof *v - 1 - w->root);
}

uint64_t ctv_eseq;   /* (values.h) */
PyObject *ctv_ebut;

static int leaf(ctv_walk *w, PyObject *o, int kind, int flags, int64_t a, int64_t b);


/* The children an object's check met, for the traversal to descend from
   (one pass: the object is iterated once per event): a stack of strong
   references (a slot member's value may be a temporary object; other
   threads run where a check hands the chunk over), NULL for a Redacted
   child, COLL_ATOM for an atom. (Borrowed pointers for the children of an
   object found unchanged were tried, session 8: no fewer instructions.) Per thread, as the check's scratch below.
   Walks reach it through a pointer (ctv_walk.st), taken once per entry
   point: a thread-local's address costs a call in a shared library. It
   also holds the check's scratch (obj_check_once). */
typedef struct ctv_stack {
    PyObject **p;
    uint32_t len, cap;
    ctv_kids scratch, oldkids;
} ctv_stack;
static CT_TLS ctv_stack coll;   /* initial-exec, as thread.h says */

static int
coll_grow(ctv_stack *s)
{
    uint32_t cap = s->cap ? 2 * s->cap : 256;
    PyObject **k = realloc(s->p, cap * sizeof *k);
    if (k == NULL)
        return -1;
    s->p = k;
    s->cap = cap;
    return 0;
}

/* kids_reserve: room for n children in k (at least double its room when it
   grows). 0, or -1: out of memory (k as it was, or with more room in p). */
static int
kids_reserve(ctv_kids *k, uint32_t n)
{
    if (n <= k->cap)
        return 0;
    uint32_t cap = k->cap ? 2 * k->cap : 64;
    if (cap < n)
        cap = n;
    PyObject **p = realloc(k->p, cap * sizeof *p);
    if (p == NULL)
        return -1;
    k->p = p;
    ctv_ekid *x = realloc(k->k, cap * sizeof *x);
    if (x == NULL)
        return -1;
    k->k = x;
    k->cap = cap;
    return 0;
}

static int same_object_kid(PyObject *o, uint64_t print);

/* COLL_ATOM: a collected child that is an atom (one node, whatever it is):
   no reference taken, nothing read from it. */
static char coll_atom_tag;
#define COLL_ATOM ((PyObject *)(void *)&coll_atom_tag)

static inline int
coll_push(ctv_stack *s, PyObject *o)
{
    if (s->len == s->cap && coll_grow(s) < 0)
        return -1;
    s->p[s->len++] = o == COLL_ATOM ? o : Py_XNewRef(o);
    return 0;
}

/* coll_pop: drop the children collected from index base on. */
static void
coll_pop(ctv_stack *s, uint32_t base)
{
    while (s->len > base) {
        PyObject *o = s->p[--s->len];
        if (o != COLL_ATOM)
            Py_XDECREF(o);
    }
}

/* What an object's check collected: children [base, base + n) of `coll`,
   in pairs when `pairs`, or, with `leaves`, n children of one node each,
   not pushed; base is CTV_NONE when nothing was collected (the object was
   checked earlier in the event). */
typedef struct {
    uint32_t base, n;
    int pairs;
    int leaves;   /* none was pushed: each is one node (an atom, Redacted, an exact bytearray: the
                     kids of a clean leafy entry, collect) */
} ctv_coll;

/* bytes_print: the print of exact bytearray o as a child (KID_BYTES set):
   everything its node holds follows from it (the kind and type are fixed,
   its length is b, the first max_text bytes are its data, Truncated when
   they are fewer), so an equal print is the same node. */
static uint64_t
bytes_print(PyObject *o)
{
    Py_ssize_t n = PyByteArray_GET_SIZE(o);
    Py_ssize_t k = n < lim.max_text ? n : lim.max_text;
    return mix_bytes(mix(0x13198A2E03707344ULL, (uint64_t)n), PyByteArray_AS_STRING(o), (size_t)k)
        | 1 | KID_BYTES;
}

/* fixed_nodes: how many nodes o makes as a child that is a leaf of its
   own, made again by its holder's check (kid(), leaf_same): one for most;
   four for an exact range (three Int nodes follow: its fields are ints) or
   an exact slice whose three fields are atoms: each is made from what its
   encoder reads of it now, and no Object node is among them. 0: a slice
   of other objects (its children may be objects, or change). */
static inline uint32_t
fixed_nodes(PyObject *o)
{
    PyTypeObject *t = Py_TYPE(o);
    if (t == &PyRange_Type)
        return 4;
    if (t == &PySlice_Type) {
        const PySliceObject *s = (const PySliceObject *)o;
        return ctv_atom(s->start) && ctv_atom(s->stop) && ctv_atom(s->step) ? 4 : 0;
    }
    return 1;
}
#define BYTES_TREE 2   /* ctv_walk.bytes: a leaf made again is more than one node */

/* kid: o (or, with `redact`, a Redacted node for it) as the next child of
   the object a shallow walk expands: its fingerprint is noted; a child
   outside [lo, hi) is only hashed when writing; the same atom as last
   recorded at that place keeps its fingerprint without a walk. */
static int
kid(ctv_walk *w, PyObject *o, int redact)
{
    uint32_t i = w->nkids;
    if (i == w->kids.cap && kids_reserve(&w->kids, i + 1) < 0) {
        w->err = 1;
        return -1;
    }
    /* a member's value read by PyMember_GetOne (transient) is a new object
       at each read: an atom one is pushed with a reference, which keeps it
       alive until the check has taken its own (the kids' atoms) */
    if (w->collect && coll_push(w->st, redact ? NULL : ctv_atom(o) && !w->transient ? COLL_ATOM : o) < 0) {
        w->err = 1;
        return -1;
    }
    int skip = !w->hash && (i < w->lo || i >= w->hi), hash = w->hash;
    if (skip && w->discard) {   /* a child not written, whose print nobody reads */
        w->kids.k[i] = (ctv_ekid){ 0, NULL };
        w->kids.p[i] = redact ? NULL : o;
        w->nkids++;
        return 0;
    }
    ctv_ekid *k = &w->kids.k[i];
    k->atom = !redact && (!w->transient || w->collect) && ctv_atom(o) ? o : NULL;
    w->kids.p[i] = redact ? NULL : o;
    if (k->atom != NULL && (hash || skip) && i < w->nold && w->old.k[i].atom == o) {
        k->print = w->old.k[i].print;
        w->nkids++;
        return 0;
    }
    if (k->atom == NULL && !redact && !w->transient && (hash || skip) && i < w->nold
            && w->old.p[i] == o && same_object_kid(o, w->old.k[i].print)) {
        k->print = w->old.k[i].print;   /* still the Object node it was */
        w->nkids++;
        return 0;
    }
    uint64_t h = w->h;
    w->h = WALK_SEED;
    if (skip)
        w->hash = 1;
    w->level++;
    w->objnode = 0;
    uint32_t n0 = w->n;
    int rc = redact ? leaf(w, o, CTV_Redacted, 0, 0, 0) : ctv_dispatch(w, o);
    int bytes = !redact && !w->transient && PyByteArray_CheckExact(o);
    /* a leaf of its own, neither an atom nor an Object node (a function,
       a method, a class, a module, a str or int subclass, a range...): its
       print follows from what its encoder reads of it now, made again by
       the holder's check (leaf_same) */
    uint32_t nodes = w->n - n0;
    int fixed = !bytes && !redact && !w->transient && k->atom == NULL && !w->objnode
                && rc == 0 && !w->err && (nodes == 1 || nodes == fixed_nodes(o));
    if (bytes || fixed)
        w->bytes |= 1 | (fixed && nodes > 1 ? BYTES_TREE : 0);
    else if (!redact && k->atom == NULL && !w->objnode)
        w->unstable = 1;
    w->level--;
    w->hash = hash;
    k->print = bytes ? bytes_print(o) : fixed ? w->h | 1 | KID_BYTES : (w->h | 1) & ~KID_BYTES;
    w->h = mix(h, w->h);
    w->nkids++;
    return rc;
}

/* walk: record o as the next subtree. Recursion is bounded by max_depth:
   container() writes an Elided node instead of descending further (in a
   shallow walk, by the object nodes). */
static int
walk(ctv_walk *w, PyObject *o)
{
    if (w->err)
        return -1;
    if (w->mode == W_SHALLOW && w->expand != NULL && w->level == 1)
        return kid(w, o, 0);
    w->level++;
    int rc = ctv_dispatch(w, o);
    w->level--;
    return rc;
}

/* text: a text-like node: data = s[0:n] (already cut by the caller, `full`
   its size before); Truncated when n < full. */
static int
text(ctv_walk *w, PyObject *o, int kind, int flags, const char *s, Py_ssize_t n, Py_ssize_t full)
{
    if (n < full)
        flags |= CTR_ValueFlag_Truncated;
    uint32_t i = node(w, o, kind, flags, 0, full, (uint32_t)n);
    if (w->mode == W_TRAVERSE)
        return 0;
    w->h = mix_bytes(w->h, s, (size_t)n);
    if (w->hash || i == CTV_NONE)
        return i == CTV_NONE ? -1 : 0;
    at(w, i)->a = ctk_text(&w->c->data, s, (uint32_t)n, &w->c->failed);
    return 0;
}

/* cut_text: text of the first max_text bytes of s[0:n]. */
static int
cut_text(ctv_walk *w, PyObject *o, int kind, int flags, const char *s, Py_ssize_t n)
{
    return text(w, o, kind, flags, s, n < lim.max_text ? n : lim.max_text, n);
}

static Py_ssize_t count_attrs(PyObject *o);

/* container: start a container node, or write a Ref / Elided node instead.
   Returns the node index, or CTV_NONE when no children are to follow. An
   instance's len is -1: its attributes are counted only for an Elided node. */
static int object_node(ctv_walk *w, PyObject *o);
static int obj_check(ctv_walk *w, PyObject *o, ctv_coll *got);
static int room(const ctv_walk *w);

/* descend: the traversal's visit of the children an object's check
   collected (the nodes the encoders would visit: an item, or a pair, while
   the tree has room); drops them. */
static void
descend(ctv_walk *w, const ctv_coll *k)
{
    uint32_t step = k->pairs ? 2 : 1;
    ctv_stack *s = w->st;
    if (k->leaves) {   /* the nodes the loop below would count, while the tree has room */
        if (w->n < lim.max_nodes) {
            uint64_t r = (uint64_t)(lim.max_nodes - w->n), take = k->n;
            if (step == 2 && take > 2 * ((r + 1) / 2))
                take = 2 * ((r + 1) / 2);
            else if (step == 1 && take > r)
                take = r;
            w->n += (uint32_t)take;
        }
        return;
    }
    w->depth++;
    for (uint32_t i = 0; i < k->n && !w->err && room(w); i += step) {
        for (uint32_t j = i; j < i + step && j < k->n; j++) {
            PyObject *o = s->p[k->base + j];   /* the stack may move: read it anew */
            if (o == NULL || o == COLL_ATOM || ctv_atom(o))
                w->n++;   /* a Redacted leaf, or an atom's */
            else
                walk(w, o);
        }
    }
    w->depth--;
    coll_pop(s, k->base);
}

/* seen_bit: o's bit in a walk's seenbits (a filter before the search of
   the containers seen: most containers were not). */
static inline uint64_t
seen_bit(PyObject *o)
{
    return (uint64_t)1 << (((uintptr_t)o >> 4) * 0x9E3779B97F4A7C15ULL >> 58);
}

/* ref_push: a traversal that keeps its list made a Ref node to o. */
static void
ref_push(ctv_walk *w, PyObject *o)
{
    if (w->nrefs == w->caprefs) {
        uint32_t cap = w->caprefs ? 2 * w->caprefs : 16;
        ctv_ref *r = w->refs_heap ? realloc(w->refs, cap * sizeof *r) : malloc(cap * sizeof *r);
        if (r == NULL) {
            w->nopatch = 1;   /* (the list stands; only its patch needs the Refs) */
            return;
        }
        if (!w->refs_heap && w->nrefs > 0)
            memcpy(r, w->refs, w->nrefs * sizeof *r);
        w->refs = r;
        w->refs_heap = 1;
        w->caprefs = cap;
    }
    w->refs[w->nrefs++] = (ctv_ref){ o, w->nvis, (uint32_t)w->depth, w->n };
}

/* vis_at: the entry a traversal's check of an object just made (index vi,
   taken before the check), with where it was met; NULL when the list is not
   kept or the check made none (then the list cannot be patched). */
static ctv_seen *
vis_at(ctv_walk *w, uint32_t vi, uint32_t n0)
{
    if (w->vis == NULL)
        return NULL;
    if (w->nvis != vi + 1 || w->depth > UINT16_MAX) {
        w->nopatch = 1;
        return NULL;
    }
    ctv_seen *v = &w->vis[vi];
    v->size = 1;
    v->n0 = n0;
    v->nodes = 1;
    v->depth = (uint16_t)w->depth;
    v->inseen = 0;
    return v;
}

/* vis_close: entry vi's subtree ends here (its entries and nodes counted). */
static inline void
vis_close(ctv_walk *w, uint32_t vi)
{
    if (w->vis != NULL && vi < w->nvis) {
        w->vis[vi].size = w->nvis - vi;
        w->vis[vi].nodes = w->n - w->vis[vi].n0;
    }
}

static uint32_t
container(ctv_walk *w, PyObject *o, int kind, int flags, Py_ssize_t len)
{
    if (w->mode == W_SHALLOW) {
        if (w->level > 1 || o != w->expand) {
            object_node(w, o);
            return CTV_NONE;
        }
        return node(w, o, kind, flags, 0, len < 0 ? 0 : len, 0);
    }
    uint64_t bit = seen_bit(o);
    for (size_t i = 0; (w->seenbits & bit) && i < w->nseen; i++) {
        if (w->seen[i] == o) {
            if (w->vis != NULL)
                ref_push(w, o);
            node(w, o, CTV_Ref, 0, w->seen_at[i], 0, 0);
            return CTV_NONE;
        }
    }
    ctv_coll got = { CTV_NONE, 0, 0, 0 };
    uint32_t vi = w->nvis, n0 = w->n;
    if (w->mode == W_TRAVERSE && obj_check(w, o, &got) < 0) {
        w->err = 1;
        return CTV_NONE;
    }
    ctv_seen *v = w->mode == W_TRAVERSE ? vis_at(w, vi, n0) : NULL;
    if (w->depth >= lim.max_depth) {
        if (got.base != CTV_NONE)
            coll_pop(w->st, got.base);
        node(w, o, CTV_Elided, flags, 0, w->mode == W_TRAVERSE ? 0 : len < 0 ? count_attrs(o) : len, 0);
        return CTV_NONE;
    }
    uint32_t r = node(w, o, kind, flags, 0, len < 0 ? 0 : len, 0);
    if (r == CTV_NONE)
        return CTV_NONE;
    if (w->nseen < SEEN_MAX) {
        w->seenbits |= bit;
        w->seen[w->nseen] = o;
        w->seen_at[w->nseen++] = r;
        if (v != NULL)
            v->inseen = 1;
    }
    if (got.base != CTV_NONE) {   /* the traversal goes on from what the check met */
        descend(w, &got);
        vis_close(w, vi);
        return CTV_NONE;
    }
    if (v != NULL)   /* the encoder iterates it: where its subtree ends is not noted */
        w->nopatch = 1;
    return r;
}

/* close_container: container r has `stored` children of `len` (Truncated
   when fewer); its b becomes `b`. */
static int
close_container(ctv_walk *w, uint32_t r, Py_ssize_t stored, Py_ssize_t len, int64_t b)
{
    if (w->err)
        return -1;
    int trunc = stored < len;
    if (w->mode == W_TRAVERSE)
        return 0;
    if (w->mode == W_SHALLOW && w->level == 1) {   /* an object's content: its length */
        w->root_b = b;
        if (w->expand != NULL)   /* the children are hashed one by one */
            r = 0;
    }
    uint64_t where = w->mode == W_SHALLOW ? 0 : r;   /* a shallow child's print does not depend on its place */
    w->h = mix(mix(w->h, (where << 33) | ((uint64_t)stored << 1) | (uint64_t)trunc), (uint64_t)b);
    if (w->hash)
        return 0;
    ctr_Value *v = at(w, r);
    v->len = (uint32_t)stored;
    v->b = b;
    if (trunc)
        v->flags |= CTR_ValueFlag_Truncated;
    return 0;
}

/* room: the tree may take another child (or key-value pair): it has fewer
   than max_nodes nodes. Containers stop taking children once it has that
   many (they are Truncated, their full size in b), which bounds a value's
   cost whatever its shape (depth and items alone allow 100^4 nodes). */
static int
room(const ctv_walk *w)
{
    return w->mode == W_SHALLOW || w->n < lim.max_nodes;
}

/* discard_kids: the children [from, to) of the array `items` a shallow
   walk expands, outside the [lo, hi) it writes (discard): noted as kid()
   notes them, without a walk each (a list appended to at every Step was
   walked item by item to write the one appended: exceptions' `log`). */
static int
discard_kids(ctv_walk *w, PyObject *const *items, uint32_t from, uint32_t to)
{
    if (from >= to)
        return 0;
    if (kids_reserve(&w->kids, to) < 0) {
        w->err = 1;
        return -1;
    }
    for (uint32_t j = from; j < to; j++) {
        w->kids.k[j] = (ctv_ekid){ 0, NULL };
        w->kids.p[j] = items[j];
    }
    w->nkids = to;
    return 0;
}

/* items: a container whose children are the n objects of array `items`. */
static int
items(ctv_walk *w, PyObject *o, int kind, int flags, PyObject *const *items, Py_ssize_t n)
{
    uint32_t r = container(w, o, kind, flags, n);
    if (r == CTV_NONE)
        return w->err ? -1 : 0;
    Py_ssize_t keep = n < lim.max_items ? n : lim.max_items, i = 0;
    w->depth++;
    if (w->mode == W_SHALLOW && w->discard && !w->hash && !w->collect && w->expand == o && w->level == 1
            && w->nkids == 0) {   /* (the expanded object's own items: those not written are noted alone) */
        uint32_t k = (uint32_t)keep, lo = w->lo < k ? w->lo : k, hi = w->hi < lo ? lo : w->hi < k ? w->hi : k;
        if (discard_kids(w, items, 0, lo) == 0) {
            for (i = lo; i < hi; i++)
                walk(w, items[i]);
            if (discard_kids(w, items, hi, k) == 0)
                i = keep;
        }
    } else {
        for (; i < keep && room(w); i++)
            walk(w, items[i]);
    }
    w->depth--;
    return close_container(w, r, i, n, n);
}

/* ---- encoders named by the spec ---- */

/* leaf: a node without children or data. */
static int
leaf(ctv_walk *w, PyObject *o, int kind, int flags, int64_t a, int64_t b)
{
    return node(w, o, kind, flags, a, b, 0) == CTV_NONE ? -1 : 0;
}

int
ctv_enc_none(ctv_walk *w, PyObject *o, int kind, int flags)
{
    return leaf(w, o, kind, flags, 0, 0);
}

int
ctv_enc_bool(ctv_walk *w, PyObject *o, int kind, int flags)
{
    return leaf(w, o, kind, flags, o == Py_True, 0);
}

/* bigint: data = little-endian two's complement bytes of int o. */
static int
bigint(ctv_walk *w, PyObject *o, int flags)
{
    if (w->mode == W_TRAVERSE)
        return leaf(w, o, CTV_BigInt, flags, 0, 0);
    size_t nbytes = _PyLong_NumBits(o) / 8 + 1;
    if ((Py_ssize_t)nbytes > lim.max_text)   /* too long: size only */
        return leaf(w, o, CTV_BigInt, flags | CTR_ValueFlag_Truncated, 0, (int64_t)nbytes);
    unsigned char *buf = PyMem_Malloc(nbytes);
    if (buf == NULL
#if PY_VERSION_HEX >= 0x030D0000
        || PyLong_AsNativeBytes(o, buf, (Py_ssize_t)nbytes, Py_ASNATIVEBYTES_LITTLE_ENDIAN) < 0
#else
        || _PyLong_AsByteArray((PyLongObject *)o, buf, nbytes, 1, 1) < 0
#endif
    ) {
        PyMem_Free(buf);
        PyErr_Clear();
        w->err = 1;
        return -1;
    }
    int rc = text(w, o, CTV_BigInt, flags, (const char *)buf, (Py_ssize_t)nbytes, (Py_ssize_t)nbytes);
    PyMem_Free(buf);
    return rc;
}

int
ctv_enc_int(ctv_walk *w, PyObject *o, int kind, int flags)
{
    int overflow;
    long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (overflow)
        return bigint(w, o, flags);
    return leaf(w, o, kind, flags, v, 0);
}

int
ctv_enc_float(ctv_walk *w, PyObject *o, int kind, int flags)
{
    double d = PyFloat_AS_DOUBLE(o);
    int64_t a;
    memcpy(&a, &d, 8);
    return leaf(w, o, kind, flags, a, 0);
}

int
ctv_enc_complex(ctv_walk *w, PyObject *o, int kind, int flags)
{
    Py_complex z = ((PyComplexObject *)o)->cval;
    int64_t a, b;
    memcpy(&a, &z.real, 8);
    memcpy(&b, &z.imag, 8);
    return leaf(w, o, kind, flags, a, b);
}

/* utf8_put: c as UTF-8 at p (a lone surrogate as its 3-byte sequence, as
   the "surrogatepass" error handler writes it); returns the bytes written. */
static inline int
utf8_put(unsigned char *p, Py_UCS4 c)
{
    if (c < 0x80) {
        p[0] = (unsigned char)c;
        return 1;
    }
    if (c < 0x800) {
        p[0] = (unsigned char)(0xC0 | (c >> 6));
        p[1] = (unsigned char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        p[0] = (unsigned char)(0xE0 | (c >> 12));
        p[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
        p[2] = (unsigned char)(0x80 | (c & 0x3F));
        return 3;
    }
    p[0] = (unsigned char)(0xF0 | (c >> 18));
    p[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
    p[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
    p[3] = (unsigned char)(0x80 | (c & 0x3F));
    return 4;
}

/* UTF8_FIT: how many of the n code points at `data` (of type T) fit in
   `room` bytes as UTF-8 (*keep), and their size (*size). Reads only those. */
#define UTF8_FIT(T, data, n, room, keep, size)                                           \
    do {                                                                                 \
        const T *q_ = (const T *)(data);                                                 \
        while (*(keep) < (n)) {                                                          \
            Py_UCS4 c_ = q_[*(keep)];                                                    \
            Py_ssize_t s_ = c_ < 0x80 ? 1 : c_ < 0x800 ? 2 : c_ < 0x10000 ? 3 : 4;         \
            if (*(size) + s_ > (room))                                                   \
                break;                                                                   \
            *(size) += s_;                                                               \
            ++*(keep);                                                                   \
        }                                                                                \
    } while (0)

/* ---- names as ids (format 8: docs/trace-format.md, "Names as ids") ----
   The content of an instance or a dict that an Obj or ObjPut writes, when
   every name (key) it writes is a short interned ASCII str (tried first: a
   writing walk that meets another name stops and is done again), is a
   NamedInstance or NamedDict node: the names as name ids (VarNameDef, the
   ids of variable names) in `data`, the values alone as its children. */

#define NAMES_MAX 65536   /* name ids a recording makes for names (then they are Str nodes) */

/* The name ids of the writing walk under way (one per thread, as coll). */
static CT_TLS struct { uint32_t *p; uint32_t n, cap; } name_ids;

/* id_name: o may be written as a name id: an exact interned ASCII str that
   max_text does not cut (its Str node is then its text, b its length, no
   flags: what a reader makes of the id). */
static int
id_name(PyObject *o)
{
    return o != NULL && PyUnicode_CheckExact(o) && PyUnicode_CHECK_INTERNED(o) && PyUnicode_IS_ASCII(o)
        && PyUnicode_GET_LENGTH(o) <= lim.max_text && cti_name_count() < NAMES_MAX;
}

/* name_as_id: name o of a pair, as its id in name_ids instead of a node;
   one that cannot be makes the walk's names -1 and ends what it writes (the
   children after it are not visited: the walk is done again without ids). */
static int cut_text(ctv_walk *w, PyObject *o, int kind, int flags, const char *s, Py_ssize_t n);

static int
name_as_id(ctv_walk *w, PyObject *o, int kind, int flags)
{
    if (!id_name(o)) {
        w->names = -1;
        w->hi = w->lo;
        return 0;
    }
    uint32_t id = cti_name(w->c, o);
    if (id == CTI_NONE) {
        w->err = 1;
        return -1;
    }
    if (name_ids.n == name_ids.cap) {
        uint32_t cap = name_ids.cap ? 2 * name_ids.cap : 64;
        uint32_t *p = realloc(name_ids.p, cap * sizeof *p);
        if (p == NULL) {
            w->err = 1;
            return -1;
        }
        name_ids.p = p;
        name_ids.cap = cap;
    }
    name_ids.p[name_ids.n++] = id;
    if (!w->collect) {   /* (a walk that only writes: its prints are not read) */
        w->h = mix(w->h, id);
        return 0;
    }
    /* its print: the one a hashing walk makes of its Str node, so that a walk
       that writes the names as ids keeps the kids' prints (obj_check_once's
       one walk of an object written whole) */
    int hash = w->hash;
    uint32_t n = w->n;
    w->hash = 1;
    int rc = cut_text(w, o, kind, flags, (const char *)PyUnicode_DATA(o), PyUnicode_GET_LENGTH(o));
    w->hash = hash;
    w->n = n;
    return rc;
}

/* A str is recorded as the longest prefix of its UTF-8 that fits in
   max_text bytes and ends on a character boundary. Only the code points
   kept are read and encoded (into the data pool, no temporary objects),
   whatever the str's length. */
int
ctv_enc_str(ctv_walk *w, PyObject *o, int kind, int flags)
{
    if (w->mode == W_TRAVERSE)
        return leaf(w, o, kind, flags, 0, 0);
    if (w->names > 0 && w->pairs && w->level == 2 && !(w->nkids & 1) && !w->hash)
        return name_as_id(w, o, kind, flags);
    Py_ssize_t n = PyUnicode_GET_LENGTH(o);
    if (PyUnicode_IS_ASCII(o))
        return cut_text(w, o, kind, flags, (const char *)PyUnicode_DATA(o), n);
    int k = PyUnicode_KIND(o);
    const void *d = PyUnicode_DATA(o);
    Py_ssize_t keep = 0, size = 0, room = lim.max_text;
    if (k == PyUnicode_1BYTE_KIND)
        UTF8_FIT(Py_UCS1, d, n, room, &keep, &size);
    else if (k == PyUnicode_2BYTE_KIND)
        UTF8_FIT(Py_UCS2, d, n, room, &keep, &size);
    else
        UTF8_FIT(Py_UCS4, d, n, room, &keep, &size);
    if (keep < n)
        flags |= CTR_ValueFlag_Truncated;
    /* the fingerprint: of what decides the bytes (the code points kept, n) */
    uint32_t i = node(w, o, kind, flags, k, n, (uint32_t)keep);
    w->h = mix_bytes(w->h, d, (size_t)(keep * k));
    if (w->hash || i == CTV_NONE)
        return i == CTV_NONE ? -1 : 0;
    uint32_t off = (uint32_t)w->c->data.len;
    unsigned char *p = ct_vec_push(&w->c->data, (size_t)size);
    if (p == NULL) {
        w->c->failed = 1;
        w->err = 1;
        return -1;
    }
    for (Py_ssize_t j = 0; j < keep; j++)
        p += utf8_put(p, PyUnicode_READ(k, d, j));
    ctr_Value *v = at(w, i);
    v->a = off;
    v->len = (uint32_t)size;
    return 0;
}

int
ctv_enc_bytes(ctv_walk *w, PyObject *o, int kind, int flags)
{
    Py_ssize_t n = PyBytes_GET_SIZE(o);
    return cut_text(w, o, kind, flags, PyBytes_AS_STRING(o), n);
}

int
ctv_enc_bytearray(ctv_walk *w, PyObject *o, int kind, int flags)
{
    Py_ssize_t n = PyByteArray_GET_SIZE(o);
    return cut_text(w, o, kind, flags, PyByteArray_AS_STRING(o), n);
}

int
ctv_enc_list(ctv_walk *w, PyObject *o, int kind, int flags)
{
    return items(w, o, kind, flags, ((PyListObject *)o)->ob_item, PyList_GET_SIZE(o));
}

int
ctv_enc_tuple(ctv_walk *w, PyObject *o, int kind, int flags)
{
    return items(w, o, kind, flags, ((PyTupleObject *)o)->ob_item, PyTuple_GET_SIZE(o));
}

int
ctv_enc_dict(ctv_walk *w, PyObject *o, int kind, int flags)
{
    Py_ssize_t n = PyDict_GET_SIZE(o);
    uint32_t r = container(w, o, kind, flags, n);
    if (r == CTV_NONE)
        return w->err ? -1 : 0;
    w->pairs = 1;
    Py_ssize_t pos = 0, stored = 0;
    PyObject *k, *v;
    w->depth++;
    while (stored < lim.max_items && room(w) && PyDict_Next(o, &pos, &k, &v)) {
        walk(w, k);
        walk(w, v);
        stored++;
    }
    w->depth--;
    return close_container(w, r, 2 * stored, 2 * n, n);
}

int
ctv_enc_set(ctv_walk *w, PyObject *o, int kind, int flags)
{
    Py_ssize_t n = PySet_GET_SIZE(o);
    uint32_t r = container(w, o, kind, flags, n);
    if (r == CTV_NONE)
        return w->err ? -1 : 0;
    PyObject *it = PySet_Type.tp_iter(o);   /* the built-in iterator, never __iter__ */
    if (it == NULL) {
        PyErr_Clear();
        w->err = 1;
        return -1;
    }
    Py_ssize_t stored = 0;
    PyObject *item;
    w->depth++;
    while (stored < lim.max_items && room(w) && (item = Py_TYPE(it)->tp_iternext(it)) != NULL) {
        walk(w, item);
        Py_DECREF(item);
        stored++;
    }
    w->depth--;
    Py_DECREF(it);
    PyErr_Clear();
    return close_container(w, r, stored, n, n);
}

/* three: a node with three children (range, slice). */
static int
three(ctv_walk *w, PyObject *o, int kind, int flags, PyObject *x, PyObject *y, PyObject *z)
{
    uint32_t r = node(w, o, kind, flags, 0, 0, 0);
    if (r == CTV_NONE)
        return -1;
    walk(w, x);
    walk(w, y);
    walk(w, z);
    return close_container(w, r, 3, 3, 0);
}

/* range_offsets: where a range holds its start, stop and step: the
   offsets its type's members give (read-only object members of the range
   object's own storage, on every CPython since 3.0: the range's fields,
   set once when it is made), or -1 each when the type does not declare
   all three so (they are then read as attributes). Read once. */
static Py_ssize_t range_off[3];

static void
range_offsets(void)
{
    static const char *const field[3] = { "start", "stop", "step" };
    Py_ssize_t off[3] = { -1, -1, -1 };
    for (const PyMemberDef *m = PyRange_Type.tp_members; m != NULL && m->name != NULL; m++) {
        for (int i = 0; i < 3; i++) {
            if (strcmp(m->name, field[i]) == 0 && m->type == Py_T_OBJECT_EX && (m->flags & Py_READONLY)
                    && m->offset >= (Py_ssize_t)sizeof(PyObject)
                    && (size_t)m->offset + sizeof(PyObject *) <= (size_t)PyRange_Type.tp_basicsize)
                off[i] = m->offset;
        }
    }
    int all = off[0] >= 0 && off[1] >= 0 && off[2] >= 0;
    for (int i = 0; i < 3; i++)
        range_off[i] = all ? off[i] : -1;
}

int
ctv_enc_range(ctv_walk *w, PyObject *o, int kind, int flags)
{
    if (range_off[0] == 0)
        range_offsets();
    if (range_off[0] > 0) {   /* read in place: borrowed, the range holds them while it lives */
        PyObject *const *f[3] = { (PyObject *const *)((const char *)o + range_off[0]),
                                  (PyObject *const *)((const char *)o + range_off[1]),
                                  (PyObject *const *)((const char *)o + range_off[2]) };
        if (*f[0] != NULL && *f[1] != NULL && *f[2] != NULL)
            return three(w, o, kind, flags, *f[0], *f[1], *f[2]);
        w->err = 1;
        return -1;
    }
    PyObject *a[3] = {
        PyObject_GetAttrString(o, "start"),   /* C getters of the exact range type */
        PyObject_GetAttrString(o, "stop"),
        PyObject_GetAttrString(o, "step"),
    };
    int rc = -1;
    if (a[0] && a[1] && a[2])
        rc = three(w, o, kind, flags, a[0], a[1], a[2]);
    else
        w->err = 1;
    for (int i = 0; i < 3; i++)
        Py_XDECREF(a[i]);
    PyErr_Clear();
    return rc;
}

int
ctv_enc_slice(ctv_walk *w, PyObject *o, int kind, int flags)
{
    PySliceObject *s = (PySliceObject *)o;
    return three(w, o, kind, flags, s->start, s->stop, s->step);
}

/* name_of: "module.qualname" of a function, class, module or callable. */
static Py_ssize_t
name_of(PyObject *o, char *buf, size_t size)
{
    if (PyType_Check(o))
        return cti_type_name((PyTypeObject *)o, buf, size);
    if (PyMethod_Check(o))
        o = PyMethod_GET_FUNCTION(o);
    const char *mod = NULL, *qual = NULL;
    PyObject *m = NULL, *q = NULL;
    if (PyFunction_Check(o)) {
        m = PyFunction_GetModule(o);   /* borrowed */
        q = ((PyFunctionObject *)o)->func_qualname;
    } else if (PyModule_Check(o)) {
        q = PyModule_GetNameObject(o);
        PyErr_Clear();
        qual = q && PyUnicode_CheckExact(q) ? PyUnicode_AsUTF8(q) : "?";
        Py_ssize_t n = cti_join(buf, size, qual ? qual : "?", SIZE_MAX, NULL, 0);
        Py_XDECREF(q);
        PyErr_Clear();
        return n;
    } else if (PyCFunction_Check(o)) {
        PyObject *self = PyCFunction_GET_SELF(o);
        const char *name = ((PyCFunctionObject *)o)->m_ml->ml_name;
        if (self == NULL || PyModule_Check(self))
            return cti_join(buf, size, name, SIZE_MAX, NULL, 0);
        char tb[256];
        PyTypeObject *t = PyType_Check(self) ? (PyTypeObject *)self : Py_TYPE(self);
        Py_ssize_t tn = cti_type_name(t, tb, sizeof tb);
        return cti_join(buf, size, tb, (size_t)tn, name, SIZE_MAX);
    }
    if (m != NULL && PyUnicode_CheckExact(m))
        mod = PyUnicode_AsUTF8(m);
    if (q != NULL && PyUnicode_Check(q))   /* a str subclass's text, read as str's own (no user code) */
        qual = PyUnicode_AsUTF8(q);
    PyErr_Clear();
    return cti_join(buf, size, mod ? mod : qual ? qual : "?", SIZE_MAX,
                    mod ? (qual ? qual : "?") : NULL, SIZE_MAX);
}

/* A qualified name's text enters a fingerprint as its digest (name_digest),
   so that the digest can be remembered: a function's (or a bound method's)
   name is made of two objects only, its func_qualname and its func_module,
   so while they are the same str objects the name is the same text. The
   cache holds strong references to them (a str has no finalizer and no
   weak references: nobody sees them), so an address is never reused for
   another str while remembered. `print`: ctv_check's fingerprint of a
   function (not a method) of that name, once made (0: not yet): it is made
   of the name and constants only. Four-way set-associative, a set's
   entries replaced in turn (direct-mapped, two functions of a module whose
   names met in one slot took it from each other at every Step of its body:
   modfuncs' instructions moved by 4 % with the layout of the heap); an
   entry never moves while it holds a name. Emptied by ctv_stop. */
#define NAME_SEED 0x13198A2E03707344ULL
#define NAME_WAYS 4
#define NAME_SETS 512
#define NAMES (NAME_WAYS * NAME_SETS)
typedef struct { PyObject *q, *m; uint64_t digest, print; uint32_t n; } ctv_name;
static ctv_name names[NAMES];
static uint8_t name_victim[NAME_SETS];   /* the way each set replaces next */

static inline uint64_t
name_digest(const char *s, size_t n)
{
    return mix_bytes(NAME_SEED, s, n);
}

/* name_entry: the remembered name of o, a function or a method of one,
   when its qualname and module are exact str objects (the module: or
   NULL); NULL for any other o (its name is made each time). */
static ctv_name *
name_entry(PyObject *o)
{
    PyObject *f = Py_TYPE(o) == &PyMethod_Type ? PyMethod_GET_FUNCTION(o) : o, *q, *m;
    if (!ctv_func_name(f, &q, &m))
        return NULL;
    size_t k = (size_t)((((uintptr_t)q >> 4) ^ ((uintptr_t)m >> 6)) * 0x9E3779B97F4A7C15ULL >> 40)
               & (NAME_SETS - 1);
    ctv_name *set = &names[k * NAME_WAYS];
    for (int i = 0; i < NAME_WAYS; i++) {
        if (set[i].q == q && set[i].m == m)
            return &set[i];
    }
    ctv_name *e = &set[name_victim[k]];
    name_victim[k] = (uint8_t)((name_victim[k] + 1) % NAME_WAYS);
    char buf[512];
    Py_ssize_t n = name_of(o, buf, sizeof buf);
    Py_XSETREF(e->q, Py_NewRef(q));
    Py_XSETREF(e->m, Py_XNewRef(m));
    e->n = (uint32_t)n;
    e->digest = name_digest(buf, (size_t)n);
    e->print = 0;
    return e;
}

/* A class's name, and a built-in callable's (its self's type's name, or
   the type's for a method bound to a class, dict.fromkeys, joined to its
   PyMethodDef's ml_name; ml_name alone for a module's function), are
   remembered as a function's are (name_entry): digest and length, keyed
   by the type and the PyMethodDef (NULL for a class; the type NULL for a
   module's function), while what makes the text stands:
   - a static type's name is its tp_name, fixed for the process (a static
     type never dies, and Python code cannot set its attributes);
   - a heap type's name is its ht_qualname and its dict's __module__. The
     entry holds the qualname str (a strong reference, as names[] does) and
     compares its pointer. __module__ changes by an assignment to the
     type's attribute, which calls PyType_Modified (as a C extension that
     writes tp_dict must): that takes the type's version tag, and tags are
     never given twice, so the entry holds the tag it was made under (a
     heap type without a tag is not remembered; it gets one at its first
     attribute lookup). A type born at a dead one's address has another
     tag too, and when the death was told (intern.c's wrapper of type's
     deallocator) its address's generation moved on (cti_type_gen): the
     entry holds that generation as well;
   - a PyMethodDef can be freed (with the heap type or the extension's
     function it belongs to) and another made at its address: the entry
     keeps a copy of the ml_name text it was made from and compares it (a
     few bytes); an ml_name longer than the copy is not remembered.
   Four-way set-associative as names[]. Emptied by ctv_stop. */
#define TNAME_SETS 256
#define TNAME_TEXT 40
typedef struct {
    const PyTypeObject *t;
    const PyMethodDef *ml;
    PyObject *q;          /* a heap type's ht_qualname (a strong reference), else NULL */
    uint64_t gen, digest;
    unsigned int tag;     /* a heap type's version tag, else 0 */
    uint32_t n;
    char ml_name[TNAME_TEXT];
} ctv_tname;
static ctv_tname tnames[NAME_WAYS * TNAME_SETS];
static uint8_t tname_victim[TNAME_SETS];

/* tname_entry: the remembered name of o, a class or a built-in callable
   (PyCFunction), made now if not; NULL for any other o, or one whose name
   is not remembered (made each time). */
static const ctv_tname *
tname_entry(PyObject *o)
{
    PyTypeObject *t;
    const PyMethodDef *ml = NULL;
    const char *mn = "";
    if (PyType_Check(o)) {
        t = (PyTypeObject *)o;
    } else if (PyCFunction_Check(o)) {
        PyObject *self = PyCFunction_GET_SELF(o);
        ml = ((PyCFunctionObject *)o)->m_ml;
        mn = ml->ml_name;
        t = self == NULL || PyModule_Check(self) ? NULL
            : PyType_Check(self) ? (PyTypeObject *)self : Py_TYPE(self);
    } else {
        return NULL;
    }
    PyObject *q = NULL;
    unsigned int tag = 0;
    uint64_t gen = 0;
    if (t != NULL && (t->tp_flags & Py_TPFLAGS_HEAPTYPE)) {
        tag = t->tp_version_tag;
        if (tag == 0)
            return NULL;
        q = ((PyHeapTypeObject *)t)->ht_qualname;
        if (q == NULL || !PyUnicode_CheckExact(q))   /* (a str subclass's reference could be seen) */
            return NULL;
        gen = *cti_type_gen(t);
    }
    size_t k = (size_t)((((uintptr_t)t >> 4) ^ ((uintptr_t)ml >> 3)) * 0x9E3779B97F4A7C15ULL >> 40)
               & (TNAME_SETS - 1);
    ctv_tname *set = &tnames[k * NAME_WAYS];
    for (int i = 0; i < NAME_WAYS; i++) {
        const ctv_tname *e = &set[i];
        if (e->t == t && e->ml == ml && e->tag == tag && e->q == q && e->gen == gen
                && (ml == NULL || strcmp(e->ml_name, mn) == 0))
            return e;
    }
    size_t mlen = strlen(mn);
    if (mlen >= TNAME_TEXT)
        return NULL;
    ctv_tname *e = &set[tname_victim[k]];
    tname_victim[k] = (uint8_t)((tname_victim[k] + 1) % NAME_WAYS);
    char buf[512];
    Py_ssize_t n = name_of(o, buf, sizeof buf);
    e->t = t;
    e->ml = ml;
    Py_XSETREF(e->q, Py_XNewRef(q));
    e->tag = tag;
    e->gen = gen;
    memcpy(e->ml_name, mn, mlen + 1);
    e->n = (uint32_t)n;
    e->digest = name_digest(buf, (size_t)n);
    return e;
}

/* names_clear: forget the remembered names (the end of a recording). */
static void
names_clear(void)
{
    for (size_t i = 0; i < NAMES; i++) {
        Py_CLEAR(names[i].q);
        Py_CLEAR(names[i].m);
    }
    for (size_t i = 0; i < NAME_WAYS * TNAME_SETS; i++) {
        Py_CLEAR(tnames[i].q);
        tnames[i].t = NULL;
        tnames[i].ml = NULL;
    }
}

/* ctv_enc_qualname: the name as text (not cut by max_text: at most 511
   bytes); a fingerprint takes its digest, remembered for a function
   (name_entry), a class or a built-in callable (tname_entry). */
int
ctv_enc_qualname(ctv_walk *w, PyObject *o, int kind, int flags)
{
    if (w->mode == W_TRAVERSE)
        return leaf(w, o, kind, flags, 0, 0);
    PyTypeObject *t = Py_TYPE(o);
    const ctv_name *e = w->hash && (t == &PyFunction_Type || t == &PyMethod_Type) ? name_entry(o) : NULL;
    const ctv_tname *te;
    char buf[512];
    Py_ssize_t n;
    uint64_t d;
    if (e != NULL) {
        n = e->n;
        d = e->digest;
    } else if (w->hash && (te = tname_entry(o)) != NULL) {
        n = te->n;
        d = te->digest;
    } else {
        n = name_of(o, buf, sizeof buf);
        d = name_digest(buf, (size_t)n);
    }
    uint32_t i = node(w, o, kind, flags, 0, n, (uint32_t)n);
    w->h = mix(w->h, d);
    if (w->hash || i == CTV_NONE)
        return i == CTV_NONE ? -1 : 0;
    at(w, i)->a = ctk_text(&w->c->data, buf, (uint32_t)n, &w->c->failed);
    return 0;
}

/* special_member: a member of a C type made from a spec that describes the
   layout, not an attribute (functools.partial's __vectorcalloffset__ reads
   as a pointer, different in every process). */
static int
special_member(const PyMemberDef *m)
{
    return strcmp(m->name, "__vectorcalloffset__") == 0 || strcmp(m->name, "__dictoffset__") == 0
        || strcmp(m->name, "__weaklistoffset__") == 0;
}

/* has_members: heap type t declares members of its own (__slots__, or
   tp_members of a type made from a spec) other than the layout ones: only
   then can its dict hold member descriptors to read. A C array, cheaper
   than iterating the type's dict for every instance recorded. */
static int
has_members(PyTypeObject *t)
{
    for (const PyMemberDef *m = t->tp_members; m != NULL && m->name != NULL; m++) {
        if (!special_member(m))
            return 1;
    }
    return 0;
}

/* inline_pairs: o's attributes are in its inline values, no dict made of
   them (civ_read), each of its first n pairs readable (civ_at), and its
   death will be told (ctv_death_told: object's deallocator, wrapped, which
   stands for the dict watcher's signal the dict would have given): *iv
   reads them. A walk reads them there, so that recording does not make the
   dict (instance_dict would). */
static int
inline_pairs(civ *iv, PyObject *o)
{
    if (!civ_read(o, iv) || !ctv_death_told(o))
        return 0;
    for (Py_ssize_t i = 0; i < iv->n; i++) {
        PyObject *k, *v;
        if (!civ_at(iv, i, &k, &v))
            return 0;
    }
    return 1;
}

/* instance_dict: a new reference to o's instance dict, or NULL (none, or
   not a dict). Reads the dict slot; never creates the dict
   (PyObject_GenericGetDict would, and a functools.partial whose dict exists
   is no longer flattened by partial()). */
static PyObject *
instance_dict(PyObject *o)
{
    PyTypeObject *t = Py_TYPE(o);
    if (t->tp_dictoffset == 0 && !(t->tp_flags & Py_TPFLAGS_MANAGED_DICT))
        return NULL;
    PyObject *d;
    if (t->tp_dictoffset > 0 && !(t->tp_flags & Py_TPFLAGS_MANAGED_DICT))
        d = Py_XNewRef(*(PyObject **)((char *)o + t->tp_dictoffset));
    else
        d = PyObject_GenericGetDict(o, NULL);
    if (d == NULL)
        PyErr_Clear();
    else if (!PyDict_Check(d))
        Py_CLEAR(d);
    return d;
}

/* redacted_child: a Redacted node for attribute value v (its type only). */
static void
redacted_child(ctv_walk *w, PyObject *v)
{
    if (w->mode == W_SHALLOW && w->expand != NULL && w->level == 1)
        kid(w, v, 1);
    else
        leaf(w, v, CTV_Redacted, 0, 0, 0);
}

/* obj_hash: the slot of pointer o in a table of mask + 1 slots. */
static inline size_t
obj_hash(PyObject *o, size_t mask)
{
    return (size_t)(((uintptr_t)o >> 4) * 0x9E3779B97F4A7C15ULL >> 20) & mask;
}

/* The members attrs() reads on instances of a type: in its MRO's order,
   each heap type that has members of its own (has_members), the member
   descriptors of its dict in the dict's order, the layout ones left out
   (special_member), and those of a type o is not an instance of (their
   __get__ would refuse o; PyMember_GetOne would read another layout).
   Made once per type and version: a type that changes (its dict, its
   bases) loses its tp_version_tag (0 until CPython assigns a new one), and
   tags are never reused, so (type, tag) names the same members while it
   matches; a type without a tag has its list made at every read.
   The list holds strong references to the names (exact str only: a str
   has no finalizer and no weak references, nobody sees them) and borrows
   the PyMemberDefs, which live as long as the descriptors in the dicts
   that the tag vouches for. `busy`: attrs() is reading it (a walk may
   meet another instance of the type, and a collection during the walk
   may run a finalizer that changes the type): a list replaced while busy
   is freed by its last reader. Emptied by ctv_stop. */
typedef struct { PyObject *name; PyMemberDef *m; } ctv_member;
typedef struct {
    uint32_t n, busy;
    int orphan;          /* replaced while busy: its last reader frees it */
    int any;             /* a heap type of the MRO has members (w->slots) */
    int direct;          /* each is an object slot read in place (member_direct) */
    ctv_member mem[];
} ctv_members;
typedef struct { PyTypeObject *t; unsigned int tag; ctv_members *ms; } ctv_mcache;
#define MCACHE_MAX 4096
static ctv_mcache *mcache;
static size_t mcache_cap, mcache_n;
static ctv_mcache *mcache_last;   /* the slot of the last type found (a shadow's checks meet the
                                     instances of one class in a row); NULL when the table moves */

static void
members_free(ctv_members *ms)
{
    if (ms == NULL)
        return;
    if (ms->busy) {
        ms->orphan = 1;
        return;
    }
    for (uint32_t i = 0; i < ms->n; i++)
        Py_DECREF(ms->mem[i].name);
    free(ms);
}

/* members_release: a reader is done with ms. */
static void
members_release(ctv_members *ms)
{
    if (--ms->busy == 0 && ms->orphan) {
        ms->orphan = 0;
        members_free(ms);
    }
}

static void
mcache_clear(void)
{
    for (size_t i = 0; i < mcache_cap; i++)
        members_free(mcache[i].ms);
    free(mcache);
    mcache = NULL;
    mcache_last = NULL;
    mcache_cap = mcache_n = 0;
}

static inline int member_direct(const PyMemberDef *m);

/* members_make: the list of type t's members (a new list, busy 0), or
   NULL: no memory, or a name is not an exact str (*plain = 0: not
   cacheable; read the slow way). */
static ctv_members *
members_make(PyTypeObject *type, int *plain)
{
    *plain = 1;
    uint32_t n = 0, cap = 0;
    ctv_members *ms = NULL;
    int any = 0;
    PyObject *mro = type->tp_mro;
    for (Py_ssize_t i = 0; mro && i < PyTuple_GET_SIZE(mro); i++) {
        PyTypeObject *t = (PyTypeObject *)PyTuple_GET_ITEM(mro, i);
        if (!(t->tp_flags & Py_TPFLAGS_HEAPTYPE) || !has_members(t))
            continue;
        any = 1;
        PyObject *td = PyType_GetDict(t);
        Py_ssize_t pos = 0;
        PyObject *k, *d;
        while (td && PyDict_Next(td, &pos, &k, &d)) {
            if (!Py_IS_TYPE(d, &PyMemberDescr_Type))
                continue;
            PyMemberDescrObject *md = (PyMemberDescrObject *)d;
            if (special_member(md->d_member) || !PyType_IsSubtype(type, md->d_common.d_type))
                continue;
            if (!PyUnicode_CheckExact(k))
                *plain = 0;
            if (n == cap) {
                uint32_t c2 = cap ? 2 * cap : 4;
                ctv_members *m2 = realloc(ms, sizeof *ms + c2 * sizeof(ctv_member));
                if (m2 == NULL) {
                    Py_DECREF(td);
                    goto fail;
                }
                ms = m2;
                cap = c2;
            }
            ms->mem[n].name = Py_NewRef(k);
            ms->mem[n].m = md->d_member;
            n++;
        }
        Py_XDECREF(td);
    }
    if (ms == NULL && (ms = malloc(sizeof *ms)) == NULL)
        return NULL;
    ms->n = n;
    ms->busy = 0;
    ms->orphan = 0;
    ms->any = any;
    ms->direct = 1;
    for (uint32_t i = 0; i < n; i++)
        ms->direct = ms->direct && member_direct(ms->mem[i].m);
    return ms;
fail:
    for (uint32_t i = 0; i < n; i++)
        Py_DECREF(ms->mem[i].name);
    free(ms);
    return NULL;
}

/* members_of: the list of members of o's type, busy (members_release when
   done); *cached = 0: a list of this call only (members_free it after the
   release). NULL: no memory. */
static ctv_members members_none;   /* no members: a list of none, never freed */

static ctv_members *members_find(PyTypeObject *t, int *cached);

static inline ctv_members *
members_of(PyTypeObject *t, int *cached)
{
    /* 0: none now (CPython assigns one at its next lookup in the type; not
       here: that would spend the type's versions for the program) */
    unsigned int tag = t->tp_version_tag;
    ctv_mcache *e = mcache_last;
    if (e != NULL && e->t == t && e->tag == tag && tag != 0 && e->ms != NULL) {   /* (the type met last:
                                                                                    inline) */
        e->ms->busy++;
        *cached = 1;
        return e->ms;
    }
    return members_find(t, cached);
}

/* members_find: members_of's other cases, out of line */
static __attribute__((noinline)) ctv_members *
members_find(PyTypeObject *t, int *cached)
{
    *cached = 0;
    unsigned int tag = t->tp_version_tag;
    ctv_mcache *e;
    if (!(t->tp_flags & Py_TPFLAGS_HEAPTYPE)) {   /* a static type (which may have no version tag):
                                                     members are read from heap types only */
        PyObject *mro = t->tp_mro;
        Py_ssize_t i = 0, n = mro != NULL ? PyTuple_GET_SIZE(mro) : 0;
        while (i < n && !(((PyTypeObject *)PyTuple_GET_ITEM(mro, i))->tp_flags & Py_TPFLAGS_HEAPTYPE))
            i++;
        if (i == n) {
            members_none.busy++;
            *cached = 1;
            return &members_none;
        }
    }
    e = NULL;
    if (tag != 0) {
        if (2 * (mcache_n + 1) > mcache_cap) {   /* grow (and rehash) at half full */
            if (mcache_cap >= MCACHE_MAX)
                mcache_clear();
            size_t cap = mcache_cap ? 2 * mcache_cap : 64;
            ctv_mcache *nt = calloc(cap, sizeof *nt);
            if (nt != NULL) {
                for (size_t i = 0; i < mcache_cap; i++) {
                    if (mcache[i].t == NULL)
                        continue;
                    size_t j = obj_hash((PyObject *)mcache[i].t, cap - 1);
                    while (nt[j].t != NULL)
                        j = (j + 1) & (cap - 1);
                    nt[j] = mcache[i];
                }
                free(mcache);
                mcache = nt;
                mcache_last = NULL;
                mcache_cap = cap;
            }
        }
        if (mcache_cap != 0) {
            size_t j = obj_hash((PyObject *)t, mcache_cap - 1);
            while (mcache[j].t != NULL && mcache[j].t != t)
                j = (j + 1) & (mcache_cap - 1);
            e = &mcache[j];
            if (e->t == t && e->tag == tag && e->ms != NULL) {
                e->ms->busy++;
                *cached = 1;
                mcache_last = e;
                return e->ms;
            }
        }
    }
    int plain;
    ctv_members *ms = members_make(t, &plain);
    if (ms == NULL)
        return NULL;
    ms->busy = 1;
    if (e != NULL && plain) {
        if (e->t == NULL)
            mcache_n++;
        members_free(e->ms);
        e->t = t;
        e->tag = tag;
        e->ms = ms;
        *cached = 1;
        mcache_last = e;
    }
    return ms;
}

/* members_done: done with list ms that members_of gave (its `cached`) */
static void
members_done(ctv_members *ms, int cached)
{
    members_release(ms);
    if (!cached)
        members_free(ms);
}

/* members_lost: members_of gave no list (no memory): the error cleared,
   0 (a check's fast path that then lets the walk decide) */
static int
members_lost(void)
{
    PyErr_Clear();
    return 0;
}

/* member_direct: member m is an object slot read without running code
   (what member_get reads from the instance itself). Py_AUDIT_READ changes
   nothing here: the audit event ("object.__getattr__") is raised by the
   member descriptor's __get__, never by a read of the slot or by
   PyMember_GetOne, and the recorder reads neither through the descriptor
   (an audit hook is the program's code, which it never runs;
   tests/test_audited_members.py). */
static inline int
member_direct(const PyMemberDef *m)
{
    return (m->type == Py_T_OBJECT_EX || m->type == _Py_T_OBJECT) && !(m->flags & Py_RELATIVE_OFFSET);
}

/* member_value: member m is a number, a bool or a text that
   PyMember_GetOne makes from the member's bytes (member_same compares it): 1, never unset; 2, a text, unset when its
   bytes are not UTF-8 (PyMember_GetOne fails, member_get reads NULL);
   0, another (an object slot read otherwise, a char). */
static inline int
member_value(const PyMemberDef *m)
{
    if (m->flags & Py_RELATIVE_OFFSET)
        return 0;
    switch (m->type) {
    case Py_T_BOOL:
#ifdef _Py_T_NONE
    case _Py_T_NONE:
#endif
    case Py_T_BYTE: case Py_T_SHORT: case Py_T_INT: case Py_T_LONG: case Py_T_LONGLONG:
    case Py_T_PYSSIZET: case Py_T_UBYTE: case Py_T_USHORT: case Py_T_UINT: case Py_T_ULONG:
    case Py_T_ULONGLONG: case Py_T_FLOAT: case Py_T_DOUBLE:
        return 1;
    case Py_T_STRING: case Py_T_STRING_INPLACE:
        return 2;
    default:
        return 0;
    }
}

/* member_same: member m of o, a value that PyMember_GetOne makes anew at
   each read (a C number, a flag, a C string: member_value), would read as
   a value equal to atom `a`, the one last recorded for it (held by the
   table; NULL: none): what PyMember_GetOne would make (the same C
   conversion) has a's type and value, hence a's node. The member's bytes
   are read in place, nothing is made, no code runs. 0 for any other
   member, and for a text that is not ASCII: its holder is walked. */
static int
member_same(PyObject *o, const PyMemberDef *m, PyObject *a)
{
    if (a == NULL || !member_value(m))
        return 0;
    const char *p = (const char *)o + m->offset, *s;
    long long x;
    unsigned long long u;
    double d;
    int over;
    switch (m->type) {
    case Py_T_BOOL:
        return a == (*(const char *)p ? Py_True : Py_False);
#ifdef _Py_T_NONE
    case _Py_T_NONE:
        return a == Py_None;
#endif
    case Py_T_BYTE: x = *(const char *)p; goto sint;
    case Py_T_SHORT: x = *(const short *)p; goto sint;
    case Py_T_INT: x = *(const int *)p; goto sint;
    case Py_T_LONG: x = *(const long *)p; goto sint;
    case Py_T_LONGLONG: x = *(const long long *)p; goto sint;
    case Py_T_PYSSIZET: x = *(const Py_ssize_t *)p; goto sint;
    case Py_T_UBYTE: u = *(const unsigned char *)p; goto uint;
    case Py_T_USHORT: u = *(const unsigned short *)p; goto uint;
    case Py_T_UINT: u = *(const unsigned int *)p; goto uint;
    case Py_T_ULONG: u = *(const unsigned long *)p; goto uint;
    case Py_T_ULONGLONG: u = *(const unsigned long long *)p; goto uint;
    case Py_T_FLOAT: d = (double)*(const float *)p; goto real;
    case Py_T_DOUBLE: d = *(const double *)p; goto real;
    case Py_T_STRING:
        s = *(const char *const *)p;
        if (s == NULL)
            return a == Py_None;
        goto text;
    case Py_T_STRING_INPLACE:
        s = p;
        goto text;
    default:
        return 0;
    }
uint:
    if (u > (unsigned long long)LLONG_MAX) {   /* a was made by PyLong_FromUnsignedLong(Long) */
        if (!PyLong_CheckExact(a))
            return 0;
        (void)PyLong_AsLongLongAndOverflow(a, &over);
        if (over != 1)
            return 0;
        unsigned long long y = PyLong_AsUnsignedLongLong(a);   /* an exact int: no code */
        if (y == (unsigned long long)-1 && PyErr_Occurred()) {   /* (past 64 bits) */
            PyErr_Clear();
            return 0;
        }
        return y == u;
    }
    x = (long long)u;
sint:
    if (!PyLong_CheckExact(a))
        return 0;
    long long y = PyLong_AsLongLongAndOverflow(a, &over);   /* an exact int: no code, no error */
    return !over && y == x;
real:
    if (!PyFloat_CheckExact(a))
        return 0;
    double e = PyFloat_AS_DOUBLE(a);
    return memcmp(&d, &e, sizeof d) == 0;   /* the bits, as its node holds them (-0.0, NaNs) */
text:   /* PyUnicode_FromString(s): an ASCII text is its bytes */
    if (!PyUnicode_CheckExact(a) || !PyUnicode_IS_ASCII(a))
        return 0;
    size_t n = strlen(s);
    return (size_t)PyUnicode_GET_LENGTH(a) == n && memcmp(PyUnicode_DATA(a), s, n) == 0;
}

/* member_get: a new reference to member m of o, or NULL (unset; no
   exception set). An object member is read from its slot (what
   PyMember_GetOne does, without its AttributeError for an unset one; None
   for an unset old-style T_OBJECT one); any other member by
   PyMember_GetOne, which raises no audit event (member_direct). */
static PyObject *
member_get(PyObject *o, const PyMemberDef *m)
{
    if (member_direct(m)) {
        PyObject *v = *(PyObject **)((char *)o + m->offset);
        if (v == NULL && m->type == _Py_T_OBJECT)
            v = Py_None;
        return Py_XNewRef(v);
    }
    PyObject *v = PyMember_GetOne((const char *)o, (PyMemberDef *)m);
    if (v == NULL)
        PyErr_Clear();
    return v;
}

/* attr_pair: an attribute's name and value as children (the value
   Redacted when the name hides it). */
static void
attr_pair(ctv_walk *w, PyObject *k, PyObject *v)
{
    walk(w, k);
    if (PyUnicode_Check(k) && ctx_hides(k))
        redacted_child(w, v);
    else
        walk(w, v);
}

/* attrs: the (name, value) children of an instance: its inline values
   (read in place, inline_pairs) or its __dict__ entries (read from the dict
   itself) and its __slots__ members (members_of), the
   first `limit` of them (w may be NULL when limit is 0). Returns how many
   it wrote; *total: how many there are (the dict's size, O(1), plus the
   slots that are set). */
static Py_ssize_t
attrs(ctv_walk *w, PyObject *o, Py_ssize_t limit, Py_ssize_t *total)
{
    Py_ssize_t stored = 0;
    *total = 0;
    civ iv;
    PyObject *d = NULL;
    if (inline_pairs(&iv, o)) {   /* no dict made (inline.h): the pairs read in place */
        *total = iv.n;
        PyObject *k, *v;
        /* (read anew at each pair, as PyDict_Next would: a walk is not expected to run
           code, but nothing read before it is trusted after it) */
        for (Py_ssize_t i = 0; stored < limit && room(w) && civ_read(o, &iv) && i < iv.n
                 && civ_at(&iv, i, &k, &v); i++) {
            attr_pair(w, k, v);
            stored++;
        }
    } else
        d = instance_dict(o);
    if (d != NULL) {
        *total = PyDict_GET_SIZE(d);
        if (w != NULL)
            w->idict = d;   /* its identity only */
        Py_ssize_t pos = 0;
        PyObject *k, *v;
        while (stored < limit && room(w) && PyDict_Next(d, &pos, &k, &v)) {
            attr_pair(w, k, v);
            stored++;
        }
        Py_DECREF(d);
    }
    int cached;
    ctv_members *ms = members_of(Py_TYPE(o), &cached);
    if (ms == NULL) {
        PyErr_Clear();
        if (w != NULL)
            w->err = 1;
        return stored;
    }
    if (w != NULL && ms->any)
        w->slots = 1;
    for (uint32_t i = 0; i < ms->n; i++) {
        PyObject *v = member_get(o, ms->mem[i].m);
        if (v == NULL)   /* unset slot */
            continue;
        ++*total;
        if (stored < limit && room(w)) {
            PyObject *k = ms->mem[i].name;
            walk(w, k);
            /* v may be made by PyMember_GetOne (a C int member); a slot's object is o's */
            w->transient = !member_direct(ms->mem[i].m);
            if (ctx_hides(k))
                redacted_child(w, v);
            else
                walk(w, v);
            w->transient = 0;
            stored++;
        }
        Py_DECREF(v);
    }
    members_done(ms, cached);
    return stored;
}

/* count_attrs: how many attributes attrs() would find on o. */
static Py_ssize_t
count_attrs(PyObject *o)
{
    Py_ssize_t total;
    attrs(NULL, o, 0, &total);
    return total;
}

/* exception: an Exception node: the type, and one child: the message of a
   built-in exception type (its single str argument), else its args. */
static int
exception(ctv_walk *w, PyObject *exc)
{
    if (w->mode == W_SHALLOW && (w->level > 1 || exc != w->expand))
        return object_node(w, exc);
    ctv_coll got = { CTV_NONE, 0, 0, 0 };
    uint32_t vi = w->nvis, n0 = w->n;
    if (w->mode == W_TRAVERSE && obj_check(w, exc, &got) < 0) {
        w->err = 1;
        return -1;
    }
    ctv_seen *v = w->mode == W_TRAVERSE ? vis_at(w, vi, n0) : NULL;   /* (never a Ref's: not seen) */
    uint32_t r = node(w, exc, CTV_Exception, 0, 0, 0, 0);
    if (r == CTV_NONE)
        return -1;
    if (got.base != CTV_NONE) {
        descend(w, &got);
        vis_close(w, vi);
        return w->err ? -1 : 0;
    }
    if (v != NULL)
        w->nopatch = 1;
    PyObject *args = ((PyBaseExceptionObject *)exc)->args;
    int builtin = !(Py_TYPE(exc)->tp_flags & Py_TPFLAGS_HEAPTYPE);
    w->depth++;
    if (builtin && args && PyTuple_CheckExact(args) && PyTuple_GET_SIZE(args) == 1
            && PyUnicode_CheckExact(PyTuple_GET_ITEM(args, 0)))
        walk(w, PyTuple_GET_ITEM(args, 0));
    else if (args && PyTuple_Check(args))
        walk(w, args);
    else
        leaf(w, Py_None, CTV_Null, 0, 0, 0);
    w->depth--;
    return close_container(w, r, 1, 1, 0);
}

int
ctv_enc_other(ctv_walk *w, PyObject *o)
{
    if (PyExceptionInstance_Check(o))
        return exception(w, o);
    uint32_t r = container(w, o, CTV_Instance, 0, -1);
    if (r == CTV_NONE)
        return w->err ? -1 : 0;
    w->pairs = 1;
    w->depth++;
    Py_ssize_t total, n = attrs(w, o, lim.max_items, &total);
    w->depth--;
    if (w->err)
        return -1;
    return close_container(w, r, 2 * n, 2 * total, total);
}

/* ---- entry points ---- */

static void
walk_init(ctv_walk *w, ct_chunk *c, int hash, ctv_stack *st)
{
    w->c = c;
    w->mode = W_TREE;
    w->expand = NULL;
    w->level = 0;
    w->kids = (ctv_kids){ NULL, NULL, 0 };
    w->nkids = 0;
    w->old = (ctv_kids){ NULL, NULL, 0 };
    w->nold = 0;
    w->lo = 0;
    w->hi = UINT32_MAX;
    w->discard = 0;
    w->root_b = 0;
    w->root_kind = w->root_flags = 0;
    w->pairs = 0;
    w->names = 0;
    w->transient = 0;
    w->probe = 0;
    w->collect = 0;
    w->st = st;
    w->objnode = w->rootobj = w->unstable = w->slots = w->bytes = 0;
    w->idict = NULL;
    w->vis = NULL;
    w->nvis = w->capvis = 0;
    w->vis_heap = 0;
    w->vgen = 0;
    w->refs = NULL;
    w->nrefs = w->caprefs = 0;
    w->refs_heap = 0;
    w->nopatch = 0;
    w->nchk = 0;
    w->root = (uint32_t)(c->values.len / sizeof(ctr_Value));
    w->n = 0;
    w->depth = 0;
    w->err = 0;
    w->hash = hash;
    w->h = WALK_SEED;
    w->nseen = 0;
    w->seenbits = 0;
}

/* kid_walk: w walks (hashes, or with hash 0 writes) one child as the
   shallow walk of its holder meets it (kid()'s level): its print, or its
   node alone (an Object node for an object) */
static void
kid_walk(ctv_walk *w, ct_chunk *c, int hash, ctv_stack *st)
{
    walk_init(w, c, hash, st);
    w->mode = W_SHALLOW;
    w->level = 2;
}

/* done: the root's index after a writing walk. */
static uint32_t
done(ctv_walk *w)
{
    return w->err ? CTV_NONE : w->root;
}

/* ---- the object table ----

   Every object a value reaches gets a trace-wide id, keyed by its address
   (no reference is held: the program must not see the recorder). An entry
   keeps what was last recorded of the object's content: kind, type,
   flags, length and a fingerprint per child. The first check of an object
   in a chunk writes its whole content (an Obj record); later checks write
   an ObjPut record when it changed. Two live objects never share an
   address, so never an id; an entry not checked for a chunk is dropped
   when the table would grow (its object, if alive, gets a new id). */

typedef struct ctv_obj {   /* what a replay reads first: in the first 64 bytes, one cache line */
    _Alignas(64) PyObject *o;    /* key, borrowed; NULL: a free slot */
    PyTypeObject *type;          /* its type when recorded */
    uint64_t mark;               /* content recorded under this mark (the chunk's) */
    uint64_t ver;                /* ++ver_seq at each check that walked it or wrote a record:
                                    its recorded content is what it was while ver is the same */
    uint64_t sig;                /* the shape of its recorded content, what a traversal's
                                    course follows from: how many children, whether in pairs,
                                    and which are objects (their addresses; an atom or a
                                    Redacted child is one node whatever it is) */
    uint64_t okstamp;            /* the stamp under which a replay last found it clean */
    PyObject *wdict;             /* the watched dict its content is read from (itself, or an
                                    instance's __dict__), borrowed; NULL: none */
    uint8_t kind, flags;
    uint8_t pairs;               /* its children are pairs */
    uint8_t skip;                /* its children are read from `kids` while its dict is clean:
                                    the content is an exact dict's, or an instance's read from
                                    its dict only, and every child's nodes are fixed by the child's
                                    identity (an atom, an Object node, Redacted) or, for an exact
                                    bytearray, by its bytes (`bytes`); SKIP_QUIET: moreover without
                                    bytearray kids, its dict being itself or an instance's managed
                                    dict, so that a quiet root's replay may pass it (quiet_same) */
    uint8_t shadow;              /* every child's nodes are fixed by its identity or bytes (see
                                    skip): a list, tuple, set or instance whose item, entry or
                                    attribute pointers are the kids' is unchanged (shadow_same) */
    uint8_t bytes;               /* some kids are exact bytearrays or leaves made again
                                    (KID_BYTES): their prints are made again and compared
                                    (bytes_same) */
    uint8_t dirty;               /* the dict watcher saw `wdict` change since the last check */
    uint8_t dead;                /* the dict watcher saw `wdict` die: the address gets a fresh id */
    uint64_t gen;                /* dict_gen at its last check */
    uint32_t n, cap;
    PyObject **kp;               /* its children as last recorded: n pointers (an atom's, an
                                    object's, NULL for a Redacted child), then, in the same
                                    block, the n of its cap `ctv_ekid`s (ekids); the pointers
                                    apart, at an 8-byte stride, for the shadows' comparisons */
    int64_t length;
    uint64_t alive;              /* life_seq when its kids were last all found alive (0: not) */
    uint32_t id;
    uint32_t epoch;              /* the event of its last check */
    uint32_t idmark;             /* next_id after its last walk: an object kid whose entry has an id
                                    at or past it got a fresh id since (its Object node is stale) */
    uint32_t vgen;               /* as a traversal's root: objs_gen while the slots in vis are
                                    valid (0: not; a table rebuilt 2^32 times: never valid) */
    uint64_t used;               /* the mark of its last check or sight */
    ctv_seen *vis;               /* as a traversal's root: the objects its last traversal checked,
                                    in order, each with its version and shape (replay) */
    uint32_t nvis;
    uint32_t oprint_id;
    uint64_t vmark;              /* cur_mark of that traversal */
    uint64_t oprint;             /* as a value: the fingerprint of its own nodes (one Object
                                    node: its id and type), for `oprint_id` and `oprint_type`;
                                    0: not known */
    PyTypeObject *oprint_type;
    uint64_t qseq;               /* as a traversal's root: ctv_wseq when its last replay or kept
                                    traversal began (0: none) */
    uint64_t eseq;               /* as a traversal's root: ctu_epoch then, when that replay or
                                    traversal was a solo Step's (ctv_eseq; 0: none) */
    ctv_ref *refs;               /* as a traversal's root: the Ref nodes of the traversal `vis`
                                    stands for (patch) */
    uint32_t nrefs;
    uint32_t vnodes;             /* as a traversal's root: its node count */
    uint8_t vpatch;              /* as a traversal's root: `vis` may be patched (patch): each
                                    entry's subtree is delimited and every Ref kept */
    uint8_t vroom;               /* as a traversal's root: its traversal ran out of node room */
    uint8_t leafy;               /* a shadow's without object kids (each an atom, Redacted or an
                                    exact bytearray): a replay that found it clean under the
                                    current stamp found all its traversal reaches (ctv_check) */
    uint8_t nlog;                /* the changes the dict watcher saw since `dirty` was last cleared,
                                    each a value stored under a key already there (MODIFIED):
                                    their keys and the values stored last (lkey, lval, borrowed:
                                    compared, and a value read only while the dict holds it);
                                    LOG_LOST: another change, or more than LOG_MAX keys */
    uint8_t dtells;              /* `wdict`'s watcher tells every change of its entries (not a
                                    3.13.0 dict sharing inline values): while it is not dirty,
                                    its pairs are the kids' first (same_attrs) */
    uint8_t hok;                 /* as a traversal's root: `hard` stands for `vis` as it is */
    uint8_t hfew;                /* as a traversal's root: hard_make found too few entries to pass
                                    for a list to pay: not made again while `vis` stands */
    uint8_t tabn;                /* (tab's slots: 1 << tabn, at most SET_COPY_MAX) */
    setentry *tab;               /* an exact set's or frozenset's shadow: a copy of its hash
                                    table (1 << tabn slots) whose first active entries were the kids'
                                    (set_copy); NULL: none */
    PyObject *lkey[2], *lval[2];
    uint32_t *hard;              /* as a traversal's root, while `hok`: hard[0] entries of `vis` a
                                    quiet replay checks (hard_run), from hard[2] on (room for hard[1]);
                                    it passes the others unread (hard_make) */
} ctv_obj;
_Static_assert(sizeof(ctv_obj) == 256, "an entry is four cache lines (objs[] indexed by a shift)");
#define LOG_MAX 2
#define LOG_LOST 255

/* ekids: entry e's kids but their pointers (kp): each child's fingerprint,
   and an atom child's reference (held). */
static inline ctv_ekid *
ekids(const ctv_obj *e)
{
    return (ctv_ekid *)(e->kp + e->cap);
}

static ctv_obj *objs;
static size_t objs_cap, objs_n;
static uint64_t objs_gen = 1;    /* bumped when the table is rebuilt (entries move) */
static int watch_id = -1;        /* the dict watcher of the recording; -1: none (every check walks) */
/* ctv_wseq: bumped at every change signal of a watched object (its dict
   changed or died), whenever an entry stops being watched or may no longer
   be passed by its dict (unwatch, watch_after), and when the table is
   rebuilt. A root whose last replay or traversal began under the current
   ctv_wseq is quiet: no object of its list read from a watched dict can have
   changed since, so while its type and its dict pointer are the same, its
   content is (quiet_same). */
uint64_t ctv_wseq = 1;   /* (read by derive.c: ctv_watch_seq) */
/* wlast: the object whose watched dict changed at ctv_wseq's last bump
   (dict_event), NULL when that bump had another reason (wbump); wrun: the
   first of the bumps up to ctv_wseq that were all that object's changes
   (float's `p.normalize()`: three stores into p). A root whose last replay
   began at or after wrun - 1 is quiet but for that object. A death ends
   the run (wdied): the next object at its address is another one. */
static PyObject *wlast;
static uint64_t wrun;
static int wdied;
static inline void
wbump(void)
{
    ctv_wseq++;
    wlast = NULL;
}
#define SKIP_QUIET 2   /* ctv_obj.skip */
static uint64_t life_seq = 1;   /* bumped when an entry may have lost its id: marked dead, or
                                    the table rebuilt (a sweep drops entries) */
static uint64_t dict_gen;        /* bumped when an instance's watched dict dies: the instance is
                                    dead (its address will get a fresh id) or has a new dict, and
                                    the entries whose kids name it must be walked again */
static void unwatch(ctv_obj *e);
static uint32_t next_id, cur_epoch;
static uint64_t cur_mark = 1, mark_seq1, limits_mark, ver_seq;

/* born: a bit per hash of the addresses that have had an entry since the
   table was last rebuilt (ctv_died's filter); born_interp: the recording's
   interpreter (another interpreter's deallocations do not touch the table). */
#define BORN_BITS ((size_t)1 << 19)
static uint8_t born[BORN_BITS / 8];
static PyInterpreterState *born_interp;

static inline void
obj_born(PyObject *o)
{
    size_t h = obj_hash(o, BORN_BITS - 1);
    born[h >> 3] |= (uint8_t)(1u << (h & 7));
}

/* mark_chunk: cur_mark is chunk c's (a new chunk: every object is written
   whole again). */
static inline void
mark_chunk(const ct_chunk *c)
{
    if (mark_seq1 != c->seq + 1) {
        mark_seq1 = c->seq + 1;
        cur_mark++;
    }
}

static void
obj_release(ctv_obj *e)
{
    for (uint32_t i = 0; i < e->n; i++)
        Py_XDECREF(ekids(e)[i].atom);
    free(e->kp);
    e->kp = NULL;
    e->n = e->cap = 0;
    free(e->vis);
    e->vis = NULL;
    e->nvis = 0;
    free(e->hard);
    e->hard = NULL;
    e->hok = e->hfew = 0;
    free(e->refs);
    e->refs = NULL;
    e->nrefs = 0;
    free(e->tab);
    e->tab = NULL;
    e->tabn = 0;
}

/* obj_rehash: the table anew with capacity cap; with `sweep`, without the
   entries not met in this chunk or the one before. */
static int
obj_rehash(size_t cap, int sweep)
{
    ctv_obj *t = aligned_alloc(_Alignof(ctv_obj), cap * sizeof *t);   /* (a multiple of it) */
    if (t == NULL)
        return -1;
    memset(t, 0, cap * sizeof *t);
    if (sweep)
        memset(born, 0, sizeof born);
    size_t n = 0;
    for (size_t i = 0; i < objs_cap; i++) {
        ctv_obj *e = &objs[i];
        if (e->o == NULL)
            continue;
        if (sweep && e->used + 1 < cur_mark) {   /* not met in this chunk or the one before */
            unwatch(e);
            obj_release(e);
            continue;
        }
        if (sweep)
            obj_born(e->o);
        size_t k = obj_hash(e->o, cap - 1);
        while (t[k].o != NULL)
            k = (k + 1) & (cap - 1);
        t[k] = *e;
        n++;
    }
    free(objs);
    objs = t;
    objs_cap = cap;
    objs_n = n;
    objs_gen++;
    life_seq++;
    wbump();
    return 0;
}

/* obj_get: o's entry, made (with a new id) if o has none; NULL when out of
   memory. The pointer is valid until the next obj_get. */
static ctv_obj *
obj_get(PyObject *o)
{
    if (objs_cap > 0) {
        for (size_t k = obj_hash(o, objs_cap - 1); objs[k].o != NULL; k = (k + 1) & (objs_cap - 1)) {
            if (objs[k].o != o)
                continue;
            ctv_obj *e = &objs[k];
            if (e->dead) {   /* its object died: this one is new */
                obj_release(e);
                memset(e, 0, sizeof *e);
                e->o = o;
                e->id = next_id++;
                e->used = cur_mark;
            }
            return e;
        }
    }
    if (2 * (objs_n + 1) > objs_cap) {   /* at half full: drop the stale, grow if still a quarter full */
        if (objs_cap > 0 && obj_rehash(objs_cap, 1) < 0)
            return NULL;
        if (4 * (objs_n + 1) > objs_cap && obj_rehash(objs_cap ? 2 * objs_cap : 1024, 0) < 0)
            return NULL;
    }
    size_t k = obj_hash(o, objs_cap - 1);
    while (objs[k].o != NULL)
        k = (k + 1) & (objs_cap - 1);
    ctv_obj *e = &objs[k];
    memset(e, 0, sizeof *e);
    e->o = o;
    e->id = next_id++;
    e->used = cur_mark;
    objs_n++;
    obj_born(o);
    return e;
}

/* obj_find: o's entry, or NULL (never makes one). */
static ctv_obj *
obj_find(PyObject *o)
{
    if (objs_cap == 0)
        return NULL;
    for (size_t k = obj_hash(o, objs_cap - 1); objs[k].o != NULL; k = (k + 1) & (objs_cap - 1))
        if (objs[k].o == o)
            return &objs[k];
    return NULL;
}

/* told_entry: o's live entry, for a signal about o from outside the walk
   (a death, a class set); NULL when it has none. `born` (obj_born) filters
   out the addresses that never had an entry, which are nearly all of them,
   without a look at the table. */
static inline ctv_obj *
told_entry(PyObject *o)
{
    size_t h = obj_hash(o, BORN_BITS - 1);
    if (!(born[h >> 3] & (1u << (h & 7))) || objs_cap == 0 || PyInterpreterState_Get() != born_interp)
        return NULL;
    ctv_obj *e = obj_find(o);
    return e != NULL && !e->dead ? e : NULL;
}

/* ctv_died: o is being deallocated (src/deaths.c, the kinds of `lifetime
   dealloc`): its entry, if it has one, is dead, so the next object at its
   address gets a fresh id (obj_get) and the entries whose kids name it are
   checked again (life_seq), as a watched dict's death does (dict_event). */
void
ctv_died(PyObject *o)
{
    ctv_obj *e = told_entry(o);
    if (e == NULL)
        return;
    e->dead = 1;
    life_seq++;
    wbump();
}

/* ctv_class_set: the entry keeps its id; its class is no object's, so
   every test of it fails and its next check writes it whole. */
void
ctv_class_set(PyObject *o)
{
    ctv_obj *e = told_entry(o);
    if (e == NULL)
        return;
    e->type = NULL;
    e->oprint = 0;
    wbump();   /* no root quiet: a quiet replay passes an object by its type's pointer (quiet_same) */
}

/* ctv_dict_set: (values.h) a quiet replay passes objects by dict pointer
   (hard_make, quiet_same) */
void
ctv_dict_set(PyObject *o)
{
    (void)o;
    wbump();
}

/* node_kid_print: the print kid() makes of a child that is one node of
   `kind` and type t with `a` alone (no flags, no length, b 0): node()'s
   hash of it, from kid()'s seed. */
static inline uint64_t
node_kid_print(int kind, PyTypeObject *t, int64_t a)
{
    uint64_t h = mix(WALK_SEED, (uint64_t)kind);
    h = mix(h, cti_type_print(t));
    h = mix(mix(h, (uint64_t)a), 0);
    return (h | 1) & ~KID_BYTES;
}

/* atom_kid_print: the print kid() makes of v when v is an int, float or
   bool of exactly that type (ctv_kind_a: one node of that kind, `a`
   alone), without a walk: 1; else 0. */
static inline int
atom_kid_print(PyObject *v, uint64_t *print)
{
    int kind;
    int64_t a;
    if (!ctv_kind_a(v, &kind, &a))
        return 0;
    *print = node_kid_print(kind, Py_TYPE(v), a);
    return 1;
}

/* entry_kid_print: object_kid_print of o whose entry is x (NULL: none). */
static int
entry_kid_print(ctv_obj *x, PyObject *o, uint64_t *print)
{
    if (x == NULL || x->dead || (x->mark == 0 && x->wdict == NULL))   /* (object_node would watch it first) */
        return 0;
    *print = node_kid_print(CTV_Object, Py_TYPE(o), (int64_t)x->id);
    x->used = cur_mark;   /* what object_node marks */
    return 1;
}

/* object_kid_print: the print of the Object node that child o, an object
   with an entry (not dead, and not one object_node would watch first),
   makes as a kid (kid()'s, made by object_node): its id under its type.
   What object_node does for it is done (its entry's `used`). 0: no such
   entry; *print is then left alone. */
static int
object_kid_print(PyObject *o, uint64_t *print)
{
    return entry_kid_print(obj_find(o), o, print);
}

/* same_object_kid: child o, the same object as when its print was made,
   would be the Object node that print is of: its entry has the same id
   under the same type. */
static int
same_object_kid(PyObject *o, uint64_t print)
{
    uint64_t p;
    return object_kid_print(o, &p) && p == print;
}

/* ---- the dict watcher ----

   The dicts whose content the table reads (a dict recorded as an object,
   an instance's __dict__) are watched (PyDict_Watch) while their entry
   lives: a mutation marks the entry dirty, so that a clean entry's check
   reads its children from the table instead of walking the dict; the
   dict's death marks it dead, so that the next object at that address
   gets a fresh id. `wmap` maps a watched dict to the object whose entry
   it serves (open addressing, deleted slots tombstoned). The callback runs
   at every mutation of a watched dict, in the program's thread: it only
   sets bits; it never runs Python code, allocates or fails. No watcher
   (PyDict_AddWatcher failed: the interpreter's slots are taken): every
   check walks, as without this. */

typedef struct { PyObject *d, *owner; } ctv_wslot;
static ctv_wslot *wmap;
static size_t wmap_cap, wmap_used;   /* used: live slots and tombstones */
#define WTOMB ((PyObject *)1)

static ctv_wslot *
wmap_find(PyObject *d)
{
    if (wmap_cap == 0)
        return NULL;
    for (size_t k = obj_hash(d, wmap_cap - 1); wmap[k].d != NULL; k = (k + 1) & (wmap_cap - 1))
        if (wmap[k].d == d)
            return &wmap[k];
    return NULL;
}

/* wmap_put: d serves owner's entry; -1 when it already serves another
   live entry (that one keeps it) or out of memory. */
static int
wmap_put(PyObject *d, PyObject *owner)
{
    ctv_wslot *s = wmap_find(d);
    if (s != NULL) {
        ctv_obj *other = s->owner == owner ? NULL : obj_find(s->owner);
        if (other != NULL && other->wdict == d)
            return -1;
        s->owner = owner;
        return 0;
    }
    if (2 * (wmap_used + 1) > wmap_cap) {   /* at half full: anew without the tombstones */
        size_t live = 0;
        for (size_t i = 0; i < wmap_cap; i++)
            live += wmap[i].d != NULL && wmap[i].d != WTOMB;
        size_t cap = 1024;
        while (cap < 4 * (live + 1))
            cap *= 2;
        ctv_wslot *t = calloc(cap, sizeof *t);
        if (t == NULL)
            return -1;
        for (size_t i = 0; i < wmap_cap; i++) {
            if (wmap[i].d == NULL || wmap[i].d == WTOMB)
                continue;
            size_t k = obj_hash(wmap[i].d, cap - 1);
            while (t[k].d != NULL)
                k = (k + 1) & (cap - 1);
            t[k] = wmap[i];
        }
        free(wmap);
        wmap = t;
        wmap_cap = cap;
        wmap_used = live;
    }
    size_t k = obj_hash(d, wmap_cap - 1);
    while (wmap[k].d != NULL && wmap[k].d != WTOMB)
        k = (k + 1) & (wmap_cap - 1);
    if (wmap[k].d == NULL)
        wmap_used++;
    wmap[k] = (ctv_wslot){ d, owner };
    return 0;
}

/* log_change: what one_value reads instead of the dict's entries: the
   keys whose values were replaced since the entry's last check, with the
   value each holds now (the last one stored), while nothing else changed
   (no key added or deleted, no clear, no copy into it) and at most LOG_MAX
   keys did. A key is logged as the caller passed it: an equal str that is
   not the dict's own key object names no recorded key (one_value then
   reads the entries). */
static inline void
log_change(ctv_obj *e, PyDict_WatchEvent event, PyObject *key, PyObject *value)
{
    uint8_t k = e->nlog;
    if (event != PyDict_EVENT_MODIFIED || value == NULL || k == LOG_LOST) {
        e->nlog = LOG_LOST;
        return;
    }
    for (uint8_t i = 0; i < k; i++) {
        if (e->lkey[i] == key) {
            e->lval[i] = value;
            return;
        }
    }
    if (k == LOG_MAX) {
        e->nlog = LOG_LOST;
        return;
    }
    e->lkey[k] = key;
    e->lval[k] = value;
    e->nlog = k + 1;
}

/* same_store: a MODIFIED event of split dict d stores into key the object
   it already holds. From 3.13.1 on, an attribute store into an instance's
   inline values notifies its materialised dict's watchers even when the
   value is the one already there (Objects/dictobject.c,
   store_instance_attr_lock_held; a dict's own insertdict, and 3.12's
   instance stores, notify only a different object): float's `self.x =
   self.x if ... else other.x` made 14,066 of its 46,092 events so.
   Watchers run before the store, so d still holds the old value. Only a
   split dict (its keys are all str) and an exact str key: the lookup then
   compares str with str and never runs user code; PyDict_GetItem keeps a
   pending exception as it is. */
static inline int
same_store(PyDict_WatchEvent event, PyObject *d, PyObject *key, PyObject *value)
{
#if PY_VERSION_HEX >= 0x030D0000
    return event == PyDict_EVENT_MODIFIED && value != NULL && ((PyDictObject *)d)->ma_values != NULL
        && PyUnicode_CheckExact(key) && PyDict_GetItem(d, key) == value;
#else
    (void)event;
    (void)d;
    (void)key;
    (void)value;
    return 0;
#endif
}

static int
dict_event(PyDict_WatchEvent event, PyObject *d, PyObject *key, PyObject *value)
{
    ctv_wslot *s = wmap_find(d);
    if (s == NULL)
        return 0;
    ctv_obj *e = obj_find(s->owner);
    if (e != NULL && e->wdict == d && !same_store(event, d, key, value)) {
        e->dirty = 1;
        if (s->owner != wlast || wdied)
            wrun = ctv_wseq + 1;
        ctv_wseq++;
        wlast = s->owner;
        wdied = event == PyDict_EVENT_DEALLOCATED;
        log_change(e, event, key, value);
        if (event == PyDict_EVENT_DEALLOCATED) {
            e->dead = 1;
            life_seq++;
            e->wdict = NULL;
            if (s->owner != d)   /* an instance died, or lost this dict while alive */
                dict_gen++;
        }
    }
    if (event == PyDict_EVENT_DEALLOCATED)
        *s = (ctv_wslot){ WTOMB, NULL };
    return 0;
}

/* unwatch: e's dict is no longer watched (it is alive: its death would
   have cleared wdict). */
static void
unwatch(ctv_obj *e)
{
    if (e->wdict == NULL)
        return;
    ctv_wslot *s = wmap_find(e->wdict);
    if (s != NULL && s->owner == e->o) {
        *s = (ctv_wslot){ WTOMB, NULL };
        if (watch_id >= 0 && PyDict_Unwatch(watch_id, e->wdict) < 0)
            PyErr_Clear();
    }
    e->wdict = NULL;
    e->skip = 0;
    wbump();
}

static int kids_alive(const ctv_obj *e, uint32_t k);
static void set_copy(ctv_obj *e, PyObject *o);
static inline int clean_dict(const ctv_obj *e, PyObject *o);

/* dict_offset_ok: frame.h's ctf_dict_offset was found where
   _PyObject_GetDictPtr puts a watched managed dict (checked at each watch
   and clean one until it was, then trusted; 0 until then). */
static int dict_offset_ok;

/* managed_dict_at_offset: d is o's managed dict, found at frame.h's
   ctf_dict_offset (trusted once _PyObject_GetDictPtr agreed). */
static int
managed_dict_at_offset(PyObject *o, PyObject *d)
{
    if (!(Py_TYPE(o)->tp_flags & Py_TPFLAGS_MANAGED_DICT) || ctf_dict_offset == 0)
        return 0;
    if (!dict_offset_ok) {
        PyObject **slot = _PyObject_GetDictPtr(o);
        if (slot == NULL) {
            PyErr_Clear();
            return 0;
        }
        dict_offset_ok = *slot == d && (const char *)slot - (const char *)o == ctf_dict_offset;
    }
    return dict_offset_ok && *(PyObject *const *)((const char *)o + ctf_dict_offset) == d;
}

/* watch_after: after a walk w of o's content (entry e), whether its next
   checks may read the children from the table while its dict is clean. */
static void
watch_after(ctv_obj *e, PyObject *o, const ctv_walk *w)
{
    uint64_t sig = mix(0x452821E638D01377ULL, ((uint64_t)e->n << 1) | (uint64_t)(w->pairs != 0));
    int objects = 0;
    const ctv_ekid *k = ekids(e);
    for (uint32_t i = 0; i < e->n; i++) {
        sig = mix(sig, k[i].atom != NULL ? 0 : (uint64_t)(uintptr_t)e->kp[i]);
        objects |= k[i].atom == NULL && e->kp[i] != NULL && !(k[i].print & KID_BYTES);
    }
    e->sig = sig;
    e->pairs = (uint8_t)w->pairs;
    e->shadow = (uint8_t)!w->unstable;
    e->leafy = (uint8_t)(e->shadow && !objects && !(w->bytes & BYTES_TREE));   /* (each kid one
                                                                                  node: collect) */
    if (PyAnySet_CheckExact(o))
        set_copy(e, o);
    else if (e->tab != NULL) {   /* (another object at the address) */
        free(e->tab);
        e->tab = NULL;
        e->tabn = 0;
    }
    e->bytes = (uint8_t)w->bytes;
    e->gen = dict_gen;
    e->idmark = next_id;
    PyObject *d = Py_IS_TYPE(o, &PyDict_Type) ? o : w->idict;
    int ok = watch_id >= 0 && d != NULL && Py_IS_TYPE(d, &PyDict_Type);   /* watched: changes, death */
    if (ok && e->wdict != d) {
        if (e->wdict != NULL)
            unwatch(e);
        if (wmap_put(d, o) < 0)
            ok = 0;
        else if (PyDict_Watch(watch_id, d) < 0) {
            PyErr_Clear();
            ctv_wslot *s = wmap_find(d);
            *s = (ctv_wslot){ WTOMB, NULL };
            ok = 0;
        } else
            e->wdict = d;
    }
    int tells = 1;
#if PY_VERSION_HEX >= 0x030D0000 && PY_VERSION_HEX < 0x030E0000
    /* 3.13.0: a dict made for an instance shares the instance's inline
       values, and an attribute store into them does not notify the dict's
       watchers (CPython gh-125608, fixed for 3.13.1 by gh-125982, and in
       3.14 by gh-125611): under a 3.13.0 interpreter such a dict is watched
       for its death only. Py_Version is the running interpreter's (an
       extension built with 3.13.0's headers may run on a later 3.13). */
    if (Py_Version < 0x030D01F0)
        tells = d != NULL && ((PyDictObject *)d)->ma_values == NULL;
#endif
    e->dtells = (uint8_t)(ok && e->wdict == d && tells);
    int clean_means_unchanged = !w->unstable && !w->slots && tells;
    uint8_t skip = (uint8_t)(ok && e->wdict == d && clean_means_unchanged);
    PyObject *q = skip && !e->bytes && (d == o || managed_dict_at_offset(o, d)) ? d : NULL;
    skip = skip && q != NULL ? SKIP_QUIET : skip;
    if (skip < e->skip)   /* (a quiet replay passes only the entries its list took as SKIP_QUIET:
                             one that now qualifies is in no list as such yet) */
        wbump();
    e->skip = skip;
}

/* watch_first: o's entry, named by an Object node before its first check
   (beyond the traversal's room, say), watches its dict for its death. */
static void
watch_first(PyObject *o)
{
    if (watch_id < 0)
        return;
    civ iv;
    PyObject *d = Py_IS_TYPE(o, &PyDict_Type) ? Py_NewRef(o)
        : PyExceptionInstance_Check(o) || inline_pairs(&iv, o) ? NULL : instance_dict(o);   /* (no
                                                                         dict made to watch) */
    ctv_obj *e = obj_find(o);   /* instance_dict may have allocated: find it anew */
    if (d != NULL && Py_IS_TYPE(d, &PyDict_Type) && e != NULL && e->wdict == NULL && !e->dead
            && wmap_put(d, o) == 0) {
        if (PyDict_Watch(watch_id, d) < 0) {
            PyErr_Clear();
            *wmap_find(d) = (ctv_wslot){ WTOMB, NULL };
        } else
            e->wdict = d;
    }
    Py_XDECREF(d);
}

static void
watch_stop(void)
{
    if (watch_id >= 0 && PyDict_ClearWatcher(watch_id) < 0)
        PyErr_Clear();
    watch_id = -1;
    free(wmap);
    wmap = NULL;
    wmap_cap = wmap_used = 0;
}

static int watched;   /* the recording had a watcher */

static void
watch_start(void)
{
    watch_stop();
    watch_id = PyDict_AddWatcher(dict_event);
    if (watch_id < 0)
        PyErr_Clear();
    watched = watch_id >= 0;
}

int
ctv_dict_watcher(void)
{
    return watched;
}

/* object_node: an Object node naming o's id (a shallow walk). */
static int
object_node(ctv_walk *w, PyObject *o)
{
    if (w->probe) {   /* (leaf_same: not the leaf it was; the table left alone) */
        w->err = 1;
        return -1;
    }
    ctv_obj *e = obj_get(o);
    if (e == NULL) {
        w->err = 1;
        return -1;
    }
    e->used = cur_mark;
    if (w->level == 2)
        w->objnode = 1;
    else if (w->level == 1)
        w->rootobj = 1;
    uint32_t id = e->id;
    if (e->mark == 0 && e->wdict == NULL)   /* named before its first check: learn of its death */
        watch_first(o);
    return node(w, o, CTV_Object, 0, id, 0, 0) == CTV_NONE ? -1 : 0;
}

/* The children of the object being checked, and a copy of what was last
   recorded of them: per thread, because a walk may allocate, the
   allocation run the garbage collector, a finalizer Python code, and the
   interpreter let another thread record meanwhile (checks, below, tells):
   ctv_stack's scratch and oldkids. */
static uint64_t checks;          /* obj_check calls so far, of all threads */

/* push_kids: collect the first k kids of entry `e` (its children as last
   recorded): an atom as COLL_ATOM, an object with a reference. */
static int
push_kids(ctv_stack *s, const ctv_obj *e, uint32_t k)
{
    while (s->len + k > s->cap) {
        if (coll_grow(s) < 0)
            return -1;
    }
    PyObject **p = s->p + s->len;
    for (uint32_t i = 0; i < k; i++)
        p[i] = ekids(e)[i].atom != NULL ? COLL_ATOM : Py_XNewRef(e->kp[i]);
    s->len += k;
    return 0;
}

/* collect: the first k kids of clean entry `e` for the traversal (got):
   pushed (push_kids), or, when none is an object (leafy), only counted. */
static inline int
collect(ctv_stack *s, const ctv_obj *e, uint32_t k, ctv_coll *got)
{
    uint32_t base = s->len;
    if (!e->leafy && push_kids(s, e, k) < 0)
        return -1;
    *got = (ctv_coll){ base, k, e->pairs, e->leafy };
    return 0;
}

static int obj_check_once(ct_chunk *c, ctv_stack *st, PyObject *o, ctv_coll *got);

/* kids_alive: each of e's first k kids that is an object still has the
   id its Object node names: no death marked its entry, and no death (an
   instance's, or its dict's) gave the address a fresh id since e's walk
   (idmark). Known without a look when no entry lost its id since they
   were last all found alive. A kid whose node is made again at each check
   (KID_BYTES: an exact bytearray, a function, a class, an int subclass...)
   names no id, and has no entry to look at: bytes_same checks it.
   kids_alive_in: that look at e's kids i to j - 1, always made. */
static int
kids_alive_in(const ctv_obj *e, uint32_t i, uint32_t j)
{
    for (; i < j; i++) {
        if (ekids(e)[i].atom == NULL && !(ekids(e)[i].print & KID_BYTES)) {
            const ctv_obj *x = obj_find(e->kp[i]);
            if (x == NULL || x->dead || x->id >= e->idmark)
                return 0;
        }
    }
    return 1;
}

static int
kids_alive(const ctv_obj *e, uint32_t k)
{
    if (e->alive == life_seq && k <= e->n)
        return 1;
    if (!kids_alive_in(e, 0, k))
        return 0;
    if (k == e->n)
        ((ctv_obj *)e)->alive = life_seq;   /* an entry of the table: only the signature is const */
    return 1;
}

/* same_set_kids: set or frozenset o's first k active entries, in table
   order (the order of the built-in iterator the walk used), are the
   objects e's kids were made of, each still with its id. The table is
   read as cpython/setobject.h lays it out: a slot's key is NULL when
   unused, and a dummy (a deleted entry) has hash -1, which no active
   entry has (hash() never gives -1). */
static int
same_set_kids(const ctv_obj *e, PyObject *o, uint32_t k)
{
    const PySetObject *so = (const PySetObject *)o;
    const setentry *t = so->table;
    uint32_t j = 0;
    for (Py_ssize_t i = 0; i <= so->mask && j < k; i++) {
        if (t[i].key == NULL || t[i].hash == -1)
            continue;
        if (t[i].key != e->kp[j])
            return 0;
        j++;
    }
    return j == k && kids_alive(e, k);
}

/* Where same_attrs is in e's kids: the next pair j, the pairs compared
   (stored) and counted (total), and whether all were the same. */
typedef struct { uint32_t j; int same; Py_ssize_t stored, total; } ctv_apos;

/* members_by_value: same_attrs's comparison of o's members with e's kids
   from p on, for a type with a member that is not an object slot: an
   object slot by pointer, a number, a flag or a text by value
   (member_same). Out of line, and its position passed and returned by
   value: most members compared are object slots, whose loop stays tight. */
static ctv_apos __attribute__((noinline))
members_by_value(const ctv_obj *e, PyObject *o, const ctv_members *ms, ctv_apos p)
{
    for (uint32_t i = 0; i < ms->n && p.same; i++) {
        const PyMemberDef *m = ms->mem[i].m;
        PyObject *v = NULL;
        if (member_direct(m)) {
            v = *(PyObject **)((char *)o + m->offset);
            if (v == NULL && m->type == _Py_T_OBJECT)
                v = Py_None;
            if (v == NULL)
                continue;
        } else {
            int kind = member_value(m);
            if (kind == 0 || (kind == 2 && p.stored >= lim.max_items)) {   /* (a text past the
                                                                              items may be unset) */
                p.same = 0;
                break;
            }
        }
        p.total++;
        if (p.stored < lim.max_items) {
            p.same = p.j + 1 < e->n && e->kp[p.j] == ms->mem[i].name
                && (v != NULL ? e->kp[p.j + 1] == v : member_same(o, m, ekids(e)[p.j + 1].atom));
            p.j += 2;
            p.stored++;
        }
    }
    return p;
}

/* same_attrs: o, an instance (not an exception), has the
   (name, value) pairs e's kids were made of, as attrs() reads them, each
   object still with its id: its inline values read in place when no dict
   was made of them (civ_same; no signal tells their changes: every check
   compares them), or the entries of its __dict__ in the dict's
   order (PyDict_Next, which reads the values an instance shares with its
   dict in place; none read while the watcher, told of every change, saw
   none since: dtells), then its members: an object slot's pointer
   (member_direct), a number's, a flag's or a text's value (member_same);
   the dict the same one e's dict watcher holds (a __dict__ replaced, or
   one not watched, is walked), or a C type's dict slot still empty.
   Pointers and member bytes compared, nothing made, no code run. Used
   where the watcher cannot vouch for the whole content: an instance with
   members, under 3.13.0 one whose stores into its inline values do not
   tell the watcher (watch_after), or once a death elsewhere made every
   dict look changed (dict_gen); a dict the watcher saw change is walked. */
static int
same_attrs(const ctv_obj *e, PyObject *o, Py_ssize_t *len)
{
    PyTypeObject *t = Py_TYPE(o);
    if (e->kind != CTV_Instance || !e->pairs || PyExceptionInstance_Check(o))
        return 0;
    uint32_t j = 0;
    Py_ssize_t total = 0, stored = 0;
    int same = 1;
    int r;
    if (!(t->tp_flags & Py_TPFLAGS_MANAGED_DICT) && t->tp_dictoffset == 0) {
        /* no dict, no inline values (civ_layout's test): members alone (a __slots__ class) */
    } else if (e->wdict == NULL && (r = civ_same(o, e->kp, lim.max_items, e->n / 2, &total)) >= 0) {
        /* no dict made: its inline values, by pointer, in place (as attrs() read them) */
        if (!r)
            return 0;
        stored = total < lim.max_items ? total : lim.max_items;
        j = (uint32_t)(2 * stored);
        if (t->tp_basicsize == (Py_ssize_t)sizeof(PyObject))   /* no room for a member: none to
                                                                  compare (members_of's list
                                                                  would be empty) */
            goto compared;
    } else if (t->tp_dictoffset != 0 || (t->tp_flags & Py_TPFLAGS_MANAGED_DICT)) {
        if (e->wdict == NULL) {
            if ((t->tp_flags & Py_TPFLAGS_MANAGED_DICT) || t->tp_dictoffset < 0
                    || *(PyObject *const *)((const char *)o + t->tp_dictoffset) != NULL)
                return 0;   /* not watched (nor made yet) */
            /* else a C type's dict slot, still empty (instance_dict reads it there): no pairs */
        } else {
            if ((e->skip && e->dirty) || !clean_dict(e, o))   /* changed; replaced */
                return 0;
            PyObject *d = e->wdict;   /* o's dict (clean_dict), borrowed: o holds it */
            total = PyDict_GET_SIZE(d);
            if (e->dtells && !e->dirty) {   /* no change since its pairs were recorded (the
                                               first max_items, attrs()) */
                stored = total < lim.max_items ? total : lim.max_items;
                j = (uint32_t)(2 * stored);
                if (j > e->n)
                    return 0;
            } else {
                Py_ssize_t pos = 0;
                PyObject *k, *v;
                int same = 1;
                while (same && stored < lim.max_items && PyDict_Next(d, &pos, &k, &v)) {
                    same = j + 1 < e->n && e->kp[j] == k && e->kp[j + 1] == v;
                    j += 2;
                    stored++;
                }
                if (!same)
                    return 0;
            }
        }
    }
    int cached;
    ctv_members *ms = members_of(t, &cached);
    if (ms == NULL)
        return members_lost();
    ctv_apos p0 = { j, 1, stored, total };   /* (before the members) */
    int byvalue = 0;
    uint32_t i = 0;
    if (ms->direct && j + 2 * ms->n <= e->n && stored + ms->n <= lim.max_items) {
        /* object slots alone, each with room among the kids and under max_items: the
           loop below without its tests (the same pairs) */
        for (const ctv_member *mm = ms->mem, *end = mm + ms->n; mm < end; mm++) {
            PyObject *v = *(PyObject **)((char *)o + mm->m->offset);
            if (v == NULL) {
                if (mm->m->type != _Py_T_OBJECT)
                    continue;
                v = Py_None;
            }
            if (e->kp[j] != mm->name || e->kp[j + 1] != v) {
                same = 0;
                break;
            }
            j += 2;
            total++;
            stored++;
        }
        i = ms->n;
    }
    for (; i < ms->n && same; i++) {
        const PyMemberDef *m = ms->mem[i].m;
        if (!member_direct(m)) {   /* a value made anew at each read: compared by value */
            byvalue = 1;
            break;
        }
        PyObject *v = *(PyObject **)((char *)o + m->offset);
        if (v == NULL && m->type == _Py_T_OBJECT)
            v = Py_None;
        if (v == NULL)
            continue;
        total++;
        if (stored < lim.max_items) {
            same = j + 1 < e->n && e->kp[j] == ms->mem[i].name && e->kp[j + 1] == v;
            j += 2;
            stored++;
        }
    }
    if (byvalue) {
        ctv_apos p = members_by_value(e, o, ms, p0);
        same = p.same;
        j = p.j;
        total = p.total;
    }
    members_done(ms, cached);
compared:
    *len = total;
    if (!same || j != e->n || total != e->length || (e->alive != life_seq && !kids_alive(e, j)))
        return 0;
    if (e->skip)   /* its dict clean and its children standing: skip_clean holds again */
        ((ctv_obj *)e)->gen = dict_gen;
    return 1;
}

/* leaf_same: o, a child whose node was one leaf of its own (kid(): a
   function, a class, a str subclass...), still makes that node: its print
   made again as kid() made it, in a walk that only hashes, where meeting
   an object (o is now a container, or an instance: its Object node would
   name an entry) fails instead of touching the table. A function's name
   comes from the names cache (name_entry), so this costs a lookup, not
   the walk of its holder that its holder's check needed before. */
static ct_chunk leaf_chunk;   /* (walk_init's; a hashing walk writes nothing) */

static int
leaf_same(PyObject *o, uint64_t print)
{
    ctv_walk w;
    walk_init(&w, &leaf_chunk, 1, NULL);
    w.mode = W_SHALLOW;
    w.level = 2;
    w.probe = 1;
    uint32_t n0 = w.n, want = fixed_nodes(o);
    if (want == 0 || ctv_dispatch(&w, o) < 0 || w.err || w.n != n0 + want) {
        PyErr_Clear();
        return 0;
    }
    return (w.h | 1 | KID_BYTES) == print;
}

/* bytes_same: each of e's kids that was an exact bytearray or a leaf of
   its own (KID_BYTES) still makes the same print: its node is the one last
   recorded.
   The kids are in place (the caller compared their pointers, or e's dict
   is clean and holds them). */
static int
bytes_same(const ctv_obj *e)
{
    const ctv_ekid *k = ekids(e);
    for (uint32_t i = 0; i < e->n; i++) {
        if (!(k[i].print & KID_BYTES))
            continue;
        PyObject *p = e->kp[i];
        if (p == NULL)
            return 0;
        if (PyByteArray_CheckExact(p) ? bytes_print(p) != k[i].print : !leaf_same(p, k[i].print))
            return 0;
    }
    return 1;
}

/* SET_COPY_MAX: the largest table (in slots) of a set or frozenset whose
   copy is kept as its shadow (set_copy: up to 4 KB, as much as the set's
   own table; go's sets of points, of a few hundred slots, were scanned
   slot by slot at every check). */
#define SET_COPY_MAX 256
#define TAB_SLOTS(e) ((size_t)1 << (e)->tabn)   /* (while e->tab is not NULL) */

/* set_copy: e's kids were just recorded from set or frozenset o (its
   entry's check, watch_after): a copy of o's hash table is kept when its
   first e->n active entries (in table order) are the kids' pointers, with
   no fewer; else none. While o's table is byte for byte that copy (the
   same key pointers, dummies and hashes in the same slots), its active
   entries are the same objects in the same order: one memcmp instead of a
   scan of every slot (shadow_other). */
static void
set_copy(ctv_obj *e, PyObject *o)
{
    const PySetObject *so = (const PySetObject *)o;
    size_t slots = (size_t)so->mask + 1;
    uint32_t j = 0;
    if (e->shadow && slots <= SET_COPY_MAX) {
        const setentry *t = so->table;
        for (size_t i = 0; i < slots && j < e->n; i++) {
            if (t[i].key == NULL || t[i].hash == -1)
                continue;
            if (t[i].key != e->kp[j])
                break;
            j++;
        }
    }
    if (!e->shadow || slots > SET_COPY_MAX || j != e->n) {
        free(e->tab);
        e->tab = NULL;
        e->tabn = 0;
        return;
    }
    if (e->tab == NULL || TAB_SLOTS(e) != slots) {
        setentry *t = realloc(e->tab, slots * sizeof *t);
        if (t == NULL) {   /* (no copy: the scan) */
            free(e->tab);
            e->tab = NULL;
            e->tabn = 0;
            return;
        }
        e->tab = t;
        e->tabn = (uint8_t)__builtin_ctzll(slots);   /* (a set's table has a power of 2 slots) */
    }
    memcpy(e->tab, so->table, slots * sizeof *e->tab);
}

/* shadow_other: shadow_same of a set, a frozenset or an instance (below). */
static int
shadow_other(const ctv_obj *e, PyObject *o, Py_ssize_t *len)
{
    int same;
    if (e->kind == CTV_Instance) {
        same = same_attrs(e, o, len);
    } else {
        if (!PyAnySet_CheckExact(o))
            return 0;
        const PySetObject *so = (const PySetObject *)o;
        *len = so->used;
        uint32_t k = (uint32_t)(*len < lim.max_items ? *len : lim.max_items);
        if (k != e->n)
            return 0;
        if (e->tab != NULL && (size_t)so->mask + 1 == TAB_SLOTS(e)
                && memcmp(so->table, e->tab, TAB_SLOTS(e) * sizeof *e->tab) == 0)
            same = kids_alive(e, k);   /* (the table as copied: the kids' entries) */
        else if ((same = same_set_kids(e, o, k)) && e->tab != NULL && (size_t)so->mask + 1 == TAB_SLOTS(e))
            memcpy(((ctv_obj *)e)->tab, so->table, TAB_SLOTS(e) * sizeof *e->tab);   /* (an entry of the
                                                                                  table: only the
                                                                                  signature is const) */
    }
    return same && (!e->bytes || bytes_same(e));
}

/* seq_items: o is a list or a tuple, or an instance of a subclass of one
   (a namedtuple, a struct sequence, pygments' token types): *items its
   item array (NULL for an empty list), the storage its encoder reads
   (ctv_enc_list, ctv_enc_tuple: the items are its whole content, its
   attributes are not recorded). */
static inline int
seq_items(PyObject *o, PyObject *const **items)
{
    PyTypeObject *t = Py_TYPE(o);
    if (t == &PyList_Type)
        *items = ((PyListObject *)o)->ob_item;
    else if (t == &PyTuple_Type)
        *items = ((PyTupleObject *)o)->ob_item;
    else if (PyType_FastSubclass(t, Py_TPFLAGS_TUPLE_SUBCLASS))
        *items = ((PyTupleObject *)o)->ob_item;
    else if (PyType_FastSubclass(t, Py_TPFLAGS_LIST_SUBCLASS))
        *items = ((PyListObject *)o)->ob_item;
    else
        return 0;
    return 1;
}

/* same_ptrs: the k pointers at a and b are the same (out of line: the
   loops shadow_same is inlined into keep their registers) */
static __attribute__((noinline)) int
same_ptrs(PyObject *const *a, PyObject *const *b, uint32_t k)
{
    return memcmp(a, b, k * sizeof *a) == 0;
}

/* shadow_same: e (o's entry, checked in this chunk, o's type) is a
   shadow's (every child's nodes fixed by its identity, or a bytearray's by
   its bytes) and o is a list or tuple whose first max_items item
   pointers, or a set or frozenset whose first max_items entries, are the
   kids', or an instance whose attributes are (same_attrs); its bytearray
   kids' bytes unchanged (bytes_same). *len: o's length then. A list's or
   a tuple's test is inline (the most frequent: roots of lists): one loop
   over the item pointers, the kids' ids known to stand without a look
   while no entry lost its id (kids_alive). */
static inline __attribute__((always_inline)) int
shadow_same(const ctv_obj *e, PyObject *o, Py_ssize_t *len)
{
    if (!e->shadow)
        return 0;
    PyObject *const *items;
    if (!seq_items(o, &items))
        return shadow_other(e, o, len);
    Py_ssize_t n = Py_SIZE(o);
    *len = n;
    uint32_t k = (uint32_t)(n < lim.max_items ? n : lim.max_items);
    if (k != e->n)
        return 0;
    PyObject *const *kp = e->kp;
    if (k > 16) {   /* (a long list: the C library's compare, many pointers a turn; go's board) */
        if (!same_ptrs(items, kp, k))
            return 0;
    } else {
        for (PyObject *const *p = items, *const *end = items + k; p < end; p++, kp++) {
            if (*p != *kp)
                return 0;
        }
    }
    return (e->alive == life_seq || kids_alive(e, k)) && (!e->bytes || bytes_same(e));
}

/* clean_dict: entry e (skippable, clean) still reads o's content from its
   watched dict: o is that dict, or an instance whose __dict__ it still is
   (not replaced by another). The dict slot's pointer is compared, no
   reference taken: _PyObject_GetDictPtr (cpython/object.h, 3.12 to 3.15)
   computes the slot's address, making a managed dict only where
   instance_dict's PyObject_GenericGetDict would, and e->wdict is a dict
   already made. */
static inline int
clean_dict(const ctv_obj *e, PyObject *o)
{
    if (e->wdict == o)
        return 1;
    PyTypeObject *t = Py_TYPE(o);
    if ((t->tp_flags & Py_TPFLAGS_MANAGED_DICT) && ctf_dict_offset != 0 && dict_offset_ok)   /* (frame.h) */
        return *(PyObject *const *)((const char *)o + ctf_dict_offset) == e->wdict;
    if (t->tp_dictoffset == 0 && !(t->tp_flags & Py_TPFLAGS_MANAGED_DICT))
        return 0;
    PyObject **slot = _PyObject_GetDictPtr(o);
    if (slot == NULL) {
        PyErr_Clear();
        return 0;
    }
    if ((t->tp_flags & Py_TPFLAGS_MANAGED_DICT) && ctf_dict_offset != 0 && *slot == e->wdict)
        dict_offset_ok = (const char *)slot - (const char *)o == ctf_dict_offset ? 1 : 0;
    return *slot == e->wdict;
}

/* skip_clean: e (o's entry, checked in this chunk, o's type) is skippable
   and its watched dict is clean (and its bytearray kids' bytes unchanged):
   o's content is as last recorded. */
static inline int
skip_clean(const ctv_obj *e, PyObject *o)
{
    return e->skip && !e->dirty && e->gen == dict_gen && clean_dict(e, o) && (!e->bytes || bytes_same(e));
}

/* inline_same: e (as above) is an instance's read in place (no watched
   dict, no bytearray kid) whose class has no member, and its inline
   values hold the pairs last recorded (civ_equal): same_attrs's test
   without its other paths, in the replay's loop: most checks of an
   object-heavy program are these, and no change signal spares them.
   -1: not such an instance or entry (shadow_same decides). */
static inline int
inline_same(const ctv_obj *e, PyObject *o)
{
    if (!civ_on || e->kind != CTV_Instance || e->wdict != NULL || !e->shadow || !e->pairs || e->skip
            || e->bytes)
        return -1;
    PyTypeObject *t = Py_TYPE(o);
    if (t->tp_basicsize != (Py_ssize_t)sizeof(PyObject) || PyType_FastSubclass(t, Py_TPFLAGS_BASE_EXC_SUBCLASS))
        return -1;
    int r = civ_equal(o, e->kp, lim.max_items, e->n, e->length);
    return r <= 0 ? r : e->alive == life_seq || kids_alive(e, e->n);
}

/* shadow_clean: e (as above) is a list's, a tuple's, a set's, a
   frozenset's or an instance's whose length and first max_items items are
   the ones last recorded. */
static inline __attribute__((always_inline)) int
shadow_clean(const ctv_obj *e, PyObject *o)
{
    int r = inline_same(e, o);
    if (r >= 0)
        return r;
    Py_ssize_t len;
    return shadow_same(e, o, &len) && len == e->length;
}

/* The stamp of a stretch of an event in which nothing but the recorder
   ran: new at each event (ctv_epoch) and after a chunk is handed over (the
   only place an event lets other threads run: ctw_wait releases the GIL,
   and the chunk's seq moves). An object a replay found clean under the
   current stamp is still clean: nothing ran that could change it (CPython
   3.12 and later collect garbage only between bytecodes), and a check of
   it since wrote what it holds. Roots of one event share most of their
   objects (deltablue: half of a replay's objects were found clean by an
   earlier root's replay in the same event). */
static uint64_t stamp, stamp_cseq;
static uint32_t stamp_epoch;

static inline uint64_t
fresh_stamp(const ct_chunk *c)
{
    if (stamp_epoch != cur_epoch || stamp_cseq != c->seq) {
        stamp++;
        stamp_epoch = cur_epoch;
        stamp_cseq = c->seq;
    }
    return stamp;
}

/* vis_drop: the traversal w is not kept. */
static void
vis_drop(ctv_walk *w)
{
    if (w->vis_heap)
        free(w->vis);
    w->vis = NULL;
    w->vis_heap = 0;
    if (w->refs_heap)
        free(w->refs);
    w->refs = NULL;
    w->refs_heap = 0;
    w->nrefs = w->caprefs = 0;
}

/* vis_grow: room for more objects in a traversal's list; on failure the
   list is dropped (the traversal is not kept), never an error. */
static int
vis_grow(ctv_walk *w)
{
    uint32_t cap = w->capvis ? 2 * w->capvis : 64;
    ctv_seen *v = w->vis_heap ? realloc(w->vis, cap * sizeof *v) : malloc(cap * sizeof *v);
    if (v == NULL) {
        vis_drop(w);
        return -1;
    }
    if (!w->vis_heap)
        memcpy(v, w->vis, w->nvis * sizeof *v);
    w->vis = v;
    w->vis_heap = 1;
    w->capvis = cap;
    return 0;
}

/* seen_again: v, o's in a replay's list, after o was found clean or
   checked again with the same shape (its sig and slot stand): its version,
   and what a quiet replay passes it by (its type and watched dict) when
   its entry qualifies. */
static uint64_t hard_flips;   /* seen_again changed whether quiet_same may pass an entry (a
                                list's `hard`, or its `hfew`, stands no longer: hard_make) */

static inline void
seen_again(ctv_seen *v, const ctv_obj *e)
{
    v->ver = e->ver;
    int q = e->skip == SKIP_QUIET && e->wdict != NULL;
    hard_flips += !q != (v->type == NULL);
    v->type = q ? e->type : NULL;
    v->wdict = q ? e->wdict : NULL;
}

/* seen: what a traversal's list keeps of o, just checked (entry e). */
static inline ctv_seen
seen(PyObject *o, const ctv_obj *e)
{
    ctv_seen v = { .o = o, .sig = e->sig, .slot = (size_t)(e - objs), .size = 1, .nodes = 1 };   /* (vis_at: where) */
    seen_again(&v, e);
    return v;
}

/* quiet_same: in a replay of a quiet root, v's object still holds what was
   recorded: it is read from a watched dict that has not changed since
   (no ctv_wseq), has its type, and that dict is still its own. */
static inline int
quiet_same(const ctv_seen *v)
{
    PyObject *x = v->o;
    if (Py_TYPE(x) != v->type)   /* (NULL: not to be passed so; no object's type is NULL) */
        return 0;
    return v->wdict == x || *(PyObject *const *)((const char *)x + CTF_MANAGED_DICT_OFFSET) == v->wdict;
}

/* seen_bits: the seen_bit of each of the entries v[0:n] that became seen
   containers (a filter before in_seen). */
static uint64_t
seen_bits(const ctv_seen *v, uint32_t n)
{
    uint64_t bits = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (v[i].inseen)
            bits |= seen_bit(v[i].o);
    }
    return bits;
}

/* in_seen: o is among the entries v[0:n] that became seen containers. */
static int
in_seen(const ctv_seen *v, uint32_t n, PyObject *o)
{
    for (uint32_t i = 0; i < n; i++) {
        if (v[i].o == o && v[i].inseen)
            return 1;
    }
    return 0;
}

/* splice: walk tw just traversed anew what entries [s, e) of root r's list
   stood for (with its Refs [ks, ke)), from the state the traversal had at
   entry s: its node count n0 (the old span had `oldnodes` nodes from
   there) and the `kbefore` containers seen before it (tw's seen list began
   with them). Its entries and Refs replace the old span's when the rest of
   the list does not depend on the span:
   - no later entry is a container the new span reached first (it would be
     a Ref now);
   - no later Ref names a container only the old span reached (the later
     place would be its first reach now);
   - the seen containers: while they never fill (fewer than SEEN_MAX with
     the new span), each first reach of a container not Elided becomes one;
     once they fill, which later containers became seen follows from how
     many came before them, so the new span must have made as many as the
     old one;
   - the node room: while it never runs out (fewer than max_nodes nodes
     with the new span), every child is visited; in a traversal that ran
     out of it (r->vroom), only when the span's node count is the same: the
     room is tested only before a child (descend), so what follows visits
     the same nodes and is cut at the same place (nothing follows a span
     cut by it).
   A span that ends the traversal (no node after it, so no entry or Ref:
   an item appended to the root list, the root's last attribute rebound)
   is spliced whatever its node count and seen containers: nothing
   follows from them, and the new span was walked with the room tested
   before each child, as the traversal does; the traversal ran out of
   room when the new total reaches it. In a traversal that ran out of
   room, only a span of the root's own children (`top`) can end it: below
   the root, what an ancestor holds after the span may have been cut, and
   a smaller span would bring it back.
   Objects first reached after the span keep their entries: their parents
   lie outside it. 1: spliced; 0: refused, the list as it was. */
static int
splice(ctv_obj *r, const ctv_walk *tw, uint32_t s, uint32_t e, uint32_t ks, uint32_t ke,
       uint32_t n0, uint32_t oldnodes, uint32_t kbefore, uint32_t hold, uint32_t hold_end, int top)
{
    ctv_seen *vis = r->vis;
    ctv_ref *refs = r->refs;
    uint32_t n = r->nvis, nrefs = r->nrefs, m = tw->nvis, vnodes = r->vnodes;
    uint32_t newnodes = tw->n - n0, total = vnodes - oldnodes + newnodes;
    int last = n0 + oldnodes == vnodes && (top || !r->vroom);   /* the span ends the traversal */
    if (!last && (r->vroom ? newnodes != oldnodes : total >= (uint32_t)lim.max_nodes))
        return 0;
    uint64_t fnew = seen_bits(tw->vis, m), fold = seen_bits(vis + s, e - s);
    uint32_t nseen = (uint32_t)tw->nseen, knew = nseen - kbefore, kold = 0;
    if (!last && (fnew | fold)) {   /* (else neither span made a seen container, or nothing follows) */
        for (uint32_t j = s; j < e; j++)
            kold += vis[j].inseen;
        for (uint32_t j = e; j < n; j++) {   /* later entries: none reached first by the new span */
            nseen += vis[j].inseen;
            if ((fnew & seen_bit(vis[j].o)) && in_seen(tw->vis, m, vis[j].o))
                return 0;
        }
        if (nseen >= SEEN_MAX && knew != kold)
            return 0;
    }
    for (uint32_t k = ke; fold != 0 && k < nrefs; k++) {
        /* a later Ref: to a container seen before, later, or in both spans */
        uint64_t bit = seen_bit(refs[k].o);
        if ((fold & bit) && in_seen(vis + s, e - s, refs[k].o) && !((fnew & bit) && in_seen(tw->vis, m, refs[k].o)))
            return 0;
    }
    /* splice: entries [s, e) become the m new ones (in place), Refs likewise */
    uint32_t nn = n - (e - s) + m, nr = nrefs - (ke - ks) + tw->nrefs;
    if (nn > n) {
        ctv_seen *v = realloc(vis, (size_t)nn * sizeof *v);
        if (v == NULL)
            return 0;
        r->vis = vis = v;
    }
    if (nr > nrefs) {
        ctv_ref *f = realloc(refs, (size_t)nr * sizeof *f);
        if (f == NULL)
            return 0;
        r->refs = refs = f;
    }
    int64_t dn = (int64_t)newnodes - (int64_t)oldnodes, de = (int64_t)m - (int64_t)(e - s);
    if (e != s + m && e < n)
        memmove(vis + s + m, vis + e, (size_t)(n - e) * sizeof *vis);
    if (m > 0)
        memcpy(vis + s, tw->vis, (size_t)m * sizeof *vis);
    for (uint32_t j = 0; j <= hold; j++) {   /* the subtrees that hold the span: entry hold's and its ancestors' */
        if (j + vis[j].size >= hold_end) {
            vis[j].size = (uint32_t)((int64_t)vis[j].size + de);
            vis[j].nodes = (uint32_t)((int64_t)vis[j].nodes + dn);
        }
    }
    for (uint32_t j = s + m; dn != 0 && j < nn; j++)
        vis[j].n0 = (uint32_t)((int64_t)vis[j].n0 + dn);
    /* the Refs: those before the span stay, the old span's go, the new
       span's come (their places after entry s), the later ones move by de */
    if (ke != ks + tw->nrefs && ke < nrefs)
        memmove(refs + ks + tw->nrefs, refs + ke, (size_t)(nrefs - ke) * sizeof *refs);
    for (uint32_t t = 0; t < tw->nrefs; t++) {
        refs[ks + t] = tw->refs[t];
        refs[ks + t].pos += s;
    }
    for (uint32_t t = ks + tw->nrefs; t < nr; t++) {
        refs[t].pos = (uint32_t)((int64_t)refs[t].pos + de);
        refs[t].n0 = (uint32_t)((int64_t)refs[t].n0 + dn);
    }
    r->nvis = nn;
    r->nrefs = nr;
    r->vnodes = total;
    r->vroom = total >= (uint32_t)lim.max_nodes;   /* (changes only for a span that ends the traversal) */
    if (r->vgen != tw->vgen)   /* the new entries' slots are of another table */
        r->vgen = 0;
    return 1;
}

/* patch_walk: a traversal tw from the state root r's traversal had at
   entry s of its list: at `depth`, with node count n0, and the containers
   that became seen before entry s. */
static void
patch_walk(ctv_walk *tw, ct_chunk *c, ctv_stack *st, const ctv_obj *r, uint32_t s, uint32_t depth, uint32_t n0,
           ctv_seen *buf, uint32_t nbuf, ctv_ref *rbuf, uint32_t nrbuf)
{
    walk_init(tw, c, 1, st);
    tw->mode = W_TRAVERSE;
    tw->vis = buf;
    tw->capvis = nbuf;
    tw->refs = rbuf;
    tw->caprefs = nrbuf;
    tw->vgen = objs_gen;
    tw->depth = (int)depth;
    tw->n = n0;
    const ctv_seen *vis = r->vis;
    for (uint32_t j = 0; j < s; j++) {   /* the containers seen before entry s */
        if (vis[j].inseen && tw->nseen < SEEN_MAX) {
            tw->seenbits |= seen_bit(vis[j].o);
            tw->seen[tw->nseen++] = vis[j].o;   /* (seen_at: a traversal writes no Ref node) */
        }
    }
}

/* patch: entry i of root o's replay list was just checked and found with
   children of another shape (an attribute rebound to another object, an
   item appended): instead of the whole traversal again, its subtree alone
   is traversed anew, from the state the traversal had there (its depth,
   its node count, the containers seen before it), and its entries, with
   the Refs made in it, replace the old subtree's in the list where splice's
   rules allow. When other code ran meanwhile, 0: the traversal must run
   (the checks made stand). 1: patched, the list's entry i now the new
   subtree's first; 0: refused; -1: an error. */
static int patch_more(ct_chunk *c, PyObject *o, ctv_walk *tw, uint32_t i, uint32_t ks, uint32_t n0, uint32_t kbefore,
                      uint64_t before, uint64_t seq);

static int __attribute__((noinline))
patch(ct_chunk *c, PyObject *o, ctv_stack *st, uint32_t i)
{
    ctv_obj *r = obj_find(o);
    if (i == 0 || r == NULL || !r->vpatch || i >= r->nvis)
        return 0;
    ctv_seen *vis = r->vis;
    uint32_t n = r->nvis, end = i + vis[i].size, nrefs = r->nrefs;
    PyObject *x = vis[i].o;
    uint32_t depth = vis[i].depth, n0 = vis[i].n0, oldnodes = vis[i].nodes;
    if (end > n || vis[i].nodes > r->vnodes)
        return 0;
    ctv_walk tw;
    ctv_seen buf[32];
    ctv_ref rbuf[16];
    patch_walk(&tw, c, st, r, i, depth, n0, buf, 32, rbuf, 16);
    uint32_t kbefore = (uint32_t)tw.nseen;
    uint64_t before = checks, seq = c->seq;
    Py_INCREF(x);   /* borrowed from the list: held while its subtree is walked */
    walk(&tw, x);
    int rc = tw.err ? -1 : 0;
    r = obj_find(o);
    uint32_t m = tw.nvis;
    if (rc < 0 || tw.vis == NULL || tw.nopatch || c->seq != seq || checks != before + tw.nchk
            || r == NULL || r->vis != vis || r->nvis != n || r->nrefs != nrefs || m == 0
            || tw.vis[0].o != x || tw.vis[0].size != m)
        goto out;
    /* the old subtree's Refs (in the traversal's order): after entry i and
       before its end, or at its end deeper than entry i */
    const ctv_ref *refs = r->refs;
    uint32_t ks = 0, ke;
    while (ks < nrefs && refs[ks].pos <= i)
        ks++;
    for (ke = ks; ke < nrefs && (refs[ke].pos < end || (refs[ke].pos == end && refs[ke].depth > depth)); ke++)
        ;
    rc = splice(r, &tw, i, end, ks, ke, n0, oldnodes, kbefore, i - 1, end, 0);
    if (rc == 0)   /* what follows depends on it: the siblings after it join the span */
        rc = patch_more(c, o, &tw, i, ks, n0, kbefore, before, seq);
out:
    vis_drop(&tw);
    Py_DECREF(x);
    return rc;
}

/* A child of an entry, as its list has it: an entry (`pos` its index) or
   a Ref made there (`k` its index among the Refs), with the node count
   before it and its nodes; and where the list stands after it. */
typedef struct {
    PyObject *o;
    uint32_t n0, nodes;
    uint32_t pos, k;             /* the entry index and the Ref index before it */
    uint32_t pos1, k1;           /* after it */
} ctv_child;

/* Where a run of an entry's children lies in the list: entries [s, e),
   Refs [ks, ke), the node count before it (ns) and after it (ne). */
typedef struct { uint32_t s, e, ks, ke, ns, ne; } ctv_span;

#define RUN_KIDS 128
#define RUN_MORE 4   /* patch_run: the suffix's children added to a refused run one by one */

/* children: the object children entry i's traversal followed, read from
   root r's list: in the traversal's order, an entry one level deeper (its
   subtree following it, its Refs with it) or a Ref made there. 0: more
   than `cap`, or the list does not read so. */
static int
children(const ctv_obj *r, uint32_t i, ctv_child *out, uint32_t cap, uint32_t *count)
{
    const ctv_seen *vis = r->vis;
    const ctv_ref *refs = r->refs;
    uint32_t nrefs = r->nrefs, d = (uint32_t)vis[i].depth + 1;
    uint32_t end = i + vis[i].size, pos = i + 1, k = 0, m = 0;
    while (k < nrefs && refs[k].pos <= i)   /* (the Refs before entry i) */
        k++;
    for (;;) {
        ctv_child ch;
        ch.pos = pos;
        ch.k = k;
        if (k < nrefs && refs[k].pos == pos && refs[k].depth == d) {
            ch.o = refs[k].o;
            ch.n0 = refs[k].n0;
            ch.nodes = 1;
            k++;
        } else if (pos < end) {
            if (vis[pos].depth != d)
                return 0;
            uint32_t e = pos + vis[pos].size;
            while (k < nrefs && refs[k].pos > pos && (refs[k].pos < e || (refs[k].pos == e && refs[k].depth > d)))
                k++;
            ch.o = vis[pos].o;
            ch.n0 = vis[pos].n0;
            ch.nodes = vis[pos].nodes;
            pos = e;
        } else {
            break;
        }
        if (m == cap)
            return 0;
        ch.pos1 = pos;
        ch.k1 = k;
        out[m++] = ch;
    }
    *count = m;
    /* every entry and Ref of entry i's subtree met */
    return pos == end && (k == nrefs || refs[k].pos > end || (refs[k].pos == end && refs[k].depth < d));
}

/* patch_more: patch's walk tw of entry i's subtree (from node count n0,
   its Refs from ks, kbefore containers seen before it) was refused by
   splice: the span takes in the object children of entry i's parent that
   follow entry i (the atoms between them counted, as the parent's course
   in the list has them), one by one up to RUN_MORE, then the rest, and
   is tried again after each (the walk goes on from where it stands, as
   the traversal would: the parent, passed or spliced before entry i in
   this replay, holds the same object children). The room is tested
   before each child as descend does; a child the tree has no room for
   ends the attempt. 1: spliced; 0: not (the list as it was); -1: an
   error. */
static int
patch_more(ct_chunk *c, PyObject *o, ctv_walk *tw, uint32_t i, uint32_t ks, uint32_t n0, uint32_t kbefore,
           uint64_t before, uint64_t seq)
{
    ctv_obj *r = obj_find(o);
    if (r == NULL || tw->err || !r->vpatch)
        return tw->err ? -1 : 0;
    ctv_seen *vis = r->vis;
    uint32_t n = r->nvis, nrefs = r->nrefs, d = vis[i].depth, p = i, nl, k0;
    while (p > 0 && vis[p - 1].depth >= d)
        p--;
    if (d == 0 || p == 0 || (uint32_t)vis[p - 1].depth + 1 != d)
        return 0;
    p--;   /* entry i's parent */
    ctv_child l[RUN_KIDS];
    if (p + vis[p].size < i + vis[i].size || !children(r, p, l, RUN_KIDS, &nl))
        return 0;
    for (k0 = 0; k0 < nl && !(l[k0].pos == i && l[k0].pos1 > i); k0++)
        ;
    if (k0 == nl || l[k0].o != vis[i].o || l[k0].pos1 != i + vis[i].size)
        return 0;
    uint32_t oldend = l[k0].n0 + l[k0].nodes;
    for (uint32_t k = k0 + 1, more = 0; k < nl; more++) {
        uint32_t upto = more < RUN_MORE ? k + 1 : nl;
        for (; k < upto; k++) {
            uint32_t gap = l[k].n0 - oldend;   /* the atoms before it */
            if (l[k].n0 < oldend || tw->n + gap >= (uint32_t)lim.max_nodes)
                return 0;
            tw->n += gap;
            Py_INCREF(l[k].o);   /* held by the parent; here while its subtree is walked, as patch's */
            walk(tw, l[k].o);
            Py_DECREF(l[k].o);
            oldend = l[k].n0 + l[k].nodes;
            r = obj_find(o);
            if (tw->err || tw->vis == NULL || tw->nopatch || c->seq != seq || checks != before + tw->nchk
                    || r == NULL || r->vis != vis || r->nvis != n || r->nrefs != nrefs)
                return tw->err ? -1 : 0;
        }
        uint32_t e = l[k - 1].pos1;
        int rc = splice(r, tw, i, e, ks, l[k - 1].k1, n0, oldend - n0, kbefore, i - 1, e, 0);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* is_node1: a child the traversal counts as one node without a check
   (descend): an atom, a Redacted child, or one of no container kind (an
   exact bytearray: a text node). */
static inline int
is_node1(PyObject *y)
{
    return y == NULL || y == COLL_ATOM || ctv_atom(y) || PyByteArray_CheckExact(y);
}

/* run_walk: tw visits the children [from, to) a check collected (got),
   as descend does: an item, or a pair, while the tree has room. */
static void
run_walk(ctv_walk *tw, ctv_stack *st, const ctv_coll *got, uint32_t from, uint32_t to, uint32_t step)
{
    for (uint32_t j = from; j < to && !tw->err && room(tw); j += step) {
        for (uint32_t q = j; q < j + step && q < to; q++) {
            PyObject *y = st->p[got->base + q];   /* the stack may move: read it anew */
            if (y == NULL || y == COLL_ATOM || ctv_atom(y))
                tw->n++;
            else
                walk(tw, y);
        }
    }
}

/* ref_for_ref: the run of entry i's children that changed, sp (no entry,
   one Ref), was a Ref to a container seen before it and is now one object
   child y among as many atoms (g[gf:gt]): when y is one of the
   containers seen before the run (an entry before sp.s that became seen:
   its `inseen`), the traversal makes a Ref to y there, one node, where it
   made the old Ref: the same nodes, the same seen containers, no entry,
   so the list is the same but for that Ref's container (richards: a
   Task's link, System.current rebound to another task). The Ref's new
   container is set in place (its node count too: the atoms may lie on
   either side), and the positions (`hard`, the index) stand. 1: done; 0:
   not (the list as it was). */
static int
ref_for_ref(ctv_obj *r, const ctv_seen *vis, const ctv_span *sp, PyObject *const *g, uint32_t gf, uint32_t gt,
            uint32_t d)
{
    ctv_ref *ref = &r->refs[sp->ks];
    if (ref->pos != sp->s || ref->depth != d + 1)
        return 0;
    PyObject *y = NULL;
    uint32_t at = 0;
    for (uint32_t j = gf; j < gt; j++) {
        if (is_node1(g[j]))
            continue;
        if (y != NULL)
            return 0;
        y = g[j];
        at = j - gf;
    }
    if (y == NULL)
        return 0;
    for (uint32_t j = 0; j < sp->s; j++) {
        if (vis[j].o == y && vis[j].inseen) {
            ref->o = y;
            ref->n0 = sp->ns + at;
            return 1;
        }
    }
    return 0;
}

/* patch_run: entry i (object x) of root o's replay list, just checked in
   a replay, holds children of another shape, collected by its check (got,
   on the stack with their references): only the run of them that changed
   is traversed anew, and its entries and Refs replace the old run's where
   splice's rules allow. The children before and after the run are the
   ones entry i's traversal followed there (read from the list, with the
   node count at each, so that an object checked since by another root
   still gives its old course), with as many nodes before each (prefix) or
   after each (suffix); they keep their entries, which the replay goes
   through next (the new run's too: just checked, they pass); when the
   node room may have cut entry i's children, no suffix is kept (the run
   goes on to the last child). The run is traversed from the state the
   traversal had there: one level below entry i, after the children
   before it. An entry at the depth limit (Elided) follows no child: its
   new shape changes nothing. Pairs are cut only between pairs (a room
   test is made before each). 1: patched (entry i holds x's
   new shape); 2: the same, the list's entries unchanged (ref_for_ref: the
   positions stand); 0: not (the list as it was); -1: an error. */
static int __attribute__((noinline))
patch_run(ct_chunk *c, PyObject *o, ctv_stack *st, uint32_t i, const ctv_coll *got)
{
    ctv_obj *r = obj_find(o);
    if (r == NULL || !r->vpatch || i >= r->nvis || got->base == CTV_NONE
            || got->leaves)   /* (its kids were counted, not pushed: none to compare) */
        return 0;
    ctv_seen *vis = r->vis;
    PyObject *x = vis[i].o;
    const ctv_obj *e = obj_find(x);
    if (e == NULL || got->n != e->n || (got->pairs != 0) != (e->pairs != 0) || i + vis[i].size > r->nvis)
        return 0;
    uint32_t d = vis[i].depth;
    if ((int)d >= lim.max_depth && vis[i].size == 1 && vis[i].nodes == 1) {   /* Elided (an exception never is: its node has a child) */
        vis[i].sig = e->sig;
        seen_again(&vis[i], e);
        return 1;
    }
    uint32_t start = vis[i].n0 + 1, end = vis[i].n0 + vis[i].nodes, nl;
    int cut = end >= (uint32_t)lim.max_nodes;   /* (the node room may have cut its children: no suffix) */
    ctv_child l[RUN_KIDS];
    if (!children(r, i, l, RUN_KIDS, &nl))
        return 0;
    PyObject *const *g = st->p + got->base;
    uint32_t n1 = got->n, step = e->pairs ? 2 : 1;
    /* the prefix: each object child the same, with as many nodes before it */
    uint32_t gf = 0, lf = 0, nodes = start;
    for (uint32_t j = 0, a = 0; j < n1; j++) {
        if (is_node1(g[j])) {
            a++;
            continue;
        }
        if (lf == nl || l[lf].o != g[j] || l[lf].n0 != nodes + a)
            break;
        nodes = l[lf].n0 + l[lf].nodes;
        a = 0;
        lf++;
        gf = j + 1;
    }
    /* the suffix, from the end likewise (not into the prefix) */
    uint32_t gt = n1, lt = nl, after = end, lg[RUN_KIDS];   /* lg: where the suffix's children are in g */
    for (uint32_t j = n1, a = 0; !cut && j > gf; j--) {
        if (is_node1(g[j - 1])) {
            a++;
            continue;
        }
        if (lt == lf || l[lt - 1].o != g[j - 1] || l[lt - 1].n0 + l[lt - 1].nodes + a != after)
            break;
        after = l[lt - 1].n0;
        a = 0;
        lt--;
        gt = j - 1;
        lg[lt] = gt;
    }
    if (gt % step != 0 && gt > gf && is_node1(g[gt - 1]) && (lt == lf || l[lt - 1].n0 + l[lt - 1].nodes < after)) {
        gt--;   /* (a pair's value begins the suffix: its name, an atom in both, goes with it) */
        after--;
    }
    if (gf % step != 0 || gt % step != 0)
        return 0;
    ctv_span sp;
    sp.s = lf > 0 ? l[lf - 1].pos1 : i + 1;
    sp.ks = lf > 0 ? l[lf - 1].k1 : (lt < nl ? l[lt].k : 0);
    sp.ns = nodes;
    sp.e = lt < nl ? l[lt].pos : i + vis[i].size;
    sp.ne = after;
    if (lf == 0 || lt == nl) {   /* the Refs before the first child, or after the last one */
        uint32_t k = 0, nrefs = r->nrefs, ie = i + vis[i].size;
        const ctv_ref *refs = r->refs;
        if (lf == 0) {
            while (k < nrefs && refs[k].pos <= i)
                k++;
            sp.ks = k;
        }
        if (lt == nl) {
            k = lf > 0 ? l[lf - 1].k1 : sp.ks;
            while (k < nrefs && (refs[k].pos < ie || (refs[k].pos == ie && refs[k].depth > d)))
                k++;
        } else {
            k = l[lt].k;
        }
        sp.ke = k;
    } else {
        sp.ke = l[lt].k;
    }
    if (sp.s > sp.e || sp.ks > sp.ke || sp.ns > sp.ne)
        return 0;
    if (sp.s == sp.e && sp.ke == sp.ks + 1 && !cut && !r->vroom && gt - gf == sp.ne - sp.ns) {
        int rr = ref_for_ref(r, vis, &sp, g, gf, gt, d);
        if (rr != 0) {
            vis[i].sig = e->sig;
            seen_again(&vis[i], e);
            return 2;
        }
    }
    r->hok = r->hfew = 0;   /* (the list changes) */
    uint32_t n = r->nvis, nrefs = r->nrefs, size = vis[i].size;
    ctv_walk tw;
    ctv_seen buf[32];
    ctv_ref rbuf[16];
    patch_walk(&tw, c, st, r, sp.s, d + 1, sp.ns, buf, 32, rbuf, 16);
    uint32_t kbefore = (uint32_t)tw.nseen;
    uint64_t before = checks, seq = c->seq;
    run_walk(&tw, st, got, gf, gt, step);
    int rc;
    for (uint32_t more = 0;; more++) {
        rc = tw.err ? -1 : 0;
        r = obj_find(o);
        if (rc < 0 || tw.vis == NULL || tw.nopatch || c->seq != seq || checks != before + tw.nchk
                || r == NULL || r->vis != vis || r->nvis != n || r->nrefs != nrefs)
            goto out;
        rc = splice(r, &tw, sp.s, sp.e, sp.ks, sp.ke, sp.ns, sp.ne - sp.ns, kbefore, i, i + size, i == 0);
        if (rc != 0 || lt == nl || !room(&tw))
            break;
        /* refused (what follows the run depends on it): the suffix's first
           object child joins the run, up to RUN_MORE times, then the rest of
           the children (the run then ends entry i's subtree) */
        uint32_t ngt = more < RUN_MORE ? lg[lt] + 1 : n1, nlt = lt;
        if (ngt % step != 0)
            ngt += step - ngt % step;
        while (nlt < nl && lg[nlt] < ngt)
            nlt++;
        run_walk(&tw, st, got, gt, ngt, step);
        gt = ngt;
        lt = nlt;
        if (lt < nl) {
            sp.e = l[lt].pos;
            sp.ke = l[lt].k;
            sp.ne = l[lt].n0 - (lg[lt] - gt);
        } else {   /* to the end of entry i's subtree, with the Refs made there */
            uint32_t k = sp.ks, ie = i + size;
            const ctv_ref *refs = r->refs;
            while (k < nrefs && (refs[k].pos < ie || (refs[k].pos == ie && refs[k].depth > d)))
                k++;
            sp.e = ie;
            sp.ke = k;
            sp.ne = end;
        }
    }
    if (rc == 1) {   /* entry i: x's new shape */
        e = obj_find(x);
        if (e != NULL) {
            r->vis[i].sig = e->sig;
            seen_again(&r->vis[i], e);
        }
    }
out:
    vis_drop(&tw);
    return rc;
}

/* clean_run: the first entry of vis[i:n] (a replay's list) not found
   clean, n when all are: an entry is clean when a quiet root's replay may
   pass it (quiet_same), or when its object's entry was checked in this
   chunk, is alive with the same type, and holds the version the list
   recorded, or the same shape and content found clean under stamp `now`
   or now (okstamp is set then; a changed version with the same shape is
   taken into the list). `slots`: the list's slots are where it says. The
   hot loop of a replay, a function of its own: few values live, so that
   they stay in registers (inlined into replay, its counter went to the
   stack, and nbody's replays took ~1/3 more cycles for the same
   instructions). */
static inline __attribute__((always_inline)) int
entry_clean(ctv_seen *v, int slots, uint64_t now)
{
    PyObject *x = v->o;
    ctv_obj *e = slots && v->slot < objs_cap && objs[v->slot].o == x ? &objs[v->slot] : obj_find(x);
    if (e == NULL || e->mark != cur_mark || e->dead || e->type != Py_TYPE(x))
        return 0;
    int same = e->ver == v->ver;
    if (!same && e->sig != v->sig)
        return 0;
    if (e->okstamp != now && !skip_clean(e, x) && !shadow_clean(e, x))
        return 0;
    e->okstamp = now;
    if (!same)   /* (it changed and was checked since: clean now, the same shape) */
        seen_again(v, e);
    return 1;
}

static inline __attribute__((always_inline)) uint32_t
clean_loop(ctv_seen *vis, uint32_t i, uint32_t n, int slots, uint64_t now, int quiet, PyObject *but)
{
    for (; i < n; i++) {
        ctv_seen *v = &vis[i];
        if (quiet && v->o != but && quiet_same(v))   /* (a NULL type: not to be passed so; but: NULL or
                                                         an object whose entries are read) */
            continue;
        if (!entry_clean(v, slots, now))
            return i;
    }
    return n;
}

/* ebut_run: the first entry of vis[i:n] (a replay's list) whose object is
   ebut or but, n when none is: since the root's last replay no line could
   change any other object (ctu_elast), nor any watched dict but but's
   (NULL: none), and no other thread ran (both were solo Steps': ctv_eseq).
   Each other entry still holds what the list says: its parent holds it
   unchanged, and nothing changed it (docs/design.md, "Lines that change
   one object"). */
static __attribute__((noinline)) uint32_t
ebut_run(const ctv_seen *vis, uint32_t i, uint32_t n, PyObject *ebut, PyObject *but)
{
    uint32_t i0 = i;
    if (but == NULL) {   /* (the usual case: ebut alone, four entries a turn) */
        for (; i + 4 <= n; i += 4) {
            if (vis[i].o == ebut || vis[i + 1].o == ebut || vis[i + 2].o == ebut || vis[i + 3].o == ebut)
                break;
        }
        for (; i < n; i++)
            if (vis[i].o == ebut)
                break;
    } else {
        for (; i < n; i++)
            if (vis[i].o == ebut || vis[i].o == but)
                break;
    }
    ctu_target_passes += i - i0;
    return i;
}

/* ebut_clean: clean_run when only the entries of ebut and but are to be
   read (ebut_run) */
static __attribute__((noinline)) uint32_t
ebut_clean(ctv_seen *vis, uint32_t i, uint32_t n, int slots, uint64_t now, PyObject *but, PyObject *ebut)
{
    for (;; i++) {
        i = ebut_run(vis, i, n, ebut, but);
        if (i == n || !entry_clean(&vis[i], slots, now))
            return i;
    }
}

/* clean_run: (above) `quiet`: the root is quiet (replay), but for object
   `but` when not NULL, whose entries are read. */
static __attribute__((noinline)) uint32_t
clean_run(ctv_seen *vis, uint32_t i, uint32_t n, int slots, uint64_t now, int quiet, PyObject *but)
{
    quiet = quiet || but != NULL;
    if (!slots)
        return clean_loop(vis, i, n, 0, now, quiet, but);
    return quiet ? clean_loop(vis, i, n, 1, now, 1, but) : clean_loop(vis, i, n, 1, now, 0, NULL);
}

#define HARD_MIN 16   /* the shortest list hard_make makes `hard` for */
#define POS_NONE UINT32_MAX
#define POS_USES 8   /* the uses of a root's list that scan it before its index is made */

/* pos_hash: where object x's entries start in an index of c2 slots */
static inline size_t
pos_hash(const void *x, uint32_t c2)
{
    return (size_t)(((uintptr_t)x >> 4) * 0x9E3779B97F4A7C15ULL >> 32) & (c2 - 1);
}

/* hard_make: root r's list of the entries a quiet replay must check
   (r->hard): those quiet_same would not pass, or would pass by reading the
   object's type and dict pointer when a change of them is not told
   (ctv_dict_set_told: the class's `__dict__` setter is not the wrapped
   one). The others a quiet replay passes unread: no watched dict changed
   since the root's last replay or traversal began (ctv_wseq, which a class
   or `__dict__` set moves on too), so each still holds what was recorded,
   and it is still the object the list names (its parent, clean, holds it).
   Out of memory: no list (hok 0, every entry is looked at). */
static __attribute__((noinline)) void
hard_make(ctv_obj *r)
{
    r->hok = 0;
    uint32_t n = r->nvis, cap2 = 1;
    while (cap2 < 2 * n)
        cap2 <<= 1;
    /* the block: m, the room for n, hard[n]; then the index (pos_next): its
       slots, whether it is made, its heads and links */
    size_t size = 2 + (size_t)n + 2 + cap2 + n;
    if (r->hard == NULL || r->hard[1] < n || r->hard[2 + r->hard[1]] < cap2) {
        uint32_t *h = realloc(r->hard, size * sizeof *h);
        if (h == NULL)
            return;
        r->hard = h;
        h[1] = n;
        h[2 + n] = cap2;
    }
    uint32_t m = 0, *hard = r->hard + 2;
    const ctv_seen *vis = r->vis;
    for (uint32_t i = 0; i < n; i++) {
        const ctv_seen *v = &vis[i];
        PyTypeObject *t = v->type;
        if (t == NULL || (v->wdict != v->o && !ctv_dict_set_told(t)))
            hard[m++] = i;
    }
    r->hard[0] = m;
    r->hard[2 + r->hard[1] + 1] = 0;   /* the index: made at its first use (pos_make) */
    /* a list with fewer than half its entries to pass: hard_run's reads by index
       cost about what the passes save (nbody, all lists of floats: +2.4 %) */
    r->hfew = 2 * m > n;
    r->hok = !r->hfew;
}

/* pos_make: root r's index (in the block hard_make made with `hard`, as
   long as it stands: while hok or hfew, which every change of the list
   clears): each object's entries, first to last (built from the last). */
static __attribute__((noinline)) void
pos_make(const ctv_obj *r)
{
    uint32_t n = r->nvis, *ix = r->hard + 2 + r->hard[1], c2 = ix[0], *head = ix + 2, *next = head + c2;
    const ctv_seen *vis = r->vis;
    memset(head, 0xFF, c2 * sizeof *head);
    for (uint32_t i = n; i-- > 0;) {
        size_t k = pos_hash(vis[i].o, c2);
        while (head[k] != POS_NONE && vis[head[k]].o != vis[i].o)
            k = (k + 1) & (c2 - 1);
        next[i] = head[k];
        head[k] = i;
    }
    ix[1] = POS_USES + 1;
}

/* pos_next: the first entry at or past i of object x in root r's list
   (vis), by its index (pos_ok); POS_NONE when none. */
static inline uint32_t
pos_next(const ctv_obj *r, const ctv_seen *vis, PyObject *x, uint32_t i)
{
    const uint32_t *ix = r->hard + 2 + r->hard[1], c2 = ix[0], *head = ix + 2, *next = head + c2;
    for (size_t k = pos_hash(x, c2); head[k] != POS_NONE; k = (k + 1) & (c2 - 1)) {
        uint32_t p = head[k];
        if (vis[p].o == x) {
            while (p != POS_NONE && p < i)
                p = next[p];
            return p;
        }
    }
    return POS_NONE;
}

/* pos_ok: root r's index stands for its list vis of n entries, made at
   its use POS_USES + 1 (the word after its slots: the uses so far, then
   POS_USES + 1: made) */
static inline int
pos_ok(const ctv_obj *r, const ctv_seen *vis, uint32_t n)
{
    if (!(r->hok || r->hfew) || r->hard == NULL || r->vis != vis || r->nvis != n || r->hard[1] < n)
        return 0;
    uint32_t *made = &r->hard[2 + r->hard[1] + 1];
    if (*made < POS_USES) {   /* (the first uses scan: a list patched every few replays never pays
                                 for one, richards: +0.3 % when made at the second) */
        ++*made;
        return 0;
    }
    if (*made == POS_USES)
        pos_make(r);
    return 1;
}

/* hard_run: a quiet replay of a list whose hard entries are `hard` (n
   entries in all): the first of them not clean (entry_clean), n when all
   are. */
static __attribute__((noinline)) uint32_t
hard_run(ctv_seen *vis, const uint32_t *hard, uint32_t nhard, uint32_t n, int slots, uint64_t now)
{
    if (slots) {
        for (uint32_t k = 0; k < nhard; k++)
            if (!entry_clean(&vis[hard[k]], 1, now))
                return hard[k];
    } else {
        for (uint32_t k = 0; k < nhard; k++)
            if (!entry_clean(&vis[hard[k]], 0, now))
                return hard[k];
    }
    return n;
}

/* but_run: a replay of a root quiet but for object `but` (its watched
   dict's changes alone since its last replay: `wlast`) whose hard entries are
   `hard` (n entries in all): the first, in the list's order, of the hard
   entries and those of `but` not clean, n when all are. The other entries
   are what quiet_same would pass: their dicts did not change. The scan
   for `but` between two hard entries compares the entries' objects alone
   (clean_loop reads each one's type and dict). */
static __attribute__((noinline)) uint32_t
but_run(ctv_seen *vis, const uint32_t *hard, uint32_t nhard, uint32_t n, int slots, uint64_t now, PyObject *but)
{
    uint32_t i = 0;
    for (uint32_t k = 0;; k++) {
        uint32_t h = k < nhard ? hard[k] : n;
        for (; i < h; i++)
            if (vis[i].o == but && !entry_clean(&vis[i], slots, now))
                return i;
        if (h == n || !entry_clean(&vis[h], slots, now))
            return h;
        i = h + 1;
    }
}

/* ebut_clean_ix: ebut_clean by root r's index (pos_ok): the entries of
   ebut and but found where they are, the others passed unread. */
static __attribute__((noinline)) uint32_t
ebut_clean_ix(const ctv_obj *r, ctv_seen *vis, uint32_t i, uint32_t n, int slots, uint64_t now, PyObject *but,
              PyObject *ebut)
{
    for (;;) {
        uint32_t a = pos_next(r, vis, ebut, i), b = but != NULL ? pos_next(r, vis, but, i) : POS_NONE;
        uint32_t j = a < b ? a : b;
        if (j >= n) {
            ctu_target_passes += n - i;
            return n;
        }
        ctu_target_passes += j - i;
        if (!entry_clean(&vis[j], slots, now))
            return j;
        i = j + 1;
    }
}

/* but_run_ix: but_run by root r's index (pos_ok): the hard entries and
   but's, merged in the list's order. */
static __attribute__((noinline)) uint32_t
but_run_ix(const ctv_obj *r, ctv_seen *vis, const uint32_t *hard, uint32_t nhard, uint32_t n, int slots,
           uint64_t now, PyObject *but)
{
    uint32_t k = 0, b = pos_next(r, vis, but, 0);
    for (;;) {
        uint32_t h = k < nhard ? hard[k] : n, i = b < h ? b : h;
        if (i >= n)
            return n;
        if (!entry_clean(&vis[i], slots, now))
            return i;
        if (i == h)
            k++;
        if (i == b)
            b = pos_next(r, vis, but, i + 1);
    }
}

/* replay: a traversal from root o without its descent, when o's previous
   traversal, in this chunk, found each object it checked clean. Taken in
   the order they were checked, each object is either still clean at the
   same version (its recorded content is what it holds), or checked now
   (which records what changed) and found to hold children of the same
   shape (ctv_obj.sig: as many, in pairs or not, the same objects at the
   same places; an atom's place may hold another atom), without a child
   whose nodes could change unseen. That order makes each read safe: every
   object but the root was reached as a child of one before it, and that
   one being clean (its dict unchanged and still its dict, or its item
   pointers the same) or checked with the same object children still holds
   it. The objects a traversal visits, with their depths, node counts and
   Refs, follow from the shapes of the objects it checks: the same shapes,
   the same traversal, and the checks wrote what changed. An object found
   with children of another shape (the root included) has the run of its
   children that changed traversed anew and spliced into the list where
   the rules allow (patch_run), and the replay goes on with its children's
   entries; else, below the root, its whole subtree (patch), and the
   replay goes on after it. 1: replayed (the list now holds the new
   versions); 0: the traversal must run (the checks made stand: it meets
   those objects as already checked in this event); -1: an error. A quiet
   root's objects read from a watched dict are passed by quiet_same (no
   entry read). */
static inline __attribute__((always_inline)) int
replay_as(ct_chunk *c, PyObject *o, ctv_stack *st, ctv_obj *r, int emode)   /* r: obj_find(o) */
{
    if (r == NULL || r->vis == NULL)
        return 0;
    if (r->vmark != cur_mark || mark_seq1 != c->seq + 1) {   /* a list kept in an earlier chunk (r->vmark
                                                               stays its mark until the replay succeeds) */
        if (r->vmark == 0)   /* (dropped: keep) */
            return 0;
        mark_chunk(c);
        r->qseq = r->eseq = 0;   /* not quiet: each object not yet checked in this chunk is checked,
                                    written whole */
    }
    uint64_t q0 = ctv_wseq;
    int quiet = r->qseq == q0;
    if (quiet && r->eseq == ctv_eseq && r->eseq != 0) {   /* checked at this epoch: nothing changed since */
        ctu_epoch_passes++;
        return 1;
    }
    ctv_seen *vis = r->vis;
    uint32_t n = r->nvis;
    uint64_t gen = objs_gen, now = fresh_stamp(c);   /* a check below that hands the chunk over ends the replay */
    /* quiet but for one object: the bumps since, that object's watched dict's changes (wlast) */
    PyObject *but = !quiet && r->qseq != 0 && r->qseq + 1 >= wrun ? wlast : NULL;
    /* and no line since could have changed any object but ebut: the entries of others are
       passed unread (ebut_run) */
    int ebut = emode && r->eseq + 1 == ctv_eseq && (quiet || but != NULL);
    r->qseq = r->eseq = 0;   /* (until this replay succeeds) */
    int slots = r->vgen == gen;   /* the entries are where the list says */
    int rc = 1;
    uint64_t flips = hard_flips;   /* (`hard` stands while no entry became hard and the list is not patched) */
    uint32_t i = 0, at;
    if (quiet && r->hok && n >= HARD_MIN && (!ebut || (size_t)r->hard[0] * 8 < n)) {   /* only the hard entries are read (hard_make) */
        i = hard_run(vis, r->hard + 2, r->hard[0], n, slots, now);
        at = UINT32_MAX;
        if (i < n)
            goto not_clean;   /* (hard_run found entry i not clean) */
    } else if (but != NULL && r->hok && n >= HARD_MIN && !ebut) {   /* the hard entries and but's */
        i = pos_ok(r, vis, n) ? but_run_ix(r, vis, r->hard + 2, r->hard[0], n, slots, now, but)
            : but_run(vis, r->hard + 2, r->hard[0], n, slots, now, but);
        at = UINT32_MAX;
        if (i < n)
            goto not_clean;
    }
    for (;; i = at + vis[at].size) {
        for (at = UINT32_MAX; i < n; i++) {
            i = !ebut ? clean_run(vis, i, n, slots, now, quiet, but)
                : pos_ok(r, vis, n) ? ebut_clean_ix(r, vis, i, n, slots, now, but, ctv_ebut)
                : ebut_clean(vis, i, n, slots, now, but, ctv_ebut);   /* (the entries found clean, in a loop of
                                                                     its own) */
            if (i == n)
                break;
        not_clean:;
            PyObject *x = vis[i].o;   /* entry i is not clean: checked now, or the traversal */
            ctv_obj *e = slots && vis[i].slot < objs_cap && objs[vis[i].slot].o == x ? &objs[vis[i].slot]
                : obj_find(x);
            if ((e == NULL || e->mark != cur_mark || e->dead || e->type != Py_TYPE(x))
                    && (r->vmark == cur_mark || e == NULL || e->mark == cur_mark || e->dead || e->type != Py_TYPE(x)))
                goto refuse;   /* (else its first check in this chunk: written whole) */
            if (!e->shadow)   /* its nodes can change unseen: the traversal will check it */
                goto refuse;
            /* check it now: what changed is written; the descent is not made */
            ctv_walk tw;
            walk_init(&tw, c, 1, st);
            ctv_coll got;
            uint64_t before = checks, seq = c->seq;
            if (obj_check(&tw, x, &got) < 0) {
                rc = -1;
                goto out;
            }
            /* nothing else ran meanwhile (no other thread's check, no new chunk, the list still o's) */
            r = obj_find(o);
            e = obj_find(x);
            if (checks != before + 1 || c->seq != seq || r == NULL || r->vis != vis || r->nvis != n
                    || e == NULL || e->mark != cur_mark || e->dead || e->type != Py_TYPE(x) || !e->shadow) {
                if (got.base != CTV_NONE)
                    coll_pop(st, got.base);
                goto refuse;
            }
            if (e->sig != vis[i].sig) {   /* another shape: the run of its children that changed, if it can be */
                int p = patch_run(c, o, st, i, &got);   /* (it clears `hard` when the list changes) */
                if (got.base != CTV_NONE)
                    coll_pop(st, got.base);
                if (p < 0) {
                    rc = -1;
                    goto out;
                }
                r = obj_find(o);   /* (patch_run may have moved the table's entries) */
                if (r == NULL)
                    goto refuse;
                if (p > 0) {   /* the replay goes on with its children's entries */
                    vis = r->vis;
                    n = r->nvis;
                    slots = slots && objs_gen == gen && r->vgen == gen;
                    continue;
                }
                if (i == 0 || r->vis != vis || !r->vpatch)   /* (the root's subtree: the traversal) */
                    goto refuse;
                at = i;   /* else its subtree traversed anew */
                break;
            }
            if (got.base != CTV_NONE)
                coll_pop(st, got.base);
            seen_again(&vis[i], e);
            slots = slots && objs_gen == gen;
        }
        if (at == UINT32_MAX)
            break;
        r->hok = r->hfew = 0;
        int p = patch(c, o, st, at);
        if (p <= 0) {
            rc = p;
            goto out;
        }
        r = obj_find(o);   /* the list anew; the replay goes on after the new subtree */
        vis = r->vis;
        n = r->nvis;
        slots = slots && objs_gen == gen && r->vgen == gen;
    }
    if (objs_gen != gen || r->vgen != objs_gen) {   /* the table was rebuilt: the slots anew */
        for (uint32_t i = 0; i < n; i++) {
            const ctv_obj *e = obj_find(vis[i].o);
            vis[i].slot = e != NULL ? (size_t)(e - objs) : 0;
        }
        r = obj_find(o);
        if (r != NULL)
            r->vgen = objs_gen;
    }
    if (r != NULL) {
        r->qseq = q0;
        r->eseq = ctv_eseq;
        r->vmark = cur_mark;   /* (a cross-chunk replay: the list now stands for this chunk) */
        if (hard_flips != flips)
            r->hok = r->hfew = 0;
        if (!r->hok && !r->hfew && quiet && r->nvis >= HARD_MIN)   /* (a root quiet now is likely quiet
                                                                       again: its next replay reads less) */
            hard_make(r);
    }
    goto out;
refuse:
    rc = 0;
out:
    if (rc != 1 && hard_flips != flips && (r = obj_find(o)) != NULL)
        r->hok = r->hfew = 0;   /* (its entries changed before it gave way) */
    return rc;
}

/* replay_e: replay when a line changed one object alone since the last
   bump (ctv_ebut): a copy of its own, so that the usual one has none of
   that mode's tests */
static __attribute__((noinline)) int
replay_e(ct_chunk *c, PyObject *o, ctv_stack *st, ctv_obj *r)
{
    return replay_as(c, o, st, r, 1);
}

static int
replay(ct_chunk *c, PyObject *o, ctv_stack *st, ctv_obj *r)
{
    if (__builtin_expect(ctv_ebut != NULL, 0))
        return replay_e(c, o, st, r);
    return replay_as(c, o, st, r, 0);
}

/* keep: root o's traversal w is replayed next from its list of checks.
   When w kept none (it met an object whose nodes can change unseen, or
   ran out of memory), o's earlier list is not replayed either: it stood
   for a shape o no longer has, and its replay would only meet that shape
   changed, check and walk the run to the object again, and give way to
   the traversal (coroutines: an asyncio Queue whose new _loop attribute
   reaches the loop's WeakSet, at every Step). */
static void
keep(PyObject *o, const ctv_walk *w, uint64_t q0)
{
    ctv_obj *r = obj_find(o);
    if (r == NULL)
        return;
    r->vmark = 0;   /* (until the new list is kept) */
    r->hok = r->hfew = 0;
    if (w->vis == NULL || w->nvis == 0 || w->vis[0].o != o)
        return;
    ctv_seen *v = realloc(r->vis, w->nvis * sizeof *v);
    if (v == NULL)
        return;
    memcpy(v, w->vis, w->nvis * sizeof *v);
    r->vis = v;
    r->nvis = w->nvis;
    r->vmark = cur_mark;
    r->vgen = w->vgen == objs_gen ? objs_gen : 0;
    r->qseq = q0;
    r->eseq = ctv_eseq;
    /* patchable: every Ref kept and every subtree delimited; whether node
       room or the seen containers ran out, splice's rules take into account */
    r->vpatch = !w->nopatch;
    r->vroom = w->n >= lim.max_nodes;
    r->vnodes = w->n;
    r->nrefs = 0;
    if (r->vpatch && w->nrefs > 0) {
        ctv_ref *f = realloc(r->refs, w->nrefs * sizeof *f);
        if (f == NULL) {
            r->vpatch = 0;
            return;
        }
        memcpy(f, w->refs, w->nrefs * sizeof *f);
        r->refs = f;
        r->nrefs = w->nrefs;
    }
}

/* obj_set: write ObjSet `id`, `at` for the child written last, right after
   its container's node `root` (the last nodes of the values pool): an int,
   float or bool as a compact record (its nodes dropped), a one-node child
   moved down over the container's node, a larger one (an inline Range or
   Slice) left after it. */
static uint32_t shared_node(ct_chunk *c, const ctr_Value *k, uint32_t root);

/* compact_leaf: node k may be held by a compact record (no flags, no
   children, no b); which kinds have one, the generated ctr_emit_compact_*
   know from the spec (an int, float or bool). */
static inline int
compact_leaf(const ctr_Value *k)
{
    return k->flags == 0 && k->len == 0 && k->b == 0;
}

/* one_child: the one child node of the content node written at root takes
   its place, or one met earlier in the chunk when it is the same None or
   Object node (shared_node): the index of the node to refer to. */
static uint32_t
one_child(ct_chunk *c, uint32_t root)
{
    ctr_Value *v = (ctr_Value *)c->values.p;
    ctr_Value k = v[root + 1];
    v[root] = k;
    c->values.len = ((size_t)root + 1) * sizeof *v;
    uint32_t same = shared_node(c, &k, root);
    if (same != root)
        c->values.len = (size_t)root * sizeof *v;
    return same;
}

static void
obj_set(ct_chunk *c, uint32_t id, uint32_t at, uint32_t root)
{
    ctr_Value *v = (ctr_Value *)c->values.p;
    if (c->values.len == ((size_t)root + 2) * sizeof *v) {
        if (compact_leaf(&v[root + 1]) && ctr_emit_compact_ObjSet(c, id, at, v[root + 1].kind, v[root + 1].a)) {
            c->values.len = (size_t)root * sizeof *v;
            return;
        }
        ctr_emit_ObjSet(c, id, at, one_child(c, root));
        return;
    }
    ctr_emit_ObjSet(c, id, at, root + 1);
}

/* obj_add: the ObjAdd (format 9) of object id's one pair added, name id
   `name`, its value the one child of the named node written at root: its
   compact form for an int, float or bool, else the node (one met earlier in
   the chunk when it is the same None or Object node). */
static void
obj_add(ct_chunk *c, uint32_t id, uint32_t name, uint32_t root)
{
    ctr_Value *v = (ctr_Value *)c->values.p;
    if (compact_leaf(&v[root + 1]) && ctr_emit_compact_ObjAdd(c, id, name, v[root + 1].kind, v[root + 1].a)) {
        c->values.len = (size_t)root * sizeof *v;
        return;
    }
    ctr_emit_ObjAdd(c, id, name, one_child(c, root));
}

/* names_node: the Instance or Dict node at root, written with its names as
   the ids in name_ids, becomes a NamedInstance or NamedDict: the ids in
   data (little-endian uint32s), its children the values alone. */
/* The id lists names_node wrote, by a print of their bytes: instances of a
   class mostly have the same names in the same order, and a chunk holds
   each such list once (the slot is checked against the chunk's bytes, so a
   slot of an earlier chunk is only a miss). */
#define NAME_LISTS 1024
static struct { uint64_t print; uint32_t off, n; } name_lists[NAME_LISTS];

static int
names_node(ct_chunk *c, uint32_t root)
{
    uint32_t n = name_ids.n, off = (uint32_t)c->data.len;
    unsigned char buf[4 * 64], *p = n <= 64 ? buf : NULL;
    if (n > 64 && (p = ct_vec_push(&c->data, 4 * (size_t)n)) == NULL) {
        c->failed = 1;
        return -1;
    }
    uint64_t print = 0x452821E638D01377ULL;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t id = name_ids.p[i];
        p[4 * i] = (unsigned char)id;
        p[4 * i + 1] = (unsigned char)(id >> 8);
        p[4 * i + 2] = (unsigned char)(id >> 16);
        p[4 * i + 3] = (unsigned char)(id >> 24);
        print = mix(print, id);
    }
    if (n && n <= 64) {   /* the same list in this chunk, or a new one */
        size_t slot = (size_t)(mix(print, n) >> 54) % NAME_LISTS;
        uint32_t o = name_lists[slot].off;
        if (name_lists[slot].print == print && name_lists[slot].n == n && (size_t)o + 4 * (size_t)n <= c->data.len
                && memcmp((const unsigned char *)c->data.p + o, buf, 4 * (size_t)n) == 0) {
            off = o;
        } else {
            unsigned char *q = ct_vec_push(&c->data, 4 * (size_t)n);
            if (q == NULL) {
                c->failed = 1;
                return -1;
            }
            memcpy(q, buf, 4 * (size_t)n);
            name_lists[slot].print = print;
            name_lists[slot].off = off;
            name_lists[slot].n = n;
        }
    }
    ctr_Value *v = (ctr_Value *)c->values.p + root;
    v->kind = v->kind == CTV_Instance ? CTV_NamedInstance : CTV_NamedDict;
    v->a = off;
    v->len = n;
    return 0;
}

/* ---- packed children (format 9: docs/trace-format.md, "Packed children") ----
   The content node an Obj or ObjPut writes (its children each a subtree
   after it, at the end of the pool) becomes a Packed node when a child is a
   leaf of a kind that packs (ctv_pack: None, a bool, an int, a float, an
   Object node; no flags, no b): such a child is an entry in data (its kind,
   its type id, its a) instead of a 32-byte node; the others stay nodes, an
   entry 0xFF each, in the same order. */

_Static_assert(CTV_N_KINDS < 0xFF, "0xFF is a packed entry's mark of a node");

/* put_uleb: x as ULEB128 at p; the bytes written. */
static inline size_t
put_uleb(unsigned char *p, uint64_t x)
{
    size_t n = 0;
    while (x >= 0x80) {
        p[n++] = (unsigned char)(x | 0x80);
        x >>= 7;
    }
    p[n++] = (unsigned char)x;
    return n;
}

/* subtree: the nodes of the subtree at i (pre-order, a container's len
   children after it), within [i, end); *ref: it holds a Ref node. */
static uint32_t
subtree(const ctr_Value *v, uint32_t i, uint32_t end, int *ref)
{
    uint64_t pending = 1;
    uint32_t j = i;
    while (pending && j < end) {
        pending--;
        if (ctv_container[v[j].kind])
            pending += v[j].len;
        *ref |= v[j].kind == CTV_Ref;
        j++;
    }
    return j - i;
}

/* packs: child node x is packed in a Packed node (its kind's ctv_pack, or 0). */
static inline int
packs(const ctr_Value *x)
{
    int form = ctv_pack[x->kind];
    return form && x->flags == 0 && x->b == 0 && x->len == 0 && (form != CTV_PACK_NONE || x->a == 0) ? form : 0;
}

static int
pack_node(ct_chunk *c, uint32_t root)
{
    ctr_Value *v = (ctr_Value *)c->values.p;
    uint32_t end = (uint32_t)(c->values.len / sizeof *v), n = v[root].len, i, out;
    int any = 0, ref = 0;
    /* the children tile [root + 1, end), one of them packs, and no Ref node
       (never in content: its index would move) */
    for (i = root + 1, out = n; out > 0 && i < end; out--) {
        if (packs(&v[i])) {
            any = 1;
            i++;
        } else {
            i += subtree(v, i, end, &ref);
        }
    }
    if (!any || ref || out > 0 || i != end)
        return 0;
    size_t data0 = c->data.len;
    unsigned char *p = ct_vec_push(&c->data, 5 + 16 * (size_t)n), *q;
    if (p == NULL) {
        c->failed = 1;
        return -1;
    }
    q = p;
    *q++ = v[root].kind;
    if (v[root].kind == CTV_NamedInstance || v[root].kind == CTV_NamedDict) {   /* its name ids' offset */
        uint32_t off = (uint32_t)v[root].a;
        q[0] = (unsigned char)off;
        q[1] = (unsigned char)(off >> 8);
        q[2] = (unsigned char)(off >> 16);
        q[3] = (unsigned char)(off >> 24);
        q += 4;
    }
    for (i = out = root + 1; n > 0 && i < end; n--) {
        const ctr_Value *x = &v[i];
        int form = packs(x);
        if (form) {
            *q++ = x->kind;
            q += put_uleb(q, x->type);
            if (form == CTV_PACK_VARINT) {
                q += put_uleb(q, ((uint64_t)x->a << 1) ^ (uint64_t)(x->a >> 63));   /* zigzag */
            } else if (form == CTV_PACK_WORD) {
                uint64_t a = (uint64_t)x->a;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
                memcpy(q, &a, 8);
                q += 8;
#else
                for (int b = 0; b < 8; b++)
                    *q++ = (unsigned char)(a >> (8 * b));
#endif
            }
            i++;
            continue;
        }
        int ref_ = 0;
        uint32_t size = subtree(v, i, end, &ref_);
        if (out != i)
            memmove(v + out, v + i, (size_t)size * sizeof *v);
        *q++ = 0xFF;
        out += size;
        i += size;
    }
    c->data.len = data0 + (size_t)(q - p);
    v[root].kind = CTV_Packed;
    v[root].a = (int64_t)data0;
    c->values.len = (size_t)out * sizeof *v;
    return 0;
}

/* obj_check: make sure what the trace says of object o's content is what
   it holds now: at its first check in a chunk, an Obj record with all of
   it; later, an ObjPut record for what changed (nothing when nothing did).
   Once per event. When another thread checked objects or the chunk was
   handed over while this check ran (other code ran: the records went to
   the next chunk, which must give the object whole), it is checked again
   in a traversal (which holds o by a reference on the stack); a replay's
   o is borrowed from its list and may be gone: the check returns, the
   replay sees the moved chunk and gives way to a traversal. *got: the
   children it met (when it iterated the object), for the traversal. -1
   on error. */
static int
obj_check(ctv_walk *tw, PyObject *o, ctv_coll *got)
{
    ct_chunk *c = tw->c;
    ctv_stack *st = tw->st;
    for (int tries = 0; tries < 8; tries++) {
        uint64_t mine = ++checks, seq = c->seq;
        tw->nchk++;
        uint32_t base = st->len;
        *got = (ctv_coll){ CTV_NONE, 0, 0, 0 };
        int rc = obj_check_once(c, st, o, got);
        if (rc == 0 && tw->vis != NULL && checks == mine && c->seq == seq) {
            const ctv_obj *e = obj_find(o);
            if (e == NULL || !e->shadow)
                vis_drop(tw);   /* its nodes can change unseen: a replay would stop at it */
            else if (tw->nvis < tw->capvis || vis_grow(tw) == 0)
                tw->vis[tw->nvis++] = seen(o, e);
        }
        if (rc < 0)
            coll_pop(st, base);
        if (rc < 0 || (checks == mine && c->seq == seq))
            return rc;
        coll_pop(st, base);
        *got = (ctv_coll){ CTV_NONE, 0, 0, 0 };
        ctv_obj *e = obj_find(o);   /* (by its address: a replay's o may be gone) */
        if (e != NULL) {   /* what it recorded may not be what the trace says: write it whole */
            e->mark = 0;
            e->epoch = 0;
        }
        if (tw->mode != W_TRAVERSE)   /* a replay's o is borrowed: the replay stops */
            return 0;
    }
    return -1;
}

/* set_child: the ObjSet of object `id`'s child j, now v (an atom, or an
   object named by its Object node): v's node, and the record obj_set
   would write. 0, or -1: an error. */
static int
set_child(ct_chunk *c, ctv_stack *st, uint32_t id, uint32_t j, PyObject *v)
{
    int kind;
    int64_t a;
    if (ctv_kind_a(v, &kind, &a) && ctr_emit_compact_ObjSet(c, id, j, kind, a))   /* (its node: no walk) */
        return c->failed ? -1 : 0;
    ctv_walk ww;
    kid_walk(&ww, c, 0, st);
    if (ctv_dispatch(&ww, v) < 0 || ww.err)
        return -1;
    uint32_t root = ww.root;
    ctr_Value *x = (ctr_Value *)c->values.p + root;
    if (compact_leaf(x) && ctr_emit_compact_ObjSet(c, id, j, x->kind, x->a)) {
        c->values.len = (size_t)root * sizeof *x;
    } else {
        ctr_Value kv = *x;
        uint32_t same = shared_node(c, &kv, root);
        if (same != root)
            c->values.len = (size_t)root * sizeof kv;
        ctr_emit_ObjSet(c, id, j, same);
    }
    return c->failed ? -1 : 0;
}

/* put_kid: entry e's kid j (an atom, or an object child's Object node,
   the only child of o that changed) becomes v, an atom or an object whose
   print is `print` (kid()'s, made by walk w, or by atom_kid_print for an
   atom that replaced an atom, w then NULL): the kid kept, e's
   shape and watch (watch_after, w carrying o's pairs and dict), the kids
   collected for the traversal (got), and when the print differs, v's node
   and the ObjSet obj_set would write. The kids are collected (with their
   references) before v's node is made: making it may allocate, and a
   finalizer then take another kid from o. 0, or -1: an error. */
static int
put_kid(ct_chunk *c, ctv_stack *st, ctv_obj *e, PyObject *o, uint32_t j, PyObject *v, uint64_t print,
        const ctv_walk *w, ctv_coll *got)
{
    uint64_t old = ekids(e)[j].print;
    uint32_t id = e->id;
    e->dirty = 0;
    e->nlog = 0;
    e->ver = ++ver_seq;
    PyObject *a = ctv_atom(v) ? Py_NewRef(v) : NULL, *was = ekids(e)[j].atom;
    ekids(e)[j] = (ctv_ekid){ print, a };
    e->kp[j] = v;
    Py_XDECREF(was);   /* (an atom: no finalizer) */
    if (a != NULL && was != NULL) {   /* an atom for an atom: what watch_after would find again
                                         (the same shape, flags and watch), but the marks */
        e->gen = dict_gen;
        e->idmark = next_id;
    } else {
        e->alive = 0;   /* (another object kid: kids_alive looks again) */
        watch_after(e, o, w);
    }
    if (collect(st, e, e->n, got) < 0)
        return -1;
    return print == old ? 0 : set_child(c, st, id, j, v);
}

/* one_atom: list or tuple o (entry e, a shadow's, checked in this chunk,
   o's type) has the length and the item pointers last recorded but one, an
   atom that replaced an atom (nbody's floats, a counter in a list): what
   the check below would do, without its two walks of o: that child's print
   (kid's) and, when it changed, its node and the ObjSet (obj_set's). The
   other kids stand (kids_alive), so the shape (sig) is the same. 1: done;
   0: not such a case (the check walks); -1: an error. */
static int
one_atom(ct_chunk *c, ctv_stack *st, ctv_obj *e, PyObject *o, ctv_coll *got)
{
    PyObject *const *items;
    if (!seq_items(o, &items))
        return 0;
    uint32_t k = e->n;
    if (!e->shadow || e->bytes || Py_SIZE(o) != e->length
            || (uint32_t)(e->length < lim.max_items ? e->length : lim.max_items) != k)
        return 0;
    uint32_t j = 0;
    while (j < k && items[j] == e->kp[j])
        j++;
    if (j == k)
        return 0;
    for (uint32_t i = j + 1; i < k; i++) {
        if (items[i] != e->kp[i])
            return 0;
    }
    PyObject *v = items[j];
    if (ekids(e)[j].atom == NULL || !ctv_atom(v) || !kids_alive(e, k))
        return 0;
    uint64_t print;   /* its print, as kid() makes it */
    if (atom_kid_print(v, &print))
        return put_kid(c, st, e, o, j, v, print, NULL, got) < 0 ? -1 : 1;
    ctv_walk w;
    kid_walk(&w, c, 1, st);
    if (ctv_dispatch(&w, v) < 0 || w.err)
        return -1;
    /* (w: no pairs, nothing unstable, no bytearray, no dict) */
    return put_kid(c, st, e, o, j, v, (w.h | 1) & ~KID_BYTES, &w, got) < 0 ? -1 : 1;
}

/* named_kind: a content node of kind `kind` (pairs or not) takes its
   names as ids (names_node): an instance's, a dict's. */
static inline int
named_kind(int pairs, int kind)
{
    return pairs && (kind == CTV_Instance || kind == CTV_Dict);
}

/* unwrite: drop the nodes written since the values pool held values0
   bytes (the bytes in data too, data0, unless a definition was written
   meanwhile: kinds0 records then) */
static void
unwrite(ct_chunk *c, size_t values0, size_t data0, size_t kinds0)
{
    c->values.len = values0;
    if (c->kinds.len == kinds0)
        c->data.len = data0;
}

/* emit_obj: the Obj of object id, its content written at root (the
   chunk's Limits first) */
static void
emit_obj(ct_chunk *c, uint32_t id, uint32_t root)
{
    if (limits_mark != cur_mark) {
        ctr_emit_Limits(c, lim.max_depth, lim.max_nodes);
        limits_mark = cur_mark;
    }
    ctr_emit_Obj(c, id, root);
}

/* write_kids: by a writing walk of o, its content's root node with the
   children [at, at + nnew), or with the child `set` alone (an ObjSet's,
   then not packed); `named`: an instance's or a dict's names as ids when
   they all can be (names_node), else with Str names. *add: the one pair
   written may be an ObjAdd's (format 9): stays so when its name is an id
   (*add_name) and its value one node; nothing then is packed. *root: the
   root node. 0, or -1: an error. */
static int
write_kids(ct_chunk *c, ctv_stack *st, PyObject *o, uint32_t at, uint32_t nnew, uint32_t set, int named,
           int *add, uint32_t *add_name, uint32_t *root)
{
    for (;;) {
        size_t values0 = c->values.len, data0 = c->data.len, kinds0 = c->kinds.len;
        ctv_walk ww;
        walk_init(&ww, c, 0, st);
        ww.mode = W_SHALLOW;
        ww.expand = o;
        ww.lo = set != UINT32_MAX ? set : at;
        ww.hi = set != UINT32_MAX ? set + 1 : at + nnew;
        ww.discard = 1;   /* the children outside: not written, their prints not read */
        ww.kids = st->oldkids;   /* (free: the checks' walks before it are done) */
        ww.names = named;
        name_ids.n = 0;
        walk(&ww, o);
        st->oldkids = ww.kids;
        if (ww.err)
            return -1;
        *root = ww.root;
        ((ctr_Value *)c->values.p + *root)->len = set != UINT32_MAX ? 1 : nnew;
        if (named && (ww.names < 0 || 2 * name_ids.n != nnew)) {
            unwrite(c, values0, data0, kinds0);   /* a name that cannot be an id: written
                                                     again with Str names */
            named = 0;
            continue;
        }
        *add = *add && named && name_ids.n == 1 && c->values.len == ((size_t)*root + 2) * sizeof(ctr_Value)
            && !ctv_container[((ctr_Value *)c->values.p)[*root + 1].kind];
        if (*add) {
            *add_name = name_ids.p[0];
            return 0;
        }
        if (named && names_node(c, *root) < 0)
            return -1;
        if (set == UINT32_MAX && pack_node(c, *root) < 0)
            return -1;
        return 0;
    }
}

/* kids_kind_a: each of the n objects at items is an int, float or bool of
   exactly that type (ctv_kind_a: one node of that kind, `a` alone) */
static int
kids_kind_a(PyObject *const *items, uint32_t n)
{
    int kind;
    int64_t a;
    for (uint32_t i = 0; i < n; i++)
        if (!ctv_kind_a(items[i], &kind, &a))
            return 0;
    return 1;
}

/* write_atoms: what write_kids writes for object o, an exact list or set
   (edit_items) whose entry holds `kind` and `flags` (the walk's root_kind
   and root_flags), of `length` items (no more than max_items, as
   edit_items asks: not Truncated), with the children of array `items` (n
   of them, each an int, float or bool: kids_kind_a), without its walk:
   the content's root node (that kind and flags, o's type, b the length)
   and the children's nodes, each of
   its kind and type with `a` alone, the types' ids taken in the walk's
   order; packed as write_kids packs it. The root node's index, or
   CTV_NONE on an error. */
static uint32_t
write_atoms(ct_chunk *c, uint8_t kind, uint8_t flags, PyObject *o, PyObject *const *items, uint32_t n,
            int64_t length)
{
    uint32_t type = cti_type(c, Py_TYPE(o));
    ctr_Value *v = type == CTI_NONE ? NULL : ct_vec_push(&c->values, sizeof *v);
    if (v == NULL)
        return CTV_NONE;
    uint32_t root = (uint32_t)(c->values.len / sizeof *v - 1);
    *v = (ctr_Value){ .a = 0, .b = length, .len = n, .type = type, .kind = kind, .flags = flags };
    for (uint32_t i = 0; i < n; i++) {
        int k = 0;
        int64_t a = 0;
        (void)ctv_kind_a(items[i], &k, &a);   /* (true: kids_kind_a) */
        type = cti_type(c, Py_TYPE(items[i]));
        v = type == CTI_NONE ? NULL : ct_vec_push(&c->values, sizeof *v);
        if (v == NULL)
            return CTV_NONE;
        *v = (ctr_Value){ .a = a, .b = 0, .len = 0, .type = type, .kind = (uint8_t)k, .flags = 0 };
    }
    return pack_node(c, root) < 0 ? CTV_NONE : root;
}

/* edit_atoms: edit_core's record of object o (entry e, an exact list or
   set of `length` items) whose stretch [at, at + wnew) of `items`, in
   place of wcut kids, holds ints, floats and bools alone (kids_kind_a):
   the ObjSet of child `set` (set_child), or the ObjPut with the stretch's
   nodes (write_atoms), without write_kids' walk. 1, or -1: an error. */
static __attribute__((noinline)) int
edit_atoms(ct_chunk *c, ctv_stack *st, const ctv_obj *e, PyObject *o, PyObject *const *items, uint32_t at,
           uint32_t wcut, uint32_t wnew, uint32_t set, int64_t length)
{
    uint32_t id = e->id;   /* (e's fields read first: a write may move the table) */
    uint8_t kind = e->kind, flags = e->flags;
    if (set != UINT32_MAX)
        return set_child(c, st, id, set, items[set]) < 0 || c->failed ? -1 : 1;
    uint32_t root = write_atoms(c, kind, flags, o, items + at, wnew, length);
    if (root == CTV_NONE)
        return -1;
    ctr_emit_ObjPut(c, id, at, wcut, root, length);
    return c->failed ? -1 : 1;
}

/* EDIT_MAX: the most items of a set an edit gathers (a list's are
   read in place, up to max_items). */
#define EDIT_MAX 64
#define EDIT_SETS 2   /* the most ObjSets an edit writes for items set in place */

static inline __attribute__((always_inline)) int
edit_core(ct_chunk *c, ctv_stack *st, ctv_obj *e, PyObject *o, PyObject *const *items, uint32_t n1,
          int64_t length, int pairs, int slots, ctv_coll *got);

/* edit_items: exact list or set o (entry e, a shadow's, checked in this
   chunk, o's type), none of its kids past max_items, each an atom or an
   object whose Object node stands (kids_alive), now holds atoms and
   objects checked before under their types (their Object nodes known
   without a walk: object_kid_print), none past max_items either, its shown
   items (a list's in place, a set's in table order, the built-in
   iterator's) the kids but for one stretch: items appended, inserted,
   popped or discarded, a few set (fannkuch's swaps, go's and nqueens'
   lists and sets growing and shrinking by one, deltablue's lists of
   constraints, chaos's lists of points). What the check below would do (a
   walk of every item for the prints, another to write the stretch)
   without the first walk: the stretch's new items' prints (kid's), the
   stretch trimmed to the prints that differ, and the records the check
   writes for it (an ObjSet for one item, one each for two set in place,
   else the ObjPut of the stretch, written by the check's own writing
   walk). Making the prints and nodes of atoms and Object nodes runs no
   code. The traversal goes on into the object kids (collect). 1: done; 0:
   not such a case (the check walks); -1: an error. */
static __attribute__((noinline)) int
edit_items(ct_chunk *c, ctv_stack *st, ctv_obj *e, PyObject *o, ctv_coll *got)
{
    PyObject *buf[EDIT_MAX];
    PyObject *const *items;
    Py_ssize_t size;
    if (!e->shadow || e->bytes || e->pairs || e->length != (int64_t)e->n || e->n > (uint32_t)lim.max_items)
        return 0;
    if (Py_IS_TYPE(o, &PyList_Type)) {
        items = ((PyListObject *)o)->ob_item;
        size = PyList_GET_SIZE(o);
        if (size > lim.max_items)
            return 0;
    } else if (Py_IS_TYPE(o, &PySet_Type)) {
        const PySetObject *so = (const PySetObject *)o;
        size = so->used;
        if (size > lim.max_items || size > EDIT_MAX)
            return 0;
        Py_ssize_t m = 0;
        for (Py_ssize_t i = 0; m < size && i <= so->mask; i++) {
            if (so->table[i].key != NULL && so->table[i].hash != -1)   /* (not unused, not a dummy) */
                buf[m++] = so->table[i].key;
        }
        if (m != size)
            return 0;
        items = buf;
    } else
        return 0;
    return edit_core(c, st, e, o, items, (uint32_t)size, size, 0, 0, got);
}

/* edit_members: edit_items for an instance without a dict (none made or
   to be made: no managed dict, no dict slot; not an exception) whose
   attributes are its __slots__ object slots alone (attrs() reads each
   slot's pointer; none of their names hidden), e its pairs (name, value),
   all of them shown: a slot set for the first time (raytrace's Vec: x, y
   and z in its __init__, each an ObjAdd), set again or deleted. */
static int
edit_members(ct_chunk *c, ctv_stack *st, ctv_obj *e, PyObject *o, ctv_coll *got)
{
    PyTypeObject *t = Py_TYPE(o);
    if (e->kind != CTV_Instance || !e->pairs || !e->shadow || e->bytes || e->wdict != NULL
            || t->tp_dictoffset != 0 || (t->tp_flags & Py_TPFLAGS_MANAGED_DICT) || PyExceptionInstance_Check(o)
            || (uint64_t)2 * (uint64_t)e->length != e->n || e->length > lim.max_items)
        return 0;
    int cached;
    ctv_members *ms = members_of(t, &cached);
    if (ms == NULL)
        return members_lost();
    PyObject *buf[2 * EDIT_MAX];
    uint32_t n1 = 0;
    int ok = ms->n <= EDIT_MAX, slots = ms->any;
    for (uint32_t i = 0; ok && i < ms->n; i++) {
        const PyMemberDef *m = ms->mem[i].m;
        if (m->type != Py_T_OBJECT_EX || (m->flags & Py_RELATIVE_OFFSET) || ctx_hides(ms->mem[i].name)) {
            ok = 0;
            break;
        }
        PyObject *v = *(PyObject **)((char *)o + m->offset);
        if (v != NULL) {
            buf[n1++] = ms->mem[i].name;   /* (borrowed: the type's member descriptors hold them too) */
            buf[n1++] = v;
        }
    }
    members_done(ms, cached);
    if (!ok || n1 / 2 > (uint32_t)lim.max_items)
        return 0;
    return edit_core(c, st, e, o, buf, n1, n1 / 2, 1, slots, got);
}

/* edit_core: edit_items's and edit_members's check of o (entry e) whose
   shown children are now items[0:n1] (pairs: name and value), its length
   `length`; `slots`: its type has members (what the walk tells
   watch_after). Inline in each: `pairs` is a constant there. */
static inline __attribute__((always_inline)) int
edit_core(ct_chunk *c, ctv_stack *st, ctv_obj *e, PyObject *o, PyObject *const *items, uint32_t n1,
          int64_t length, int pairs, int slots, ctv_coll *got)
{
    uint32_t n0 = e->n, f = 0, s = 0;
    PyObject *const *kp = e->kp;
    const ctv_ekid *ek = ekids(e);
    while (f < n0 && f < n1 && items[f] == kp[f])
        f++;
    while (s < n0 - f && s < n1 - f && items[n1 - 1 - s] == kp[n0 - 1 - s])
        s++;
    if (pairs) {   /* pairs are replaced whole */
        f &= ~1u;
        s &= ~1u;
    }
    uint32_t cut = n0 - f - s, nnew = n1 - f - s;
    if (cut + nnew > 2 * EDIT_MAX)
        return 0;
    /* the object kids kept are the objects their prints name: not dead, no
       other object born at the address since (the ones cut may have died) */
    if (!e->leafy && e->alive != life_seq && (!kids_alive_in(e, 0, f) || !kids_alive_in(e, n0 - s, n0)))
        return 0;
    uint64_t prints[2 * EDIT_MAX];
    if (nnew > 2 * EDIT_MAX)
        return 0;
    for (uint32_t i = 0; i < nnew; i++) {   /* an object: one checked before, under its type */
        PyObject *v = items[f + i];
        if (!ctv_atom(v)) {
            ctv_obj *x = obj_find(v);
            if (x == NULL || x->mark == 0 || x->type != Py_TYPE(v) || !entry_kid_print(x, v, &prints[i]))
                return 0;
        }
    }
    for (uint32_t i = 0; i < nnew; i++) {   /* the atoms' prints, as kid() makes them */
        if (!ctv_atom(items[f + i]))
            continue;
        if (cut == nnew && ek[f + i].atom == items[f + i]) {
            prints[i] = ek[f + i].print;   /* (in place, the same atom: a swap's middle) */
            continue;
        }
        if (!pairs && atom_kid_print(items[f + i], &prints[i]))   /* (an int, float or bool: no walk; a
                                                                     pair's value walks: edit_members,
                                                                     inlined in the check, stays as it
                                                                     was) */
            continue;
        ctv_walk w;
        kid_walk(&w, c, 1, st);
        if (ctv_dispatch(&w, items[f + i]) < 0 || w.err)
            return -1;
        prints[i] = (w.h | 1) & ~KID_BYTES;
    }
    /* the stretch written: without the ends whose prints are the same (pairs whole) */
    uint32_t at = f, wcut = cut, wnew = nnew, p0 = 0, u = pairs ? 2 : 1;
    while (wcut >= u && wnew >= u && prints[p0] == ek[at].print
           && (!pairs || prints[p0 + 1] == ek[at + 1].print)) {
        at += u, p0 += u, wcut -= u, wnew -= u;
    }
    while (wcut >= u && wnew >= u && prints[p0 + wnew - 1] == ek[at + wcut - 1].print
           && (!pairs || prints[p0 + wnew - 2] == ek[at + wcut - 2].print)) {
        wcut -= u, wnew -= u;
    }
    uint32_t id = e->id;
    /* one child set: an ObjSet (a pair's value, its name the same); as many
       items as before, at most EDIT_SETS of them changed (a swap): an
       ObjSet each, not the stretch between them */
    uint32_t set = UINT32_MAX, sets[EDIT_SETS], nsets = 0;
    if (!pairs && wcut == 1 && wnew == 1)
        set = at;
    else if (pairs && wcut == 2 && wnew == 2 && prints[p0] == ek[at].print)
        set = at + 1;
    else if (!pairs && wcut == wnew && wcut > 1) {
        for (uint32_t i = 0; i < wcut && nsets <= EDIT_SETS; i++) {
            if (prints[p0 + i] != ek[at + i].print) {
                if (nsets < EDIT_SETS)
                    sets[nsets] = at + i;
                nsets++;
            }
        }
        if (nsets > EDIT_SETS)
            nsets = 0;
    }
    /* one pair added after the others: an ObjAdd when its name is an id
       and its value one node (write_kids) */
    int add = pairs && wcut == 0 && wnew == 2 && at == n0 && length == e->length + 1;
    /* remember it: the new kids, holding their atoms (kept ones shift) */
    if (n1 > e->cap) {
        uint32_t cap = n1 < 2 * e->cap ? 2 * e->cap : n1;
        PyObject **nkp = malloc(cap * (sizeof *nkp + sizeof(ctv_ekid)));
        if (nkp == NULL)
            return -1;
        ctv_ekid *nek = (ctv_ekid *)(nkp + cap);
        memcpy(nkp, kp, f * sizeof *nkp);
        memcpy(nek, ek, f * sizeof *nek);
        memcpy(nkp + f + nnew, kp + n0 - s, s * sizeof *nkp);
        memcpy(nek + f + nnew, ek + n0 - s, s * sizeof *nek);
        for (uint32_t i = f; i < f + cut; i++)
            Py_XDECREF(ek[i].atom);   /* (an atom: no finalizer) */
        free(e->kp);
        e->kp = nkp;
        e->cap = cap;
    } else {
        PyObject **mkp = e->kp;
        ctv_ekid *mek = ekids(e);
        for (uint32_t i = f; i < f + cut; i++)
            Py_XDECREF(mek[i].atom);
        memmove(mkp + f + nnew, mkp + n0 - s, s * sizeof *mkp);
        memmove(mek + f + nnew, mek + n0 - s, s * sizeof *mek);
    }
    PyObject **mkp = e->kp;
    ctv_ekid *mek = ekids(e);
    for (uint32_t i = 0; i < nnew; i++) {
        mkp[f + i] = items[f + i];
        mek[f + i] = (ctv_ekid){ prints[i], ctv_atom(items[f + i]) ? Py_NewRef(items[f + i]) : NULL };
    }
    e->n = n1;
    e->length = length;
    e->dirty = 0;
    e->nlog = 0;
    e->ver = ++ver_seq;
    e->alive = 0;
    ctv_walk w0;   /* what the walk of o would tell watch_after: atoms and Object nodes, no dict */
    walk_init(&w0, c, 1, st);
    w0.pairs = pairs;
    w0.slots = slots;
    watch_after(e, o, &w0);
    if (collect(st, e, n1, got) < 0)
        return -1;
    if (wcut == 0 && wnew == 0)
        return 1;   /* other objects of the same values (cut == nnew: the length is the same) */
    for (uint32_t i = 0; i < nsets; i++) {
        if (set_child(c, st, id, sets[i], items[sets[i]]) < 0)
            return -1;
    }
    if (nsets > 0)
        return 1;
    if (!pairs && wnew > 0 && kids_kind_a(items + at, wnew))   /* (ints, floats, bools alone) */
        return edit_atoms(c, st, e, o, items, at, wcut, wnew, set, length);
    uint32_t root = CTR_NOT_RECORDED, name = 0;
    if (wnew > 0 && write_kids(c, st, o, at, wnew, set, pairs && set == UINT32_MAX, &add, &name, &root) < 0)
        return -1;
    if (set != UINT32_MAX)
        obj_set(c, id, set, root);
    else if (add)
        obj_add(c, id, name, root);
    else
        ctr_emit_ObjPut(c, id, at, wcut, root, length);
    return c->failed ? -1 : 1;
}

/* changed_dict: entry e is an exact dict's, or an instance's read from
   its watched dict alone (skippable: no members, no child whose nodes
   change unseen, no bytearray child), that dict still o's own and changed
   since the check (dirty): what one_value and shown_same start from. */
static inline int
changed_dict(const ctv_obj *e, PyObject *o)
{
    return e->skip && e->dirty && !e->dead && !e->bytes && e->pairs && e->gen == dict_gen
        && e->wdict != NULL && (e->kind == CTV_Instance || e->kind == CTV_Dict)
        && (e->kind == CTV_Dict) == (e->wdict == o) && clean_dict(e, o);
}

/* one_value: o is an exact dict or an instance read from its watched
   dict alone (entry e skippable: no members, no child whose nodes change
   unseen), the dict the same one and changed since (dirty), and its
   entries are the keys and values last recorded, in order and as many,
   but one value: what the check below would do (two walks of every
   attribute) for that value alone, when it is an atom or an object named
   by an Object node (richards: an attribute rebound to another object or
   number). A Redacted value (ptr NULL) never matches, so its pair is
   walked. The print's walk may allocate, and a finalizer change the dict:
   then (ctv_wseq moved) the check walks. 1: done; 0: not such a case; -1: an
   error. */
static int
one_value(ct_chunk *c, ctv_stack *st, ctv_obj *e, PyObject *o, ctv_coll *got)
{
    if (!changed_dict(e, o))
        return 0;
    PyObject *d = e->wdict;   /* o's dict, borrowed: o holds it */
    if (PyDict_GET_SIZE(d) != e->length)
        return 0;
    Py_ssize_t pos = 0;
    PyObject *k, *x, *v = NULL;
    uint32_t n = e->n, i = 0, j = 0;
    if (e->nlog >= 1 && e->nlog <= LOG_MAX) {   /* the watcher logged each change: the keys' values alone */
        uint32_t found = 0;
        for (uint8_t t = 0; t < e->nlog; t++) {
            for (i = 0; i < n && e->kp[i] != e->lkey[t]; i += 2)
                ;
            if (i + 1 >= n)
                break;   /* (a key past max_items, or not the dict's own object: the pass) */
            found++;
            if (e->kp[i + 1] != e->lval[t]) {
                if (v != NULL)
                    return 0;   /* two values changed: the walk */
                v = e->lval[t];
                j = i + 1;
            }
        }
        if (found == e->nlog) {
            i = n;
            goto one;
        }
        v = NULL;
        i = 0;
    }
    while (i < n && PyDict_Next(d, &pos, &k, &x)) {
        if (i + 1 >= n || e->kp[i] != k)
            return 0;
        if (e->kp[i + 1] != x) {
            if (v != NULL)
                return 0;
            v = x;
            j = i + 1;
        }
        i += 2;
    }
one:
    if (v == NULL || i != n || e->kp[j] == NULL)
        return 0;
    uint64_t q = ctv_wseq, print;
    if (ekids(e)[j].atom != NULL && atom_kid_print(v, &print))   /* an atom for an atom: no walk, nothing
                                                                    allocated */
        return put_kid(c, st, e, o, j, v, print, NULL, got) < 0 ? -1 : 1;
    Py_INCREF(v);   /* (a finalizer may take it from the dict) */
    ctv_walk w;   /* its print, as kid() makes it */
    kid_walk(&w, c, 1, st);
    int rc = ctv_dispatch(&w, v) < 0 || w.err ? -1 : 0;
    e = obj_find(o);   /* (the table may have grown) */
    if (rc == 0 && (ctv_wseq != q || e == NULL || (!ctv_atom(v) && !w.objnode)))
        rc = 1;   /* changed meanwhile, or not one node of its own: the check walks */
    if (rc == 0) {
        w.pairs = 1;   /* what the walk of o would tell watch_after */
        w.idict = e->kind == CTV_Instance ? d : NULL;
        rc = put_kid(c, st, e, o, j, v, (w.h | 1) & ~KID_BYTES, &w, got) < 0 ? -1 : 2;
    }
    Py_DECREF(v);
    return rc < 0 ? -1 : rc == 2;
}

/* pairs_in_place: the entries of o's dict d from *pos on are, by pointer,
   the keys and values of e's n kids (n / 2 pairs), and *pos is then past
   them. */
static inline int
pairs_in_place(const ctv_obj *e, PyObject *d, Py_ssize_t *pos)
{
    PyObject *k, *x;
    uint32_t n = e->n, i = 0;
    while (i < n && PyDict_Next(d, pos, &k, &x)) {
        if (e->kp[i] != k || e->kp[i + 1] != x)
            return 0;
        i += 2;
    }
    return i == n;
}

/* shown_same: o is an exact dict or an instance read from its watched
   dict alone (entry e skippable, as one_value asks), changed since (dirty),
   whose recorded content was cut at max_items entries and whose first
   max_items entries are still the keys and values recorded, in order, each
   kid still the object its Object node names: what changed is past what is
   shown (a dict built in a loop, a counter of a key past the first ones,
   weakref.WeakKeyDictionary's `data`), so only its length may have, and
   the check writes at most a length-only ObjPut, as a list's shadow does,
   where the walk would hash every shown entry again. A dict's order is
   its insertion order and an added key goes last, so the first entries
   compared by pointer are the ones a walk would record. 1: done; 0: not
   such a case; -1: an error. */
static int
shown_same(ct_chunk *c, ctv_stack *st, ctv_obj *e, PyObject *o, ctv_coll *got)
{
    if (e->length < lim.max_items || e->n != 2 * (uint32_t)lim.max_items || !changed_dict(e, o))
        return 0;
    PyObject *d = e->wdict;   /* o's dict, borrowed: o holds it */
    Py_ssize_t size = PyDict_GET_SIZE(d), pos = 0;
    if (size < lim.max_items)
        return 0;
    uint32_t n = e->n;
    if (!pairs_in_place(e, d, &pos) || !kids_alive(e, n))
        return 0;
    e->dirty = 0;
    e->nlog = 0;
    if (size != e->length) {
        e->ver = ++ver_seq;
        ctr_emit_ObjPut(c, e->id, n, 0, CTR_NOT_RECORDED, size);
        if (c->failed)
            return -1;
        e->length = size;
    }
    return collect(st, e, n, got) < 0 ? -1 : 1;
}

/* one_add: o is an exact dict or an instance read from its watched dict
   alone (entry e skippable, as one_value asks), changed since (dirty),
   whose entries are the keys and values last recorded, in order, all of
   them shown, and one pair more after them (an attribute set in
   `__init__`, at the Step after its line: chaos's GVectors, deltablue's
   variables): what the check below would do (a walk of every pair to find
   the new one, another to write it) for that pair alone, when its name can
   be a name id and its value is an atom or an object named by an Object
   node: the pair's prints (kid's), the records the writing walk would
   make in its order (o's type, the name, the value's node), the ObjAdd
   (obj_add's). The prints' walks may allocate, and a finalizer change the
   dict: then (ctv_wseq moved) the check walks. *pe: o's entry, found anew
   when the prints were made (the table may have grown). 1: done; 0: not
   such a case; -1: an error. */
static int
one_add(ct_chunk *c, ctv_stack *st, ctv_obj **pe, PyObject *o, ctv_coll *got)
{
    ctv_obj *e = *pe;
    PyObject *d = e->wdict;   /* o's dict, borrowed: o holds it (NULL once it died) */
    if (d == NULL || !e->dirty || e->length >= lim.max_items || PyDict_GET_SIZE(d) != e->length + 1
            || e->n != 2 * (uint64_t)e->length || !changed_dict(e, o))
        return 0;   /* (the length first: one_value's case, after, has the length recorded) */
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    uint32_t n = e->n;
    if (!pairs_in_place(e, d, &pos) || !PyDict_Next(d, &pos, &k, &v) || !id_name(k)
            || (e->kind == CTV_Instance && ctx_hides(k)) || !kids_alive(e, n))
        return 0;   /* (a hidden attribute's value is Redacted: the walk writes it) */
    uint64_t q = ctv_wseq;
    Py_INCREF(k);   /* (a finalizer may take them from the dict) */
    Py_INCREF(v);
    ctv_walk kw, w;   /* their prints, as kid() makes them */
    kid_walk(&kw, c, 1, st);
    kid_walk(&w, c, 1, st);
    int rc = ctv_dispatch(&kw, k) < 0 || kw.err || ctv_dispatch(&w, v) < 0 || w.err ? -1 : 0;
    e = *pe = obj_get(o);   /* (the table may have grown) */
    if (e == NULL)
        rc = -1;
    if (rc == 0 && (ctv_wseq != q || e->n != n || (!ctv_atom(v) && !w.objnode) || w.n != 1))
        rc = 1;   /* changed meanwhile, or not one node of its own: the check walks */
    uint32_t name = 0;
    if (rc == 0 && (cti_type(c, Py_TYPE(o)) == CTI_NONE || (name = cti_name(c, k)) == CTI_NONE))
        rc = -1;
    uint32_t n1 = n + 2;
    if (rc == 0 && n1 > e->cap) {   /* (a new block: the ekids move with the cap) */
        PyObject **kp = malloc(n1 * (sizeof *kp + sizeof(ctv_ekid)));
        if (kp == NULL)
            rc = -1;
        else {
            if (n > 0) {
                memcpy(kp, e->kp, n * sizeof *kp);
                memcpy((ctv_ekid *)(kp + n1), ekids(e), n * sizeof(ctv_ekid));
            }
            free(e->kp);
            e->kp = kp;
            e->cap = n1;
        }
    }
    if (rc == 0) {   /* remember it, as the check's end does, and collect the kids */
        e->dirty = 0;
        e->nlog = 0;
        e->ver = ++ver_seq;
        e->kp[n] = k;
        e->kp[n + 1] = v;
        ekids(e)[n] = (ctv_ekid){ (kw.h | 1) & ~KID_BYTES, Py_NewRef(k) };   /* (an exact str) */
        ekids(e)[n + 1] = (ctv_ekid){ (w.h | 1) & ~KID_BYTES, ctv_atom(v) ? Py_NewRef(v) : NULL };
        e->n = n1;
        e->length++;
        e->alive = 0;
        w.pairs = 1;   /* what the walk of o would tell watch_after */
        w.idict = e->kind == CTV_Instance ? d : NULL;
        watch_after(e, o, &w);
        uint32_t id = e->id;
        if (collect(st, e, n1, got) < 0)
            rc = -1;
        /* the value's node after the one its holder's would take (obj_add drops that) */
        uint32_t root = (uint32_t)(c->values.len / sizeof(ctr_Value));
        ctv_walk ww;
        kid_walk(&ww, c, 0, st);
        if (rc == 0 && ct_vec_push(&c->values, sizeof(ctr_Value)) == NULL)
            rc = -1;
        if (rc == 0 && (ctv_dispatch(&ww, v) < 0 || ww.err))
            rc = -1;
        if (rc == 0) {
            obj_add(c, id, name, root);
            rc = c->failed ? -1 : 2;
        }
    }
    Py_DECREF(v);
    Py_DECREF(k);
    return rc < 0 ? -1 : rc == 2;
}

/* rewrite: o (entry e, o's type) is as last checked (skip_clean,
   shadow_clean), in an earlier chunk (its mark): its Obj in this chunk
   (each chunk gives the whole content of the objects it names) is written
   by the check's writing walk alone, the kids' prints kept (the check
   would walk every child for them first: they are the ones kept). 0, or
   -1: an error. */
static int
rewrite(ct_chunk *c, ctv_stack *st, ctv_obj *e, PyObject *o, ctv_coll *got)
{
    uint32_t id = e->id, n = e->n, root, name;
    int add = 0, named = named_kind(e->pairs, e->kind);
    if (collect(st, e, n, got) < 0)
        return -1;
    if (write_kids(c, st, o, 0, n, UINT32_MAX, named, &add, &name, &root) < 0)
        return -1;
    emit_obj(c, id, root);
    if (c->failed)
        return -1;
    e = obj_find(o);   /* (the table may have grown: the walk named objects) */
    if (e == NULL)
        return -1;
    e->ver = ++ver_seq;
    e->mark = cur_mark;
    return 0;
}

uint64_t ctv_changed;   /* (values.h) */

static int obj_check_in(ct_chunk *c, ctv_stack *st, PyObject *o, ctv_coll *got, int *named);

/* obj_check_once: obj_check_in, and ctv_changed moved on when it wrote
   records of an object the chunk named before (its Obj written earlier in
   the chunk: a Step's snapshot may show it) */
static int
obj_check_once(ct_chunk *c, ctv_stack *st, PyObject *o, ctv_coll *got)
{
    size_t k0 = c->kinds.len;
    uint64_t seq = c->seq;
    int named = 0;
    int rc = obj_check_in(c, st, o, got, &named);
    if (named && c->kinds.len != k0 && c->seq == seq)
        ctv_changed++;
    return rc;
}

static int
obj_check_in(ct_chunk *c, ctv_stack *st, PyObject *o, ctv_coll *got, int *named)
{
    mark_chunk(c);
    ctv_obj *e = obj_get(o);
    if (e == NULL)
        return -1;
    *named = e->mark == cur_mark;
    if (e->epoch == cur_epoch && e->mark == cur_mark) {
        /* checked earlier in this event: its children come from the table
           while it is as recorded then (else the traversal iterates it) */
        if (e->type == Py_TYPE(o) && (skip_clean(e, o) || shadow_clean(e, o))) {
            if (collect(st, e, e->n, got) < 0)
                return -1;
        }
        return 0;
    }
    e->epoch = cur_epoch;
    e->used = cur_mark;
    uint32_t id = e->id;
    int whole = e->mark != cur_mark || e->type != Py_TYPE(o);   /* the flags follow the type */
    if (whole && e->mark != 0 && e->type == Py_TYPE(o) && (skip_clean(e, o) || shadow_clean(e, o)))
        return rewrite(c, st, e, o, got);
    if (!whole && skip_clean(e, o)) {
        /* as last checked: the traversal goes on from the children kept */
        if (collect(st, e, e->n, got) < 0)
            return -1;
        return 0;
    }
    Py_ssize_t len;
    if (!whole && shadow_same(e, o, &len)) {
        /* a list, tuple, set or frozenset: its first max_items items are the
           kids'; or a slotted instance with the same members (its length too) */
        uint32_t k = e->n;
        if (len != e->length) {   /* only its length changed (past max_items) */
            e->ver = ++ver_seq;
            ctr_emit_ObjPut(c, id, k, 0, CTR_NOT_RECORDED, len);
            if (c->failed)
                return -1;
            e->length = len;
        }
        if (collect(st, e, k, got) < 0)
            return -1;
        return 0;
    }
    if (!whole) {
        int rc = one_atom(c, st, e, o, got);
        if (rc == 0)
            rc = shown_same(c, st, e, o, got);
        if (rc == 0)   /* (e found anew when it made prints and gave way) */
            rc = one_add(c, st, &e, o, got);
        if (rc == 0)
            rc = edit_items(c, st, e, o, got);
        if (rc == 0)
            rc = edit_members(c, st, e, o, got);
        if (rc == 0)   /* (last: it may grow the table, and e then moves) */
            rc = one_value(c, st, e, o, got);
        if (rc != 0)
            return rc < 0 ? -1 : 0;
        e = obj_get(o);   /* one_value made a value's print: the table may have grown */
        if (e == NULL)
            return -1;
    }
    e->dirty = 0;   /* before the walk: a change during it marks it again */
    e->nlog = 0;
    e->ver = ++ver_seq;
    ctv_walk w;
    /* the content now, hashed child by child (the atoms kept since the last check are not);
       an object written whole is written by the same walk */
    int one = whole;
    size_t values0 = c->values.len, data0 = c->data.len, kinds0 = c->kinds.len;
    walk_init(&w, c, !one, st);
    w.mode = W_SHALLOW;
    w.expand = o;
    w.kids = st->scratch;
    w.names = one;   /* (an instance's or a dict's names as ids: checked after) */
    name_ids.n = 0;
    if (!whole && e->n > 0) {   /* (a copy: the walk may run code that changes the entry) */
        if (kids_reserve(&st->oldkids, e->n) < 0)
            return -1;
        memcpy(st->oldkids.p, e->kp, e->n * sizeof *e->kp);
        memcpy(st->oldkids.k, ekids(e), e->n * sizeof(ctv_ekid));
        w.old = st->oldkids;
        w.nold = e->n;
    }
    w.collect = 1;
    w.st = st;
    uint32_t base = st->len;
    walk(&w, o);
    ctv_kids scratch = st->scratch = w.kids;
    if (w.err)
        return -1;
    *got = (ctv_coll){ base, st->len - base, w.pairs, 0 };
    uint32_t n1 = w.nkids;
    int64_t length = w.root_b;
    int kind = w.root_kind, flags = w.root_flags;
    e = obj_get(o);   /* the table may have grown */
    if (e == NULL)
        return -1;
    whole = whole || e->kind != kind || e->flags != flags;
    uint32_t at = 0, cut = 0, nnew = n1;
    if (!whole) {
        uint32_t n0 = e->n, f = 0, s = 0;
        while (f < n0 && f < n1 && ekids(e)[f].print == scratch.k[f].print)
            f++;
        while (s < n0 - f && s < n1 - f && ekids(e)[n0 - 1 - s].print == scratch.k[n1 - 1 - s].print)
            s++;
        if (w.pairs) {   /* pairs are replaced whole */
            f &= ~1u;
            s &= ~1u;
        }
        if (f == n0 && f == n1 && e->length == length) {
            for (uint32_t i = 0; i < n1; i++) {
                /* an atom child that is another object of the same value (an int
                   computed again, a member's value made anew) is held instead of
                   the one before: an atom kid's pointer is always one the table
                   holds, so no other object can be at that address while the kid
                   names it (a shadow compares the pointers) */
                PyObject *a = scratch.k[i].atom, *was = ekids(e)[i].atom;
                if (a != was) {
                    Py_XINCREF(a);
                    ekids(e)[i].atom = a;
                    Py_XDECREF(was);   /* (an atom: no finalizer) */
                }
            }
            if (n1 > 0)
                memcpy(e->kp, scratch.p, n1 * sizeof *e->kp);
            e->alive = 0;
            watch_after(e, o, &w);
            return 0;
        }
        at = f;
        cut = n0 - f - s;
        nnew = n1 - f - s;
    }
    /* one child replaced, the length unchanged (for pairs: the value of a
       pair whose key is unchanged): an ObjSet of that child */
    uint32_t set = UINT32_MAX;
    if (!whole && e->length == length && nnew == cut) {
        if (!w.pairs && cut == 1)
            set = at;
        else if (w.pairs && cut == 2 && ekids(e)[at].print == scratch.k[at].print)
            set = at + 1;
    }
    /* write it: the root node with children [at, at + nnew) (an ObjSet: the child `set`) */
    uint32_t root = CTR_NOT_RECORDED;
    /* one pair added after the others, the length one more: an ObjAdd when its
       name is an id and its value one node (format 9) */
    int add = !whole && set == UINT32_MAX && named_kind(w.pairs, kind) && cut == 0
        && nnew == 2 && at == e->n && length == e->length + 1;
    uint32_t add_name = 0;
    if (one) {   /* written by the walk above, names as ids where they all could be */
        int named = named_kind(w.pairs, kind);
        if (w.names < 0 || (named ? 2 * name_ids.n != n1 : name_ids.n != 0)) {
            unwrite(c, values0, data0, kinds0);   /* written again, with Str names (write_kids) */
            one = 0;
        } else {
            root = w.root;
            if (named && names_node(c, root) < 0)
                return -1;
            if (pack_node(c, root) < 0)
                return -1;
        }
    }
    if (!one && (whole || nnew > 0)
            && write_kids(c, st, o, at, nnew, set, set == UINT32_MAX && named_kind(w.pairs, kind), &add,
                          &add_name, &root) < 0)
        return -1;
    e = obj_get(o);
    if (e == NULL)
        return -1;
    if (whole) {
        emit_obj(c, id, root);
    } else if (set != UINT32_MAX) {
        obj_set(c, id, set, root);
    } else if (add) {
        obj_add(c, id, add_name, root);
    } else {
        ctr_emit_ObjPut(c, id, at, cut, root, length);
    }
    if (c->failed)
        return -1;
    /* remember it: the new children, holding their atoms */
    PyObject **kp = e->kp;
    if (n1 > e->cap) {   /* (a new block: the ekids move with the cap) */
        kp = malloc(n1 * (sizeof *kp + sizeof(ctv_ekid)));
        if (kp == NULL)
            return -1;
    }
    for (uint32_t i = 0; i < n1; i++)
        Py_XINCREF(scratch.k[i].atom);
    for (uint32_t i = 0; i < e->n; i++)
        Py_XDECREF(ekids(e)[i].atom);
    if (kp != e->kp) {
        free(e->kp);
        e->kp = kp;
        e->cap = n1;
    }
    if (n1 > 0) {
        memcpy(kp, scratch.p, n1 * sizeof *kp);
        memcpy(ekids(e), scratch.k, n1 * sizeof(ctv_ekid));
    }
    e->alive = 0;
    e->n = n1;
    e->kind = (uint8_t)kind;
    e->flags = (uint8_t)flags;
    e->type = Py_TYPE(o);
    e->length = length;
    e->mark = cur_mark;
    watch_after(e, o, &w);
    return 0;
}

void
ctv_epoch(void)
{
    cur_epoch++;
    if (__builtin_expect(cti_renames_pending, 0)) {   /* a class renamed: every object written whole
                                                         again (its Obj with the class's new type id),
                                                         as at a new chunk */
        cti_renames_pending = 0;
        cur_mark++;
    }
}

/* objs_clear: forget every object (a new recording). */
static void
objs_clear(void)
{
    for (size_t i = 0; i < objs_cap; i++) {
        if (objs[i].o != NULL) {
            unwatch(&objs[i]);
            obj_release(&objs[i]);
        }
    }
    free(objs);
    objs = NULL;
    objs_cap = objs_n = 0;
    memset(born, 0, sizeof born);
    objs_gen++;
    life_seq++;
    next_id = 0;
    cur_mark++;
}

/* Trees written in the current chunk, by fingerprint: a value met again
   unchanged in the same chunk becomes the same tree (records share it).
   Open addressing; emptied when the chunk, the recording or a rollback
   makes its indices stale. */
typedef struct { uint64_t print; uint32_t root; } shared_tree;
static shared_tree *shared;
static size_t shared_cap, shared_n;
static uint64_t shared_seq1;   /* 1 + chunk seq; 0: forgotten */

void
ctv_forget_shared(void)
{
    shared_seq1 = 0;
    cur_mark++;   /* the records of objects may have been undone: write them whole again */
}

/* ctv_atom_tab, ctv_atom_k: (values.h, ctv_atom) the atom types, each at
   the slot the top 8 bits of its address times ctv_atom_k give; the other
   slots NULL, which no type is. ctv_atoms_init tries odd multipliers from
   the golden ratio's until the seven types fall in seven slots. */
PyTypeObject *ctv_atom_tab[CTV_ATOM_SLOTS];
uint64_t ctv_atom_k;

int
ctv_atoms_init(void)
{
    PyTypeObject *const types[] = { Py_TYPE(Py_None), &PyLong_Type, &PyUnicode_Type, &PyBool_Type,
                                    &PyFloat_Type, &PyBytes_Type, &PyComplex_Type };
    const size_t nt = sizeof types / sizeof types[0];
    _Static_assert(CTV_ATOM_SLOTS == 256, "ctv_atom takes the product's top 8 bits");
    for (uint64_t k = 0x9E3779B97F4A7C15ULL, tries = 0; tries < 4096; tries++, k += 2) {
        PyTypeObject *tab[CTV_ATOM_SLOTS] = { NULL };
        size_t i = 0;
        for (; i < nt; i++) {
            size_t h = ((uint64_t)(uintptr_t)types[i] * k) >> 56;
            if (tab[h] != NULL)
                break;
            tab[h] = types[i];
        }
        if (i == nt) {
            memcpy(ctv_atom_tab, tab, sizeof tab);
            ctv_atom_k = k;
            return 0;
        }
    }
    PyErr_SetString(PyExc_SystemError, "ctgen_tracer: no table for the atom types was found");
    return -1;
}

void
ctv_start(const ctv_limits *limits, PyObject *missing_sentinel)
{
    lim = *limits;
    missing = missing_sentinel;
    objs_clear();
    born_interp = PyInterpreterState_Get();
    watch_start();
    ctv_forget_shared();
}

void
ctv_stop(void)
{
    objs_clear();
    watch_stop();
    names_clear();
    mcache_clear();
    free(coll.scratch.p);
    free(coll.scratch.k);
    free(coll.oldkids.p);
    free(coll.oldkids.k);
    coll.scratch = coll.oldkids = (ctv_kids){ NULL, NULL, 0 };
    coll_pop(&coll, 0);
    free(coll.p);
    coll.p = NULL;
    coll.cap = 0;
}

/* shared_slot: the slot of fingerprint p in the table of chunk c (NULL when
   there is no table). */
static shared_tree *
shared_slot(ct_chunk *c, uint64_t p)
{
    if (shared_seq1 != c->seq + 1) {
        if (shared != NULL)
            memset(shared, 0, shared_cap * sizeof *shared);
        shared_n = 0;
        shared_seq1 = c->seq + 1;
    }
    if (2 * (shared_n + 1) > shared_cap) {   /* grow (and rehash) at half full */
        size_t cap = shared_cap ? 2 * shared_cap : 1024;
        shared_tree *t = calloc(cap, sizeof *t);
        if (t == NULL)
            return NULL;
        for (size_t i = 0; i < shared_cap; i++) {
            if (shared[i].print == 0)
                continue;
            size_t k = (size_t)(shared[i].print >> 7) & (cap - 1);
            while (t[k].print != 0)
                k = (k + 1) & (cap - 1);
            t[k] = shared[i];
        }
        free(shared);
        shared = t;
        shared_cap = cap;
    }
    size_t k = (size_t)(p >> 7) & (shared_cap - 1);
    while (shared[k].print != 0 && shared[k].print != p)
        k = (k + 1) & (shared_cap - 1);
    return &shared[k];
}

/* A whole tree written (an atom's, an exception's) whose twin the chunk
   holds already: fingerprints of written trees, kept apart from the
   traversals' prints (which stand for Object nodes) by a constant. */
#define WRITTEN_TREE 0x9E3779B97F4A7C15ULL

/* share_written: the tree w just wrote, or the same tree the chunk holds
   already (the same fingerprint): then the new one is undone (its nodes and
   bytes, when the walk wrote no record meanwhile: a TypeDef's name is in
   the data pool too). data0, kinds0: the data pool's and the record
   stream's sizes before the walk. */
static uint32_t
share_written(ctv_walk *w, size_t data0, size_t kinds0)
{
    uint32_t root = done(w);
    ct_chunk *c = w->c;
    if (root == CTV_NONE || c->failed)
        return root;
    uint64_t p = (w->h ^ WRITTEN_TREE) | 1;
    shared_tree *s = shared_slot(c, p);
    if (s == NULL)
        return root;
    if (s->print != p) {
        s->print = p;
        s->root = root;
        shared_n++;
        return root;
    }
    if (c->kinds.len != kinds0)
        return root;
    c->values.len = (size_t)root * sizeof(ctr_Value);
    c->data.len = data0;
    return s->root;
}

/* shared_node: the index of a node the chunk holds already equal to node k
   (written at `root`), when k is a whole tree without bytes (len 0: None,
   an Object node, ...); else root, remembered. */
static uint32_t
shared_node(ct_chunk *c, const ctr_Value *k, uint32_t root)
{
    if (k->len != 0)
        return root;
    uint64_t h = mix(mix(mix(WRITTEN_TREE, (uint64_t)k->kind | (uint64_t)k->flags << 8 | (uint64_t)k->type << 32),
                         (uint64_t)k->a), (uint64_t)k->b);
    uint64_t p = (h ^ WRITTEN_TREE) | 1;
    shared_tree *s = shared_slot(c, p);
    if (s == NULL)
        return root;
    if (s->print == p)
        return s->root;
    s->print = p;
    s->root = root;
    shared_n++;
    return root;
}

uint32_t
ctv_value(ct_chunk *c, PyObject *o)
{
    ctv_walk w;
    size_t data0 = c->data.len, kinds0 = c->kinds.len;
    walk_init(&w, c, 0, &coll);
    if (o == missing)
        leaf(&w, o, CTV_Missing, 0, 0, 0);
    else
        walk(&w, o);
    return share_written(&w, data0, kinds0);
}

uint64_t
ctv_check(ct_chunk *c, PyObject *o)
{
    ctv_stack *st = &coll;
    ctv_walk w;
    uint64_t seq;
    int tries = 0;
    ctv_name *fn = NULL;
    ctv_obj *e;
    if (Py_TYPE(o) == &PyFunction_Type) {   /* a name: a traversal would visit one node, check nothing */
        fn = name_entry(o);
        if (fn != NULL && fn->print != 0)
            return fn->print;
        goto own;
    }
    e = obj_find(o);
    if (e != NULL && e->okstamp == fresh_stamp(c) && e->leafy && e->mark == cur_mark && !e->dead
            && e->type == Py_TYPE(o))
        goto leaf;   /* found clean in this stretch (another root's replay), with no object kids:
                        its traversal would check it alone and find it clean (replay) */
    uint64_t gen = objs_gen;
    int rp = replay(c, o, st, e);   /* the traversal's checks without its descent */
    if (rp < 0)
        return CTV_NO_PRINT;
    if (rp > 0 && e != NULL && objs_gen == gen)
        goto leaf;   /* (e stands: an entry moves only when the table is rebuilt) */
    if (rp > 0)
        goto own;
    /* its checks are kept for a root checked before in this chunk (a new
       object's, often a temporary's, list would seldom be replayed) */
    const ctv_obj *r0 = obj_find(o);
    int known = r0 != NULL && r0->mark == cur_mark && mark_seq1 == c->seq + 1;
    ctv_seen vis[64];
    ctv_ref refs[16];
    uint64_t q0 = ctv_wseq;
    do {   /* again when another thread handed over the chunk meanwhile: this one gives them whole */
        seq = c->seq;
        walk_init(&w, c, 1, st);
        w.mode = W_TRAVERSE;
        w.vis = known ? vis : NULL;
        w.capvis = known ? 64 : 0;
        w.refs = refs;
        w.caprefs = 16;
        w.vgen = objs_gen;
        walk(&w, o);
        if (w.err || c->seq != seq)
            vis_drop(&w);
        if (w.err)
            return CTV_NO_PRINT;
    } while (c->seq != seq && ++tries < 8);
    if (known)
        keep(o, &w, q0);
    vis_drop(&w);
own:
    if (fn == NULL) {   /* an object's own nodes, known from its last check as a value */
        e = obj_find(o);
leaf:
        if (e != NULL && e->oprint != 0 && e->oprint_id == e->id && e->oprint_type == Py_TYPE(o)
                && e->mark == cur_mark) {
            e->used = cur_mark;   /* what object_node does (its watch_first is for mark 0) */
            return e->oprint;
        }
    }
    walk_init(&w, c, 1, st);   /* the value's own nodes: an object is its id */
    w.mode = W_SHALLOW;
    walk(&w, o);
    if (w.err)
        return CTV_NO_PRINT;
    if (fn == NULL && w.rootobj && w.n == 1) {
        e = obj_find(o);
        if (e != NULL) {
            e->oprint = w.h | 1;
            e->oprint_id = e->id;
            e->oprint_type = Py_TYPE(o);
        }
    }
    if (fn != NULL && fn == name_entry(o))   /* still the entry of o's name */
        fn->print = w.h | 1;
    return w.h | 1;
}

uint32_t
ctv_inline(ct_chunk *c, PyObject *o, uint64_t print)
{
    shared_tree *s = print == CTV_NO_PRINT ? NULL : shared_slot(c, print);
    if (s != NULL && s->print == print)
        return s->root;
    ctv_walk w;
    walk_init(&w, c, 0, &coll);
    w.mode = W_SHALLOW;
    walk(&w, o);
    uint32_t root = done(&w);
    if (s != NULL && root != CTV_NONE) {
        s->print = print;
        s->root = root;
        shared_n++;
    }
    return root;
}

uint32_t
ctv_redacted(ct_chunk *c, PyObject *o)
{
    ctv_walk w;
    walk_init(&w, c, 0, &coll);
    leaf(&w, o, CTV_Redacted, 0, 0, 0);
    return done(&w);
}

uint32_t
ctv_exception(ct_chunk *c, PyObject *exc)
{
    ctv_walk w;
    size_t data0 = c->data.len, kinds0 = c->kinds.len;
    walk_init(&w, c, 0, &coll);
    if (!PyExceptionInstance_Check(exc))
        walk(&w, exc);
    else
        exception(&w, exc);
    return share_written(&w, data0, kinds0);
}
