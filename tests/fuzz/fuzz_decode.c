/*
** fuzz_decode.c -- the C side of the reader fuzzer: src/decode.c on mutated
** event files, built with -fsanitize=address,undefined (tests/test_decoder.py).
**
**     fuzz_decode --seconds S --seed N [--save DIR] EVENT_FILE...   mutate and decode
**     fuzz_decode --replay FILE...                                  decode each file as is
**
** An input is an event file (trace.ctgt): its frames are walked as the reader
** walks them (size words bounds-checked; CRC-32s and compressed frames are the
** Python side's, not looked at), and each chunk goes through ctq_parse, then
** ctq_feed with one ctq_state, values checked, and the index's scan
** (ctq_index_feed with one ctq_index, going on after an error). A sanitizer report or a crash
** is the failure; --save writes the input being decoded to DIR/current.ctgt
** first, so that the input of a crash is kept. Mutations: bit flips, bytes set
** to interesting values (0, 0xff, 0x7f, 0x80), 32-bit words set to
** interesting values (0, 1, -1, 0x7fffffff, small counts), byte runs copied
** from elsewhere in the file, and truncation.
**
** Built with -DCTGEN_LIBFUZZER and clang's -fsanitize=fuzzer, the same
** decode() is libFuzzer's entry point (LLVMFuzzerTestOneInput) instead of
** main: coverage-guided mutation of the same seeds (tests/test_decoder.py,
** test_libfuzzer_target).
*/
#define _POSIX_C_SOURCE 200809L   /* clock_gettime under -std=c11 */
#include "decode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HEADER 16

static uint64_t rng_state;

#ifndef CTGEN_LIBFUZZER
/* now: seconds on the monotonic clock. */
static double
now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}
#endif

static uint64_t
rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static int
count_problem(void *ctx, const char *msg)
{
    (void)msg;
    ++*(long *)ctx;
    return 0;
}

/* decode: every chunk of an event file of n bytes. Returns the records read. */
static uint64_t
decode(const uint8_t *buf, size_t n)
{
    long problems = 0;
    ctq_state s = { .values = 1, .problem = count_problem, .ctx = &problems };
    ctq_index x = { .timeline = 4 };   /* (a small timeline: its thinning runs too) */
    if (ctq_init(&s) < 0)
        return 0;
    if (ctq_index_init(&x) < 0) {
        ctq_free(&s);
        return 0;
    }
    uint32_t version = 0;
    if (n >= HEADER)
        memcpy(&version, buf + 8, 4);
    size_t head = version >= 3 ? 8 : 4, pos = HEADER;
    while (pos + head <= n) {
        uint32_t size;
        memcpy(&size, buf + pos, 4);
        size &= 0x7fffffffu;
        if (size < head + 12 || size > (1u << 30) || pos + 4 + (uint64_t)size > n)
            break;
        ctq_chunk c;
        char err[256];
        /* format 3: size word, CRC-32, then the size-prefixed chunk; before it the
           frame's size word is the chunk's own size prefix */
        const uint8_t *chunk = version >= 3 ? buf + pos + 8 : buf + pos;
        size_t len = version >= 3 ? size - 4 : 4 + (size_t)size;
        if (ctq_parse(chunk, len, &c, err, sizeof err) == 0) {
            ctq_feed(&s, &c);
            ctq_index_feed(&x, &c, (uint32_t)c.seq);
        }
        pos += 4 + size;
    }
    ctq_index_finish(&x);
    uint64_t records = s.records;
    ctq_free(&s);
    ctq_index_free(&x);
    return records;
}

static uint8_t *
slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(len > 0 ? (size_t)len : 1);
    if (buf == NULL || (len > 0 && fread(buf, 1, (size_t)len, f) != (size_t)len)) {
        fprintf(stderr, "fuzz_decode: cannot read %s\n", path);
        exit(2);
    }
    fclose(f);
    *n = (size_t)len;
    return buf;
}

