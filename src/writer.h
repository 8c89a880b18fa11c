/*
** writer.h -- the event file (ctw_): a 16-byte header (magic, format
** version), then one frame per chunk (size word, CRC-32, the chunk, maybe
** compressed), written by a background thread without the GIL. The writer takes chunks and reports errors to its
** caller; it never stops the recording itself.
*/
#ifndef CT_WRITER_H
#define CT_WRITER_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <sys/types.h>

#include "records.h"

/* ctw_open: create the event file at `path`, write its header and start the
   writer thread, which compresses chunks with zlib at `level` (1-9; 0: no
   compression); -1 with a Python exception set on failure. */
int ctw_open(const char *path, int level);

/* ctw_ready: an event file is open. */
int ctw_ready(void);

/* ctw_foreign: the open file belongs to another process (this one was
   forked without the at-fork hooks running): never write to it. */
int ctw_foreign(void);

/* ctw_wait: 0 when a buffer is free for ctw_put; 1 after waiting (GIL
   released) for the writer to free one: other threads ran meanwhile, so
   the caller checks its state again and calls ctw_wait again. */
int ctw_wait(void);

/* ctw_put: serialize chunk c into the free buffer (ctw_wait said 0, the GIL
   held since) and queue it, or write it at once when there is no writer
   thread (around a fork). 0, or an errno: ENOMEM, EFBIG (the chunk passes
   the format's 1 GiB bound), or the error of an earlier write. */
int ctw_put(const ct_chunk *c);

/* ctw_close: wait for every pending write, close the file; -1 with a Python
   exception set if any write failed. */
int ctw_close(void);

/* ctw_bytes: bytes written to the event file so far (frames whole). */
uint64_t ctw_bytes(void);

/* ctw_chunks: chunks handed to the writer so far. */
uint64_t ctw_chunks(void);

/* ctw_raw_bytes: bytes written so far, compressed chunks counted at their
   size before compression; ctw_compressed_chunks: chunks written compressed. */
uint64_t ctw_raw_bytes(void);
uint64_t ctw_compressed_chunks(void);

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

/* ctw_thread_gone: wait until the joined thread `tid` has left the kernel's
   thread count of this process (see writer.c). */
void ctw_thread_gone(pid_t tid);

#endif
