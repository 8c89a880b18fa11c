/*
** unseen.h -- C code that changes objects with no monitoring event, made
** seen while a recording with values runs (unseen.c): the pure-line
** epoch's wrappers (docs/design.md, "The pure-line epoch").
*/
#ifndef CTGEN_UNSEEN_H
#define CTGEN_UNSEEN_H

#include <Python.h>

/* ctu_epoch: the pure-line epoch (docs/design.md, "The pure-line epoch"):
   bumped, while values are recorded, at each event that may follow code
   that changed an object no watcher tells of: an event after a line that
   holds an impure opcode (ctc_purity), any event that takes cte_begin_full
   (another thread's, a new chunk's or code object's, one of code not
   recorded that holds an impure opcode: its PY_START stays on), and by
   unseen.c's wrappers. A Step passes a variable unread while the counter
   is what it was at the activation's previous check (derive.c,
   delta_vars). */
extern uint64_t ctu_epoch;
/* ctu_elast: NULL, or the one object that the line before the last bump
   could change (docs/design.md, "Lines that change one object": a replay
   whose root's last one saw the count one lower reads that object's
   entries alone). Never dereferenced: an address compared. */
extern PyObject *ctu_elast;

/* ctu_bump: the epoch moved for any object */
static inline void
ctu_bump(void)
{
    ctu_epoch++;
    ctu_elast = NULL;
}
/* ctu_target_passes: the entries replays passed unread because only one
   object could have changed since (values.c; stats.target_passes). */
extern uint64_t ctu_target_passes;
/* ctu_epoch_passes: the replays passed whole because their root was
   checked before at this epoch (values.c; stats.epoch_passes). */
extern uint64_t ctu_epoch_passes;
/* ctu_pure_skips: the variables Steps passed unread by the pure-line epoch
   (derive.c, delta_vars), this recording (the metadata's stats.pure_skips). */
extern uint64_t ctu_pure_skips;

/* ctu_opaque: the pure-line skip is off for the rest of the recording: a
   weak reference was made with a callback not known to be Python code
   (its referent's death would run C code that no event shows), a signal
   handler set that is not, a class made or given a special method or
   property getter that is a C callable bound to an object, or a wrapper
   or the dict watcher of classes' dicts could not be installed. */
extern int ctu_opaque;

/* ctu_install, ctu_remove: wrap (at a recording's start with values) and
   unwrap (at its end) weakref.ref's tp_new, `_weakref.proxy`,
   defaultdict's `__missing__`, `signal.signal` and type's tp_new, and
   watch (then unwatch) classes' dicts with a dict watcher added (then
   cleared). No Python code runs. */
void ctu_install(void);
void ctu_remove(void);

#endif
