/*
** decode.c -- the trace decoder: reading and checking chunks by the spec's
** tables (generated/decoder.h). See decode.h. No Python here.
*/
#include "decode.h"
#include "decoder.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(CTQ_N_SLOTS <= CTQ_MAX_SLOTS, "ctq_chunk has room for every slot of the Chunk table");
_Static_assert(CTQ_MEMO == 64, "ctq_memo_count hashes a key to 6 bits");

/* ---- little-endian reads at any alignment (the caller has checked bounds) ---- */

static uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static int32_t rdi32(const uint8_t *p) { int32_t v; memcpy(&v, p, 4); return v; }
static int64_t rdi64(const uint8_t *p) { int64_t v; memcpy(&v, p, 8); return v; }

static inline int64_t
scalar(const uint8_t *p, int type)
{
    switch (type) {
    case CTQ_S_bool: case CTQ_S_ubyte: return p[0];
    case CTQ_S_byte: return (int8_t)p[0];
    case CTQ_S_ushort: return rd16(p);
    case CTQ_S_short: return (int16_t)rd16(p);
    case CTQ_S_uint: return rd32(p);
    case CTQ_S_int: return rdi32(p);
    case CTQ_S_long: case CTQ_S_ulong: return rdi64(p);
    default: return 0;   /* float, double: never a reference, an enum or a count */
    }
}


int64_t
ctq_get(int kind, const uint8_t *rec, int f)
{
    const ctq_field *fd = kind < 0 ? &ctq_value_fields[f] : &ctq_records[kind].fields[f];
    return scalar(rec + fd->offset, fd->scalar);
}

/* ---- maps and id sets ---- */

static uint64_t
mix(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return k;
}

uint64_t *
ctq_map_get(const ctq_map *m, uint64_t key)
{
    if (m->cap == 0)
        return NULL;
    size_t mask = m->cap - 1, i = mix(key) & mask;
    while (m->keys[i]) {
        if (m->keys[i] == key + 1)
            return &m->vals[i];
        i = (i + 1) & mask;
    }
    return NULL;
}

static int
grow(ctq_map *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    uint64_t *keys = calloc(cap, sizeof *keys), *vals = calloc(cap, sizeof *vals);
    if (keys == NULL || vals == NULL) {
        free(keys);
        free(vals);
        return -1;
    }
    for (size_t j = 0; j < m->cap; j++) {
        if (!m->keys[j])
            continue;
        size_t i = mix(m->keys[j] - 1) & (cap - 1);
        while (keys[i])
            i = (i + 1) & (cap - 1);
        keys[i] = m->keys[j];
        vals[i] = m->vals[j];
    }
    free(m->keys);
    free(m->vals);
    m->keys = keys;
    m->vals = vals;
    m->cap = cap;
    return 0;
}

int
ctq_memo_count(ctq_map *m, ctq_memo *c, uint64_t key)
{
    if (c->cap != m->cap) {     /* the map grew (or is new): its counts moved */
        memset(c->at, 0, sizeof c->at);
        c->cap = m->cap;
    }
    size_t h = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 58);   /* (CTQ_MEMO is 64: 6 bits) */
    if (c->at[h] != NULL && c->key[h] == key) {
        ++*c->at[h];
        return 0;
    }
    if (ctq_map_add(m, key, 1) < 0)
        return -1;
    if (c->cap != m->cap) {
        memset(c->at, 0, sizeof c->at);
        c->cap = m->cap;
    }
    c->key[h] = key;
    c->at[h] = ctq_map_get(m, key);
    return 0;
}

int
ctq_map_add(ctq_map *m, uint64_t key, uint64_t add)
{
    uint64_t *v = ctq_map_get(m, key);
    if (v != NULL) {
        *v += add;
        return 0;
    }
    if ((m->n + 1) * 2 > m->cap && grow(m) < 0)
        return -1;
    size_t mask = m->cap - 1, i = mix(key) & mask;
    while (m->keys[i])
        i = (i + 1) & mask;
    m->keys[i] = key + 1;
    m->vals[i] = add;
    m->n++;
    return 0;
}

