/*
** vec.h -- growable byte buffers (ct_vec), the storage of chunks and pools.
** Appends are inline; growth is the only out-of-line path.
*/
#ifndef CT_VEC_H
#define CT_VEC_H

#include <stddef.h>

typedef struct ct_vec {
    char *p;
    size_t len, cap;
} ct_vec;

/* ct_vec_grow: slow path of ct_vec_push: make room for n more bytes, then
   reserve them. NULL when out of memory (v unchanged). */
void *ct_vec_grow(ct_vec *v, size_t n);

/* ct_vec_reserve: make v's capacity at least `cap` bytes; 0, or -1 when out
   of memory (v unchanged). */
int ct_vec_reserve(ct_vec *v, size_t cap);

/* ct_vec_free: release the storage; v becomes empty. */
void ct_vec_free(ct_vec *v);

/* ct_vec_push: reserve n bytes at the end of v; NULL when out of memory. */
static inline void *
ct_vec_push(ct_vec *v, size_t n)
{
    if (v->cap - v->len < n)
        return ct_vec_grow(v, n);
    void *p = v->p + v->len;
    v->len += n;
    return p;
}

#endif
