/*
** sigterm.h -- finish the trace on SIGTERM or SIGHUP (see sigterm.c).
*/
#ifndef CT_SIGTERM_H
#define CT_SIGTERM_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* cts_guard: for SIGTERM and SIGHUP, each if its action is the default,
   handle it by calling callback(signum) (with the GIL, on a thread of ours)
   and then dying of it; 1 when installed, 0 when the program has its own
   action for both. */
int cts_guard(PyObject *callback);

/* cts_unguard: the default action again (unless the program changed it). */
void cts_unguard(void);

/* cts_caught: the signal our handler caught in this process (0: none);
   cts_die_if_caught: if one was, die of it now (the default action again,
   the signal sent again; never returns then). A stop calls it once the
   trace is finished: the thread that handles the signal may still be
   waiting for the GIL while the program runs on to its end. */
int cts_caught(void);
void cts_die_if_caught(void);

/* Around a fork: stop the thread; start it again in the parent (later:
   cts_resume); forget everything (default action) in the child. */
void cts_fork_before(void);
void cts_resume(void);
void cts_fork_child(void);

#endif
