/*
** values.h -- the value walker: records a Python object as a pre-order tree
** of Value nodes in the chunk's values pool, reading built-in storage only,
** so that no user code (__repr__, __eq__, __hash__, __iter__, properties,
** descriptors, metaclass methods) ever runs.
*/
#ifndef CT_VALUES_H
#define CT_VALUES_H

#include "core.h"

#define CTV_NONE UINT32_MAX   /* no value: an error was noted */

/* ctv_value: write object o into c; returns its root node's index. */
uint32_t ctv_value(ct_chunk *c, PyObject *o);

/* ctv_fingerprint: a 64-bit hash of exactly what ctv_value would write for
   o (nothing is written); never CTV_NO_PRINT, which means "could not tell". */
#define CTV_NO_PRINT 0
uint64_t ctv_fingerprint(ct_chunk *c, PyObject *o);

/* ctv_value_printed: ctv_value for o whose fingerprint is `print`: a tree
   already written for that fingerprint in the same chunk is reused. */
uint32_t ctv_value_printed(ct_chunk *c, PyObject *o, uint64_t print);

/* ctv_value_new: write o, a value expected to differ from fingerprint
   `old`, setting *print to its fingerprint; when it equals `old` the tree is
   undone and CTV_SAME returned; a tree already written for it in the chunk
   is reused. One walk, where a fingerprint then a write would take two. */
#define CTV_SAME (UINT32_MAX - 1)
uint32_t ctv_value_new(ct_chunk *c, PyObject *o, uint64_t *print, uint64_t old);

/* ctv_forget_shared: forget the trees written so far (after a rollback). */
void ctv_forget_shared(void);

/* ctv_redacted: write a Redacted node for o (its type only). */
uint32_t ctv_redacted(ct_chunk *c, PyObject *o);

/* ctv_exception: write exception `exc` (an Exception node). */
uint32_t ctv_exception(ct_chunk *c, PyObject *exc);

/* ctv_redact_name: 1 when the redaction policy hides variable `name`. */
int ctv_redact_name(PyObject *name);

/* ctv_name_words: the words of s (n bytes) lowercased, each followed by '_'
   and the first one preceded by '_', into out (room for 2n + 2 bytes):
   "authToken2" -> "_auth_token_". A word is a run of letters (non-ASCII
   bytes count as lowercase letters); '_', digits and any other ASCII
   character separate words, and so does a change to upper case (auth|Token,
   HTTP|Header). Returns the length written ("_" when s has no word). */
Py_ssize_t ctv_name_words(const char *s, Py_ssize_t n, char *out);

#endif