static void
mutate(uint8_t *buf, size_t *n)
{
    static const uint32_t words[] = { 0, 1, 2, 3, 4, 7, 8, 16, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe,
                                      1000, 65535, 65536 };
    static const uint8_t bytes[] = { 0, 1, 0x7f, 0x80, 0xff, 27, 28, 29, 30 };
    int count = 1 + (int)(rnd() % 4);
    for (int i = 0; i < count; i++) {
        if (*n <= HEADER)   /* nothing past the header (a cut below may leave none) */
            return;
        size_t at = HEADER + rnd() % (*n - HEADER);
        switch (rnd() % 6) {
        case 0: case 1:
            buf[at] ^= (uint8_t)(1u << (rnd() % 8));
            break;
        case 2:
            buf[at] = bytes[rnd() % (sizeof bytes / sizeof *bytes)];
            break;
        case 3:
            if (at + 4 <= *n) {
                uint32_t w = words[rnd() % (sizeof words / sizeof *words)];
                memcpy(buf + at, &w, 4);
            }
            break;
        case 4: {
            size_t from = HEADER + rnd() % (*n - HEADER), len = 1 + rnd() % 64;
            if (from + len <= *n && at + len <= *n)
                memmove(buf + at, buf + from, len);
            break;
        }
        default:
            if (rnd() % 8 == 0)
                *n = at;
            break;
        }
    }
}

static void
save(const char *dir, const uint8_t *buf, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/current.ctgt", dir);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(buf, 1, n, f) != n || fclose(f) != 0) {
        perror(path);
        exit(2);
    }
}

#ifdef CTGEN_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    decode(data, size);
    return 0;
}
#else
int
main(int argc, char **argv)
{
    double seconds = 10;
    const char *dir = NULL;
    int replay = 0, first = 1;
    rng_state = 88172645463325252ull;
    for (; first < argc && argv[first][0] == '-'; first++) {
        if (!strcmp(argv[first], "--replay"))
            replay = 1;
        else if (!strcmp(argv[first], "--seconds") && first + 1 < argc)
            seconds = atof(argv[++first]);
        else if (!strcmp(argv[first], "--seed") && first + 1 < argc)
            rng_state = strtoull(argv[++first], NULL, 10) * 2654435761u + 1;
        else if (!strcmp(argv[first], "--save") && first + 1 < argc)
            dir = argv[++first];
        else {
            fprintf(stderr, "usage: fuzz_decode [--seconds S] [--seed N] [--save DIR] FILE... | --replay FILE...\n");
            return 2;
        }
    }
    if (first >= argc) {
        fprintf(stderr, "fuzz_decode: no input files\n");
        return 2;
    }
    if (replay) {
        for (int i = first; i < argc; i++) {
            size_t n;
            uint8_t *buf = slurp(argv[i], &n);
            printf("%s: %llu records\n", argv[i], (unsigned long long)decode(buf, n));
            free(buf);
        }
        return 0;
    }
    int nseeds = argc - first;
    uint8_t **seeds = calloc((size_t)nseeds, sizeof *seeds);
    size_t *sizes = calloc((size_t)nseeds, sizeof *sizes), biggest = 0;
    for (int i = 0; i < nseeds; i++) {
        seeds[i] = slurp(argv[first + i], &sizes[i]);
        if (sizes[i] > biggest)
            biggest = sizes[i];
    }
    uint8_t *work = malloc(biggest + 1);
    /* (wall time, as libFuzzer's -max_total_time and the Python fuzzer count it:
       under load the run decodes fewer inputs, and ends when its caller expects) */
    double start = now();
    long inputs = 0;
    uint64_t records = 0;
    while (now() - start < seconds) {
        int k = (int)(rnd() % (uint64_t)nseeds);
        size_t n = sizes[k];
        memcpy(work, seeds[k], n);
        mutate(work, &n);
        if (dir != NULL)
            save(dir, work, n);
        /* an exact copy of n bytes: the sanitizer sees a read past the input */
        uint8_t *exact = malloc(n ? n : 1);
        memcpy(exact, work, n);
        records += decode(exact, n);
        free(exact);
        inputs++;
    }
    printf("fuzz_decode: %ld inputs, %llu records decoded, 0 failures\n", inputs, (unsigned long long)records);
    for (int i = 0; i < nseeds; i++)
        free(seeds[i]);
    free(seeds);
    free(sizes);
    free(work);
    return 0;
}
#endif
