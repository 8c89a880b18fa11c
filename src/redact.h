/*
** redact.h -- the redaction policy (ctx_): names whose values are hidden.
** A name is redacted when the words of one of the fragments appear in a
** row among its words (ctx_name_words: "auth" hides auth_token and
** authToken, not author; a final plural s is allowed); the verdict is decided in C (no Python code runs) and cached per
** name object.
*/
#ifndef CT_REDACT_H
#define CT_REDACT_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* ctx_set: the fragments of a recording, from a sequence of str; -1 with an
   error (TypeError: not a sequence of str; MemoryError). */
int ctx_set(PyObject *fragments);

/* ctx_clear: no fragments (nothing is redacted), the cache forgotten. */
void ctx_clear(void);

/* ctx_hides: 1 when the policy hides the value of variable or attribute `name`. */
int ctx_hides(PyObject *name);

/* ctx_name_words: the words of s (n bytes) lowercased, each followed by '_'
   and the first one preceded by '_', into out (room for 2n + 2 bytes):
   "authToken2" -> "_auth_token_". A word is a run of letters (non-ASCII
   bytes count as lowercase letters); '_', digits and any other ASCII
   character separate words, and so does a change to upper case (auth|Token,
   HTTP|Header). Returns the length written ("_" when s has no word). */
Py_ssize_t ctx_name_words(const char *s, Py_ssize_t n, char *out);

#endif