void
ctq_map_free(ctq_map *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

#define BITMAP_MAX (1u << 24)   /* ids below it in a bitmap (2 MiB at most), the rest in a map */

static int
ids_has(const ctq_ids *s, uint32_t id)
{
    if (id < s->nbits)
        return (s->bits[id >> 3] >> (id & 7)) & 1;
    return id >= BITMAP_MAX && ctq_map_get(&s->big, id) != NULL;
}

static int
ids_add(ctq_ids *s, uint32_t id)
{
    if (id >= BITMAP_MAX)
        return ctq_map_add(&s->big, id, 0);
    if (id >= s->nbits) {
        size_t nbits = s->nbits ? s->nbits : 1024;
        while (nbits <= id)
            nbits *= 2;
        uint8_t *bits = realloc(s->bits, nbits / 8);
        if (bits == NULL)
            return -1;
        memset(bits + s->nbits / 8, 0, (nbits - s->nbits) / 8);
        s->bits = bits;
        s->nbits = nbits;
    }
    s->bits[id >> 3] |= (uint8_t)(1u << (id & 7));
    return 0;
}

/* ---- the chunk's FlatBuffer ---- */

static int
fail(char *err, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
    return -1;
}

int
ctq_parse(const uint8_t *buf, size_t n, ctq_chunk *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    if (n < 16)
        return fail(err, errlen, "chunk shorter than its header");
    if (memcmp(buf + 8, CTR_IDENTIFIER, 4) != 0)
        return fail(err, errlen, "chunk identifier is not %s", CTR_IDENTIFIER);
    uint64_t root = 4 + (uint64_t)rd32(buf + 4);
    if (root + 4 > n)
        return fail(err, errlen, "root offset out of the chunk");
    int64_t vt = (int64_t)root - rdi32(buf + root);
    if (vt < 0 || (uint64_t)vt + 4 > n)
        return fail(err, errlen, "vtable offset out of the chunk");
    unsigned vt_size = rd16(buf + vt), t_size = rd16(buf + vt + 2);
    if (vt_size < 4 || vt_size % 2 || (uint64_t)vt + vt_size > n)
        return fail(err, errlen, "bad vtable size");
    if (t_size < 4 || root + t_size > n)
        return fail(err, errlen, "bad table size");
    unsigned nfields = (vt_size - 4) / 2;
    for (int i = 0; i < CTQ_N_SLOTS && i < CTQ_MAX_SLOTS; i++) {
        unsigned off = (unsigned)i < nfields ? rd16(buf + vt + 4 + 2 * i) : 0;
        if (off == 0)
            continue;
        if (i == CTQ_SLOT_seq) {
            if (off + 8u > t_size)
                return fail(err, errlen, "field seq outside its table");
            c->seq = (uint64_t)scalar(buf + root + off, CTQ_SCALAR_seq);
            continue;
        }
        if (off + 4u > t_size)
            return fail(err, errlen, "field %d outside its table", i);
        uint64_t pos = root + off, vec = pos + rd32(buf + pos);
        if (vec + 4 > n)
            return fail(err, errlen, "vector %d out of the chunk", i);
        uint64_t count = rd32(buf + vec);
        uint64_t size = ctq_slot_size[i];
        if (vec + 4 + count * size > n)
            return fail(err, errlen, "vector %d (%llu elements) runs past the chunk", i,
                        (unsigned long long)count);
        c->slot[i].p = buf + vec + 4;
        c->slot[i].n = (uint32_t)count;
    }
    return 0;
}

/* ---- text ---- */

long long
ctq_utf8_chars(const uint8_t *p, size_t n, const char **why)
{
    long long chars = 0;
    size_t i = 0;
    while (i < n) {
        uint8_t b = p[i];
        chars++;
        if (b < 0x80) {
            i++;
            continue;
        }
        int need;
        uint8_t lo = 0x80, hi = 0xBF;
        if (b >= 0xC2 && b <= 0xDF)
            need = 1;
        else if (b >= 0xE0 && b <= 0xEF) {
            need = 2;
            if (b == 0xE0)
                lo = 0xA0;   /* (0xED: surrogates pass) */
        } else if (b >= 0xF0 && b <= 0xF4) {
            need = 3;
            if (b == 0xF0)
                lo = 0x90;
            if (b == 0xF4)
                hi = 0x8F;
        } else {
            *why = "invalid start byte";
            return -1;
        }
        if (i + 1 >= n) {
            *why = "unexpected end of data";
            return -1;
        }
        if (p[i + 1] < lo || p[i + 1] > hi) {
            *why = "invalid continuation byte";
            return -1;
        }
        for (int k = 2; k <= need; k++) {
            if (i + k >= n) {
                *why = "unexpected end of data";
                return -1;
            }
            if ((p[i + k] & 0xC0) != 0x80) {
                *why = "invalid continuation byte";
                return -1;
            }
        }
        i += 1 + need;
    }
    return chars;
}

int
ctq_text(const ctq_chunk *c, int kind, const uint8_t *rec, int f, const uint8_t **p, uint32_t *n)
{
    uint64_t off = (uint64_t)ctq_get(kind, rec, f), len = (uint64_t)ctq_get(kind, rec, f + 1);
    const ctq_vec *data = &c->slot[CTQ_SLOT_data];
    if (off + len > data->n)
        return -1;
    *p = data->p + off;
    *n = (uint32_t)len;
    return 0;
}

/* The node fields a layout reads (docs/spec-language.md, "Value layouts"), by index. */
static int node_a = -1, node_len = -1, node_kind = -1;
static int node_refs[CTQ_N_VALUE_FIELDS], node_nrefs;   /* its fields that are ids (-> WHAT) */

static void
find_node_fields(void)
{
    node_nrefs = 0;
    for (int f = 0; f < CTQ_N_VALUE_FIELDS; f++) {
        if (ctq_value_fields[f].ref >= 1 && ctq_value_fields[f].ref <= CTQ_N_ID_KINDS)
            node_refs[node_nrefs++] = f;
        if (!strcmp(ctq_value_fields[f].name, "a"))
            node_a = f;
        else if (!strcmp(ctq_value_fields[f].name, "len"))
            node_len = f;
        else if (!strcmp(ctq_value_fields[f].name, "kind"))
            node_kind = f;
    }
}

/* ---- the functions records omit (`omits`: docs/trace-format.md, "Records that omit a field") ---- */

/* omitted[k]: 1 + the flat index of the function field that a record omits in record kind k (0: none). */
static int8_t omitted[CTR_N_RECORDS];
static int omitted_ready;

/* A record standing for a Step without its fn (a Line, a ShortLine): its "line" field (line_of: -1 for the
   other kinds, and for every byte that is no record kind), that field's scalar and offset. */
static int8_t line_of[256];
static uint8_t line_scalar[CTR_N_RECORDS];
static uint16_t line_off[CTR_N_RECORDS];

static void
fns_setup(void)
{
    if (omitted_ready)
        return;
    memset(line_of, -1, sizeof line_of);
    for (int k = 0; k < CTR_N_RECORDS; k++) {
        const ctq_record *r = &ctq_records[k];
        if (r->omits >= 0)
            omitted[r->omits] = (int8_t)(r->omit_field + 1);
        for (int f = 0; r->omits == CTR_K_Step && f < r->nfields; f++)
            if (!strcmp(r->fields[f].name, "line")) {
                line_of[k] = (int8_t)f;
                line_scalar[k] = r->fields[f].scalar;
                line_off[k] = r->fields[f].offset;
            }
    }
    omitted_ready = 1;
}

/* line_at: the line of record kind k, one standing for a Step without its fn (line_of[k] >= 0; fns_setup
   ran), read directly when the spec makes it a 32-bit int or uint or a ushort. */
static inline int32_t
line_at(unsigned k, const uint8_t *rec)
{
    const uint8_t *p = rec + line_off[k];
    if (line_scalar[k] == CTQ_S_ushort)
        return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8);
    if (line_scalar[k] == CTQ_S_int || line_scalar[k] == CTQ_S_uint)
        return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
    return (int32_t)ctq_get((int)k, rec, line_of[k]);
}

static void
fns_free(ctq_fns *f)
{
    for (size_t i = 0; i < f->cap; i++)
        free(f->t[i].v);
    free(f->t);
    memset(f, 0, sizeof *f);
}

/* fns_new_thread: a new entry for thread tid, its outer function unknown; NULL: out of memory. */
static ctq_fnthread *
fns_new_thread(ctq_fns *f, uint64_t tid)
{
    if (f->n == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 4;
        ctq_fnthread *t = realloc(f->t, cap * sizeof *t);
        if (t == NULL)
            return NULL;
        memset(t + f->cap, 0, (cap - f->cap) * sizeof *t);
        f->t = t;
        f->cap = cap;
    }
    ctq_fnthread *t = &f->t[f->n];
    if (t->cap == 0) {
        if ((t->v = malloc(8 * sizeof *t->v)) == NULL)
            return NULL;
        t->cap = 8;
    }
    f->n++;
    t->tid = tid;
    t->v[0] = CTQ_FN_UNKNOWN;
    t->n = 1;
    return t;
}

/* fns_thread: thread tid's entry, made when new in the chunk; NULL: out of memory. */
static inline ctq_fnthread *
fns_thread(ctq_fns *f, uint64_t tid)
{
    for (size_t i = 0; i < f->n; i++)
        if (f->t[i].tid == tid)
            return &f->t[i];
    return fns_new_thread(f, tid);
}

/* ix_get: ctq_get, with uint and int fields read directly (the scans' usual fields: a Step's fn and line
   at every step, a Call's fn). */
static inline int64_t
ix_get(int kind, const uint8_t *rec, int f)
{
    const ctq_field *fd = &ctq_records[kind].fields[f];
    if (fd->scalar == CTQ_S_uint)
        return rd32(rec + fd->offset);
    if (fd->scalar == CTQ_S_int)
        return rdi32(rec + fd->offset);
    return ctq_get(kind, rec, f);
}

/* fns_on: fns_feed's work on thread entry t, for a record kind it follows. */
static inline __attribute__((always_inline)) int
fns_on(ctq_fnthread *t, int k, const uint8_t *rec, uint64_t *fn)
{
    const ctq_record *r = &ctq_records[k];
    if (r->activation == 1) {
        if (t->n == t->cap) {
            uint64_t *v = realloc(t->v, 2 * t->cap * sizeof *v);
            if (v == NULL)
                return -2;
            t->v = v;
            t->cap *= 2;
        }
        t->v[t->n++] = r->fn_field >= 0 ? (uint32_t)ix_get(k, rec, r->fn_field) : CTQ_FN_UNKNOWN;
    } else if (r->activation == 2) {
        if (t->n > 1)
            t->n--;
        else
            t->v[0] = CTQ_FN_UNKNOWN;
    } else if (r->omits >= 0) {
        *fn = t->v[t->n - 1];
    } else {
        t->v[t->n - 1] = (uint32_t)ix_get(k, rec, omitted[k] - 1);
    }
    return 0;
}

/* fns_feed: record kind k (bytes rec) on thread tid, as the chunk's trackers
   follow it: an opening record's function is the new innermost's, a closing
   one ends the innermost (the one below unknown when it was opened before the
   chunk), a record whose function a record may omit (Step) tells the
   innermost's; for a record that omits it, *fn is the innermost's
   (CTQ_FN_UNKNOWN: the chunk does not tell). 0, or -2: out of memory. */
static int
fns_feed(ctq_fns *f, int k, const uint8_t *rec, uint64_t tid, uint64_t *fn)
{
    const ctq_record *r = &ctq_records[k];
    if (!r->activation && r->omits < 0 && !omitted[k])
        return 0;
    ctq_fnthread *t = fns_thread(f, tid);
    if (t == NULL)
        return -2;
    return fns_on(t, k, rec, fn);
}

/* The chunk's function trackers for another walk of a chunk (src/walk.c). */
int
ctq_fns_feed(ctq_fns *f, int k, const uint8_t *rec, uint64_t tid, uint64_t *fn)
{
    fns_setup();
    return fns_feed(f, k, rec, tid, fn);
}

