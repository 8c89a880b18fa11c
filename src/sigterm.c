/*
** sigterm.c -- finishing the trace when the recorded process is sent
** SIGTERM or SIGHUP (multiprocessing's Pool.terminate() ends its workers
** so; kill, timeout and a cancelled CI job end programs so).
**
** A Python-level handler cannot do it: it runs only when the main thread
** next checks for signals, and a SIGTERM that arrives just before the main
** thread blocks (a worker about to wait on its queue's lock) is then never
** handled: the process would hang where it used to die. Instead, for each
** of those signals the program leaves at its default action, a C handler
** writes the signal's number to a pipe; a thread of ours (every signal
** blocked) reads it, takes the GIL, calls the Python callback that finishes
** the trace (with the signal's number), then restores the default action
** and sends the signal again: the process dies of it, as it would have. Python's own signal table is not changed (signal.getsignal
** still says SIG_DFL), and a handler the program installs later replaces
** ours. The thread is stopped around fork() like the writer thread, and
** started again by a pending call after it (a SIGTERM meanwhile waits in
** the pipe).
*/
#include "sigterm.h"
#include "writer.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The signals handled; each while the program leaves it at its default action. */
static const int SIGNALS[] = { SIGTERM, SIGHUP };
#define NSIGNALS ((int)(sizeof SIGNALS / sizeof SIGNALS[0]))

static struct {
    int on;                /* our handler is installed (or the thread paused) */
    int running;           /* the thread runs */
    pid_t pid;             /* process that installed it */
    int fds[2];            /* pipe: handler -> thread */
    pthread_t thread;
    pid_t tid;             /* its kernel id */
    PyObject *callback;    /* finishes the trace (Python, GIL needed) */
} T = { .fds = { -1, -1 } };

/* The signal our handler caught (0: none yet): the process is to die of it
   once its trace is finished, even when the program ran on to its stop
   before our thread got the GIL (a program whose last statement kills
   itself). */
static volatile sig_atomic_t caught;

static void
handler(int sig)
{
    int saved = errno;
    if (getpid() != T.pid) {
        /* A fork child before its at-fork hook ran: the default action
           (sig is blocked while this runs; it is delivered on return). */
        struct sigaction dfl = { .sa_handler = SIG_DFL };
        sigaction(sig, &dfl, NULL);
        raise(sig);
    } else {
        caught = sig;
        char c = (char)sig;   /* 1 or 15: never 'Q' or 'X' */
        ssize_t n = write(T.fds[1], &c, 1);
        (void)n;
    }
    errno = saved;
}

static int
finalizing(void)
{
#if PY_VERSION_HEX >= 0x030D0000
    return Py_IsFinalizing();
#else
    return _Py_IsFinalizing();
#endif
}

/* die: the default action again, and sig to this process. */
static void
die(int sig)
{
    struct sigaction dfl = { .sa_handler = SIG_DFL };
    sigaction(sig, &dfl, NULL);
    kill(getpid(), sig);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);   /* delivered here if nowhere else */
    for (;;)
        pause();
}

static void *
watcher(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char c = 0;
    T.tid = (pid_t)syscall(SYS_gettid);
    for (;;) {
        ssize_t n = read(fd, &c, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || c == 'X') {   /* turned off: the read end is ours to close */
            close(fd);
            return NULL;
        }
        if (c == 'Q')               /* paused for a fork */
            return NULL;
        break;
    }
    if (!finalizing()) {
        /* The GIL: at once if the main thread is blocked, else at its next
           switch; the process dies holding it. */
        PyGILState_STATE g = PyGILState_Ensure();
        PyObject *r = T.callback ? PyObject_CallFunction(T.callback, "i", (int)c) : NULL;
        if (r == NULL)
            PyErr_Clear();
        Py_XDECREF(r);
        (void)g;
    }
    die((int)c);
    return NULL;
}

static int
start_thread(void)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int e = pthread_create(&T.thread, NULL, watcher, (void *)(intptr_t)T.fds[0]);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (e == 0)
        T.running = 1;
    return e ? -1 : 0;
}

/* pause_thread: make the thread return ('Q') and wait for it, the GIL
   released (a thread already handling a SIGTERM needs it, and then ends
   the process). */
static void
pause_thread(void)
{
    if (!T.running)
        return;
    char c = 'Q';
    ssize_t n = write(T.fds[1], &c, 1);
    (void)n;
    Py_BEGIN_ALLOW_THREADS
    pthread_join(T.thread, NULL);
    ctw_thread_gone(T.tid);
    Py_END_ALLOW_THREADS
    T.running = 0;
}

static void
close_pipe(void)
{
    for (int i = 0; i < 2; i++) {
        if (T.fds[i] >= 0)
            close(T.fds[i]);
        T.fds[i] = -1;
    }
}

/* at_default: sig's action is the default one (the program neither handles
   nor ignores it). */
static int
at_default(int sig)
{
    struct sigaction cur;
    return sigaction(sig, NULL, &cur) == 0 && cur.sa_handler == SIG_DFL && !(cur.sa_flags & SA_SIGINFO);
}

int
cts_guard(PyObject *callback)
{
    if (T.on)
        return 1;
    int any = 0;
    for (int i = 0; i < NSIGNALS; i++)
        any |= at_default(SIGNALS[i]);
    if (!any)
        return 0;   /* the program handles or ignores them itself */
    if (pipe2(T.fds, O_CLOEXEC) < 0)
        return 0;
    T.pid = getpid();
    if (start_thread() < 0) {
        close_pipe();
        return 0;
    }
    Py_XSETREF(T.callback, Py_NewRef(callback));
    struct sigaction sa = { .sa_handler = handler };
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (int i = 0; i < NSIGNALS; i++)
        if (at_default(SIGNALS[i]))
            sigaction(SIGNALS[i], &sa, NULL);
    T.on = 1;
    return 1;
}

/* default_again: the default action for each signal whose action is still
   our handler (a handler the program installed since stays). */
static void
default_again(void)
{
    struct sigaction cur, dfl = { .sa_handler = SIG_DFL };
    for (int i = 0; i < NSIGNALS; i++)
        if (sigaction(SIGNALS[i], NULL, &cur) == 0 && cur.sa_handler == handler)
            sigaction(SIGNALS[i], &dfl, NULL);
}

void
cts_unguard(void)
{
    if (!T.on)
        return;
    default_again();
    if (T.running) {
        /* Not joined: it may be handling a SIGTERM already, waiting for
           the stop() that called us; it closes the read end itself. */
        char c = 'X';
        ssize_t n = write(T.fds[1], &c, 1);
        (void)n;
        pthread_detach(T.thread);
        T.running = 0;
        close(T.fds[1]);
        T.fds[0] = T.fds[1] = -1;
    }
    close_pipe();
    T.on = 0;   /* the callback stays referenced: that thread may still call it */
}

int
cts_caught(void)
{
    return T.pid == getpid() ? (int)caught : 0;
}

void
cts_die_if_caught(void)
{
    int sig = cts_caught();
    if (sig != 0)
        die(sig);
}

void
cts_fork_before(void)
{
    if (T.on)
        pause_thread();
}

void
cts_resume(void)
{
    /* A SIGTERM that came meanwhile is in the pipe: the thread reads it. */
    if (T.on && !T.running && start_thread() < 0)
        cts_unguard();   /* no thread: the default action again */
}

void
cts_fork_child(void)
{
    if (!T.on)
        return;
    default_again();
    caught = 0;
    T.running = 0;
    close_pipe();
    Py_CLEAR(T.callback);
    T.on = 0;
}
