/*
** decode.h -- the trace decoder (prefix ctq_): reads and checks chunks of an
** event file by the spec's tables (generated/decoder.h), without Python.
**
** A ctq_state follows one trace, chunk by chunk, in file order: the ids its
** definition records define, the thread of each record, the activations
** open on each thread, and counts (records and bytes per kind, records per
** function, Steps per line, records and text per enum value). Every offset,
** length, index and id is checked against the bytes it was given: any input
** gives a result or an error message, never a read out of bounds.
** src/decode_py.c makes it the Python type ctgen_tracer._native.Checker;
** tests/fuzz/fuzz_decode.c drives it under AddressSanitizer.
*/
#ifndef CTGEN_DECODE_H
#define CTGEN_DECODE_H

#include <stddef.h>
#include <stdint.h>

/* ctq_uleb: the ULEB128 number at d[*p] (of n bytes) into *x, *p past it
   (a packed node's entries, format 9 on: docs/trace-format.md, "Packed
   children"). 0; -1: it runs past n; -2: it has more than 64 bits. */
static inline int
ctq_uleb(const uint8_t *d, uint64_t n, uint64_t *p, uint64_t *x)
{
    uint64_t v = 0;
    for (int shift = 0;; shift += 7) {
        if (shift >= 64)
            return -2;
        if (*p >= n)
            return -1;
        unsigned b = d[(*p)++];
        if (shift == 63 && (b & 0x7F) > 1)
            return -2;
        v |= (uint64_t)(b & 0x7F) << shift;
        if (b < 0x80)
            break;
    }
    *x = v;
    return 0;
}

/* A packed node's data (format 9 on: docs/trace-format.md, "Packed
   children"), read alike by the checker (decode.c) and the native tree
   decoder (decode_py.c). Each returns 0, or -1 with a message in err. */

/* ctq_packed_head: the content kind the packed node at data[a] (of `what`
   kind, with len children) stands for, *kind, checked to be a container
   with len fitting it; *p where its entries start; *names_at, for a named
   kind, the offset of its name ids. */
int ctq_packed_head(const uint8_t *d, uint64_t n, int64_t a, uint64_t len, const char *what, unsigned *kind,
                    uint64_t *p, uint32_t *names_at, char *err, size_t errlen);

/* ctq_packed_entry: the entry at d[*p], *p past its kind and type id:
   *kind 0xFF for a child that is a node (its subtree follows the packed
   node), else a leaf of a kind that packs, of type id *tid, whose number
   ctq_packed_number reads next. */
int ctq_packed_entry(const uint8_t *d, uint64_t n, uint64_t *p, unsigned *kind, uint64_t *tid, char *err,
                     size_t errlen);

/* ctq_packed_number: the a of a packed leaf of kind `kind` at d[*p] (0 for
   a kind whose entry holds none), *p past it. */
int ctq_packed_number(const uint8_t *d, uint64_t n, uint64_t *p, unsigned kind, int64_t *a, char *err,
                      size_t errlen);

/* A map of uint64 keys to uint64 counts (open addressing). */
typedef struct ctq_map {
    uint64_t *keys, *vals;   /* key+1 in keys (0: empty), so keys are below UINT64_MAX */
    size_t cap, n;
} ctq_map;

int ctq_map_add(ctq_map *m, uint64_t key, uint64_t add);     /* -1: out of memory */
uint64_t *ctq_map_get(const ctq_map *m, uint64_t key);
void ctq_map_free(ctq_map *m);

/* The places of a map's recent keys' counts (ctq_memo_count): valid while
   the map keeps the capacity `cap` it had when they were found. */
#define CTQ_MEMO 64
typedef struct ctq_memo {
    uint64_t key[CTQ_MEMO];
    uint64_t *at[CTQ_MEMO];
    size_t cap;
} ctq_memo;

/* ctq_memo_count: ctq_map_add(m, key, 1), through memo c (each record adds
   to a per-thread and a per-line count: a lookup saved). -1: out of memory. */
