/*
** writer.c -- the event file and its background writer thread.
** ctw_flush_chunk() serializes the chunk being built into a buffer and queues
** it; the writer thread write()s queued buffers in order. At most QUEUE
** buffers are pending: a producer that finds the queue full waits with the GIL
** released, so memory stays bounded however long the recording runs.
**
** Locking rule: W.mu is never held while taking the GIL (a thread holding
** the GIL may lock W.mu; the writer thread never takes the GIL), so neither
** lock waits for the other in a cycle.
**
** fork: ctw_fork_before() drains the queue and joins the writer thread (the
** process has no thread of ours when it forks: no lock of ours is held in
** the child, and CPython's "multi-threaded fork" warning sees the program's
** own threads only); ctw_fork_parent() starts it again; ctw_fork_child()
** closes the inherited descriptor and drops every inherited buffer without
** writing it (they are the parent's).
*/
#include "writer.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#define QUEUE 4
#define MAX_CHUNK (1u << 30)   /* the format's bound on a chunk's size */

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
    uint64_t records, steps;  /* records and Steps in the chunks handed over */
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
    W.chunks = W.records = W.steps = 0;
    W.head = W.count = 0;
    W.stop = W.err = W.paused = W.forking = 0;
    W.pid = getpid();
    pthread_mutex_init(&W.mu, NULL);
    pthread_cond_init(&W.cv, NULL);
    if (start_writer() != 0) {
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
   or an errno. Without a writer thread (paused around a fork) the chunk is
   written here.
   W.mu is never held while taking the GIL back: a thread that holds the GIL
   may be waiting for W.mu (lock-order inversion, a deadlock). */
static int
enqueue(int closing)
{
    ct_chunk *c = &ct_R.chunk;
    if (W.paused && !W.forking && start_writer() == 0)
        W.paused = 0;   /* after a fork: the writer thread again */
    pthread_mutex_lock(&W.mu);
    while (!W.paused && W.count == QUEUE) {
        pthread_mutex_unlock(&W.mu);
        Py_BEGIN_ALLOW_THREADS
        pthread_mutex_lock(&W.mu);
        while (!W.paused && W.count == QUEUE)
            pthread_cond_wait(&W.cv, &W.mu);
        pthread_mutex_unlock(&W.mu);
        Py_END_ALLOW_THREADS
        if (!closing && !ct_R.active)
            return -1;
        pthread_mutex_lock(&W.mu);
    }
    /* From here to W.count++ this thread holds the GIL: no other producer
       runs, and the writer thread never touches the free slot. (When
       paused, the queue is empty: the fork hook drained it.) */
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
    if (b->len - 4 > MAX_CHUNK) {   /* readers would take it for corruption: as if a */
        b->len = 0;                 /* write failed, nothing more is written */
        pthread_mutex_lock(&W.mu);
        W.err = EFBIG;
        pthread_mutex_unlock(&W.mu);
        return EFBIG;
    }
    W.records += c->kinds.len;
    W.steps += c->rec[CTR_K_Step].len / ctr_record_size[CTR_K_Step];
    if (W.paused) {
        e = write_all(W.fd, b->p, b->len);
        if (e)
            W.err = e;
        else
            W.bytes += b->len;
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

/* foreign: the file belongs to another process (this one was forked without
   the at-fork hooks running, e.g. by a C extension): never write to it. */
static int
foreign(void)
{
    return W.fd >= 0 && getpid() != W.pid;
}

/* flush: queue the chunk being built (closing: the last one, from stop()). */
static void
flush(int closing)
{
    ct_chunk *c = &ct_R.chunk;
    if (W.fd < 0 || c->kinds.len == 0)
        return;
    if (foreign()) {   /* the parent's chunk and file: drop it, stop quietly */
        ctr_chunk_reset(c);
        ct_R.active = 0;
        return;
    }
    int e = enqueue(closing);
    if (e < 0)
        return;
    c->seq++;
    ctr_chunk_reset(c);
    if (e) {
        char why[200];
        if (e == EFBIG)
            snprintf(why, sizeof why, "a chunk grew past 1 GiB, the format's limit (values too big: "
                     "lower --max-items, --max-text or --max-depth); that chunk is lost");
        else
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
    if (foreign()) {
        ctw_fork_child();
        return 0;
    }
    flush(1);
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
ctw_records(void)
{
    return W.records;
}

uint64_t
ctw_steps(void)
{
    return W.steps;
}

/* ctw_fork_before: write what is queued and end the writer thread (GIL
   held: no other thread can hand over a chunk meanwhile; the writer thread
   never waits for the GIL). Chunks flushed until ctw_fork_parent() are
   written synchronously. */
void
ctw_fork_before(void)
{
    if (W.fd < 0 || W.paused || foreign())
        return;
    pthread_mutex_lock(&W.mu);
    W.stop = 1;
    pthread_cond_broadcast(&W.cv);
    pthread_mutex_unlock(&W.mu);
    pthread_join(W.thread, NULL);
    ct_thread_gone(W.tid);
    W.stop = 0;
    W.paused = 1;
}

void
ctw_fork_begin(void)
{
    W.forking = W.fd >= 0;
}

void
ct_thread_gone(pid_t tid)
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
    if (W.fd >= 0 && W.paused && !W.forking && !foreign() && start_writer() == 0)
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
    W.head = W.count = 0;
    W.stop = W.err = W.paused = W.forking = 0;
    memset(&W.mu, 0, sizeof W.mu);   /* ctw_open makes fresh ones */
    memset(&W.cv, 0, sizeof W.cv);
}
