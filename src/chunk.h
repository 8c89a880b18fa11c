/*
** chunk.h -- building a chunk (ctk_): appending a record or text to it,
** emptying it, and laying it out as one size-prefixed FlatBuffer (chunk.c).
** The records, the chunk struct (struct ct_chunk), its table's layout and
** one emitter per record are generated from the spec (generated/records.h,
** records.c); the emitters append through ctk_push and ctk_text.
*/
#ifndef CT_CHUNK_H
#define CT_CHUNK_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vec.h"

struct ct_chunk;

/* ctk_push_grow: ctk_push when `kinds` or `rec` must grow (chunk.c). */
void *ctk_push_grow(ct_vec *kinds, ct_vec *rec, int kind, size_t size, int *failed);

/* ctk_push: reserve one record of `kind` (`size` bytes) in vector `rec`,
   its kind appended to `kinds`; NULL (and *failed) when out of memory. */
static inline void *
ctk_push(ct_vec *kinds, ct_vec *rec, int kind, size_t size, int *failed)
{
    if (__builtin_expect(kinds->len < kinds->cap && rec->cap - rec->len >= size, 1)) {
        ((uint8_t *)kinds->p)[kinds->len++] = (uint8_t)kind;
        void *r = rec->p + rec->len;
        rec->len += size;
        return r;
    }
    return ctk_push_grow(kinds, rec, kind, size, failed);
}

/* ctk_put: ctk_push when `kinds` and `rec` are known to have room (the
   no-values fast paths: ctg_fast_reserve): it cannot fail. */
static inline void *
ctk_put(ct_vec *kinds, ct_vec *rec, int kind, size_t size)
{
    ((uint8_t *)kinds->p)[kinds->len++] = (uint8_t)kind;
    void *r = rec->p + rec->len;
    rec->len += size;
    return r;
}

/* ctk_text: copy n bytes into pool `data`; returns their offset (0 and
   *failed when out of memory). */
static inline uint32_t
ctk_text(ct_vec *data, const char *s, uint32_t n, int *failed)
{
    uint32_t off = (uint32_t)data->len;
    char *p = ct_vec_push(data, n);
    if (p == NULL) { *failed = 1; return 0; }
    memcpy(p, s, n);
    return off;
}

/* ctk_serialize: lay out chunk `c` as one size-prefixed FlatBuffer appended
   to `out`; 0 on success, -1 when out of memory. */
int ctk_serialize(const struct ct_chunk *c, ct_vec *out);

/* ctk_reset: empty `c` for reuse, keeping its buffers. */
void ctk_reset(struct ct_chunk *c);

/* ctk_free: free the buffers of `c`. */
void ctk_free(struct ct_chunk *c);

#endif