int ctq_memo_count(ctq_map *m, ctq_memo *c, uint64_t key);

/* A set of uint32 ids: a bitmap for small ids, a map beyond. */
typedef struct ctq_ids {
    uint8_t *bits;
    size_t nbits;
    ctq_map big;
} ctq_ids;

/* One chunk's vectors, found by ctq_parse. */
typedef struct ctq_vec {
    const uint8_t *p;
    uint32_t n;
} ctq_vec;

#define CTQ_MAX_SLOTS 64
typedef struct ctq_chunk {
    uint64_t seq;
    ctq_vec slot[CTQ_MAX_SLOTS];   /* vectors by Chunk table slot (scalars: unused) */
} ctq_chunk;

/* What the decoder reports: a problem (the trace is corrupt, reading goes on),
   a definition (its record kind and the record's bytes), and, in ctq_state,
   the error that stopped a chunk. */
/* The function of each thread's current activation as one chunk tells it,
   for the records that omit it (`omits`, docs/trace-format.md, "Records that
   omit a field"): per thread, the function of the innermost activation
   opened before the chunk (or unknown) then those of the activations opened
   in it; made again at each chunk. */
typedef struct ctq_fnthread {
    uint64_t tid;
    uint64_t *v;               /* function ids; CTQ_FN_UNKNOWN: the chunk does not tell */
    size_t n, cap;
} ctq_fnthread;
typedef struct ctq_fns {
    ctq_fnthread *t;
    size_t n, cap;
} ctq_fns;
#define CTQ_FN_UNKNOWN (1ull << 32)

/* The activations open on each thread: the one tracker the checker (depths
   only) and the index's scan (each activation's steps, for the timeline)
   follow, opened and closed by the records the spec marks (`activation`). */
typedef struct ctq_act {
    int64_t id, last, first;   /* last, first: the latest and first step (-1: none yet) */
    uint32_t fid, opened;      /* its function, the chunk its opening record is in */
    int32_t line;              /* the line of its latest step (when last >= 0) */
    uint32_t below_fn;         /* the index's: the thread's fn and fn_fed (ctq_ithread) when it opened */
    uint64_t below_fed;
} ctq_act;

typedef struct ctq_ithread {
    uint64_t tid, ident;       /* tid: CTQ_THREAD_NONE for records before any Thread */
    ctq_act *stack;            /* its open activations (with keep; else NULL) */
    size_t n, cap;             /* n: how many are open */
    /* the index's */
    int64_t exit_step;         /* -1: no Exit seen */
    int info;                  /* a Thread record named it (it has an entry in "threads") */
    uint64_t fed;              /* the chunk (x->fed) in which it has a place in x->mind: mind_at */
    size_t mind_at;
    uint64_t mind;             /* the smallest depth of its steps in that chunk (x->mind's, at the chunk's end) */
    /* The function of its innermost activation, as the chunk being read tells it (a Line takes it): fn, when
       fn_fed is that chunk's x->fed (else the chunk does not tell). An opening record sets it (its fn, or
       unknown) and keeps the one before in the activation (below_fn, below_fed), which its closing record
       puts back (one opened in an earlier chunk: unknown, as its stamp says); a Step sets it. */
    uint32_t fn;
    uint64_t fn_fed;
} ctq_ithread;

typedef struct ctq_acts {
    ctq_ithread *threads;      /* in the order they were first met */
    size_t nthreads, cap_threads;
    ctq_map thread_ix;         /* tid -> index into threads */
    int keep;                  /* each open activation kept in its thread's stack (else counted only) */
} ctq_acts;

/* ctq_acts_thread: the index of thread tid in a->threads, made (nothing open)
   when new; -1: out of memory. ctq_acts_open: *act opens on thread t (kept
   with keep); -1: out of memory. ctq_acts_close: 1 when an activation of t
   was open (with keep, t->stack[t->n] is it until the next open), 0 when
   none was. */
