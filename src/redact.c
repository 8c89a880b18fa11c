/*
** redact.c -- the redaction policy: a name is redacted when the words of a
** fragment given to start() appear in a row among the name's words (see
** ctx_name_words), cached per name object.
*/
#include "redact.h"
#include "intern.h"

#include <stdlib.h>
#include <string.h>

static char **fragments;   /* as their words: "apiKey" -> "_api_key_" */
static int nfragments;

/* Verdicts per exact str object (attribute and variable names are nearly
   always interned, so the same object comes back): a pointer map holding a
   reference to each key, cleared with the fragments. */
static cti_ptrmap cache;

void
ctx_clear(void)
{
    for (int i = 0; i < nfragments; i++)
        free(fragments[i]);
    free(fragments);
    fragments = NULL;
    nfragments = 0;
    cti_ptrmap_clear(&cache);
}

int
ctx_set(PyObject *seq)
{
    ctx_clear();
    PyObject *t = PySequence_Tuple(seq);
    if (t == NULL)
        return -1;
    Py_ssize_t n = PyTuple_GET_SIZE(t);
    fragments = calloc(n + 1, sizeof *fragments);
    for (Py_ssize_t i = 0; fragments != NULL && i < n; i++) {
        const char *s = PyUnicode_Check(PyTuple_GET_ITEM(t, i)) ? PyUnicode_AsUTF8(PyTuple_GET_ITEM(t, i)) : NULL;
        if (s == NULL) {
            Py_DECREF(t);
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "redact: expected a sequence of str");
            return -1;
        }
        Py_ssize_t len = (Py_ssize_t)strlen(s);
        char *p = malloc((size_t)(2 * len + 3));
        if (p == NULL)
            break;
        p[ctx_name_words(s, len, p)] = '\0';
        fragments[nfragments++] = p;
    }
    Py_DECREF(t);
    if (fragments == NULL || nfragments < n) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static int is_upper(unsigned char c) { return c >= 'A' && c <= 'Z'; }
/* lowercase ASCII, or a byte of a non-ASCII character (a letter to us) */
static int is_lower(unsigned char c) { return (c >= 'a' && c <= 'z') || c >= 0x80; }

Py_ssize_t
ctx_name_words(const char *s, Py_ssize_t n, char *out)
{
    Py_ssize_t k = 0;
    out[k++] = '_';
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!is_upper(c) && !is_lower(c)) {   /* '_', a digit, any other ASCII: between words */
            if (out[k - 1] != '_')
                out[k++] = '_';
            continue;
        }
        if (is_upper(c) && i > 0 && out[k - 1] != '_') {   /* authToken, HTTPHeader */
            unsigned char p = (unsigned char)s[i - 1];
            if (is_lower(p) || (is_upper(p) && i + 1 < n && s[i + 1] >= 'a' && s[i + 1] <= 'z'))
                out[k++] = '_';
        }
        out[k++] = is_upper(c) ? (char)(c - 'A' + 'a') : (char)c;
    }
    if (out[k - 1] != '_')
        out[k++] = '_';
    return k;
}

/* has_words: 1 when the words of a name (`hay`, k bytes, as ctx_name_words
   wrote them) hold the words of a fragment (`frag`, m bytes, the same way:
   "_api_key_") in a row, the last one possibly with a plural s. */
static int
has_words(const char *hay, Py_ssize_t k, const char *frag, Py_ssize_t m)
{
    for (Py_ssize_t i = 0; i + m <= k; i++) {
        if (memcmp(hay + i, frag, (size_t)(m - 1)) != 0)
            continue;
        char next = hay[i + m - 1];
        if (next == '_' || (next == 's' && i + m < k && hay[i + m] == '_'))
            return 1;
    }
    return 0;
}

/* match: the policy's verdict for a name, computed. */
static int
match(PyObject *name)
{
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(name, &n);
    if (s == NULL) {
        PyErr_Clear();
        return 0;
    }
    char small[256], *words = 2 * n + 2 <= (Py_ssize_t)sizeof small ? small : malloc((size_t)(2 * n + 2));
    if (words == NULL)
        return 1;   /* out of memory: hide rather than leak */
    Py_ssize_t k = ctx_name_words(s, n, words);
    int yes = 0;
    for (int i = 0; i < nfragments && !yes; i++)
        yes = has_words(words, k, fragments[i], (Py_ssize_t)strlen(fragments[i]));
    if (words != small)
        free(words);
    return yes;
}

int
ctx_hides(PyObject *name)
{
    if (nfragments == 0 || !PyUnicode_Check(name))
        return 0;
    if (!PyUnicode_CheckExact(name))
        return match(name);
    int found;
    uint32_t v = cti_ptrmap_get(&cache, name, &found);
    if (found)
        return (int)v;
    int yes = match(name);
    cti_ptrmap_put(&cache, name, (uint32_t)yes);   /* no room: just not cached */
    return yes;
}
