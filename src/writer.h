/*
** writer.h -- the event file: a 16-byte header (magic, format version), then
** size-prefixed chunks, written by a background thread without the GIL.
*/
#ifndef CT_WRITER_H
#define CT_WRITER_H

#include "core.h"

#include <sys/types.h>

/* The format version of an event file without compressed chunks (version
   CTR_VERSION only added them): such a file is written as this version, so
   that readers of it still read it. */
#define CTW_PLAIN_VERSION 1

/* ctw_open: create the event file at `path`, write its header and start the
   writer thread, which compresses chunks with zlib at `level` (1-9; 0: no
   compression); -1 with a Python exception set on failure. */
int ctw_open(const char *path, int level);

/* ctw_close: write the current chunk, wait for every pending write, close the
   file; -1 with a Python exception set if any write failed. */
int ctw_close(void);

/* ctw_bytes: bytes written to the event file so far. */
uint64_t ctw_bytes(void);

/* ctw_chunks: chunks handed to the writer so far. */
uint64_t ctw_chunks(void);

/* ctw_raw_bytes: bytes written so far, compressed chunks counted at their
   size before compression; ctw_compressed_chunks: chunks written compressed. */
uint64_t ctw_raw_bytes(void);
uint64_t ctw_compressed_chunks(void);

/* ctw_records, ctw_steps: records and Steps handed to the writer so far. */
uint64_t ctw_records(void);
uint64_t ctw_steps(void);

/* Around a fork (see writer.c): ctw_fork_before stops the writer thread
   (from the os.fork audit event and the before hook), ctw_fork_begin marks
   the fork window (before hook), ctw_fork_parent ends it (after, in the
   parent), ctw_resume starts the thread again (later), ctw_fork_child drops
   the parent's file and buffers (after, in the child). */
void ctw_fork_before(void);
void ctw_fork_begin(void);
void ctw_fork_parent(void);
void ctw_resume(void);
void ctw_fork_child(void);

/* ct_thread_gone: wait until the joined thread `tid` has left the kernel's
   thread count of this process (see writer.c). */
void ct_thread_gone(pid_t tid);

#endif
