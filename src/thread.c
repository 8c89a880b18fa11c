/*
** thread.c -- per-thread state: Thread records and activation stacks.
** Callbacks run under the GIL, so ctt_last is the thread of the last
** record; a Thread record (Start or Switch) marks each change.
*/
#include "thread.h"
#include "nswatch.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

CT_TLS ct_thread *ctt_current;
ct_thread ctt_none;
ct_thread *ctt_last = &ctt_none;

static ct_thread *threads;          /* every thread state of this process */
static uint32_t next_id;            /* the next thread's trace id */
static uint64_t next_generation;    /* recording next_id counts for */

static pthread_key_t exit_key;      /* its destructor notes a thread's end */
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;
static int exits_pending;           /* threads ended since the last check */

/* thread_ended: runs when an OS thread with a ct_thread ends (no GIL held). */
static void
thread_ended(void *p)
{
    ct_thread *th = p;
    __atomic_store_n(&th->exited, 1, __ATOMIC_RELEASE);
    __atomic_store_n(&exits_pending, 1, __ATOMIC_RELEASE);
}

static void
make_key(void)
{
    pthread_key_create(&exit_key, thread_ended);
}

/* record_exits: a Thread Exit record for every thread that ended. */
static void
record_exits(ct_chunk *c, uint64_t generation)
{
    if (!__atomic_exchange_n(&exits_pending, 0, __ATOMIC_ACQ_REL))
        return;
    for (ct_thread *th = threads; th != NULL; th = th->next) {
        if (__atomic_load_n(&th->exited, __ATOMIC_ACQUIRE) == 1 && th->generation == generation) {
            ctr_emit_Thread(c, th->ident, th->id, CTR_ThreadEvent_Exit);
            th->exited = 2;
        }
    }
}

/* thread_new: state for the calling thread, linked into threads. The
   structs are never freed: another thread's ctt_current may point at one. */
static ct_thread *
thread_new(void)
{
    ct_thread *th = calloc(1, sizeof *th);
    if (th == NULL)
        return NULL;
    th->next = threads;
    threads = th;
    pthread_once(&exit_once, make_key);
    pthread_setspecific(exit_key, th);
    return th;
}

int
ctt_switch(ct_chunk *c, uint64_t generation)
{
    record_exits(c, generation);
    ct_thread *th = ctt_current;
    int what = CTR_ThreadEvent_Switch;
    if (th == NULL || th->generation != generation) {
        if (th == NULL && (th = thread_new()) == NULL)
            return -1;
        if (next_generation != generation) {   /* the first thread of a recording */
            next_generation = generation;
            next_id = 0;
        }
        th->generation = generation;
        th->ident = PyThread_get_thread_ident();
        th->id = next_id++;
        th->depth = 0;
        th->top = NULL;
        ctt_current = th;
        what = CTR_ThreadEvent_Start;
    }
    ctt_last = th;
    ctr_emit_Thread(c, th->ident, th->id, (uint8_t)what);
    return 0;
}

void
ctt_close_all(ct_chunk *c, uint64_t generation)
{
    record_exits(c, generation);
    for (ct_thread *th = threads; th != NULL; th = th->next) {
        if (th->generation != generation || th->depth == 0 || th->exited)
            continue;
        ctr_emit_Thread(c, th->ident, th->id, CTR_ThreadEvent_Switch);
        for (; th->depth > 0; th->depth--) {
            ctt_release(&th->stack[th->depth - 1]);
            ctr_emit_Return(c, CTR_NOT_RECORDED);
        }
        th->top = NULL;
    }
}

int
ctt_grow(ct_thread *th)
{
    size_t cap = th->cap ? th->cap * 2 : 64;
    ct_act *s = realloc(th->stack, cap * sizeof *s);
    if (s == NULL)
        return -1;
    memset(s + th->cap, 0, (cap - th->cap) * sizeof *s);
    th->stack = s;
    th->cap = cap;
    ctt_set_top(th);
    return 0;
}

void
ctt_release(ct_act *a)
{
    if (!a->ready)
        return;
    for (Py_ssize_t i = 0; i < a->nslots && i < a->cap; i++) {
        Py_CLEAR(a->last[i]);
        Py_CLEAR(a->keys[i]);
        Py_CLEAR(a->fnq[2 * i]);
        Py_CLEAR(a->fnq[2 * i + 1]);
    }
    ctn_drop(a->nsw);
    a->nsw = NULL;
    a->ready = 0;
}

void
ctt_reset_all(void)
{
    for (ct_thread *th = threads; th != NULL; th = th->next) {
        for (size_t d = 0; d < th->depth; d++)
            ctt_release(&th->stack[d]);
        th->depth = 0;
        th->top = NULL;
    }
    ctt_last = &ctt_none;
}

/* thread_free: release thread th's state and storage. */
static void
thread_free(ct_thread *th)
{
    for (size_t d = 0; d < th->depth; d++)
        ctt_release(&th->stack[d]);
    for (size_t d = 0; d < th->cap; d++) {
        free(th->stack[d].last);
        free(th->stack[d].print);
        free(th->stack[d].state);
        free(th->stack[d].ids);
        free(th->stack[d].keys);
        free(th->stack[d].seen);
        free(th->stack[d].objs);
        free(th->stack[d].hidden);
        free(th->stack[d].fnq);
        free(th->stack[d].index);
    }
    free(th->stack);
    free(th);
}

void
ctt_fork_child(void)
{
    ct_thread *me = ctt_current, **pp = &threads;
    while (*pp != NULL) {
        ct_thread *th = *pp;
        if (th == me) {
            pp = &th->next;
            continue;
        }
        *pp = th->next;
        thread_free(th);
    }
    __atomic_store_n(&exits_pending, 0, __ATOMIC_RELEASE);
    ctt_reset_all();
}
