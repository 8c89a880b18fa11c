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

/* A map of uint64 keys to uint64 counts (open addressing). */
typedef struct ctq_map {
    uint64_t *keys, *vals;   /* key+1 in keys (0: empty), so keys are below UINT64_MAX */
    size_t cap, n;
} ctq_map;

int ctq_map_add(ctq_map *m, uint64_t key, uint64_t add);     /* -1: out of memory */
uint64_t *ctq_map_get(const ctq_map *m, uint64_t key);
void ctq_map_free(ctq_map *m);

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
typedef struct ctq_state ctq_state;
typedef int (*ctq_problem_fn)(void *ctx, const char *msg);
typedef int (*ctq_define_fn)(void *ctx, int kind, const uint8_t *rec, const ctq_chunk *c);

#define CTQ_THREAD_NONE (1ull << 32)   /* the thread of records before any Thread record (ids are uint32) */

struct ctq_state {
    /* options */
    int values;            /* check every value tree */
    int strict;            /* an undefined id is an error, not a problem */
    ctq_problem_fn problem;
    ctq_define_fn define;
    void *ctx;
    /* trace-wide state */
    ctq_ids *ids;          /* per id kind (1..CTQ_N_ID_KINDS) */
    uint64_t thread;       /* thread of the next record */
    ctq_map depth;         /* thread -> open activations */
    ctq_map threads;       /* threads records belong to -> records */
    uint64_t records;      /* records read */
    uint64_t *counts, *bytes;   /* per record kind */
    ctq_map by_function;   /* (kind << 32 | function id) -> records of that kind referring to it */
    ctq_map lines;         /* (function id << 32 | (uint32) line) -> Steps */
    ctq_map by_enum;       /* (kind << 40 | field << 32 | value) -> [records, text chars] via two maps */
    ctq_map enum_chars;
    /* per chunk, for value trees */
    uint8_t *done;         /* node is the root of a tree checked in this chunk */
    size_t done_cap;
    uint32_t *stack;
    size_t stack_cap;
    int64_t left;          /* nodes the chunk's trees may still take (overlap bound) */
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

#endif
