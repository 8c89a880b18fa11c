/*
** writer.c -- the event file and its background writer thread.
** ctw_put() serializes a chunk into a buffer and queues it (the recorder
** hands over its chunk; errors go back to it: the writer never stops the
** recording); the writer thread write()s queued buffers in order. At most QUEUE
** buffers are pending: a producer that finds the queue full waits with the GIL
** released, so memory stays bounded however long the recording runs.
**
** Locking rule: W.mu is never held while taking the GIL (a thread holding
** the GIL may lock W.mu; the writer thread never takes the GIL), so neither
** lock waits for the other in a cycle.
**
** Frames (docs/trace-format.md, "The event file"): every chunk is written
** as a frame, its size word and its CRC-32 (zlib's crc32 over the size word
** and the frame's bytes after the CRC) before it. ctw_put() serializes the
** chunk FRAME_HEAD bytes into its buffer; the writer thread fills in the
** size word and the CRC ("seals" the frame) without the GIL, just before
** writing it, so the checksum costs the program's threads nothing.
**
** Compression (--compress): the writer thread deflates each chunk before
** writing it, without the GIL, into one zlib stream framed as in
** docs/trace-format.md ("Compressed chunks"), unless it is falling behind:
** when it takes a chunk while more than half of the queue is pending, it
** writes that chunk as it is, and the producer (which waits only when all
** QUEUE buffers are pending) keeps free buffers. A chunk that would not get
** smaller, or that zlib fails on, is written as it is too. Chunks written
** synchronously (no writer thread: around a fork) are never compressed: that
** would be on the program's thread (they are sealed there: the CRC-32 of one
** chunk, at each fork).
**
** fork: ctw_fork_before() drains the queue and joins the writer thread (the
** process has no thread of ours when it forks: no lock of ours is held in
** the child, and CPython's "multi-threaded fork" warning sees the program's
** own threads only); ctw_fork_parent() starts it again; ctw_fork_child()
** closes the inherited descriptor and drops every inherited buffer without
** writing it (they are the parent's).
*/
#include "writer.h"
#include "chunk.h"
#include "crc.h"
#include "windex.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>
#include <zlib.h>

#define QUEUE 4
/* The file header: the magic, the format version, a reserved uint32. */
_Static_assert(sizeof CTR_MAGIC - 1 + 2 * sizeof(uint32_t) == CTR_HEADER_SIZE,
               "spec: header_size is the magic, the version and a reserved uint32");
/* A frame's head: the size word, then the CRC-32. The chunk of a plain
   frame follows it, so that head keeps the chunk 8-aligned in the file. */
#define FRAME_HEAD (sizeof(uint32_t) + CTR_CRC_SIZE)
_Static_assert(FRAME_HEAD % 8 == 0, "the chunk in a plain frame starts 8-aligned");
_Static_assert(CTR_CRC_SIZE == sizeof(uint32_t), "spec: the CRC-32 is one uint32");

static struct {
    int fd;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    ct_vec bufs[QUEUE];       /* ring of buffers */
    unsigned head, count;     /* first pending, number pending */
    int stop;                 /* writer thread should exit when idle */
    int err;                  /* errno of the first failed write */
    int paused;               /* no writer thread (around a fork): write synchronously */
    int forking;              /* between the before and after fork hooks */
    pid_t tid;                /* the writer thread's kernel id */
    pid_t pid;                /* process that opened the file: only it writes there */
    uint64_t bytes, chunks;
    int level;                /* zlib level; 0: chunks are not compressed */
    int z_ready;              /* z holds a deflate state (deflateInit2 succeeded) */
    z_stream z;               /* the writer thread's deflate state, reset per chunk */
    ct_vec zbuf;              /* the compressed frame being written */
    uint64_t raw_bytes;       /* bytes written, counting compressed chunks as before compression */
    uint64_t zchunks;         /* chunks written compressed */
} W = { .fd = -1 };

/* write_all: write n bytes at p to fd; 0 or an errno. */
static int
write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static void
put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

/* seal: complete the frame p of n bytes (a multiple of 8): its size word,
   n - 4 with `flags`, and its CRC-32 over the size word and the n -
   FRAME_HEAD bytes after the CRC. */