void
ctq_fns_free(ctq_fns *f)
{
    fns_free(f);
}

/* ---- state ---- */

int
ctq_init(ctq_state *s)
{
    ctq_problem_fn problem = s->problem;
    ctq_define_fn define = s->define;
    void *ctx = s->ctx;
    int values = s->values, strict = s->strict, clock = s->clock;
    memset(s, 0, sizeof *s);
    s->clock = clock;
    s->problem = problem;
    s->define = define;
    s->ctx = ctx;
    s->values = values;
    s->strict = strict;
    s->thread = CTQ_THREAD_NONE;
    s->acts_tid = UINT64_MAX;
    find_node_fields();
    fns_setup();
    s->ids = calloc(CTQ_N_ID_KINDS + 1, sizeof *s->ids);
    s->counts = calloc(CTR_N_RECORDS, sizeof *s->counts);
    s->bytes = calloc(CTR_N_RECORDS, sizeof *s->bytes);
    if (s->ids == NULL || s->counts == NULL || s->bytes == NULL) {
        ctq_free(s);
        return -1;
    }
    return 0;
}

void
ctq_free(ctq_state *s)
{
    if (s->ids != NULL)
        for (int i = 0; i <= CTQ_N_ID_KINDS; i++) {
            free(s->ids[i].bits);
            ctq_map_free(&s->ids[i].big);
        }
    free(s->ids);
    free(s->counts);
    free(s->bytes);
    free(s->done);
    free(s->stack);
    ctq_acts_free(&s->acts);
    ctq_map_free(&s->threads);
    ctq_map_free(&s->by_function);
    ctq_map_free(&s->lines);
    ctq_map_free(&s->by_enum);
    ctq_map_free(&s->enum_chars);
    fns_free(&s->fns);
    s->ids = NULL;
    s->counts = s->bytes = NULL;
    s->done = NULL;
    s->stack = NULL;
}

static int
stop(ctq_state *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof s->err, fmt, ap);
    va_end(ap);
    return -1;
}

static int
problem(ctq_state *s, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (s->strict) {
        memcpy(s->err, msg, sizeof msg);
        return -1;
    }
    return s->problem != NULL && s->problem(s->ctx, msg) < 0 ? -2 : 0;
}

/* ---- value trees ---- */

/* check_names: the len name ids at data[a] (a `named` node's) lie in data and are defined. */
static int
check_names(ctq_state *s, const ctq_vec *data, int64_t a, uint64_t len)
{
    if (a < 0 || len > data->n / 4 || (uint64_t)a + 4 * len > data->n)
        return stop(s, "name ids [%lld:%lld] outside the data pool", (long long)a,
                    (long long)(a + 4 * (int64_t)len));
    for (uint64_t j = 0; j < len; j++) {
        const uint8_t *q = data->p + a + 4 * j;
        uint32_t id = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24;
        if (!ids_has(&s->ids[CTQ_ID_name], id))
            return stop(s, "value uses undefined name id %u", id);
    }
    return 0;
}

/* ---- packed nodes (decode.h) ---- */

static int
packed_uleb(const uint8_t *d, uint64_t n, uint64_t *p, uint64_t *x, const char *what, char *err, size_t errlen)
{
    int rc = ctq_uleb(d, n, p, x);
    if (rc == -1)
        return fail(err, errlen, "packed children run past the data pool (%s)", what);
    if (rc == -2)
        return fail(err, errlen, "packed children: a %s of more than 64 bits", what);
    return 0;
}

int
ctq_packed_head(const uint8_t *d, uint64_t n, int64_t a, uint64_t len, const char *what, unsigned *kind,
                uint64_t *p, uint32_t *names_at, char *err, size_t errlen)
{
    if (a < 0 || (uint64_t)a >= n)
        return fail(err, errlen, "packed children at %lld outside the data pool", (long long)a);
    unsigned sk = d[a];
    *p = (uint64_t)a + 1;
    const ctq_layout *sl = sk < CTV_N_KINDS ? &ctq_layouts[sk] : NULL;
    if (sl == NULL || !(sl->layout == CTQ_L_items || sl->layout == CTQ_L_tuple || sl->layout == CTQ_L_pairs
                        || sl->layout == CTQ_L_attrs || sl->layout == CTQ_L_fields || sl->layout == CTQ_L_named))
        return fail(err, errlen, "a %s value stands for value kind %u, which is no container", what, sk);
    *kind = sk;
    if (sl->layout == CTQ_L_named) {
        if (*p + 4 > n)
            return fail(err, errlen, "packed children at %lld outside the data pool", (long long)a);
        const uint8_t *q = d + *p;
        *names_at = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24;
        *p += 4;
    } else if (sl->layout == CTQ_L_fields && len != (uint64_t)sl->children) {
        return fail(err, errlen, "%s value with %llu children, not %d", sl->kind, (unsigned long long)len,
                    sl->children);
    } else if ((sl->layout == CTQ_L_pairs || sl->layout == CTQ_L_attrs) && len % 2) {
        return fail(err, errlen, "%s value with an odd number of children", sl->kind);
    }
    return 0;
}

int
ctq_packed_entry(const uint8_t *d, uint64_t n, uint64_t *p, unsigned *kind, uint64_t *tid, char *err,
                 size_t errlen)
{
    if (*p >= n)
        return fail(err, errlen, "packed children run past the data pool");
    unsigned k = d[(*p)++];
    *kind = k;
    if (k == 0xFF)
        return 0;
    if (k >= CTV_N_KINDS || ctq_layouts[k].pack == CTQ_P_no)
        return fail(err, errlen, "a packed child of value kind %u, which does not pack", k);
    return packed_uleb(d, n, p, tid, "type id", err, errlen);
}

int
ctq_packed_number(const uint8_t *d, uint64_t n, uint64_t *p, unsigned kind, int64_t *a, char *err, size_t errlen)
{
    uint64_t z = 0;
    *a = 0;
    if (ctq_layouts[kind].pack == CTQ_P_varint) {
        if (packed_uleb(d, n, p, &z, "number", err, errlen) < 0)
            return -1;
        *a = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);   /* zigzag */
    } else if (ctq_layouts[kind].pack == CTQ_P_word) {
        if (*p + 8 > n)
            return fail(err, errlen, "packed children run past the data pool");
        for (int b = 7; b >= 0; b--)
            z = z << 8 | d[*p + (uint64_t)b];
        *a = (int64_t)z;
        *p += 8;
    }
    return 0;
}

/* check_packed: a `packed` node's data (format 9 on: docs/trace-format.md, "Packed
   children"): the kind it stands for, its name ids, its len entries; *nodes: the
   children that are nodes (their subtrees follow). */
static int
check_packed(ctq_state *s, const ctq_vec *data, const ctq_layout *lay, int64_t a, uint64_t len, uint64_t *nodes)
{
    *nodes = 0;
    unsigned sk, k;
    uint64_t p, tid;
    uint32_t off;
    int64_t x;
    if (ctq_packed_head(data->p, data->n, a, len, lay->kind, &sk, &p, &off, s->err, sizeof s->err) < 0)
        return -1;
    if (ctq_layouts[sk].layout == CTQ_L_named) {
        int rc = check_names(s, data, off, len);
        if (rc < 0)
            return rc;
    }
    if (len > data->n)
        return stop(s, "packed children run past the data pool");
    for (uint64_t j = 0; j < len; j++) {
        if (ctq_packed_entry(data->p, data->n, &p, &k, &tid, s->err, sizeof s->err) < 0)
            return -1;
        if (k == 0xFF) {
            (*nodes)++;
            continue;
        }
        if (tid > UINT32_MAX || !ids_has(&s->ids[CTQ_ID_type], (uint32_t)tid))
            return stop(s, "value uses undefined type id %llu", (unsigned long long)tid);
        if (ctq_packed_number(data->p, data->n, &p, k, &x, s->err, sizeof s->err) < 0)
            return -1;
    }
    s->pleft -= (int64_t)(len - *nodes);
    return 0;
}

