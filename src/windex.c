/*
** windex.c -- the index built by the writer thread (windex.h). No Python:
** it runs on the writer thread without the GIL, and at stop it writes the
** index file itself. Each chunk's entry goes out at once to the spill
** files (its numbers as a row of int64 columns, its state as JSON text);
** the definitions that name something (paths, functions,
** types, names: what index.py's definitions keep) are kept as bytes (the
** kind, the record, its text), the latest per id.
*/
#define _DEFAULT_SOURCE   /* realpath, mkstemp */
#include "windex.h"
#include "decoder.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

ctwi_state ctwi = {.spill = -1, .spill_cols = -1};

#define FLUSH_AT (64 * 1024)     /* JSON text kept before it is written out */

void
ctwi_fail(const char *why)
{
    if (!ctwi.bad)
        snprintf(ctwi.why, sizeof ctwi.why, "%s", why);
    ctwi.bad = 1;
}

static inline __attribute__((always_inline)) int
put(ct_vec *v, const void *p, size_t n)
{
    void *q = ct_vec_push(v, n);
    if (q == NULL)
        return -1;
    memcpy(q, p, n);
    return 0;
}

/* ---- JSON text, as json.dumps(obj, separators=(",", ":")) writes it ---- */

static inline __attribute__((always_inline)) int
js(ct_vec *v, const char *s)   /* (inlined: its strlen and memcpy are of constants) */
{
    return put(v, s, strlen(s));
}

/* ju_pairs: the two digits of 0 to 99, for ju */
static const char ju_pairs[201] =
    "0001020304050607080910111213141516171819202122232425262728293031323334353637383940414243444546474849"
    "5051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899";

static int
ju(ct_vec *v, uint64_t n)   /* (not snprintf: hundreds of instructions a number) */
{
    /* the digits from the right, two at a time, end at b + 20 (a uint64_t has at most 20); the
       20 bytes from the first are copied whole (a constant size: no call), and v keeps k of them */
    char b[40], *q = b + 20;
    while (n >= 100) {
        unsigned d = (unsigned)(n % 100) * 2;
        n /= 100;
        q -= 2;
        q[0] = ju_pairs[d];
        q[1] = ju_pairs[d + 1];
    }
    if (n >= 10) {
        q -= 2;
        q[0] = ju_pairs[2 * n];
        q[1] = ju_pairs[2 * n + 1];
    } else {
        *--q = (char)('0' + n);
    }
    size_t k = (size_t)(b + 20 - q);
    char *p = ct_vec_push(v, 20);
    if (p == NULL)
        return -1;
    memcpy(p, q, 20);
    v->len -= 20 - k;
    return 0;
}

static int
ji(ct_vec *v, int64_t n)
{
    if (n < 0 && put(v, "-", 1) < 0)
        return -1;
    return ju(v, n < 0 ? 0 - (uint64_t)n : (uint64_t)n);
}

static int
jthread(ct_vec *v, uint64_t tid, int key)   /* a thread: a key "N" / "None", or a value N / null */
{
    if (tid == CTQ_THREAD_NONE)
        return js(v, key ? "\"None\"" : "null");
    return key ? js(v, "\"") < 0 || ju(v, tid) < 0 || js(v, "\"") < 0 ? -1 : 0 : ju(v, tid);
}

static int
jesc(ct_vec *v, uint32_t c)   /* json.dumps's escape: backslash, u, 4 lowercase hex digits */
{
    static const char hex[] = "0123456789abcdef";
    char b[6] = {'\\', 'u', hex[c >> 12 & 15], hex[c >> 8 & 15], hex[c >> 4 & 15], hex[c & 15]};
    return put(v, b, sizeof b);
}

/* A string from UTF-8 (lone surrogates allowed, as Python's surrogatepass:
   checked when it was read) with json.dumps's escapes (ensure_ascii). */
