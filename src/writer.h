/*
** writer.h -- the event file: a 16-byte header (magic, format version), then
** size-prefixed chunks, written by a background thread without the GIL.
*/
#ifndef CT_WRITER_H
#define CT_WRITER_H

#include "core.h"

/* ctw_open: create the event file at `path`, write its header and start the
   writer thread; -1 with a Python exception set on failure. */
int ctw_open(const char *path);

/* ctw_close: write the current chunk, wait for every pending write, close the
   file; -1 with a Python exception set if any write failed. */
int ctw_close(void);

/* ctw_bytes: bytes written to the event file so far. */
uint64_t ctw_bytes(void);

/* ctw_chunks: chunks handed to the writer so far. */
uint64_t ctw_chunks(void);

/* ctw_records, ctw_steps: records and Steps handed to the writer so far. */
uint64_t ctw_records(void);
uint64_t ctw_steps(void);

/* Around a fork (see writer.c): before, in the parent after, in the child
   after. ctw_fork_parent returns -1 if the writer thread cannot restart. */
void ctw_fork_before(void);
int ctw_fork_parent(void);
void ctw_fork_child(void);

#endif