/* check_tree: the pre-order tree at root, each node by its kind's layout, with
   the chunk's node budget (s->left): trees of distinct roots never share
   nodes in a trace the recorder wrote, so all of them hold at most the
   pool's nodes. */
static int
check_tree(ctq_state *s, const ctq_chunk *c, uint32_t root)
{
    const ctq_vec *pool = &c->slot[CTQ_SLOT_VALUES], *data = &c->slot[CTQ_SLOT_data];
    size_t depth = 0;
    uint64_t i = root;
    for (;;) {
        if (i >= pool->n)
            return stop(s, "value tree at %u runs past the values pool", root);
        if (--s->left < 0)
            return stop(s, "value trees overlap (the tree at %u shares nodes with another)", root);
        const uint8_t *node = pool->p + i * CTQ_VALUE_SIZE;
        int64_t a = scalar(node + ctq_value_fields[node_a].offset, ctq_value_fields[node_a].scalar);
        uint64_t len = (uint64_t)scalar(node + ctq_value_fields[node_len].offset, ctq_value_fields[node_len].scalar);
        unsigned kind = (unsigned)scalar(node + ctq_value_fields[node_kind].offset,
                                         ctq_value_fields[node_kind].scalar);
        for (int r = 0; r < node_nrefs; r++) {
            const ctq_field *fd = &ctq_value_fields[node_refs[r]];
            int64_t v = scalar(node + fd->offset, fd->scalar);
            if (!(fd->has_or && (uint32_t)v == fd->or_value) && !ids_has(&s->ids[fd->ref], (uint32_t)v))
                return stop(s, "value uses undefined %s id %u", ctq_id_kind_names[fd->ref], (uint32_t)v);
        }
        if (kind >= CTV_N_KINDS)
            return stop(s, "unknown value kind %u", kind);
        const ctq_layout *lay = &ctq_layouts[kind];
        uint64_t children = 0;
        switch (lay->layout) {
        case CTQ_L_text:
            if (a < 0 || (uint64_t)a + len > data->n)
                return stop(s, "text [%lld:%lld] outside the data pool", (long long)a,
                            (long long)(a + (int64_t)len));
            if (lay->encoding == CTQ_E_utf8) {
                const char *why;
                if (ctq_utf8_chars(data->p + a, len, &why) < 0)
                    return stop(s, "a %s value is not valid UTF-8: %s", lay->kind, why);
            }
            break;
        case CTQ_L_ref:
            if (a < 0 || (uint64_t)a >= i - root)
                return stop(s, "back-reference to a later node");
            break;
        case CTQ_L_items: case CTQ_L_tuple:
            children = len;
            break;
        case CTQ_L_pairs: case CTQ_L_attrs:
            if (len % 2)
                return stop(s, "%s value with an odd number of children", lay->kind);
            children = len;
            break;
        case CTQ_L_named: {   /* len name ids at data[a], then len children (docs/trace-format.md, "Names as ids") */
            int rc = check_names(s, data, a, len);
            if (rc < 0)
                return rc;
            children = len;
            break;
        }
        case CTQ_L_packed: {   /* data[a]: the kind, its names, len entries ("Packed children") */
            int rc = check_packed(s, data, lay, a, len, &children);
            if (rc < 0)
                return rc;
            if (s->pleft < 0)
                return stop(s, "value trees overlap (the tree at %u shares nodes with another)", root);
            break;
        }
        case CTQ_L_fields:
            if (len != (uint64_t)lay->children)
                return stop(s, "%s value with %llu children, not %d", lay->kind, (unsigned long long)len,
                            lay->children);
            children = len;
            break;
        default:
            break;
        }
        i++;
        if (children) {
            if (depth == s->stack_cap) {
                size_t cap = s->stack_cap ? s->stack_cap * 2 : 64;
                uint32_t *st = realloc(s->stack, cap * sizeof *st);
                if (st == NULL)
                    return -2;
                s->stack = st;
                s->stack_cap = cap;
            }
            s->stack[depth++] = (uint32_t)children;
            continue;
        }
        while (depth && --s->stack[depth - 1] == 0)
            depth--;
        if (!depth)
            return 0;
    }
}

static int
check_value(ctq_state *s, const ctq_chunk *c, uint32_t index)
{
    uint32_t count = c->slot[CTQ_SLOT_VALUES].n;
    if (index >= count)
        return stop(s, "value index %u out of %u nodes", index, count);
    if (s->done[index])
        return 0;
    int rc = check_tree(s, c, index);
    if (rc == 0)
        s->done[index] = 1;
    return rc;
}

/* ---- records ---- */

static int
check_text(ctq_state *s, const ctq_chunk *c, int k, const uint8_t *rec, int f, long long *chars)
{
    const ctq_record *r = &ctq_records[k];
    const uint8_t *p;
    uint32_t n;
    const char *why;
    int len = (int)strlen(r->fields[f].name) - 4;   /* NAME_off */
    if (ctq_text(c, k, rec, f, &p, &n) < 0)
        return stop(s, "%.*s text outside the data pool", len, r->fields[f].name);
    *chars = ctq_utf8_chars(p, n, &why);
    if (*chars < 0)
        return stop(s, "%s %.*s text is not valid UTF-8: %s", r->name, len, r->fields[f].name, why);
    return 0;
}