static int
jstr(ct_vec *v, const uint8_t *p, uint32_t n)
{
    const uint8_t *end = p + n;
    if (js(v, "\"") < 0)
        return -1;
    while (p < end) {
        uint32_t c = *p++;
        int more = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
        if (more) {
            c &= 0x3F >> more;
            for (int i = 0; i < more && p < end; i++)
                c = c << 6 | (*p++ & 0x3F);
        }
        int rc;
        switch (c) {
        case '"': rc = js(v, "\\\""); break;
        case '\\': rc = js(v, "\\\\"); break;
        case '\n': rc = js(v, "\\n"); break;
        case '\r': rc = js(v, "\\r"); break;
        case '\t': rc = js(v, "\\t"); break;
        case '\b': rc = js(v, "\\b"); break;
        case '\f': rc = js(v, "\\f"); break;
        default:
            if (c >= 0x20 && c < 0x7F) {
                char ch = (char)c;
                rc = put(v, &ch, 1);
            } else if (c >= 0x10000)
                rc = jesc(v, 0xD800 | ((c - 0x10000) >> 10)) < 0 ? -1 : jesc(v, 0xDC00 | ((c - 0x10000) & 0x3FF));
            else
                rc = jesc(v, c);
        }
        if (rc < 0)
            return -1;
    }
    return js(v, "\"");
}

/* ---- the spill files: each chunk's state and its row of columns, in order ---- */

static int
spill_flush(int fd, ct_vec *from, uint64_t *spilled)
{
    size_t done = 0;
    while (done < from->len) {
        ssize_t w = pwrite(fd, from->p + done, from->len - done, (off_t)(*spilled + done));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        done += (size_t)w;
    }
    *spilled += done;
    from->len = 0;
    return 0;
}

/* v, JSON text of ASCII, appended to o as the inside of a JSON string (json.dumps's escapes) */
static int
jstr_of_json(ct_vec *o, const ct_vec *v)
{
    const char *p = v->p;
    size_t n = v->len, a = 0;
    for (size_t i = 0; i < n; i++)
        if (p[i] == '"' || p[i] == '\\') {
            if (put(o, p + a, i - a) < 0 || put(o, "\\", 1) < 0)
                return -1;
            a = i;
        }
    return put(o, p + a, n - a);
}

/* a row of the columns (index.py's _COLUMNS): int64 little-endian */
static int
put_row(ct_vec *o, const int64_t *row, size_t n)
{
    uint8_t b[8 * 8];
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 8; k++)
            b[8 * i + (size_t)k] = (uint8_t)((uint64_t)row[i] >> (8 * k));
    return put(o, b, 8 * n);
}

/* ---- the scan's lists, moved out of it after each chunk, compact ---- */

static int
put_varint(ct_vec *v, uint64_t n)
{
    uint8_t b[10];
    size_t k = 0;
    do {
        b[k++] = (uint8_t)((n & 0x7F) | (n > 0x7F ? 0x80 : 0));
        n >>= 7;
    } while (n);
    return put(v, b, k);
}

static uint64_t
get_varint(const uint8_t **p)
{
    uint64_t n = 0;
    for (int shift = 0;; shift += 7) {
        uint8_t b = *(*p)++;
        n |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80))
            return n;
    }
}

/* Move the numbers of the scan's lists (x.lines: chunks; pairs: x.calls: (chunk, Calls)) into
   `to` (ctwi_lists, one per list): a line's chunks as (first, last) runs, a function's pairs as
   varints (chunk - previous chunk, Calls). The scan's lists are left empty: it only looks at a
   list's last number within the chunk it reads. */
static int
drain(ct_vec *to, ctq_list *from, size_t n, int pairs)
{
    size_t have = to->len / sizeof(ctwi_list);
    if (n > have) {
        void *p = ct_vec_push(to, (n - have) * sizeof(ctwi_list));
        if (p == NULL)
            return -1;
        memset(p, 0, (n - have) * sizeof(ctwi_list));
    }
    ctwi_list *lists = (ctwi_list *)to->p;
    for (size_t i = 0; i < n; i++) {
        ctq_list *l = &from[i];
        ctwi_list *w = &lists[i];
        for (size_t j = 0; j < l->n; j += pairs ? 2 : 1) {
            uint32_t seq = l->v[j];
            if (pairs) {
                if (put_varint(&w->v, seq - w->last) < 0 || put_varint(&w->v, l->v[j + 1]) < 0)
                    return -1;
                w->last = seq;
            } else if (w->v.len && ((uint32_t *)w->v.p)[w->v.len / 4 - 1] + 1 == seq)
                ((uint32_t *)w->v.p)[w->v.len / 4 - 1] = seq;
            else {
                uint32_t run[2] = {seq, seq};
                if (put(&w->v, run, sizeof run) < 0)
                    return -1;
            }
        }
        l->n = 0;
    }
    return 0;
}

