/*
** nswatch.c -- the namespace watcher (nswatch.h).
*/
#include "nswatch.h"

#include <stdlib.h>

struct ctn_ns {
    PyObject *d;          /* the dict (borrowed: its death clears it), NULL once dead */
    uint64_t seq;         /* changes told so far */
    uint64_t full;        /* the change after which only a whole iteration will do */
    uint64_t look;        /* the highest count a Step has looked at (ctn_look) */
    int uses;             /* activations holding this watch */
    struct { PyObject *key; uint64_t seq; } ring[CTN_RING];   /* change seq at seq % CTN_RING */
};

static int watcher = -1;    /* the dict watcher's id, -1: none */
static int unavailable;     /* no watcher could be had in this recording */
static ctn_ns **all;        /* the watches in use */
static size_t nall, capall;

static ctn_ns *
find(PyObject *d)
{
    for (size_t i = 0; i < nall; i++) {
        if (all[i]->d == d)
            return all[i];
    }
    return NULL;
}

/* changed: key stored into or deleted from w's dict (NULL: only a whole
   iteration will tell). A key that an entry no Step has looked at yet holds
   already takes no new one: every Step that will read this change reads
   that entry (each one's last look is at most w->look), and a Step checks a
   name by its key, whatever was stored how often (a name stored in a loop
   does not fill the ring). */
static void
changed(ctn_ns *w, PyObject *key)
{
    if (key != NULL) {
        for (uint64_t s = w->seq; s > w->look && w->seq - s < CTN_RING; s--) {
            if (w->ring[s % CTN_RING].key == key)
                return;
        }
    }
    size_t at = (size_t)(++w->seq % CTN_RING);
    PyObject *old = w->ring[at].key;
    w->ring[at].key = key == NULL ? NULL : Py_NewRef(key);
    w->ring[at].seq = w->seq;
    if (key == NULL)
        w->full = w->seq;
    Py_XDECREF(old);   /* a str: its release runs no code */
}

static int
event(PyDict_WatchEvent ev, PyObject *d, PyObject *key, PyObject *value)
{
    (void)value;
    ctn_ns *w = find(d);
    if (w == NULL)
        return 0;
    switch (ev) {
    case PyDict_EVENT_ADDED:
    case PyDict_EVENT_MODIFIED:
    case PyDict_EVENT_DELETED:
        changed(w, key != NULL && PyUnicode_CheckExact(key) ? key : NULL);
        break;
    case PyDict_EVENT_DEALLOCATED:
        w->d = NULL;
        changed(w, NULL);
        break;
    default:   /* CLEARED, CLONED, and any event a later CPython adds */
        changed(w, NULL);
        break;
    }
    return 0;
}

ctn_ns *
ctn_watch(PyObject *d)
{
    if (!PyDict_CheckExact(d))
        return NULL;
    ctn_ns *w = find(d);
    if (w != NULL) {
        w->uses++;
        return w;
    }
    if (watcher < 0) {
        if (unavailable)
            return NULL;
        watcher = PyDict_AddWatcher(event);
        if (watcher < 0) {   /* all of the interpreter's watchers taken */
            PyErr_Clear();
            unavailable = 1;
            return NULL;
        }
    }
    if (nall == capall) {
        size_t cap = capall ? 2 * capall : 8;
        ctn_ns **a = realloc(all, cap * sizeof *a);
        if (a == NULL)
            return NULL;
        all = a;
        capall = cap;
    }
    w = calloc(1, sizeof *w);
    if (w == NULL)
        return NULL;
    if (PyDict_Watch(watcher, d) < 0) {
        PyErr_Clear();
        free(w);
        return NULL;
    }
    w->d = d;
    w->uses = 1;
    all[nall++] = w;
    return w;
}

/* forget: watch i's dict unwatched (when alive), the watch freed. */
static void
forget(size_t i)
{
    ctn_ns *w = all[i];
    if (w->d != NULL && watcher >= 0 && PyDict_Unwatch(watcher, w->d) < 0)
        PyErr_Clear();
    all[i] = all[--nall];
    for (int j = 0; j < CTN_RING; j++)
        Py_XDECREF(w->ring[j].key);
    free(w);
}

void
ctn_drop(ctn_ns *w)
{
    if (w == NULL || --w->uses > 0)
        return;
    for (size_t i = 0; i < nall; i++) {
        if (all[i] == w) {
            forget(i);
            return;
        }
    }
}

int
ctn_is(const ctn_ns *w, PyObject *d)
{
    return w->d == d;
}

uint64_t
ctn_look(ctn_ns *w)
{
    if (w->look < w->seq)
        w->look = w->seq;
    return w->seq;
}

int
ctn_since(const ctn_ns *w, PyObject *d, uint64_t since, PyObject **keys)
{
    if (w->d != d || w->d == NULL || w->full > since || w->seq - since > CTN_RING)
        return -1;
    int n = 0;
    for (uint64_t s = since + 1; s <= w->seq; s++)
        keys[n++] = Py_NewRef(w->ring[s % CTN_RING].key);
    return n;
}

void
ctn_stop(void)
{
    while (nall > 0)
        forget(nall - 1);
    free(all);
    all = NULL;
    capall = 0;
    if (watcher >= 0 && PyDict_ClearWatcher(watcher) < 0)
        PyErr_Clear();
    watcher = -1;
    unavailable = 0;
}