int
ctq_feed(ctq_state *s, const ctq_chunk *c)
{
    uint32_t cursor[CTR_N_RECORDS] = {0};
    const ctq_vec *kinds = &c->slot[CTQ_SLOT_kinds];
    uint32_t nodes = c->slot[CTQ_SLOT_VALUES].n;
    if (s->values) {
        if (nodes > s->done_cap) {
            uint8_t *d = realloc(s->done, nodes);
            if (d == NULL)
                return -2;
            s->done = d;
            s->done_cap = nodes;
        }
        if (nodes)
            memset(s->done, 0, nodes);
        s->left = nodes;
        s->pleft = (int64_t)(c->slot[CTQ_SLOT_data].n / 2);   /* a packed child takes 2 bytes or more */
    }
    s->fns.n = 0;
    if (s->clock && (kinds->n == 0 || kinds->p[0] != CTR_K_Clock)) {   /* the Clock rules: "The stream" */
        int rc = problem(s, "chunk %llu: its first record is not a Clock", (unsigned long long)c->seq);
        if (rc < 0)
            return rc;
    }
    for (uint32_t j = 0; j < kinds->n; j++) {
        unsigned k = kinds->p[j];
        if (k >= CTR_N_RECORDS)
            return stop(s, "unknown record kind %u", k);
        const ctq_record *r = &ctq_records[k];
        const ctq_vec *vec = &c->slot[r->slot];
        if (cursor[k] >= vec->n)
            return stop(s, "more %s kinds than %s records", r->name, r->name);
        const uint8_t *rec = vec->p + (size_t)cursor[k]++ * r->size;
        uint64_t n = s->records + 1;
        uint64_t size = r->size;
        int enum_field = -1;
        int64_t enum_value = 0;
        long long chars = 0;
        for (int f = 0; f < r->nfields; f++) {
            const ctq_field *fd = &r->fields[f];
            int64_t v = scalar(rec + fd->offset, fd->scalar);
            if (fd->enum_of) {
                const ctq_enum *e = &ctq_enums[fd->enum_of - 1];
                int ok = 0;
                for (int m = 0; m < e->n; m++)
                    ok |= e->values[m] == v;
                if (!ok) {
                    char names[256] = "";
                    for (int m = 0; m < e->n; m++) {
                        if (m)
                            strncat(names, "/", sizeof names - strlen(names) - 1);
                        strncat(names, e->names[m], sizeof names - strlen(names) - 1);
                    }
                    return stop(s, "%s record with %s %lld, which is no %s", r->name, fd->name, (long long)v, names);
                }
                if (enum_field < 0) {
                    enum_field = f;
                    enum_value = v;
                }
            }
            if (fd->text == 1) {
                long long nch = 0;
                if (check_text(s, c, (int)k, rec, f, &nch) < 0)
                    return -1;
                chars += nch;
                size += (uint64_t)scalar(rec + fd[1].offset, fd[1].scalar);
            }
            if (!fd->ref || (fd->has_or && (uint32_t)v == fd->or_value))
                continue;
            if (fd->ref <= CTQ_N_ID_KINDS) {
                if (!ids_has(&s->ids[fd->ref], (uint32_t)v)) {
                    int rc = problem(s, "record %llu (%s) uses undefined %s %u", (unsigned long long)n,
                                     r->name, ctq_id_kind_names[fd->ref], (uint32_t)v);
                    if (rc < 0)
                        return rc;
                }
                if (fd->ref == CTQ_ID_function
                        && ctq_memo_count(&s->by_function, &s->by_function_memo, (uint64_t)k << 32 | (uint32_t)v) < 0)
                    return -2;
            } else if (fd->ref == CTQ_POOL_VALUES && s->values) {
                int rc = check_value(s, c, (uint32_t)v);
                if (rc < 0)
                    return rc;
            }
        }
        if (r->compacts >= 0 && ctq_layouts[r->compact_kind].layout == CTQ_L_bool) {
            int64_t v = ctq_get((int)k, rec, r->compact_field);   /* the inline value a bool reads */
            if (v != 0 && v != 1)
                return stop(s, "%s record with %s %lld, which is no bool (0 or 1)", r->name,
                            r->fields[r->compact_field].name, (long long)v);
        }
        /* the logic of the stream (docs/trace-format.md, "The stream") */
        if (k == CTR_K_Clock) {
            uint64_t ns = (uint64_t)ctq_get((int)k, rec, 0);
            int rc = 0;
            if (j != 0)
                rc = problem(s, "record %llu: a Clock that is not its chunk's first record", (unsigned long long)n);
            else if (s->seen_clock && ns < s->last_clock)
                rc = problem(s, "record %llu: Clock %llu ns, before the previous Clock's %llu ns",
                             (unsigned long long)n, (unsigned long long)ns, (unsigned long long)s->last_clock);
            if (rc < 0)
                return rc;
            if (j == 0) {
                s->last_clock = ns;
                s->seen_clock = 1;
            }
        }
        uint64_t thread = s->thread;
        if (k == CTR_K_Thread) {
            uint32_t id;
            uint8_t what;
            memcpy(&id, rec + offsetof(ctr_Thread, id), 4);
            memcpy(&what, rec + offsetof(ctr_Thread, what), 1);
            thread = id;
            if (what != CTR_ThreadEvent_Exit)
                s->thread = id;
        }
        if (r->defines) {
            if (s->define != NULL && s->define(s->ctx, (int)k, rec, c) < 0)
                return -2;
            uint32_t id = (uint32_t)ctq_get((int)k, rec, 0);
            for (int f = 0; f < r->nfields; f++)
                if (!strcmp(r->fields[f].name, "id"))
                    id = (uint32_t)ctq_get((int)k, rec, f);
            if (ids_add(&s->ids[r->defines], id) < 0)
                return -2;
        }
        if (ctq_memo_count(&s->threads, &s->threads_memo, thread) < 0)
            return -2;
        uint64_t fn = CTQ_FN_UNKNOWN;
        if (fns_feed(&s->fns, (int)k, rec, thread, &fn) < 0)
            return -2;
        if (r->omits >= 0) {   /* read as its record (a Line as a Step) with the function the chunk tells */
            if (fn == CTQ_FN_UNKNOWN) {
                char th[32] = "None";
                if (thread != CTQ_THREAD_NONE)
                    snprintf(th, sizeof th, "%llu", (unsigned long long)thread);
                int rc = problem(s, "record %llu: %s on thread %s whose chunk tells no function of its activation",
                                 (unsigned long long)n, r->name, th);
                if (rc < 0)
                    return rc;
            } else if (ctq_memo_count(&s->by_function, &s->by_function_memo, (uint64_t)r->omits << 32 | (uint32_t)fn) < 0) {
                return -2;
            }
        }
        if (r->activation && thread != s->acts_tid) {   /* (the thread changes only at Thread records) */
            long long i = ctq_acts_thread(&s->acts, thread);
            if (i < 0)
                return -2;
            s->acts_tid = thread;
            s->acts_at = (size_t)i;
        }
        if (r->activation == 1) {
            static const ctq_act none;
            if (ctq_acts_open(&s->acts, &s->acts.threads[s->acts_at], &none) < 0)
                return -2;
        } else if (r->activation == 2) {
            if (!ctq_acts_close(&s->acts.threads[s->acts_at])) {
                char th[32] = "None";
                if (thread != CTQ_THREAD_NONE)
                    snprintf(th, sizeof th, "%llu", (unsigned long long)thread);
                int rc = problem(s, "record %llu: %s on thread %s with no activation", (unsigned long long)n,
                                 r->name, th);
                if (rc < 0)
                    return rc;
            }
        }
        if (k == CTR_K_Step || (r->omits == CTR_K_Step && fn != CTQ_FN_UNKNOWN)) {
            int32_t line;
            if (k == CTR_K_Step) {
                uint32_t f;
                memcpy(&f, rec + offsetof(ctr_Step, fn), 4);
                fn = f;
                memcpy(&line, rec + offsetof(ctr_Step, line), 4);
            } else {
                line = line_at(k, rec);
            }
            if (ctq_memo_count(&s->lines, &s->lines_memo, fn << 32 | (uint32_t)line) < 0)
                return -2;
        }
        if (enum_field >= 0) {
            uint64_t key = (uint64_t)k << 40 | (uint64_t)enum_field << 32 | (uint32_t)enum_value;
            if (ctq_map_add(&s->by_enum, key, 1) < 0 || ctq_map_add(&s->enum_chars, key, (uint64_t)chars) < 0)
                return -2;
        }
        s->counts[k]++;
        s->bytes[k] += size;
        s->records = n;
    }
    return 0;
}

/* ---- the trace index's scan (decode.h, "the trace index's scan") ---- */

enum { IX_NONE, IX_STEP, IX_OPEN, IX_CLOSE, IX_THREAD, IX_OUTPUT, IX_DEFINE };   /* STEP to CLOSE: fns_on follows them */

/* What the scan reads of each record kind, from the spec's tables. */
static struct {
    int ready;
    uint8_t role[CTR_N_RECORDS];
    int thread_id, thread_what, thread_ident, output_len;
} ix;

static int
field_named(int k, const char *name)
{
    for (int f = 0; f < ctq_records[k].nfields; f++)
        if (!strcmp(ctq_records[k].fields[f].name, name))
            return f;
    return -1;
}

static void
ix_setup(void)
{
    if (ix.ready)
        return;
    for (int k = 0; k < CTR_N_RECORDS; k++) {
        const ctq_record *r = &ctq_records[k];
        /* the definitions that name something (a path, function, type or name: a text field); not the
           chunk's clock, limits or objects, which the index does not keep (about one record in ten) */
        int names = 0;
        for (int f = 0; f < r->nfields; f++)
            names |= r->fields[f].text == 1;
        ix.role[k] = k == CTR_K_Step || r->omits == CTR_K_Step ? IX_STEP : r->activation == 1 ? IX_OPEN : r->activation == 2 ? IX_CLOSE
                   : k == CTR_K_Thread ? IX_THREAD : k == CTR_K_Output ? IX_OUTPUT : r->defines && names ? IX_DEFINE
                   : IX_NONE;
    }
    ix.thread_id = field_named(CTR_K_Thread, "id");
    ix.thread_what = field_named(CTR_K_Thread, "what");
    ix.thread_ident = field_named(CTR_K_Thread, "ident");
    ix.output_len = field_named(CTR_K_Output, "text_len");
    ix.ready = 1;
}

static int
grow_to(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 16;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * size);
    if (q == NULL)
        return -1;
    *p = q;
    *cap = c;
    return 0;
}

/* ---- the activations open on each thread (decode.h: ctq_acts) ---- */