static void
free_lists(ct_vec *v)
{
    for (size_t i = 0; i < v->len / sizeof(ctwi_list); i++)
        ct_vec_free(&((ctwi_list *)v->p)[i].v);
    ct_vec_free(v);
}

/* ---- definitions ---- */

static int
field_of(int kind, const char *name)
{
    const ctq_record *r = &ctq_records[kind];
    for (int f = 0; f < r->nfields; f++)
        if (strcmp(r->fields[f].name, name) == 0)
            return f;
    return -1;
}

/* The definition at offset `at` in defs: its kind, record, and text. */
static const uint8_t *
def_at(uint64_t at, int *kind, const uint8_t **text, uint32_t *n)
{
    const uint8_t *p = (const uint8_t *)ctwi.defs.p + at;
    uint32_t k;
    memcpy(&k, p, 4);
    *kind = (int)k;
    const uint8_t *rec = p + 4;
    memcpy(n, rec + ctq_records[k].size, 4);
    *text = rec + ctq_records[k].size + 4;
    return rec;
}

static uint64_t *
latest(int what, uint64_t id)
{
    return ctq_map_get(&ctwi.latest, (uint64_t)what << 32 | id);
}

/* The define callback: a path, function, type or name definition, kept as
   kind, the record's bytes, its text's length and bytes, and for a
   function the offset of its path's definition (1 + offset). */
static int
on_define(void *ctx, int kind, const uint8_t *rec, const ctq_chunk *c)
{
    (void)ctx;
    const ctq_record *r = &ctq_records[kind];
    int what = r->defines;
    if (what < CTQ_ID_path || what > CTQ_ID_name)
        return 0;
    int f_id = field_of(kind, "id"), f_text = -1;
    for (int f = 0; f < r->nfields; f++)
        if (r->fields[f].text == 1)
            f_text = f;
    if (f_id < 0 || f_text < 0) {
        ctwi_fail("a definition without an id or a text");
        return 0;
    }
    uint64_t id = (uint32_t)ctq_get(kind, rec, f_id), path_def = 0;
    if (what == CTQ_ID_function) {
        int f_path = field_of(kind, "path");
        uint64_t *p = f_path < 0 ? NULL : latest(CTQ_ID_path, (uint32_t)ctq_get(kind, rec, f_path));
        if (p == NULL) {    /* index.py's _define refuses it: the scan at stop says so */
            ctwi_fail("a function uses an undefined path");
            return 0;
        }
        path_def = *p;
    }
    const uint8_t *text;
    uint32_t n, k = (uint32_t)kind;
    uint64_t at = ctwi.defs.len;
    if (ctq_text(c, kind, rec, f_text, &text, &n) < 0)
        return 0;   /* (ix_define checked the text before) */
    if (put(&ctwi.defs, &k, 4) < 0 || put(&ctwi.defs, rec, r->size) < 0 || put(&ctwi.defs, &n, 4) < 0
            || put(&ctwi.defs, text, n) < 0 || put(&ctwi.defs, &path_def, 8) < 0)
        return -1;
    uint64_t *l = latest(what, id);
    if (l == NULL) {
        uint32_t id32 = (uint32_t)id;
        if (ctq_map_add(&ctwi.latest, (uint64_t)what << 32 | id, at + 1) < 0
                || put(&ctwi.def_order[what - CTQ_ID_path], &id32, 4) < 0)
            return -1;
    } else
        *l = at + 1;
    return 0;
}