static void
seal(unsigned char *p, size_t n, uint32_t flags)
{
    put32(p, (uint32_t)(n - 4) | flags);
    uint32_t crc = ctq_crc32(0, p, 4);
    crc = ctq_crc32(crc, p + FRAME_HEAD, n - FRAME_HEAD);   /* zlib's CRC-32, by folding where the CPU can (set up at module init) */
    put32(p + 4, crc);
}

/* deflate_chunk: the plain frame b (its chunk, size prefix included, from
   FRAME_HEAD on) as a sealed compressed frame in W.zbuf: uint32 N |
   CTR_COMPRESSED, uint32 CRC-32, uint32 R (the chunk's size), uint32 Z, Z
   bytes of zlib stream, zero padding to 4 + N (a multiple of 8). Returns the
   frame's length, or 0 to write b as it is (it would not get smaller, out of
   memory, a zlib error). Writer thread only, without the GIL. */
static size_t
deflate_chunk(const ct_vec *b)
{
    const size_t head = FRAME_HEAD + 2 * sizeof(uint32_t);   /* then R and Z */
    size_t raw = b->len - FRAME_HEAD;
    if (!W.z_ready || raw > CTR_MAX_CHUNK)
        return 0;
    size_t bound = deflateBound(&W.z, (uLong)raw);
    size_t need = head + bound + 8;
    if (W.zbuf.cap < need) {
        char *p = realloc(W.zbuf.p, need);
        if (p == NULL)
            return 0;
        W.zbuf.p = p;
        W.zbuf.cap = need;
    }
    if (deflateReset(&W.z) != Z_OK)
        return 0;
    W.z.next_in = (Bytef *)b->p + FRAME_HEAD;
    W.z.avail_in = (uInt)raw;
    W.z.next_out = (Bytef *)W.zbuf.p + head;
    W.z.avail_out = (uInt)bound;
    if (deflate(&W.z, Z_FINISH) != Z_STREAM_END)
        return 0;
    size_t z = (size_t)W.z.total_out;
    size_t frame = (head + z + 7) & ~(size_t)7;
    if (frame >= b->len)
        return 0;
    unsigned char *h = (unsigned char *)W.zbuf.p;
    memset(h + head + z, 0, frame - head - z);
    put32(h + FRAME_HEAD, (uint32_t)raw);
    put32(h + FRAME_HEAD + 4, (uint32_t)z);
    seal(h, frame, CTR_COMPRESSED);
    return frame;
}

/* start_writer: the writer thread, with every signal blocked (signals go
   to the program's threads, as without the recorder); 0 or an errno. */
static void *writer(void *unused);

static int
start_writer(void)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int e = pthread_create(&W.thread, NULL, writer, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return e;
}

/* writer: the thread body: write pending buffers in order until stopped. */
static void *
writer(void *unused)
{
    W.tid = (pid_t)syscall(SYS_gettid);
    pthread_mutex_lock(&W.mu);
    for (;;) {
        while (W.count == 0 && !W.stop)
            pthread_cond_wait(&W.cv, &W.mu);
        if (W.count == 0)
            break;
        ct_vec *b = &W.bufs[W.head];
        int squeeze = W.level > 0 && W.count <= QUEUE / 2;   /* else falling behind */
        uint64_t off = W.bytes;
        pthread_mutex_unlock(&W.mu);
        const char *p = b->p;
        int skip = W.err != 0;   /* after a failed write, nothing more is written */
        size_t n = b->len, z = skip || !squeeze ? 0 : deflate_chunk(b);
        if (z > 0) {
            p = W.zbuf.p;
            n = z;
        } else if (!skip)
            seal((unsigned char *)b->p, n, 0);
        int e = skip ? 0 : write_all(W.fd, p, n);
        if (e)
            ctwi_fail("a write failed");
        else if (!skip)
            ctwi_feed((const uint8_t *)b->p + FRAME_HEAD, b->len - FRAME_HEAD, off, n);
        pthread_mutex_lock(&W.mu);
        if (e && !W.err)
            W.err = e;
        else if (!e && !skip) {
            W.bytes += n;
            W.raw_bytes += b->len;
            W.zchunks += z > 0;
        }
        b->len = 0;
        W.head = (W.head + 1) % QUEUE;
        W.count--;
        pthread_cond_broadcast(&W.cv);
    }
    pthread_mutex_unlock(&W.mu);
    return NULL;
}