long long
ctq_acts_thread(ctq_acts *a, uint64_t tid)
{
    uint64_t *i = ctq_map_get(&a->thread_ix, tid);
    if (i != NULL)
        return (long long)*i;
    if (grow_to((void **)&a->threads, &a->cap_threads, a->nthreads + 1, sizeof *a->threads) < 0
            || ctq_map_add(&a->thread_ix, tid, a->nthreads) < 0)
        return -1;
    ctq_ithread *t = &a->threads[a->nthreads];
    memset(t, 0, sizeof *t);
    t->tid = tid;
    t->exit_step = -1;
    return (long long)a->nthreads++;
}

int
ctq_acts_open(ctq_acts *a, ctq_ithread *t, const ctq_act *act)
{
    if (a->keep) {
        if (grow_to((void **)&t->stack, &t->cap, t->n + 1, sizeof *t->stack) < 0)
            return -1;
        t->stack[t->n] = *act;
    }
    t->n++;
    return 0;
}

void
ctq_acts_free(ctq_acts *a)
{
    for (size_t i = 0; i < a->nthreads; i++)
        free(a->threads[i].stack);
    free(a->threads);
    ctq_map_free(&a->thread_ix);
    memset(a, 0, sizeof *a);
}

/* Append v to the list of key in lists (a new list when key is new); only when it differs
   from the list's last number if distinct. -1: out of memory. */
static int
ix_append(ctq_list **lists, size_t *n, size_t *cap, ctq_map *m, uint64_t key, const uint32_t *v, int nv,
          int distinct)
{
    uint64_t *i = ctq_map_get(m, key);
    ctq_list *l;
    if (i == NULL) {
        if (grow_to((void **)lists, cap, *n + 1, sizeof **lists) < 0 || ctq_map_add(m, key, *n) < 0)
            return -1;
        l = &(*lists)[(*n)++];
        memset(l, 0, sizeof *l);
        l->key = key;
    } else {
        l = &(*lists)[*i];
        if (distinct && l->n && l->v[l->n - 1] == v[0])
            return 0;
    }
    if (grow_to((void **)&l->v, &l->cap, l->n + (size_t)nv, sizeof *l->v) < 0)
        return -1;
    memcpy(l->v + l->n, v, (size_t)nv * sizeof *v);
    l->n += (size_t)nv;
    return 0;
}

static int
span_cmp(const void *a, const void *b)
{
    const ctq_span *p = a, *q = b;
    return p->first < q->first ? -1 : p->first > q->first;
}

/* spans_sort: the timeline's spans in order of their first step (each step is one activation's, so
   no two spans share it): a byte-wise radix sort, the bytes of the largest first only; qsort when
   a buffer for it cannot be had. The index's spans are then the buffer the last pass wrote (no copy
   back): x->spans and x->cap_spans change. */
static void
spans_sort(ctq_index *x)
{
    ctq_span *sp = x->spans;
    size_t n = x->nspans;
    uint64_t top = 0;
    for (size_t i = 0; i < n; i++)
        top |= (uint64_t)sp[i].first;   /* (kept spans have first >= 0) */
    ctq_span *tmp = malloc(n * sizeof *tmp);
    if (tmp == NULL) {
        qsort(sp, n, sizeof *sp, span_cmp);
        return;
    }
    ctq_span *from = sp, *to = tmp;
    for (int shift = 0; shift < 64 && top >> shift; shift += 8) {
        size_t at[257] = {0};
        for (size_t i = 0; i < n; i++)
            at[((uint64_t)from[i].first >> shift & 0xff) + 1]++;
        for (int b = 0; b < 256; b++)
            at[b + 1] += at[b];
        for (size_t i = 0; i < n; i++)
            to[at[(uint64_t)from[i].first >> shift & 0xff]++] = from[i];
        ctq_span *t = from;
        from = to;
        to = t;
    }
    if (from != sp) {   /* an odd number of passes: the spans are in tmp */
        free(sp);
        x->spans = tmp;
        x->cap_spans = n;
        x->span_room = 0;
    } else {
        free(tmp);
    }
}

/* ix_span_more: ix_span when the spans are full or hold too many (the timeline's threshold doubled
   then), or span_room is not yet set. The first buffer holds the most the timeline keeps (2 * timeline
   + 1, up to 65,536 spans): it does not grow while it fills. */
static int
ix_span_more(ctq_index *x, const ctq_act *a, uint64_t depth, uint64_t tid)
{
    if (x->nspans == x->cap_spans) {
        size_t cap = x->cap_spans ? 2 * x->cap_spans
                   : x->timeline < 32768 ? 2 * (size_t)x->timeline + 1 : 65536;
        ctq_span *sp = realloc(x->spans, cap * sizeof *sp);
        if (sp == NULL)
            return -1;
        x->spans = sp;
        x->cap_spans = cap;
    }
    x->spans[x->nspans++] = (ctq_span){a->first, a->last, depth, tid, a->fid};
    if (x->nspans > 2 * x->timeline) {
        x->threshold *= 2;
        size_t j = 0;
        for (size_t i = 0; i < x->nspans; i++)
            if ((uint64_t)(x->spans[i].last - x->spans[i].first + 1) >= x->threshold)
                x->spans[j++] = x->spans[i];
        x->nspans = j;
    }
    x->span_room = x->cap_spans < 2 * x->timeline ? x->cap_spans : 2 * x->timeline;
    return 0;
}

/* ix_span: ix_keep's span kept (while there is room: one test). */
static inline int
ix_span(ctq_index *x, const ctq_act *a, uint64_t depth, uint64_t tid)
{
    if (x->nspans < x->span_room) {
        x->spans[x->nspans++] = (ctq_span){a->first, a->last, depth, tid, a->fid};
        return 0;
    }
    return ix_span_more(x, a, depth, tid);
}

/* An activation leaves its stack: into the timeline when it is long enough (index.py's keep()). */
static inline int
ix_keep(ctq_index *x, const ctq_act *a, uint64_t depth, uint64_t tid)
{
    if (a->first < 0 || (uint64_t)(a->last - a->first + 1) < x->threshold)
        return 0;
    return ix_span(x, a, depth, tid);
}

int
ctq_index_init(ctq_index *x)
{
    ctq_define_fn define = x->define;
    void *ctx = x->ctx;
    uint64_t timeline = x->timeline;
    memset(x, 0, sizeof *x);
    x->define = define;
    x->ctx = ctx;
    x->timeline = timeline;
    x->threshold = 1;
    x->th.keep = 1;
    ix_setup();
    fns_setup();
    return ctq_acts_thread(&x->th, CTQ_THREAD_NONE) < 0 ? -1 : 0;
}

void
ctq_index_free(ctq_index *x)
{
    ctq_acts_free(&x->th);
    for (size_t i = 0; i < x->nlines; i++)
        free(x->lines[i].v);
    for (size_t i = 0; i < x->ncalls; i++)
        free(x->calls[i].v);
    free(x->info_order);
    free(x->lines);
    free(x->calls);
    free(x->spans);
    free(x->mind);
    free(x->ccount);
    ctq_map_free(&x->line_ix);
    ctq_map_free(&x->call_ix);
    ctq_map_free(&x->ccount_ix);
    memset(x, 0, sizeof *x);
}

/* A definition record's text fields are in the data pool and valid UTF-8 (as reader.Trace._define says). */
static int
ix_define(ctq_index *x, const ctq_chunk *c, int k, const uint8_t *rec)
{
    const ctq_record *r = &ctq_records[k];
    for (int f = 0; f < r->nfields; f++) {
        if (r->fields[f].text != 1)
            continue;
        const uint8_t *p;
        uint32_t n;
        const char *why;
        int len = (int)strlen(r->fields[f].name) - 4;   /* NAME_off */
        if (ctq_text(c, k, rec, f, &p, &n) < 0)
            return fail(x->err, sizeof x->err, "%.*s text outside the data pool", len, r->fields[f].name);
        if (ctq_utf8_chars(p, n, &why) < 0)
            return fail(x->err, sizeof x->err, "a %.*s name is not valid UTF-8: %s", len, r->fields[f].name, why);
    }
    return x->define != NULL && x->define(x->ctx, k, rec, c) < 0 ? -2 : 0;
}