void
ctwi_reset(const char *path)
{
    if (ctwi.ready)
        ctq_index_free(&ctwi.x);
    if (ctwi.spill >= 0)
        close(ctwi.spill);      /* (in a fork child: the parent's file, left as it is) */
    if (ctwi.spill_cols >= 0)
        close(ctwi.spill_cols);
    ct_vec_free(&ctwi.out);
    ct_vec_free(&ctwi.cols);
    ct_vec_free(&ctwi.st);
    ct_vec_free(&ctwi.seen);
    ct_vec_free(&ctwi.seen_order);
    free_lists(&ctwi.lines);
    free_lists(&ctwi.calls);
    ct_vec_free(&ctwi.defs);
    ctq_map_free(&ctwi.latest);
    for (int i = 0; i < 4; i++)
        ct_vec_free(&ctwi.def_order[i]);
    free(ctwi.path);
    memset(&ctwi, 0, sizeof ctwi);
    ctwi.spill = ctwi.spill_cols = -1;
    if (path == NULL)
        return;
    ctwi.path = realpath(path, NULL);   /* (the file is open: it exists) */
    ctwi.x.define = on_define;
    ctwi.x.timeline = 4000;     /* index.py's TIMELINE_SPANS (tracedir.py), checked at stop */
    if (ctwi.path == NULL || ctq_index_init(&ctwi.x) < 0) {
        ctwi_fail("out of memory");
        return;
    }
    ctwi.ready = 1;
    /* the spills: beside the event file, unlinked at once (nothing to clean up) */
    const char *slash = strrchr(ctwi.path, '/');
    char tmpl[PATH_MAX];
    for (int k = 0; k < 2; k++) {
        int *fd = k ? &ctwi.spill_cols : &ctwi.spill;
        if (snprintf(tmpl, sizeof tmpl, "%.*s/.ctgen_index.XXXXXX", (int)(slash - ctwi.path), ctwi.path)
                >= (int)sizeof tmpl || (*fd = mkstemp(tmpl)) < 0) {
            ctwi_fail("cannot make the index's spill file");
            return;
        }
        unlink(tmpl);
        fcntl(*fd, F_SETFD, FD_CLOEXEC);
    }
    ctwi.end = CTR_HEADER_SIZE;
}

/* A thread's first and last step (index.py's _first_last), from its depth entry in a chunk. */
static int
seen(size_t ti, uint64_t step0, uint64_t steps)
{
    size_t have = ctwi.seen.len / (2 * sizeof(int64_t));
    if (ti >= have) {
        int64_t *s = ct_vec_push(&ctwi.seen, (ti + 1 - have) * 2 * sizeof(int64_t));
        if (s == NULL)
            return -1;
        for (size_t i = 0; i < 2 * (ti + 1 - have); i++)
            s[i] = -1;
    }
    int64_t *s = (int64_t *)ctwi.seen.p + 2 * ti;
    if (s[0] < 0) {
        s[0] = (int64_t)step0;
        if (put(&ctwi.seen_order, &ti, sizeof ti) < 0)
            return -1;
    }
    s[1] = (int64_t)(step0 + steps) - 1;
    return 0;
}

static int
opt(ct_vec *v, int64_t n)
{
    return n < 0 ? js(v, "null") : ji(v, n);
}

