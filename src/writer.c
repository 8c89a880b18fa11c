/*
** writer.c -- the event file and its background writer thread.
** ctw_flush_chunk() serializes the chunk being built into a buffer and queues
** it; the writer thread write()s queued buffers in order. At most QUEUE
** buffers are pending: a producer that finds the queue full waits with the GIL
** released, so memory stays bounded however long the recording runs.
*/
#include "writer.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#define QUEUE 4

static struct {
    int fd;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    ct_vec bufs[QUEUE];       /* ring of buffers */
    unsigned head, count;     /* first pending, number pending */
    int stop;                 /* writer thread should exit when idle */
    int err;                  /* errno of the first failed write */
    uint64_t bytes, chunks;
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

/* writer: the thread body: write pending buffers in order until stopped. */
static void *
writer(void *unused)
{
    pthread_mutex_lock(&W.mu);
    for (;;) {
        while (W.count == 0 && !W.stop)
            pthread_cond_wait(&W.cv, &W.mu);
        if (W.count == 0)
            break;
        ct_vec *b = &W.bufs[W.head];
        pthread_mutex_unlock(&W.mu);
        int e = W.err ? 0 : write_all(W.fd, b->p, b->len);
        pthread_mutex_lock(&W.mu);
        if (e && !W.err)
            W.err = e;
        else if (!e)
            W.bytes += b->len;
        b->len = 0;
        W.head = (W.head + 1) % QUEUE;
        W.count--;
        pthread_cond_broadcast(&W.cv);
    }
    pthread_mutex_unlock(&W.mu);
    return NULL;
}

int
ctw_open(const char *path)
{
    W.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (W.fd < 0) {
        PyErr_SetFromErrnoWithFilename(PyExc_OSError, path);
        return -1;
    }
    unsigned char head[16] = { 0 };
    uint32_t version = CTR_VERSION;
    memcpy(head, CTR_MAGIC, 8);
    memcpy(head + 8, &version, 4);
    int e = write_all(W.fd, (const char *)head, sizeof head);
    if (e) {
        errno = e;
        PyErr_SetFromErrnoWithFilename(PyExc_OSError, path);
        close(W.fd);
        W.fd = -1;
        return -1;
    }
    W.bytes = sizeof head;
    W.chunks = 0;
    W.head = W.count = 0;
    W.stop = W.err = 0;
    pthread_mutex_init(&W.mu, NULL);
    pthread_cond_init(&W.cv, NULL);
    if (pthread_create(&W.thread, NULL, writer, NULL) != 0) {
        PyErr_SetString(PyExc_OSError, "cannot start the trace writer thread");
        close(W.fd);
        W.fd = -1;
        return -1;
    }
    return 0;
}

/* enqueue: serialize the current chunk into the next free buffer, waiting
   (GIL released) while all buffers are pending; 0, -1 when the chunk is
   empty (another thread flushed it while this one waited) or recording
   stopped while it waited (stop() writes the chunk: `closing` is its call),
   or an errno.
   W.mu is never held while taking the GIL back: a thread that holds the GIL
   may be waiting for W.mu (lock-order inversion, a deadlock). */
static int
enqueue(int closing)
{
    ct_chunk *c = &ct_R.chunk;
    pthread_mutex_lock(&W.mu);
    while (W.count == QUEUE) {
        pthread_mutex_unlock(&W.mu);
        Py_BEGIN_ALLOW_THREADS
        pthread_mutex_lock(&W.mu);
        while (W.count == QUEUE)
            pthread_cond_wait(&W.cv, &W.mu);
        pthread_mutex_unlock(&W.mu);
        Py_END_ALLOW_THREADS
        if (!closing && !ct_R.active)
            return -1;
        pthread_mutex_lock(&W.mu);
    }
    /* From here to W.count++ this thread holds the GIL: no other producer
       runs, and the writer thread never touches the free slot. */
    int e = W.err;
    ct_vec *b = &W.bufs[(W.head + W.count) % QUEUE];
    pthread_mutex_unlock(&W.mu);
    if (e)
        return e;
    if (c->kinds.len == 0)
        return -1;
    b->len = 0;
    if (ctr_chunk_serialize(c, b) < 0)
        return ENOMEM;
    pthread_mutex_lock(&W.mu);
    W.count++;
    W.chunks++;
    pthread_cond_broadcast(&W.cv);
    pthread_mutex_unlock(&W.mu);
    return 0;
}

/* flush: queue the chunk being built (closing: the last one, from stop()). */
static void
flush(int closing)
{
    ct_chunk *c = &ct_R.chunk;
    if (W.fd < 0 || c->kinds.len == 0)
        return;
    int e = enqueue(closing);
    if (e < 0)
        return;
    c->seq++;
    ctr_chunk_reset(c);
    if (e) {
        char why[200];
        snprintf(why, sizeof why, "cannot write the trace: %s", strerror(e));
        ctc_stop_with(why);
    }
}

void
ctw_flush_chunk(void)
{
    flush(0);
}

int
ctw_close(void)
{
    if (W.fd < 0)
        return 0;
    flush(1);
    pthread_mutex_lock(&W.mu);
    W.stop = 1;
    pthread_cond_broadcast(&W.cv);
    pthread_mutex_unlock(&W.mu);
    Py_BEGIN_ALLOW_THREADS
    pthread_join(W.thread, NULL);
    Py_END_ALLOW_THREADS
    int e = W.err;
    if (close(W.fd) < 0 && !e)
        e = errno;
    W.fd = -1;
    for (int i = 0; i < QUEUE; i++)
        ct_vec_free(&W.bufs[i]);
    pthread_mutex_destroy(&W.mu);
    pthread_cond_destroy(&W.cv);
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
