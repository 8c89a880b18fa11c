/*
** thread.h -- per-thread state: thread records and activation stacks.
*/
#ifndef CT_THREAD_H
#define CT_THREAD_H

#include "core.h"

/* ctt_push: push an activation of cc on the current thread; -1 on OOM. */
int ctt_push(ct_code *cc);

/* ctt_pop: pop the current thread's top activation if it is cc's: 0 when
   popped, 1 when there is none of cc to pop (its start was not recorded). */
int ctt_pop(ct_code *cc);

/* ctt_release: drop what activation `a` holds of its last step. */
void ctt_release(ct_act *a);

/* ctt_close_all: at the end of a recording, record the exits of ended
   threads and a Return (value not recorded) for every activation still
   running, so that every Call is matched. */
void ctt_close_all(void);

/* ctt_reset_all: forget the activations of every thread (at stop). */
void ctt_reset_all(void);

/* ctt_fork_child: in a forked child, free the state of every thread but
   the calling one (they do not exist here) and forget all activations. */
void ctt_fork_child(void);

#endif
