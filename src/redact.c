/*
** redact.c -- the redaction policy: ASCII case-insensitive substring match
** of a name against the fragments given to start(), cached per name object.
*/
#include "redact.h"
#include "intern.h"

#include <stdlib.h>
#include <string.h>

static char **fragments;   /* lowercase ASCII */
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
        char *p = strdup(s);
        if (p == NULL)
            break;
        for (char *q = p; *q; q++)
            if (*q >= 'A' && *q <= 'Z')
                *q = (char)(*q - 'A' + 'a');
        fragments[nfragments++] = p;
    }
    Py_DECREF(t);
    if (fragments == NULL || nfragments < n) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

/* contains_ci: 1 when `hay` contains `needle` (m bytes, lowercase ASCII),
   ignoring ASCII case. */
static int
contains_ci(const char *hay, Py_ssize_t n, const char *needle, size_t m)
{
    for (Py_ssize_t i = 0; i + (Py_ssize_t)m <= n; i++) {
        size_t j = 0;
        while (j < m) {
            char c = hay[i + j];
            if (c >= 'A' && c <= 'Z')
                c = (char)(c - 'A' + 'a');
            if (c != needle[j])
                break;
            j++;
        }
        if (j == m)
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
    for (int i = 0; i < nfragments; i++)
        if (contains_ci(s, n, fragments[i], strlen(fragments[i])))
            return 1;
    return 0;
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