/* ix_line_slot: the (function, line) memo's slot of key (Fibonacci hashing: its top bits). */
static inline size_t
ix_line_slot(uint64_t key)
{
    _Static_assert(CTQ_LINE_MEMO == 1024, "ix_line_slot hashes a key to 10 bits");
    return (size_t)((key * 0x9e3779b97f4a7c15ull) >> 54);
}

/* ix_line_add: ix_line_seen's miss, out of line (no address of the scan's seq taken): chunk seq on the list
   of key, and the memo's slot h set; -2: out of memory. */
static __attribute__((noinline)) int
ix_line_add(ctq_index *x, uint64_t key, uint32_t seq, size_t h)
{
    if (ix_append(&x->lines, &x->nlines, &x->cap_lines, &x->line_ix, key, &seq, 1, 1) < 0)
        return -2;
    x->memo_key[h] = key + 1;
    if (x->nmemo_set < CTQ_LINE_MEMO)
        x->memo_set[x->nmemo_set] = (uint16_t)h;
    x->nmemo_set++;
    return 0;
}

/* ix_line_seen: chunk seq on the list of (function, line) key, through the memo (emptied at each chunk's
   start); -2: out of memory. */
static inline int
ix_line_seen(ctq_index *x, uint64_t key1, uint32_t seq)
{
    size_t h = ix_line_slot(key1);
    if (x->memo_key[h] == key1)   /* this chunk is on its list */
        return 0;
    return ix_line_add(x, key1 - 1, seq, h);
}


/* ---- the scan specialised per record kind ----
   ctq_index_feed's switch has a case per record kind (generated/decoder.h's CTQ_RECORD_KINDS): in each,
   the kind is a constant, and these functions read the spec's tables (static const) at that constant,
   so the compiler folds them: a case knows its kind's shape, size and the offsets and types of the
   fields it reads, and reads nothing of the tables at run time. Roles the scan meets rarely (a Thread,
   an Output, a definition, a record the index does not read) go to one case that reads ix's tables. */

enum { IXC_STEP, IXC_LINE, IXC_OPEN, IXC_CLOSE, IXC_OTHER };

/* ixc_shape: what the scan does with record kind k: a Step, a record standing for a Step without its fn
   (a Line: `omits Step.fn`), a record opening or closing an activation, or another (ix.role says). */
static inline __attribute__((always_inline)) int
ixc_shape(int k)
{
    const ctq_record *r = &ctq_records[k];
    return k == CTR_K_Step ? IXC_STEP : r->omits == CTR_K_Step ? IXC_LINE
         : r->activation == 1 ? IXC_OPEN : r->activation == 2 ? IXC_CLOSE : IXC_OTHER;
}

/* ixc_field: the flat index of record kind k's field called name (-1: none). */
static inline __attribute__((always_inline)) int
ixc_field(int k, const char *name)
{
    for (int f = 0; f < ctq_records[k].nfields; f++)
        if (!__builtin_strcmp(ctq_records[k].fields[f].name, name))
            return f;
    return -1;
}

/* ixc_get: field f of record rec, of kind k. */
static inline __attribute__((always_inline)) int64_t
ixc_get(int k, const uint8_t *rec, int f)
{
    const ctq_field *fd = &ctq_records[k].fields[f];
    return scalar(rec + fd->offset, fd->scalar);
}

/* ixc_take: *rec, the next record of kind k in the chunk (at[k] moves past it); 0: there is none. */
static inline __attribute__((always_inline)) int
ixc_take(const uint8_t **at, const uint8_t *const *end, int k, const uint8_t **rec)
{
    if (at[k] == end[k])
        return 0;
    *rec = at[k];
    at[k] += ctq_records[k].size;
    return 1;
}

