/*
** nswatch.h -- which names of a module or class body's namespace were
** bound, rebound or deleted since a Step, told by a dict watcher of its own.
**
** A Step of a module or class body used to iterate the whole namespace
** (every dunder, every import, every function) to find the few names the
** last line rebound. While a namespace activation runs, its dict is watched
** (a second dict watcher, apart from values.c's, which watches the dicts of
** recorded values): each store or deletion appends its key to a small ring
** with a sequence number, so the next Step reads the keys stored since its
** own last look. A clear, a wholesale copy (dict.update from a dict, the
** CLONED event), the dict's death or more names stored than the ring holds make
** the Step iterate the namespace as before. Nothing runs user code: the
** watcher takes a reference to each key (a str, whose release runs none).
*/
#ifndef CTGEN_NSWATCH_H
#define CTGEN_NSWATCH_H

#include <Python.h>
#include <stdint.h>

/* how many stores a Step may find since the last one before it iterates */
#define CTN_RING 16

typedef struct ctn_ns ctn_ns;

/* ctn_watch: a use of namespace dict d's watch (made, and d watched, at
   its first use), or NULL: not watched (no watcher left, or d is no exact
   dict); no error is left set. */
ctn_ns *ctn_watch(PyObject *d);

/* ctn_drop: one use of w fewer; the last one unwatches its dict. */
void ctn_drop(ctn_ns *w);

/* ctn_is: w watches dict d (NULL: w's dict is dead). */
int ctn_is(const ctn_ns *w, PyObject *d);

/* ctn_look: w's count of changes so far, taken by a Step as its look (it
   reads the changes after it next time); a change after a look takes a new
   entry of the ring even when its key was stored before the look. */
uint64_t ctn_look(ctn_ns *w);

/* ctn_since: the keys stored into or deleted from w's dict since count
   `since` (new references, in order; a key stored again before any Step
   looked is there once), into keys[CTN_RING]: their number, or -1 when the
   Step must iterate the whole namespace (a clear or copy, the dict's death,
   more changes than the ring holds, or d not w's dict). */
int ctn_since(const ctn_ns *w, PyObject *d, uint64_t since, PyObject **keys);

/* ctn_stop: the end of a recording: every watch forgotten, the watcher
   given back. */
void ctn_stop(void);

#endif