/* zfree_state: release the deflate state and the frame buffer. */
static void
zfree_state(void)
{
    if (W.z_ready)
        deflateEnd(&W.z);
    W.z_ready = 0;
    ct_vec_free(&W.zbuf);
}

int
ctw_open(const char *path, int level)
{
    W.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (W.fd < 0) {
        PyErr_SetFromErrnoWithFilename(PyExc_OSError, path);
        return -1;
    }
    unsigned char head[CTR_HEADER_SIZE] = { 0 };
    memcpy(head, CTR_MAGIC, 8);
    put32(head + 8, CTR_VERSION);
    int e = write_all(W.fd, (const char *)head, sizeof head);
    if (e) {
        errno = e;
        PyErr_SetFromErrnoWithFilename(PyExc_OSError, path);
        close(W.fd);
        W.fd = -1;
        return -1;
    }
    W.bytes = W.raw_bytes = sizeof head;
    ctwi_reset(path);   /* the index, fed each chunk as it is written (windex.h) */
    W.chunks = W.zchunks = 0;
    W.level = level;
    memset(&W.z, 0, sizeof W.z);
    if (level > 0) {
        if (deflateInit2(&W.z, level, Z_DEFLATED, 15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
            PyErr_SetString(PyExc_MemoryError, "cannot start zlib compression");
            close(W.fd);
            W.fd = -1;
            return -1;
        }
        W.z_ready = 1;
    }
    W.head = W.count = 0;
    W.stop = W.err = W.paused = W.forking = 0;
    W.pid = getpid();
    pthread_mutex_init(&W.mu, NULL);
    pthread_cond_init(&W.cv, NULL);
    if (start_writer() != 0) {
        PyErr_SetString(PyExc_OSError, "cannot start the trace writer thread");
        zfree_state();
        close(W.fd);
        W.fd = -1;
        return -1;
    }
    return 0;
}

/* ctw_wait: W.mu is never held while taking the GIL back: a thread that
   holds the GIL may be waiting for W.mu (lock-order inversion, a deadlock). */
int
ctw_wait(void)
{
    if (W.paused && !W.forking && start_writer() == 0)
        W.paused = 0;   /* after a fork: the writer thread again */
    pthread_mutex_lock(&W.mu);
    int full = !W.paused && W.count == QUEUE;
    pthread_mutex_unlock(&W.mu);
    if (!full)
        return 0;
    Py_BEGIN_ALLOW_THREADS
    pthread_mutex_lock(&W.mu);
    while (!W.paused && W.count == QUEUE)
        pthread_cond_wait(&W.cv, &W.mu);
    pthread_mutex_unlock(&W.mu);
    Py_END_ALLOW_THREADS
    return 1;
}

int
ctw_put(const ct_chunk *c)
{
    pthread_mutex_lock(&W.mu);
    /* From here to W.count++ this thread holds the GIL: no other producer
       runs, and the writer thread never touches the free slot. (When
       paused, the queue is empty: the fork hook drained it.) */
    int e = W.err;
    ct_vec *b = &W.bufs[(W.head + W.count) % QUEUE];
    pthread_mutex_unlock(&W.mu);
    if (e)
        return e;
    b->len = 0;   /* the frame's head, filled in by seal() */
    if (ct_vec_push(b, FRAME_HEAD) == NULL || ctk_serialize(c, b) < 0)
        return ENOMEM;
    if (b->len - 4 > CTR_MAX_CHUNK) {   /* the size word: readers would take it for corruption: as if a */
        b->len = 0;                 /* write failed, nothing more is written */
        pthread_mutex_lock(&W.mu);
        W.err = EFBIG;
        pthread_mutex_unlock(&W.mu);
        return EFBIG;
    }
    if (W.paused) {
        seal((unsigned char *)b->p, b->len, 0);   /* never compressed: this is the program's thread */
        e = write_all(W.fd, b->p, b->len);
        if (e) {
            W.err = e;
            ctwi_fail("a write failed");
        } else {
            ctwi_feed((const uint8_t *)b->p + FRAME_HEAD, b->len - FRAME_HEAD, W.bytes, b->len);
            W.bytes += b->len;
            W.raw_bytes += b->len;
        }
        b->len = 0;
        W.chunks++;
        return e;
    }
    pthread_mutex_lock(&W.mu);
    W.count++;
    W.chunks++;
    pthread_cond_broadcast(&W.cv);
    pthread_mutex_unlock(&W.mu);
    return 0;
}

int
ctw_foreign(void)
{
    return W.fd >= 0 && getpid() != W.pid;
}

int
ctw_ready(void)
{
    return W.fd >= 0;
}

int
ctw_close(void)
{
    if (W.fd < 0)
        return 0;
    if (ctw_foreign()) {
        ctw_fork_child();
        return 0;
    }
    if (W.paused)
        goto closed;
    pthread_mutex_lock(&W.mu);
    W.stop = 1;
    pthread_cond_broadcast(&W.cv);
    pthread_mutex_unlock(&W.mu);
    Py_BEGIN_ALLOW_THREADS
    pthread_join(W.thread, NULL);
    Py_END_ALLOW_THREADS
closed:;
    int e = W.err;
    if (close(W.fd) < 0 && !e)
        e = errno;
    W.fd = -1;
    for (int i = 0; i < QUEUE; i++)
        ct_vec_free(&W.bufs[i]);
    zfree_state();
    pthread_mutex_destroy(&W.mu);
    pthread_cond_destroy(&W.cv);
    W.paused = 0;
    if (e) {
        errno = e;
        PyErr_SetFromErrno(PyExc_OSError);
        return -1;
    }
    return 0;
}

uint64_t
ctw_bytes(void)
{
    return W.bytes;
}

uint64_t
ctw_chunks(void)
{
    return W.chunks;
}

uint64_t
ctw_raw_bytes(void)
{
    return W.raw_bytes;
}

uint64_t
ctw_compressed_chunks(void)
{
    return W.zchunks;
}

/* ctw_fork_before: write what is queued and end the writer thread (GIL
   held: no other thread can hand over a chunk meanwhile; the writer thread
   never waits for the GIL). Chunks flushed until ctw_fork_parent() are
   written synchronously. */
void
ctw_fork_before(void)
{
    if (W.fd < 0 || W.paused || ctw_foreign())
        return;
    pthread_mutex_lock(&W.mu);
    W.stop = 1;
    pthread_cond_broadcast(&W.cv);
    pthread_mutex_unlock(&W.mu);
    pthread_join(W.thread, NULL);
    ctw_thread_gone(W.tid);
    W.stop = 0;
    W.paused = 1;
}

void
ctw_fork_begin(void)
{
    W.forking = W.fd >= 0;
}

void
ctw_thread_gone(pid_t tid)
{
    /* pthread_join returns when the thread's id is released, a moment
       before the kernel stops counting the thread in /proc/self/stat
       (which CPython reads for its fork warning): wait for its task entry
       to go (at most about 50 ms). */
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%ld", (long)tid);
    for (int i = 0; tid > 0 && i < 5000 && access(path, F_OK) == 0; i++)
        usleep(10);
}

/* ctw_fork_parent: in the parent after a fork: the writer thread starts
   again, but not here: CPython counts the process's threads for its fork
   warning after the at-fork hooks. ctw_resume() (a pending call) or the next
   flush starts it. */
void
ctw_fork_parent(void)
{
    W.forking = 0;
}

void
ctw_resume(void)
{
    if (W.fd >= 0 && W.paused && !W.forking && !ctw_foreign() && start_writer() == 0)
        W.paused = 0;
}

/* ctw_fork_child: forget the parent's event file in a forked child: close
   the inherited descriptor (the parent's file stays open in the parent),
   drop the queued buffers unwritten, and make the lock and condition new
   (never destroyed: their state is the parent's). */
void
ctw_fork_child(void)
{
    if (W.fd < 0)
        return;
    close(W.fd);
    W.fd = -1;
    for (int i = 0; i < QUEUE; i++)
        ct_vec_free(&W.bufs[i]);
    zfree_state();   /* the writer thread was joined, or never ran in this process */
    W.head = W.count = 0;
    W.stop = W.err = W.paused = W.forking = 0;
    ctwi_reset(NULL);   /* the parent's */
    memset(&W.mu, 0, sizeof W.mu);   /* ctw_open makes fresh ones */
    memset(&W.cv, 0, sizeof W.cv);
}