int
ctq_index_feed(ctq_index *x, const ctq_chunk *c, uint32_t seq)
{
    /* each kind's next record and the end of its vector (a kind the scan reads: its role is not NONE) */
    const uint8_t *at[CTR_N_RECORDS], *end[CTR_N_RECORDS];
    for (int k = 0; k < CTR_N_RECORDS; k++) {
        const ctq_vec *vec = &c->slot[ctq_records[k].slot];
        at[k] = vec->p;
        end[k] = vec->n ? vec->p + (size_t)vec->n * ctq_records[k].size : vec->p;
    }
    const ctq_vec *kinds = &c->slot[CTQ_SLOT_kinds];
    const uint8_t *kp = kinds->p;
    const uint32_t nk = kinds->n;
    ctq_ithread *t = &x->th.threads[x->cur];
    const uint64_t fed = ++x->fed;   /* (a thread's fn is this chunk's when its fn_fed is fed) */
    x->nmind = x->nccount = 0;
    x->out = 0;
    x->recs = nk;
    if (x->nmemo_set > CTQ_LINE_MEMO) {   /* (a memset counts a byte an instruction in callgrind) */
        memset(x->memo_key, 0, sizeof x->memo_key);
    } else {
        for (size_t i = 0; i < x->nmemo_set; i++)
            x->memo_key[x->memo_set[i]] = 0;
    }
    x->nmemo_set = 0;
    memset(x->call_memo_key, 0, sizeof x->call_memo_key);
    if (x->ccount_ix.n) {
        memset(x->ccount_ix.keys, 0, x->ccount_ix.cap * sizeof *x->ccount_ix.keys);
        x->ccount_ix.n = 0;
    }
    const uint8_t *const kend = nk ? kp + nk : kp;   /* (a chunk without kinds: kp may be NULL) */
    /* Each kind's case, by a table of the cases' addresses (GCC's labels as values): one indirect jump
       a record, where the switch's lowering tested the kind against ranges and bit masks first. */
#define IX_LABEL(K) [CTR_K_##K] = &&ix_##K,
#define IX_ONE(K) + 1
    static const void *const ix_case[CTR_N_RECORDS] = {CTQ_RECORD_KINDS(IX_LABEL)};
    _Static_assert(0 CTQ_RECORD_KINDS(IX_ONE) == CTR_N_RECORDS, "ix_case has a case for every record kind");
#undef IX_ONE
#undef IX_LABEL
    for (const uint8_t *kq = kp; kq < kend; kq++) {   /* kq: the record's kind byte */
        unsigned k = *kq;
        const uint8_t *rec;
        uint32_t fn;      /* a Step's function; an opening record's "fn" (0: none) */
        uint64_t tfn;     /* an opening record's function for the tracker (fns_on) */
        int32_t line;
        int call;
        uint64_t fk1;     /* a run's (fn << 32) + 1: a step's key + 1 is it plus the line */
        if (k >= CTR_N_RECORDS)
            return fail(x->err, sizeof x->err, "chunk %u: unknown record kind %u", seq, k);
        goto *ix_case[k];
#define IX_CASE(K)                                                                                      \
        ix_##K:                                                                                         \
            if (ixc_shape(CTR_K_##K) == IXC_CLOSE)                                                      \
                goto close;                                                                             \
            if (ixc_shape(CTR_K_##K) == IXC_OTHER)                                                      \
                goto other;                                                                             \
            if (!ixc_take(at, end, CTR_K_##K, &rec))                                                    \
                goto short_of;                                                                          \
            if (ixc_shape(CTR_K_##K) == IXC_LINE) {                                                     \
                line = (int32_t)ixc_get(CTR_K_##K, rec, ixc_field(CTR_K_##K, "line"));                  \
                goto a_line;                                                                            \
            }                                                                                           \
            if (ixc_shape(CTR_K_##K) == IXC_STEP) {                                                     \
                fn = (uint32_t)ixc_get(CTR_K_##K, rec, ixc_field(CTR_K_##K, "fn"));                     \
                line = (int32_t)ixc_get(CTR_K_##K, rec, ixc_field(CTR_K_##K, "line"));                  \
                goto a_step;                                                                            \
            }                                                                                           \
            fn = ixc_field(CTR_K_##K, "fn") < 0 ? 0 : (uint32_t)ixc_get(CTR_K_##K, rec, ixc_field(CTR_K_##K, "fn")); \
            tfn = ctq_records[CTR_K_##K].fn_field < 0 ? CTQ_FN_UNKNOWN                                  \
                : (uint32_t)ixc_get(CTR_K_##K, rec, ctq_records[CTR_K_##K].fn_field);                   \
            call = CTR_K_##K == CTR_K_Call;                                                             \
            goto open;
        CTQ_RECORD_KINDS(IX_CASE)
#undef IX_CASE

    a_line:   /* a Line after a record that is no Step or Line: its activation's function, as the chunk tells it */
        if (t->fn_fed != fed)
            return fail(x->err, sizeof x->err, "chunk %u: a %s record whose chunk tells no function of "
                        "its activation", seq, ctq_records[k].name);
        fn = t->fn;
        goto steps;

    a_step:   /* a Step: tells its activation's function */
        if (omitted[k]) {
            t->fn = fn;
            t->fn_fed = fed;
        }

    steps:
        if (t->fed != fed) {   /* the thread's first step in this chunk (its least depth: x->mind at the end) */
            if (grow_to((void **)&x->mind, &x->cap_mind, 2 * (x->nmind + 1), sizeof *x->mind) < 0)
                return -2;
            t->fed = fed;
            t->mind_at = x->nmind++;
            x->mind[2 * t->mind_at] = x->cur;
            t->mind = t->n;
        }
        if (t->mind > t->n)
            t->mind = t->n;
        if (t->n) {
            ctq_act *a = &t->stack[t->n - 1];
            if (a->first < 0)
                a->first = (int64_t)x->step;
        }
        fk1 = ((uint64_t)fn << 32) + 1;
        if (ix_line_seen(x, fk1 + (uint32_t)line, seq) < 0)
            return -2;
        x->step++;
        /* The Lines right after it are steps of the same activation, thread and function (only an
           opening or closing record, a Step or a Thread record changes those): each is its line. */
        while (kq + 1 < kend) {
            unsigned lk = kq[1];
            const uint8_t *lp;
            switch (lk) {
#define IX_LINE_CASE(K)                                                                                 \
            case CTR_K_##K:                                                                             \
                if (ixc_shape(CTR_K_##K) != IXC_LINE)                                                   \
                    goto run_end;                                                                       \
                do {   /* this kind's Lines in a row: one test of the next kind, the kind's own take */ \
                    if (!ixc_take(at, end, CTR_K_##K, &lp)) {                                           \
                        k = CTR_K_##K;                                                                  \
                        goto short_of;                                                                  \
                    }                                                                                   \
                    line = (int32_t)ixc_get(CTR_K_##K, lp, ixc_field(CTR_K_##K, "line"));               \
                    kq++;                                                                               \
                    if (ix_line_seen(x, fk1 + (uint32_t)line, seq) < 0)                                 \
                        return -2;                                                                      \
                    x->step++;                                                                          \
                } while (kq + 1 < kend && kq[1] == CTR_K_##K);                                          \
                goto run_more;
            CTQ_RECORD_KINDS(IX_LINE_CASE)
#undef IX_LINE_CASE
            default:
                goto run_end;
            }
        run_more:;
        }
    run_end:
        if (t->n) {
            ctq_act *a = &t->stack[t->n - 1];
            a->last = (int64_t)x->step - 1;
            a->line = line;
        }
        continue;

    open:     /* a record opening an activation: ctq_acts_open, inline (the index keeps every thread's stack:
                 th.keep); the thread's function its (tfn), the one before kept in it */
        if (t->n == t->cap && grow_to((void **)&t->stack, &t->cap, t->n + 1, sizeof *t->stack) < 0)
            return -2;
        t->stack[t->n++] = (ctq_act){(int64_t)x->acts, -1, -1, fn, seq, 0, t->fn, t->fn_fed};
        t->fn = (uint32_t)tfn;
        t->fn_fed = tfn == CTQ_FN_UNKNOWN ? 0 : fed;
        x->acts++;
        if (call) {   /* the function's Calls in this chunk: through the memo, else the map */
            size_t h = (size_t)((fn * 0x9e3779b97f4a7c15ull) >> 58);
            _Static_assert(CTQ_CALL_MEMO == 64, "a function's slot in the Calls memo is 6 bits");
            if (x->call_memo_key[h] == (uint64_t)fn + 1) {
                x->ccount[2 * x->call_memo_at[h] + 1]++;
                continue;
            }
            uint64_t *i = ctq_map_get(&x->ccount_ix, fn);
            size_t at;
            if (i != NULL) {
                at = (size_t)*i;
                x->ccount[2 * at + 1]++;
            } else {
                if (grow_to((void **)&x->ccount, &x->cap_ccount, 2 * (x->nccount + 1), sizeof *x->ccount) < 0
                        || ctq_map_add(&x->ccount_ix, fn, x->nccount) < 0)
                    return -2;
                at = x->nccount++;
                x->ccount[2 * at] = fn;
                x->ccount[2 * at + 1] = 1;
            }
            x->call_memo_key[h] = (uint64_t)fn + 1;
            x->call_memo_at[h] = at;
        }
        continue;

    close:    /* a record closing an activation: the thread's function the one before it (unknown when it
                 opened in an earlier chunk, or none was open) */
        if (!ctq_acts_close(t)) {
            t->fn_fed = 0;
            continue;
        }
        t->fn = t->stack[t->n].below_fn;
        t->fn_fed = t->stack[t->n].below_fed;
        if (ix_keep(x, &t->stack[t->n], t->n, t->tid) < 0)
            return -2;
        continue;

    other: {  /* a Thread, an Output, a definition, or a record the index does not read: by ix's tables */
        int role = ix.role[k];
        if (role == IX_NONE)
            continue;
        if (at[k] == end[k])
            goto short_of;
        rec = at[k];
        at[k] = rec + ctq_records[k].size;
        switch (role) {
        case IX_THREAD: {
            uint64_t tid = (uint32_t)ctq_get((int)k, rec, ix.thread_id);
            long long i = ctq_acts_thread(&x->th, tid);
            if (i < 0)
                return -2;
            ctq_ithread *th = &x->th.threads[i];
            if (!th->info) {
                if (grow_to((void **)&x->info_order, &x->cap_info, x->ninfo + 1, sizeof *x->info_order) < 0)
                    return -2;
                x->info_order[x->ninfo++] = (size_t)i;
                th->info = 1;
                th->ident = (uint64_t)ctq_get((int)k, rec, ix.thread_ident);
            }
            if (ctq_get((int)k, rec, ix.thread_what) != CTR_ThreadEvent_Exit) {
                x->cur = (size_t)i;
            } else {
                th->exit_step = (int64_t)x->step;
            }
            t = &x->th.threads[x->cur];   /* (ix_thread may move the array) */
            break;
        }
        case IX_OUTPUT:
            x->out += (uint64_t)ctq_get((int)k, rec, ix.output_len);
            break;
        case IX_DEFINE: {
            int rc = ix_define(x, c, (int)k, rec);
            if (rc < 0)
                return rc;
            break;
        }
        }
        continue;
    }

    short_of:
        return fail(x->err, sizeof x->err, "chunk %u: more %s kinds than %s records", seq, ctq_records[k].name,
                    ctq_records[k].name);
    }
    for (size_t i = 0; i < x->nmind; i++)
        x->mind[2 * i + 1] = x->th.threads[x->mind[2 * i]].mind;
    for (size_t i = 0; i < x->nccount; i++) {
        uint32_t pair[2] = {seq, (uint32_t)x->ccount[2 * i + 1]};
        if (ix_append(&x->calls, &x->ncalls, &x->cap_calls, &x->call_ix, x->ccount[2 * i], pair, 2, 0) < 0)
            return -2;
    }
    x->records += nk;
    return 0;
}

int
ctq_index_finish(ctq_index *x)
{
    for (size_t i = 0; i < x->th.nthreads; i++) {
        ctq_ithread *t = &x->th.threads[i];
        while (ctq_acts_close(t))
            if (ix_keep(x, &t->stack[t->n], t->n, t->tid) < 0)
                return -2;
    }
    if (x->nspans)
        spans_sort(x);
    return 0;
}
