/*
** thread.c -- per-thread state: thread records and activation stacks.
** Callbacks run under the GIL, so ct_R.thread is the thread of the last
** record; a Thread record (Start or Switch) marks each change.
*/
#include "thread.h"

#include <stdlib.h>

_Thread_local ct_thread *ctt_current;

/* thread_new: state for the calling thread, linked into ct_R.threads. The
   structs are never freed: another thread's ctt_current may point at one. */
static ct_thread *
thread_new(void)
{
    ct_thread *th = calloc(1, sizeof *th);
    if (th == NULL)
        return NULL;
    th->next = ct_R.threads;
    ct_R.threads = th;
    return th;
}

void
ctt_switch(void)
{
    ct_thread *th = ctt_current;
    int what = CTR_ThreadEvent_Switch;
    if (th == NULL || th->generation != ct_R.generation) {
        if (th == NULL && (th = thread_new()) == NULL) {
            ctc_stop_with("out of memory (thread state)");
            return;
        }
        th->generation = ct_R.generation;
        th->ident = PyThread_get_thread_ident();
        th->depth = 0;
        ctt_current = th;
        what = CTR_ThreadEvent_Start;
    }
    ct_R.thread = th;
    ctr_emit_Thread(&ct_R.chunk, th->ident, (uint8_t)what);
}

int
ctt_push(ct_code *cc)
{
    ct_thread *th = ct_R.thread;
    if (th->depth == th->cap) {
        size_t cap = th->cap ? th->cap * 2 : 64;
        ct_act *s = realloc(th->stack, cap * sizeof *s);
        if (s == NULL)
            return -1;
        th->stack = s;
        th->cap = cap;
    }
    th->stack[th->depth++].code = cc;
    return 0;
}

int
ctt_pop(ct_code *cc)
{
    ct_thread *th = ct_R.thread;
    if (th->depth == 0 || th->stack[th->depth - 1].code != cc)
        return 1;
    th->depth--;
    return 0;
}

void
ctt_reset_all(void)
{
    for (ct_thread *th = ct_R.threads; th != NULL; th = th->next)
        th->depth = 0;
    ct_R.thread = NULL;
}