void
ctwi_feed(const uint8_t *buf, size_t n, uint64_t off, uint64_t framed)
{
    char err[256];
    ctq_chunk chunk;
    ctq_index *x = &ctwi.x;
    ct_vec *v = &ctwi.out;
    if (!ctwi.ready || ctwi.bad)
        return;
    if (off != ctwi.end) {
        ctwi_fail("a chunk is not where the previous one ends");
        return;
    }
    ctwi.end = off + framed;
    if (ctq_parse(buf, n, &chunk, err, sizeof err) < 0) {
        ctwi_fail(err);
        return;
    }
    if (chunk.seq != ctwi.n) {
        ctwi_fail("a chunk's seq is not its place in the file");
        return;
    }
    /* the entry as index.py's build() makes it, in the file's form (index.py's file_form): its
       numbers a row of the columns, the rest its state's JSON (the state at the chunk's start,
       then what it holds) as a JSON string */
    uint64_t step0 = x->step;
    int64_t row[8] = {(int64_t)off, (int64_t)x->step, 0, (int64_t)x->records, (int64_t)chunk.slot[CTQ_SLOT_kinds].n,
                      (int64_t)x->acts, 0, -1};      /* off, step0, steps, rec0, recs, act0, out, clock */
    ct_vec *w = v;
    v = &ctwi.st;
    v->len = 0;
    if (js(v, "{\"thread\":") < 0 || jthread(v, x->th.threads[x->cur].tid, 0) < 0 || js(v, ",\"stacks\":{") < 0)
        goto oom;
    /* the open activations at the chunk's start: [id, function, latest step, opened in, first step, line] */
    int first = 1;
    for (size_t i = 0; i < x->th.nthreads; i++) {
        const ctq_ithread *t = &x->th.threads[i];
        if (!t->n)
            continue;
        if ((!first && js(v, ",") < 0) || jthread(v, t->tid, 1) < 0 || js(v, ":[") < 0)
            goto oom;
        first = 0;
        for (size_t j = 0; j < t->n; j++) {
            const ctq_act *a = &t->stack[j];
            if (js(v, j ? ",[" : "[") < 0 || ji(v, a->id) < 0 || js(v, ",") < 0 || ju(v, a->fid) < 0
                    || js(v, ",") < 0 || opt(v, a->last) < 0 || js(v, ",") < 0 || ju(v, a->opened) < 0
                    || js(v, ",") < 0 || opt(v, a->first) < 0 || js(v, ",") < 0
                    || (a->last < 0 ? js(v, "null") : ji(v, a->line)) < 0 || js(v, "]") < 0)
                goto oom;
        }
        if (js(v, "]") < 0)
            goto oom;
    }
    int rc = ctq_index_feed(x, &chunk, (uint32_t)ctwi.n);
    if (rc == -1) {
        ctwi_fail(x->err);
        return;
    }
    if (rc < 0 || ctwi.bad     /* (bad: a definition index.py refuses) */
            || drain(&ctwi.lines, x->lines, x->nlines, 0) < 0 || drain(&ctwi.calls, x->calls, x->ncalls, 1) < 0)
        goto oom;
    uint64_t steps = x->step - step0;
    if (js(v, "},\"mind\":{") < 0)
        goto oom;
    for (size_t i = 0; i < x->nmind; i++)
        if ((i && js(v, ",") < 0) || jthread(v, x->th.threads[x->mind[2 * i]].tid, 1) < 0 || js(v, ":") < 0
                || ju(v, x->mind[2 * i + 1]) < 0 || seen(x->mind[2 * i], step0, steps) < 0)
            goto oom;
    const ctq_vec *kinds = &chunk.slot[CTQ_SLOT_kinds], *clocks = &chunk.slot[ctq_records[CTR_K_Clock].slot];
    if (kinds->n && kinds->p[0] == CTR_K_Clock && clocks->n)
        row[7] = (int64_t)ctq_get(CTR_K_Clock, clocks->p, 0);
    row[2] = (int64_t)steps;
    row[6] = (int64_t)x->out;
    if (js(v, "}}") < 0 || (ctwi.n && js(w, ",") < 0) || js(w, "\"") < 0 || jstr_of_json(w, v) < 0
            || js(w, "\"") < 0 || put_row(&ctwi.cols, row, 8) < 0)
        goto oom;
    ctwi.n++;
    if ((w->len >= FLUSH_AT && spill_flush(ctwi.spill, w, &ctwi.spilled) < 0)
            || (ctwi.cols.len >= FLUSH_AT && spill_flush(ctwi.spill_cols, &ctwi.cols, &ctwi.cols_spilled) < 0))
        ctwi_fail("cannot write the index's spill file");
    return;
oom:
    ctwi_fail(ctwi.bad ? ctwi.why : "out of memory");
}

/* ---- the index file, at stop ---- */

/* n bytes appended to v in base64 (RFC 4648's alphabet, padded: Python's base64.b64encode) */
static int
b64(ct_vec *v, const uint8_t *p, size_t n)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *o = ct_vec_push(v, (n + 2) / 3 * 4);
    if (o == NULL && n)
        return -1;
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t t = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        *o++ = abc[t >> 18];
        *o++ = abc[t >> 12 & 63];
        *o++ = abc[t >> 6 & 63];
        *o++ = abc[t & 63];
    }
    if (i < n) {
        uint32_t t = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
        *o++ = abc[t >> 18];
        *o++ = abc[t >> 12 & 63];
        *o++ = i + 1 < n ? abc[t >> 6 & 63] : '=';
        *o++ = '=';
    }
    return 0;
}

