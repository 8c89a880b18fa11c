/*
** crc.c -- CRC-32 by folding (see crc.h).
**
** The bytes are a polynomial over GF(2), bit-reflected (bit 0 of the first
** byte is the highest coefficient); zlib's CRC-32 of them is, up to the
** inversions at both ends, M(x) * x^32 mod P(x). Folding keeps M mod P and
** shortens M: a 128-bit block A that D bits of message follow stands for
** A * x^D, and A's two 64-bit halves times (x^(D+64) mod P) and (x^D mod P),
** each of degree below 32, are congruent to it and end within the next
** block, which they are XORed into. Four blocks are folded side by side over
** 512 bits, then into one; its 16 bytes have the message's CRC, which zlib
** finishes. A carry-less product of two reflected polynomials comes out one
** degree low, so each constant is x^(D+63) or x^(D-1) mod P, computed at
** first use.
*/
#include "crc.h"

#include <zlib.h>

static uint32_t
ctq_crc32_zlib(uint32_t crc, const uint8_t *p, size_t n)
{
    while (n > 0) {
        uInt part = n > (1u << 30) ? (1u << 30) : (uInt)n;
        crc = (uint32_t)crc32(crc, p, part);
        p += part;
        n -= part;
    }
    return crc;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define POLY 0x104C11DB7ull   /* P(x), CRC-32's polynomial (IEEE 802.3, as zlib) */

/* x^n mod P, reflected into the upper half of 64 bits (bit 63 - d: the coefficient of x^d). */
static uint64_t
xpow(unsigned n)
{
    uint64_t r = 1, v = 0;
    for (unsigned i = 0; i < n; i++) {
        r <<= 1;
        if (r >> 32)
            r ^= POLY;
    }
    for (int d = 0; d < 32; d++)
        if (r >> d & 1)
            v |= 1ull << (63 - d);
    return v;
}

__attribute__((target("pclmul,sse2")))
static __m128i
fold(__m128i x, __m128i k)
{
    return _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11));
}

__attribute__((target("pclmul,sse2")))
static uint32_t
crc_clmul(uint32_t crc, const uint8_t *p, size_t n, __m128i k128, __m128i k512)
{
    const __m128i *q = (const __m128i *)p;
    __m128i x0 = _mm_loadu_si128(q), x1 = _mm_loadu_si128(q + 1);
    __m128i x2 = _mm_loadu_si128(q + 2), x3 = _mm_loadu_si128(q + 3);
    x0 = _mm_xor_si128(x0, _mm_cvtsi32_si128((int)~crc));   /* the register's start, into the first bytes */
    q += 4;
    n -= 64;
    for (; n >= 64; n -= 64, q += 4) {
        x0 = _mm_xor_si128(fold(x0, k512), _mm_loadu_si128(q));
        x1 = _mm_xor_si128(fold(x1, k512), _mm_loadu_si128(q + 1));
        x2 = _mm_xor_si128(fold(x2, k512), _mm_loadu_si128(q + 2));
        x3 = _mm_xor_si128(fold(x3, k512), _mm_loadu_si128(q + 3));
    }
    __m128i x = _mm_xor_si128(fold(x0, k128), x1);
    x = _mm_xor_si128(fold(x, k128), x2);
    x = _mm_xor_si128(fold(x, k128), x3);
    for (; n >= 16; n -= 16, q++)
        x = _mm_xor_si128(fold(x, k128), _mm_loadu_si128(q));
    uint8_t last[16];
    _mm_storeu_si128((__m128i *)last, x);
    crc = (uint32_t)crc32(0xFFFFFFFFu, last, 16);   /* (the register starts at 0: ~0xFFFFFFFF) */
    return (uint32_t)crc32(crc, (const uint8_t *)q, (uInt)n);
}

uint32_t
ctq_crc32(uint32_t crc, const uint8_t *p, size_t n)
{
    static int has = -1;
    static __m128i k128, k512;
    if (has < 0) {
        __builtin_cpu_init();
        if (__builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse2")) {
            k128 = _mm_set_epi64x((long long)xpow(127), (long long)xpow(191));
            k512 = _mm_set_epi64x((long long)xpow(511), (long long)xpow(575));
            has = 1;
        } else {
            has = 0;
        }
    }
    if (!has || n < 64)
        return ctq_crc32_zlib(crc, p, n);
    return crc_clmul(crc, p, n, k128, k512);
}

#else

uint32_t
ctq_crc32(uint32_t crc, const uint8_t *p, size_t n)
{
    return ctq_crc32_zlib(crc, p, n);
}

#endif
