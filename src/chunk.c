/*
** chunk.c -- the chunk serializer: walks the Chunk table's field list
** (generated/records.c, from the spec) to write a chunk as one size-prefixed
** FlatBuffer. The root table always has every field, so its vtable is the
** same for every chunk:
**
**     0  uint32   size of the rest of the chunk
**     4  uint32   root offset -> the table
**     8  char[4]  file identifier (CTR_IDENTIFIER)
**    12  vtable   its size, the table's size, one uint16 offset per field
**     T  table    soffset to the vtable, then the fields (T: 8-aligned)
**
** then one vector per vector field, in field order (a uint32 count, then the
** elements, aligned to their struct and at least to 4), and zeros up to a
** multiple of 8 bytes. Every chunk starts 8-aligned in the file.
*/
#include "chunk.h"
#include "records.h"

#define VT_POS 12

void *
ctk_push_grow(ct_vec *kinds, ct_vec *rec, int kind, size_t size, int *failed)
{
    uint8_t *k = ct_vec_push(kinds, 1);
    if (k == NULL) { *failed = 1; return NULL; }
    void *r = ct_vec_push(rec, size);
    if (r == NULL) { kinds->len--; *failed = 1; return NULL; }
    *k = (uint8_t)kind;
    return r;
}

static void
put_u16(uint8_t *p, uint16_t v) { memcpy(p, &v, sizeof v); }

static void
put_u32(uint8_t *p, uint32_t v) { memcpy(p, &v, sizeof v); }

/* vec_at: the ct_vec of vector field f in c. */
static const ct_vec *
vec_at(const ct_chunk *c, const ctr_chunk_field *f)
{
    return (const ct_vec *)((const char *)c + f->at);
}

/* put_vector: append vector v of elements of `size` bytes aligned to
   `align`, and point the table field at `field` (from base) to it. */
static int
put_vector(ct_vec *out, size_t base, size_t field, const ct_vec *v, size_t size, size_t align)
{
    size_t pos = out->len - base;
    size_t a = align < 4 ? 4 : align;
    size_t pad = (a - (pos + 4) % a) % a;
    uint8_t *p = ct_vec_push(out, pad + 4 + v->len);
    if (p == NULL)
        return -1;
    memset(p, 0, pad);
    put_u32(p + pad, (uint32_t)(v->len / size));
    if (v->len)
        memcpy(p + pad + 4, v->p, v->len);
    put_u32((uint8_t *)out->p + base + field, (uint32_t)(pos + pad - field));
    return 0;
}

int
ctk_serialize(const ct_chunk *c, ct_vec *out)
{
    int n = ctr_n_chunk_fields;
    size_t vt_size = 4 + 2 * (size_t)n;
    size_t t_pos = (VT_POS + vt_size + 7) & ~(size_t)7;
    size_t head = t_pos + ctr_chunk_table_size;
    size_t base = out->len;
    uint8_t *h = ct_vec_push(out, head);
    if (h == NULL)
        return -1;
    memset(h, 0, head);
    put_u32(h + 4, (uint32_t)(t_pos - 4));
    memcpy(h + 8, CTR_IDENTIFIER, 4);
    put_u16(h + VT_POS, (uint16_t)vt_size);
    put_u16(h + VT_POS + 2, ctr_chunk_table_size);
    for (int i = 0; i < n; i++)
        put_u16(h + VT_POS + 4 + 2 * i, ctr_chunk_fields[i].offset);
    put_u32(h + t_pos, (uint32_t)(t_pos - VT_POS));
    for (int i = 0; i < n; i++) {
        const ctr_chunk_field *f = &ctr_chunk_fields[i];
        if (f->scalar)
            memcpy(h + t_pos + f->offset, (const char *)c + f->at, f->scalar);
    }
    for (int i = 0; i < n; i++) {
        const ctr_chunk_field *f = &ctr_chunk_fields[i];
        if (!f->scalar && put_vector(out, base, t_pos + f->offset, vec_at(c, f), f->elem_size,
                                     f->elem_align) < 0)
            return -1;
    }
    size_t tail = (8 - (out->len - base) % 8) % 8;
    uint8_t *t = ct_vec_push(out, tail);
    if (t == NULL)
        return -1;
    memset(t, 0, tail);
    put_u32((uint8_t *)out->p + base, (uint32_t)(out->len - base - 4));
    return 0;
}

void
ctk_reset(ct_chunk *c)
{
    for (int i = 0; i < ctr_n_chunk_fields; i++)
        if (!ctr_chunk_fields[i].scalar)
            ((ct_vec *)((char *)c + ctr_chunk_fields[i].at))->len = 0;
    c->failed = 0;
}

void
ctk_free(ct_chunk *c)
{
    for (int i = 0; i < ctr_n_chunk_fields; i++)
        if (!ctr_chunk_fields[i].scalar)
            ct_vec_free((ct_vec *)((char *)c + ctr_chunk_fields[i].at));
}
