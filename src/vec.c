/*
** vec.c -- growable byte buffers.
*/
#include "vec.h"

#include <stdint.h>
#include <stdlib.h>

void *
ct_vec_grow(ct_vec *v, size_t n)
{
    size_t need = v->len + n;
    if (need < v->len)
        return NULL;
    size_t cap = v->cap ? v->cap : 256;
    while (cap < need) {
        if (cap > SIZE_MAX / 2)
            return NULL;
        cap *= 2;
    }
    char *p = realloc(v->p, cap);
    if (p == NULL)
        return NULL;
    v->p = p;
    v->cap = cap;
    void *r = v->p + v->len;
    v->len = need;
    return r;
}

int
ct_vec_reserve(ct_vec *v, size_t cap)
{
    if (v->cap >= cap)
        return 0;
    char *p = realloc(v->p, cap);
    if (p == NULL)
        return -1;
    v->p = p;
    v->cap = cap;
    return 0;
}

void
ct_vec_free(ct_vec *v)
{
    free(v->p);
    v->p = NULL;
    v->len = v->cap = 0;
}