long long ctq_acts_thread(ctq_acts *a, uint64_t tid);
int ctq_acts_open(ctq_acts *a, ctq_ithread *t, const ctq_act *act);
static inline int
ctq_acts_close(ctq_ithread *t)
{
    if (!t->n)
        return 0;
    t->n--;
    return 1;
}
void ctq_acts_free(ctq_acts *a);

typedef struct ctq_state ctq_state;
typedef struct ctq_index ctq_index;
typedef int (*ctq_problem_fn)(void *ctx, const char *msg);
typedef int (*ctq_define_fn)(void *ctx, int kind, const uint8_t *rec, const ctq_chunk *c);

#define CTQ_THREAD_NONE (1ull << 32)   /* the thread of records before any Thread record (ids are uint32) */

struct ctq_state {
    /* options */
    int values;            /* check every value tree */
    int strict;            /* an undefined id is an error, not a problem */
    int clock;             /* the format has a Clock first in every chunk (CTR_CLOCK_SINCE on) */
    ctq_problem_fn problem;
    ctq_define_fn define;
    void *ctx;
    /* trace-wide state */
    ctq_ids *ids;          /* per id kind (1..CTQ_N_ID_KINDS) */
    uint64_t thread;       /* thread of the next record */
    ctq_acts acts;         /* the activations open on each thread (counted) */
    uint64_t acts_tid;     /* the thread whose index in acts is acts_at (UINT64_MAX: none yet) */
    size_t acts_at;
    ctq_map threads;       /* threads records belong to -> records */
    uint64_t records;      /* records read */
    uint64_t last_clock;   /* the latest Clock's ns (when seen_clock) */
    int seen_clock;
    uint64_t *counts, *bytes;   /* per record kind */
    ctq_map by_function;   /* (kind << 32 | function id) -> records of that kind referring to it */
    ctq_map lines;         /* (function id << 32 | (uint32) line) -> Steps */
    ctq_memo threads_memo, lines_memo, by_function_memo;   /* (ctq_memo_count's for those maps) */
    ctq_map by_enum;       /* (kind << 40 | field << 32 | value) -> [records, text chars] via two maps */
    ctq_map enum_chars;
    /* per chunk */
    ctq_fns fns;           /* the functions records that omit them take */
    uint8_t *done;         /* node is the root of a tree checked in this chunk */
    size_t done_cap;
    uint32_t *stack;
    size_t stack_cap;
    int64_t left;          /* nodes the chunk's trees may still take (overlap bound) */
    int64_t pleft;         /* packed children they may still take (format 9: half of data's bytes) */
    char err[512];         /* the error that stopped ctq_feed */
};

int ctq_init(ctq_state *s);
void ctq_free(ctq_state *s);

/* ctq_parse: find the vectors of a size-prefixed chunk (its size prefix
   included) of n bytes. 0, or -1 with the reason in err. */
int ctq_parse(const uint8_t *buf, size_t n, ctq_chunk *c, char *err, size_t errlen);

/* ctq_feed: read every record of a parsed chunk. 0; -1: an error in the
   records (s->err; the records before it are counted); -2: out of memory
   or a callback failed (its error stands). */
int ctq_feed(ctq_state *s, const ctq_chunk *c);

/* ctq_utf8_chars: the code points of valid UTF-8 (lone surrogates allowed, as
   Python's surrogatepass), or -1 with the reason in *why. */
long long ctq_utf8_chars(const uint8_t *p, size_t n, const char **why);

/* ctq_text: the bytes of a record's text field at flat field index f (its _off). */
int ctq_text(const ctq_chunk *c, int kind, const uint8_t *rec, int f, const uint8_t **p, uint32_t *n);

/* ctq_field: field f of record kind `kind` (or the Value struct, kind -1) as an int64. */
int64_t ctq_get(int kind, const uint8_t *rec, int f);

/* ctq_fns_feed: record kind k (bytes rec) on thread tid as a chunk's function
   trackers follow it (fns reset by n = 0 at each chunk); for a record that
   omits its function, *fn is what the chunk tells (CTQ_FN_UNKNOWN: nothing).
   0, or -2: out of memory. ctq_fns_free frees them. */