typedef struct jout {
    int fd;
    ct_vec v;
    int err;
    uint64_t written;       /* bytes written before v's */
} jout;

static int
jflush(jout *o, size_t at_least)
{
    if (o->v.len < at_least)
        return 0;
    size_t done = 0;
    while (done < o->v.len) {
        ssize_t w = write(o->fd, o->v.p + done, o->v.len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            o->err = 1;
            return -1;
        }
        done += (size_t)w;
    }
    o->written += done;
    o->v.len = 0;
    return 0;
}

/* {"key":[numbers]} of the scan's lists (their keys) and their numbers (ctwi_lists: pairs: a
   function's [chunk,Calls] pairs, else a line's chunks); key: a function, or fn:line */
static int
jlists(jout *o, const ctq_list *keys, const ct_vec *numbers, size_t n, int pairs)
{
    ct_vec *v = &o->v;
    const ctwi_list *lists = (const ctwi_list *)numbers->p;
    if (js(v, "{") < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        uint64_t key = keys[i].key;
        const ctwi_list *w = &lists[i];
        if ((i && js(v, ",") < 0) || js(v, "\"") < 0 || ju(v, pairs ? key : key >> 32) < 0
                || (!pairs && (js(v, ":") < 0 || ji(v, (int32_t)(uint32_t)(key & 0xFFFFFFFFu)) < 0))
                || js(v, "\":[") < 0)
            return -1;
        const uint8_t *p = (const uint8_t *)w->v.p, *end = p + w->v.len;
        uint64_t seq = 0;
        for (int first = 1; p < end; first = 0) {
            if (!first && js(v, ",") < 0)
                return -1;
            if (pairs) {
                seq += get_varint(&p);
                uint64_t calls = get_varint(&p);
                if (js(v, "[") < 0 || ju(v, seq) < 0 || js(v, ",") < 0 || ju(v, calls) < 0 || js(v, "]") < 0)
                    return -1;
            } else {
                uint32_t run[2];
                memcpy(run, p, sizeof run);
                p += sizeof run;
                for (uint64_t c = run[0]; c <= run[1]; c++)
                    if ((c > run[0] && js(v, ",") < 0) || ju(v, c) < 0 || jflush(o, FLUSH_AT) < 0)
                        return -1;
            }
            if (jflush(o, FLUSH_AT) < 0)
                return -1;
        }
        if (js(v, "]") < 0)
            return -1;
    }
    return js(v, "}");
}

/* "paths", "functions", "types", "names": {"id": text} ({"id": [name, path, line]}), the latest definitions */
static int
jdefs(jout *o)
{
    static const char *const names[4] = {"paths", "functions", "types", "names"};
    ct_vec *v = &o->v;
    for (int w = 0; w < 4; w++) {
        const uint32_t *ids = (const uint32_t *)ctwi.def_order[w].p;
        size_t n = ctwi.def_order[w].len / 4;
        if (js(v, ",\"") < 0 || js(v, names[w]) < 0 || js(v, "\":{") < 0)
            return -1;
        for (size_t i = 0; i < n; i++) {
            int kind;
            const uint8_t *text;
            uint32_t len;
            const uint8_t *rec = def_at(*latest(CTQ_ID_path + w, ids[i]) - 1, &kind, &text, &len);
            if ((i && js(v, ",") < 0) || js(v, "\"") < 0 || ju(v, ids[i]) < 0 || js(v, "\":") < 0)
                return -1;
            if (CTQ_ID_path + w == CTQ_ID_function) {
                uint64_t path_def;
                memcpy(&path_def, text + len, 8);
                int pk;
                const uint8_t *ptext;
                uint32_t plen;
                def_at(path_def - 1, &pk, &ptext, &plen);
                int f_line = field_of(kind, "line");
                if (js(v, "[") < 0 || jstr(v, text, len) < 0 || js(v, ",") < 0 || jstr(v, ptext, plen) < 0
                        || js(v, ",") < 0 || ji(v, f_line < 0 ? 0 : ctq_get(kind, rec, f_line)) < 0 || js(v, "]") < 0)
                    return -1;
            } else if (jstr(v, text, len) < 0)
                return -1;
            if (jflush(o, FLUSH_AT) < 0)
                return -1;
        }
        if (js(v, "}") < 0)
            return -1;
    }
    return 0;
}

