/*
** windex.h -- the trace's index built by the writer thread (ctwi_): each
** chunk the writer writes is fed to the index's scan (decode.c,
** ctq_index_feed) as it is written, without the GIL. What index.py's
** build() takes from each chunk (its entry) is written at once to two
** spill files (unlinked, beside the event file): its numbers as a row of
** the index file's columns (int64, little-endian), the rest as its state's
** JSON text (an item of the file's "states"), so that what is kept in
** memory does not grow with the chunks. The scan's
** trace-wide lists (the chunks running each line, each function's Calls per
** chunk) are moved out of it after each chunk, kept compact: a line's chunks
** as runs of consecutive chunks, a function's (chunk, Calls) pairs as
** varints of the chunk's distance from the previous one and the count. At stop,
** ctwi_write_json writes the index file from the spill and the tables,
** streaming, with no Python object: the very JSON index.py's build() gives.
*/
#ifndef CT_WINDEX_H
#define CT_WINDEX_H

#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "vec.h"

typedef struct ctwi_list {    /* a key's list, compact (windex.c) */
    ct_vec v;
    uint32_t last;              /* a function's: the chunk of its latest pair */
} ctwi_list;

typedef struct ctwi_state {
    int ready;                  /* fed since ctwi_reset (the writer's event file) */
    int bad;                    /* a feed failed: stop asks for the scan (why) */
    char why[512];
    char *path;                 /* the event file */
    ctq_index x;
    size_t n;                   /* chunks fed */
    uint64_t end;               /* where the next chunk's frame starts in the event file */
    int spill;                  /* the states' spill file's descriptor (-1: none) */
    uint64_t spilled;           /* its bytes written */
    ct_vec out;                 /* JSON text not yet written to it */
    int spill_cols;             /* the columns' spill file (-1: none) */
    uint64_t cols_spilled;      /* its bytes written */
    ct_vec cols;                /* rows not yet written to it */
    ct_vec st;                  /* a chunk's state, before it is escaped into out */
    ct_vec seen;                /* per thread index (x.threads): int64 first, last step (-1: none) */
    ct_vec seen_order;          /* thread indices (size_t) in the order of their first step */
    ct_vec lines, calls;        /* ctwi_list per index of x.lines, x.calls: their numbers, compact */
    ct_vec defs;                /* the definitions that name something (see windex.c) */
    ctq_map latest;             /* (definition kind << 32 | id) -> 1 + its latest definition's offset in defs */
    ct_vec def_order[4];        /* per definition kind (path, function, type, name): ids (uint32) in order */
} ctwi_state;

extern ctwi_state ctwi;

/* ctwi_reset: forget what was fed (and free it); path: the event file the
   writer opens now (NULL: none, nothing is fed until the next reset). */
void ctwi_reset(const char *path);

/* ctwi_feed: chunk (size prefix included) of n bytes, whose frame of
   `framed` bytes (compressed or not) was written at file offset off. Only
   the writer thread, or the program's thread when there is none (around a
   fork), calls it, one at a time and in file order. */
void ctwi_feed(const uint8_t *chunk, size_t n, uint64_t off, uint64_t framed);

/* ctwi_fail: feeding stops; the index is made by a scan at stop. */
void ctwi_fail(const char *why);

/* ctwi_write_json: write the index of the event file `events` (index.py's
   build(): format `version`, a timeline of `timeline` spans) to `out`
   (created or truncated, then synced), from what was fed; then forget it
   (taken once). 0 and *steps; -1: not written (why: not this writer's event
   file, a feed failed, the file does not end where the writer's last frame
   did, an I/O error), and the caller scans the event file instead. */
int ctwi_write_json(const char *events, const char *out, int version, uint64_t timeline, uint64_t *steps,
                    char *why, size_t whylen);

#endif