int ctq_fns_feed(ctq_fns *f, int k, const uint8_t *rec, uint64_t tid, uint64_t *fn);
void ctq_fns_free(ctq_fns *f);

/* ---- the trace index's scan (index.py, docs/trace-format.md "The index") ----

   A ctq_index follows one trace chunk by chunk in file order, as index.py's
   pure-Python build() does, reading only the record vectors the index needs
   (no value tree, no Python object per record): the activations open on each
   thread (ctq_acts, kept), the current thread, counters of steps, records and
   activations, per chunk the smallest call depth of each thread's steps, the
   Calls per function and the text bytes of Output records, and trace-wide the
   chunks running each (function, line), the chunks holding each function's
   Calls, each thread's ident and exit step, and the longest activations (the
   timeline). Which records open or close activations, define ids or carry
   Step's fn and line, a Thread's id, what and ident or an Output's text_len
   comes from the spec's tables (generated/decoder.h). */

typedef struct ctq_span {
    int64_t first, last;
    uint64_t depth, tid;
    uint32_t fid;
} ctq_span;

typedef struct ctq_list {      /* a key's growing list of numbers */
    uint64_t key;
    uint32_t *v;
    size_t n, cap;
} ctq_list;

struct ctq_index {
    ctq_define_fn define;      /* called for each definition record (its text checked) */
    void *ctx;
    uint64_t timeline;         /* activations the timeline keeps, about (half its limit) */
    /* trace-wide */
    uint64_t step, records, acts, threshold;
    size_t cur;                /* the current thread (index into threads) */
    ctq_acts th;               /* each thread's open activations (kept), in the order their stacks were made */
    size_t *info_order, ninfo, cap_info;   /* threads with an info entry, in the order they got it */
    ctq_list *lines, *calls;   /* (fn << 32 | line) -> chunks; function -> (chunk, Calls) pairs */
    size_t nlines, cap_lines, ncalls, cap_calls;
    ctq_map line_ix, call_ix;  /* key -> index into lines, calls */
#define CTQ_LINE_MEMO 1024
    uint64_t memo_key[CTQ_LINE_MEMO];   /* (fn << 32 | line) + 1 on whose list the chunk being read is (0: none) */
    uint16_t memo_set[CTQ_LINE_MEMO];   /* the slots of memo_key set in this chunk, in the order set: the next
                                           chunk empties these (all of memo_key when there were more) */
    size_t nmemo_set;                   /* slots set in this chunk (past CTQ_LINE_MEMO: the count stops there) */
    ctq_span *spans;
    size_t nspans, cap_spans;
    size_t span_room;          /* spans the timeline takes before ix_span_more must look: min(cap_spans, 2 *
                                  timeline), or less (0 until its first span) */
    /* the chunk just read */
    uint64_t fed;              /* chunks fed, this one included */
    uint32_t recs;
    uint64_t out;              /* Output text bytes */
    uint64_t *mind;            /* (thread index, smallest depth) pairs, in the order of their first step */
    size_t nmind, cap_mind;
    uint64_t *ccount;          /* (function, Calls) pairs, in the order of their first Call */
    size_t nccount, cap_ccount;
    ctq_map ccount_ix;
#define CTQ_CALL_MEMO 64
    uint64_t call_memo_key[CTQ_CALL_MEMO];   /* function + 1 whose pair is ccount[2 * call_memo_at] in the chunk
                                                being read (0: none; emptied at each chunk's start) */
    size_t call_memo_at[CTQ_CALL_MEMO];
    char err[512];
};

int ctq_index_init(ctq_index *x);
void ctq_index_free(ctq_index *x);
/* ctq_index_feed: read parsed chunk number seq. 0; -1: an error in its records
   (x->err); -2: out of memory or the define callback failed. */
int ctq_index_feed(ctq_index *x, const ctq_chunk *c, uint32_t seq);
/* ctq_index_finish: close the activations still open (into the timeline) and
   sort the timeline. 0, or -2: out of memory. */
int ctq_index_finish(ctq_index *x);

#endif