/* "threads": those a Thread record named, then those with steps only (index.py's _first_last) */
static int
jthreads(jout *o)
{
    const ctq_index *x = &ctwi.x;
    ct_vec *v = &o->v;
    size_t nseen = ctwi.seen.len / (2 * sizeof(int64_t));
    const int64_t *s = (const int64_t *)ctwi.seen.p;
    int first = 1;
    if (js(v, "{") < 0)
        return -1;
    for (size_t i = 0; i < x->ninfo; i++) {
        size_t ti = x->info_order[i];
        const ctq_ithread *t = &x->th.threads[ti];
        int64_t f = ti < nseen ? s[2 * ti] : -1, l = ti < nseen ? s[2 * ti + 1] : -1;
        if ((!first && js(v, ",") < 0) || jthread(v, t->tid, 1) < 0 || js(v, ":{\"ident\":") < 0
                || ju(v, t->ident) < 0 || js(v, ",\"first\":") < 0 || opt(v, f) < 0 || js(v, ",\"last\":") < 0
                || opt(v, f < 0 ? -1 : l) < 0
                || (t->exit_step >= 0 && (js(v, ",\"exit_step\":") < 0 || ji(v, t->exit_step) < 0)) || js(v, "}") < 0)
            return -1;
        first = 0;
    }
    const size_t *order = (const size_t *)ctwi.seen_order.p;
    for (size_t i = 0; i < ctwi.seen_order.len / sizeof(size_t); i++) {
        size_t ti = order[i];
        const ctq_ithread *t = &x->th.threads[ti];
        if (t->info)
            continue;
        if ((!first && js(v, ",") < 0) || jthread(v, t->tid, 1) < 0 || js(v, ":{\"ident\":null,\"first\":") < 0
                || ji(v, s[2 * ti]) < 0 || js(v, ",\"last\":") < 0 || ji(v, s[2 * ti + 1]) < 0 || js(v, "}") < 0)
            return -1;
        first = 0;
    }
    return js(v, "}");
}

static int
jtimeline(jout *o)
{
    const ctq_index *x = &ctwi.x;
    ct_vec *v = &o->v;
    if (js(v, "[") < 0)
        return -1;
    for (size_t i = 0; i < x->nspans; i++) {
        const ctq_span *sp = &x->spans[i];
        if ((i && js(v, ",") < 0) || js(v, "[") < 0 || ji(v, sp->first) < 0 || js(v, ",") < 0 || ji(v, sp->last) < 0
                || js(v, ",") < 0 || ju(v, sp->depth) < 0 || js(v, ",") < 0 || ju(v, sp->fid) < 0 || js(v, ",") < 0
                || jthread(v, sp->tid, 0) < 0 || js(v, "]") < 0 || jflush(o, FLUSH_AT) < 0)
            return -1;
    }
    return js(v, "]");
}

