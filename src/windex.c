/*
** windex.c -- the index built by the writer thread (windex.h). No Python:
** it runs on the writer thread without the GIL. The definitions it meets
** are kept as bytes (the kind, the record, its texts) and handed to Python
** at stop (decode_py.c); only those with a text (paths, functions, types,
** names: what index.py's definitions keep) are kept, not the objects'.
*/
#define _DEFAULT_SOURCE   /* realpath */
#include "windex.h"
#include "decoder.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ctwi_state ctwi;

void
ctwi_fail(const char *why)
{
    if (!ctwi.bad)
        snprintf(ctwi.why, sizeof ctwi.why, "%s", why);
    ctwi.bad = 1;
}

static int
put(ct_vec *v, const void *p, size_t n)
{
    void *q = ct_vec_push(v, n);
    if (q == NULL)
        return -1;
    memcpy(q, p, n);
    return 0;
}

static int
put_u32(uint32_t v)
{
    return put(&ctwi.defs, &v, 4);
}

/* The define callback: a definition with a text field, as kind, the record's
   bytes, then each text field's length and bytes (decode_py.c reads them back). */
static int
on_define(void *ctx, int kind, const uint8_t *rec, const ctq_chunk *c)
{
    (void)ctx;
    const ctq_record *r = &ctq_records[kind];
    int texts = 0;
    for (int f = 0; f < r->nfields; f++)
        texts += r->fields[f].text == 1;
    if (!texts)
        return 0;
    if (put_u32((uint32_t)kind) < 0 || put(&ctwi.defs, rec, r->size) < 0)
        return -1;
    for (int f = 0; f < r->nfields; f++) {
        const uint8_t *p;
        uint32_t n;
        if (r->fields[f].text != 1)
            continue;
        if (ctq_text(c, kind, rec, f, &p, &n) < 0 || put_u32(n) < 0 || put(&ctwi.defs, p, n) < 0)
            return -1;      /* (ix_define checked the text before) */
    }
    return 0;
}

void
ctwi_reset(const char *path)
{
    if (ctwi.ready)
        ctq_index_free(&ctwi.x);
    ct_vec_free(&ctwi.entries);
    ct_vec_free(&ctwi.pool);
    ct_vec_free(&ctwi.defs);
    free(ctwi.path);
    memset(&ctwi, 0, sizeof ctwi);
    if (path == NULL)
        return;
    ctwi.path = realpath(path, NULL);   /* (the file is open: it exists) */
    ctwi.x.define = on_define;
    ctwi.x.timeline = 4000;     /* index.py's TIMELINE_SPANS, checked there (windex_matches) */
    if (ctwi.path == NULL || ctq_index_init(&ctwi.x) < 0) {
        ctwi_fail("out of memory");
        return;
    }
    ctwi.ready = 1;
}

static int
pool_put(uint64_t v)
{
    return put(&ctwi.pool, &v, sizeof v);
}

#define POOL_AT (ctwi.pool.len / sizeof(uint64_t))

void
ctwi_feed(const uint8_t *buf, size_t n, uint64_t off)
{
    char err[256];
    ctq_chunk chunk;
    ctq_index *x = &ctwi.x;
    if (!ctwi.ready || ctwi.bad)
        return;
    if (ctq_parse(buf, n, &chunk, err, sizeof err) < 0) {
        ctwi_fail(err);
        return;
    }
    if (chunk.seq != ctwi.n) {
        ctwi_fail("a chunk's seq is not its place in the file");
        return;
    }
    ctwi_entry *e = ct_vec_push(&ctwi.entries, sizeof *e);
    if (e == NULL) {
        ctwi_fail("out of memory");
        return;
    }
    *e = (ctwi_entry){.off = off, .step0 = x->step, .rec0 = x->records, .recs = chunk.slot[CTQ_SLOT_kinds].n,
                      .act0 = x->acts, .thread = x->threads[x->cur].tid, .clock = -1};
    /* the open activations at the chunk's start (index.py: "stacks") */
    e->stacks_at = POOL_AT;
    for (size_t i = 0; i < x->nthreads; i++) {
        const ctq_ithread *t = &x->threads[i];
        if (!t->n)
            continue;
        if (pool_put(t->tid) < 0 || pool_put(t->n) < 0)
            goto oom;
        for (size_t j = 0; j < t->n; j++) {
            const ctq_act *a = &t->stack[j];
            if (pool_put((uint64_t)a->id) < 0 || pool_put(a->fid) < 0 || pool_put((uint64_t)a->last) < 0
                    || pool_put(a->opened) < 0 || pool_put((uint64_t)a->first) < 0
                    || pool_put((uint64_t)(int64_t)a->line) < 0)
                goto oom;
        }
        e->nstacks++;
    }
    int rc = ctq_index_feed(x, &chunk, (uint32_t)ctwi.n);
    if (rc == -1) {
        ctwi_fail(x->err);
        return;
    }
    if (rc < 0)
        goto oom;
    e->mind_at = POOL_AT;
    e->nmind = x->nmind;
    for (size_t i = 0; i < x->nmind; i++)
        if (pool_put(x->threads[x->mind[2 * i]].tid) < 0 || pool_put(x->mind[2 * i + 1]) < 0)
            goto oom;
    e->out = x->out;
    e->steps = x->step - e->step0;
    const ctq_vec *kinds = &chunk.slot[CTQ_SLOT_kinds], *clocks = &chunk.slot[ctq_records[CTR_K_Clock].slot];
    if (kinds->n && kinds->p[0] == CTR_K_Clock && clocks->n)
        e->clock = (int64_t)ctq_get(CTR_K_Clock, clocks->p, 0);
    ctwi.n++;
    return;
oom:
    ctwi_fail("out of memory");
}
