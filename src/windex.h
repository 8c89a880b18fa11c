/*
** windex.h -- the trace's index built by the writer thread (ctwi_): each
** chunk the writer writes is fed to the index's scan (decode.c,
** ctq_index_feed) as it is written, without the GIL, and what index.py's
** build() takes from each chunk (its entry) is kept in C, so that the
** recorder's stop only turns it into the index's JSON (decode_py.c,
** _native.writer_index) instead of scanning the event file again.
*/
#ifndef CT_WINDEX_H
#define CT_WINDEX_H

#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "vec.h"

/* One chunk's entry (index.py's build(): off, step0, rec0, recs, act0,
   thread, stacks, out, steps, mind, clock). */
typedef struct ctwi_entry {
    uint64_t off, step0, rec0, recs, act0, steps, out, thread;
    int64_t clock;              /* -1: none (no Clock record first) */
    size_t stacks_at, nstacks;  /* in ctwi.pool (uint64s): nstacks threads, each tid, n, then n times 6 numbers */
    size_t mind_at, nmind;      /* in ctwi.pool (uint64s): nmind (tid, depth) pairs */
} ctwi_entry;

typedef struct ctwi_state {
    int ready;                  /* fed since ctwi_reset (the writer's event file) */
    int bad;                    /* a feed failed: stop asks for the scan (why) */
    char why[512];
    char *path;                 /* the event file */
    ctq_index x;
    ct_vec entries;             /* ctwi_entry, n of them */
    size_t n;
    ct_vec pool;                /* uint64_t */
    ct_vec defs;                /* the definition records that name something (see windex.c) */
} ctwi_state;

extern ctwi_state ctwi;

/* ctwi_reset: forget what was fed (and free it); path: the event file the
   writer opens now (NULL: none, nothing is fed until the next reset). */
void ctwi_reset(const char *path);

/* ctwi_feed: chunk (size prefix included) of n bytes, written at file
   offset off. Only the writer thread, or the program's thread when there
   is none (around a fork), calls it, one at a time and in file order. */
void ctwi_feed(const uint8_t *chunk, size_t n, uint64_t off);

/* ctwi_fail: feeding stops; the index is made by a scan at stop. */
void ctwi_fail(const char *why);

#endif