static int
write_index(jout *o, int version, uint64_t events_size)
{
    ct_vec *v = &o->v;
    const ctq_index *x = &ctwi.x;
    if (js(v, "{\"version\":") < 0 || ji(v, version) < 0 || js(v, ",\"events_size\":") < 0 || ju(v, events_size) < 0
            || js(v, ",\"chunk_count\":") < 0 || ju(v, ctwi.n) < 0 || js(v, ",\"steps\":") < 0 || ju(v, x->step) < 0
            || js(v, ",\"records\":") < 0 || ju(v, x->records) < 0 || js(v, ",\"activations\":") < 0
            || ju(v, x->acts) < 0 || js(v, ",\"columns\":\"") < 0 || jflush(o, 1) < 0)
        return -1;
    /* the columns, from their spill, in base64 (in pieces of a multiple of 3 bytes) */
    uint8_t raw[3 * 16384];
    size_t have = 0;
    for (uint64_t at = 0; at < ctwi.cols_spilled + ctwi.cols.len;) {
        size_t want = sizeof raw - have, r;
        if (at < ctwi.cols_spilled) {
            if (want > ctwi.cols_spilled - at)
                want = (size_t)(ctwi.cols_spilled - at);
            ssize_t got = pread(ctwi.spill_cols, raw + have, want, (off_t)at);
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0)
                return -1;
            r = (size_t)got;
        } else {
            size_t left = (size_t)(ctwi.cols_spilled + ctwi.cols.len - at);
            r = want < left ? want : left;
            memcpy(raw + have, ctwi.cols.p + (at - ctwi.cols_spilled), r);
        }
        at += r;
        have += r;
        int last = at == ctwi.cols_spilled + ctwi.cols.len;
        size_t whole = last ? have : have / 3 * 3;
        if (b64(v, raw, whole) < 0 || jflush(o, FLUSH_AT) < 0)
            return -1;
        memmove(raw, raw + whole, have - whole);
        have -= whole;
    }
    if (js(v, "\",\"states\":[") < 0 || jflush(o, 1) < 0)
        return -1;
    /* the states, from their spill */
    char buf[FLUSH_AT];
    for (uint64_t at = 0; at < ctwi.spilled;) {
        size_t want = ctwi.spilled - at < sizeof buf ? (size_t)(ctwi.spilled - at) : sizeof buf;
        ssize_t r = pread(ctwi.spill, buf, want, (off_t)at);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0 || put(v, buf, (size_t)r) < 0 || jflush(o, 1) < 0)
            return -1;
        at += (uint64_t)r;
    }
    if (put(v, ctwi.out.p, ctwi.out.len) < 0 || js(v, "],\"threads\":") < 0 || jthreads(o) < 0
            || js(v, ",\"timeline\":") < 0 || jtimeline(o) < 0 || js(v, ",\"timeline_min_steps\":") < 0
            || ju(v, x->threshold) < 0 || jdefs(o) < 0)
        return -1;
    /* calls and lines last, after the front (what an open reads): its length at the end */
    uint64_t front = o->written + v->len;
    if (js(v, ",\"calls\":") < 0 || jlists(o, x->calls, &ctwi.calls, x->ncalls, 1) < 0 || js(v, ",\"lines\":") < 0
            || jlists(o, x->lines, &ctwi.lines, x->nlines, 0) < 0 || js(v, ",\"front\":") < 0 || ju(v, front) < 0
            || js(v, "}\n") < 0 || jflush(o, 1) < 0)
        return -1;
    return 0;
}

int
ctwi_write_json(const char *events, const char *out, int version, uint64_t timeline, uint64_t *steps,
                char *why, size_t whylen)
{
    char *real = realpath(events, NULL);
    int same = real != NULL && ctwi.path != NULL && strcmp(ctwi.path, real) == 0, rc = -1;
    struct stat st;
    free(real);
    if (!same)
        snprintf(why, whylen, "the writer did not write this event file");
    else if (!ctwi.ready || ctwi.bad)
        snprintf(why, whylen, "%s", ctwi.bad ? ctwi.why : "nothing was fed");
    else if (timeline != ctwi.x.timeline)
        snprintf(why, whylen, "the writer's timeline keeps %llu spans", (unsigned long long)ctwi.x.timeline);
    else if (stat(events, &st) < 0 || (uint64_t)st.st_size != ctwi.end)
        snprintf(why, whylen, "the event file does not end where the writer's last chunk did");
    else if (ctq_index_finish(&ctwi.x) < 0)
        snprintf(why, whylen, "out of memory");
    else {
        jout o = {.fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666)};
        if (o.fd < 0)
            snprintf(why, whylen, "cannot write %s: %s", out, strerror(errno));
        else {
            if (write_index(&o, version, ctwi.end) < 0 || fsync(o.fd) < 0)
                snprintf(why, whylen, "cannot write %s: %s", out, o.err ? strerror(errno) : "out of memory");
            else {
                rc = 0;
                *steps = ctwi.x.step;
            }
            if (close(o.fd) < 0 && rc == 0) {
                snprintf(why, whylen, "cannot write %s: %s", out, strerror(errno));
                rc = -1;
            }
            if (rc < 0)
                unlink(out);
        }
        ct_vec_free(&o.v);
    }
    ctwi_reset(NULL);       /* taken once */
    return rc;
}
