/*
** unseen.h -- C code that changes objects with no monitoring event, made
** seen while a recording with values runs (unseen.c): the pure-line
** epoch's wrappers (docs/design.md, "The pure-line epoch").
*/
#ifndef CTGEN_UNSEEN_H
#define CTGEN_UNSEEN_H

#include <Python.h>

/* ctu_opaque: the pure-line skip is off for the rest of the recording: a
   weak reference was made with a callback not known to be Python code
   (its referent's death would run C code that no event shows), or a
   wrapper could not be installed. */
extern int ctu_opaque;

/* ctu_install, ctu_remove: wrap (at a recording's start with values) and
   unwrap (at its end) weakref.ref's tp_new, `_weakref.proxy` and
   defaultdict's `__missing__`. No Python code runs. */
void ctu_install(void);
void ctu_remove(void);

#endif
