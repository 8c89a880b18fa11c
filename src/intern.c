/*
** intern.c -- trace-wide ids of paths, variable names and types.
*/
#include "intern.h"

#include <string.h>

/* ---- pointer map (open addressing, linear probing) ---- */

static void ptrmap_clear(cti_ptrmap *m);

static size_t
ptr_hash(const void *p, size_t cap)
{
    uintptr_t x = (uintptr_t)p >> 4;
    x *= UINT64_C(0x9E3779B97F4A7C15);
    return (size_t)(x >> 16) & (cap - 1);
}

static int
ptrmap_grow(cti_ptrmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    PyObject **keys = calloc(cap, sizeof *keys);
    uint32_t *vals = calloc(cap, sizeof *vals);
    if (keys == NULL || vals == NULL) {
        free(keys);
        free(vals);
        return -1;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (m->keys[i] == NULL)
            continue;
        size_t j = ptr_hash(m->keys[i], cap);
        while (keys[j] != NULL)
            j = (j + 1) & (cap - 1);
        keys[j] = m->keys[i];
        vals[j] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    m->keys = keys;
    m->vals = vals;
    m->cap = cap;
    return 0;
}

/* ptrmap_find: slot of key, or of the empty slot where it would go. */
static size_t
ptrmap_find(const cti_ptrmap *m, PyObject *key)
{
    size_t j = ptr_hash(key, m->cap);
    while (m->keys[j] != NULL && m->keys[j] != key)
        j = (j + 1) & (m->cap - 1);
    return j;
}

uint32_t
cti_ptrmap_get(const cti_ptrmap *m, PyObject *key, int *found)
{
    *found = 0;
    if (m->cap == 0)
        return 0;
    size_t j = ptrmap_find(m, key);
    if (m->keys[j] == NULL)
        return 0;
    *found = 1;
    return m->vals[j];
}

int
cti_ptrmap_put(cti_ptrmap *m, PyObject *key, uint32_t val)
{
    if ((m->n + 1) * 2 > m->cap && ptrmap_grow(m) < 0)
        return -1;
    size_t j = ptrmap_find(m, key);
    if (m->keys[j] == NULL) {
        m->keys[j] = Py_NewRef(key);
        m->n++;
    }
    m->vals[j] = val;
    return 0;
}

void
cti_ptrmap_clear(cti_ptrmap *m)
{
    ptrmap_clear(m);
}

static void
ptrmap_clear(cti_ptrmap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        Py_XDECREF(m->keys[i]);
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

/* ---- the type map ---- */

/* Type -> id, without keeping a type alive: a heap type's death is told by
   the wrapper of PyType_Type's deallocator below (type_died), which drops
   its slot, so a type born later at its address gets a fresh id and a
   TypeDef of its own. A type whose death would not be told (a static type,
   which never dies, or one whose metatype deallocates another way) is held
   by a strong reference, as every type was before (session 14). Open
   addressing with linear probing; a slot is emptied by moving the later
   slots of its run back (no tombstones). */
typedef struct {
    PyTypeObject *t;
    uint32_t id;
    uint8_t strong;
    uint8_t renamed;      /* its name changed: the next cti_type gives it a new id */
    uint64_t digest;      /* of the name its id's TypeDef gave */
} type_slot;

static struct {
    type_slot *s;
    size_t cap, n;
} TM;

static int
typemap_grow(void)
{
    size_t cap = TM.cap ? TM.cap * 2 : 64;
    type_slot *s = calloc(cap, sizeof *s);
    if (s == NULL)
        return -1;
    for (size_t i = 0; i < TM.cap; i++) {
        if (TM.s[i].t == NULL)
            continue;
        size_t j = ptr_hash(TM.s[i].t, cap);
        while (s[j].t != NULL)
            j = (j + 1) & (cap - 1);
        s[j] = TM.s[i];
    }
    free(TM.s);
    TM.s = s;
    TM.cap = cap;
    return 0;
}

/* typemap_find: slot of t, or of the empty slot where it would go. */
static size_t
typemap_find(PyTypeObject *t)
{
    size_t j = ptr_hash(t, TM.cap);
    while (TM.s[j].t != NULL && TM.s[j].t != t)
        j = (j + 1) & (TM.cap - 1);
    return j;
}

/* typemap_drop: empty t's slot, if it has one. */
static void
typemap_drop(PyTypeObject *t)
{
    if (TM.cap == 0)
        return;
    size_t mask = TM.cap - 1, i = typemap_find(t);
    if (TM.s[i].t == NULL)
        return;
    TM.s[i].t = NULL;
    TM.n--;
    /* move back each later slot of the run that its home no longer reaches */
    for (size_t j = (i + 1) & mask; TM.s[j].t != NULL; j = (j + 1) & mask) {
        size_t home = ptr_hash(TM.s[j].t, TM.cap);
        if (((j - home) & mask) >= ((j - i) & mask)) {
            TM.s[i] = TM.s[j];
            TM.s[j].t = NULL;
            i = j;
        }
    }
}

static void
typemap_clear(void)
{
    for (size_t i = 0; i < TM.cap; i++)
        if (TM.s[i].t != NULL && TM.s[i].strong)
            Py_DECREF(TM.s[i].t);
    free(TM.s);
    memset(&TM, 0, sizeof TM);
}

/* ---- types' renames ----

   A TypeDef gives a class's name as it was when the class got its id. A
   heap class renamed later (its __qualname__, __name__ or __module__ set)
   gets a new id and TypeDef at its next recording, and the values that
   reach it are recorded anew, as the reference recorder renders them with
   the name the class has then. A class's name changes only through the
   setters of those three attributes of `type` (type_getsets; a metaclass
   that defines its own descriptor of the name changes no name the
   recorder reads). Their version tag does not tell it: CPython 3.13's
   type_setattro calls a data descriptor's setter without PyType_Modified,
   and __qualname__'s and __name__'s setters call none. So while a
   recording runs the three setters are wrapped, as type's deallocator is
   (below): after the original set, a class that has an id has its name
   compared with its TypeDef's (a digest); a new one marks its slot
   `renamed` (its next cti_type gives it a new id and TypeDef) and moves
   its address's generation on (cti_type_gen), so that values of it no
   longer pass as unchanged, and cti_renames_pending tells the next event
   that checks values (ctv_epoch) to write the objects anew.
   Nothing else pays. The wrappers run no Python code and are invisible to
   Python (the descriptors are the same objects; their PyGetSetDefs, static
   arrays of CPython, have their `set` replaced). */
int cti_renames_pending;
static int types_live;
static PyInterpreterState *types_interp;

static size_t typemap_find(PyTypeObject *t);

static uint64_t
name_hash(const char *s, size_t n)
{
    uint64_t h = UINT64_C(0xCBF29CE484222325) ^ n;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * UINT64_C(0x100000001B3);
    return h;
}

/* name_set: the name of class `self` may have changed (a setter's
   wrapper, after the set succeeded). */
static void
name_set(PyObject *self)
{
    if (!types_live || TM.cap == 0 || !PyType_Check(self) || PyInterpreterState_Get() != types_interp)
        return;
    PyTypeObject *t = (PyTypeObject *)self;
    type_slot *s = &TM.s[typemap_find(t)];
    if (s->t == NULL || s->renamed)
        return;
    char buf[512];
    Py_ssize_t n = cti_type_name(t, buf, sizeof buf);
    uint64_t d = name_hash(buf, (size_t)n);
    if (d == s->digest)
        return;
    s->renamed = 1;
    *cti_type_gen(t) += UINT64_C(0xD1B54A32D192ED03);
    cti_renames_pending = 1;
}

static const char *const name_attrs[3] = { "__qualname__", "__name__", "__module__" };
static PyGetSetDef *name_defs[3];
static setter orig_name_set[3];

#define NAME_SETTER(i)                                                    \
    static int name_set_told_##i(PyObject *self, PyObject *v, void *cl) \
    {                                                                     \
        int rc = orig_name_set[i](self, v, cl);                           \
        if (rc == 0)                                                      \
            name_set(self);                                               \
        return rc;                                                        \
    }
NAME_SETTER(0)
NAME_SETTER(1)
NAME_SETTER(2)
static const setter name_set_told[3] = { name_set_told_0, name_set_told_1, name_set_told_2 };

PyGetSetDef *
cti_own_setter(PyTypeObject *owner, const char *name)
{
    PyObject *dict = PyType_GetDict(owner);
    PyObject *d = dict ? PyDict_GetItemString(dict, name) : NULL;
    PyGetSetDef *gs = NULL;
    if (d != NULL && Py_IS_TYPE(d, &PyGetSetDescr_Type) && ((PyDescrObject *)d)->d_type == owner)
        gs = ((PyGetSetDescrObject *)d)->d_getset;
    Py_XDECREF(dict);
    PyErr_Clear();
    return gs != NULL && gs->set != NULL ? gs : NULL;
}

/* renames_watch: wrap the three setters (each found once: cti_own_setter). */
static void
renames_watch(void)
{
    for (int i = 0; i < 3; i++) {
        if (name_defs[i] == NULL) {
            if ((name_defs[i] = cti_own_setter(&PyType_Type, name_attrs[i])) == NULL)
                continue;
            orig_name_set[i] = name_defs[i]->set;
        }
        if (name_defs[i]->set == orig_name_set[i])
            name_defs[i]->set = name_set_told[i];
    }
}

static void
renames_unwatch(void)
{
    for (int i = 0; i < 3; i++)
        if (name_defs[i] != NULL && name_defs[i]->set == name_set_told[i])
            name_defs[i]->set = orig_name_set[i];
    cti_renames_pending = 0;
}

/* ---- types' deaths ---- */

/* While a recording runs (`types_live`), PyType_Type's deallocator is
   wrapped: a heap type deallocated in the recording's interpreter leaves
   the map before its memory is freed. The wrapper runs no Python code and
   is invisible to Python (tp_dealloc has no attribute, no weak reference
   is made to the type). Heap types whose metatype is `type` deallocate
   through it; so do those of a metaclass made by a class statement, whose
   deallocator (subtype_dealloc) calls the first base's tp_dealloc that is
   not its own, read at each deallocation. subtype_dealloc is not exported:
   its address is read from a class every CPython makes at startup by a
   class statement (encodings.CodecRegistryError); without it, only types
   whose metatype is `type` itself are held weakly. Types made while
   wrapped by PyType_FromSpec with a metatype that inherits the deallocator
   copy the wrapper: it stays in them and, once unwrapped, only calls the
   original. The trashcan: type_dealloc has none to keep. Each told death
   also moves its address's generation on (cti_type_print). */
uint64_t cti_type_gens[1 << CTI_TYPE_GEN_BITS];
static destructor orig_type_dealloc;

static void
type_dealloc_told(PyObject *o)
{
    if (types_live && PyInterpreterState_Get() == types_interp) {
        typemap_drop((PyTypeObject *)o);
        *cti_type_gen(o) += UINT64_C(0xD1B54A32D192ED03);   /* odd: 2^64 deaths before a value
                                                               comes back */
    }
    orig_type_dealloc(o);
}

/* cti_dealloc_end: the deallocator the instances of t end in: t's own,
   or, past subtype_dealloc's walk up the bases of heap types (the first
   base whose tp_dealloc is not subtype_dealloc, read at each
   deallocation), that base's; NULL when the walk runs out of bases. */
destructor
cti_dealloc_end(PyTypeObject *t)
{
    destructor sub = cti_subtype_dealloc();
    while (t != NULL && sub != NULL && t->tp_dealloc == sub && (t->tp_flags & Py_TPFLAGS_HEAPTYPE))
        t = t->tp_base;
    return t != NULL ? t->tp_dealloc : NULL;
}

/* cti_subtype_dealloc: subtype_dealloc's address (above), read once
   without running code or making an object: plain dict lookups in
   sys.modules and the module's dict. */
destructor
cti_subtype_dealloc(void)
{
    static destructor found;
    if (found != NULL)
        return found;
    PyObject *mods = PyImport_GetModuleDict();
    PyObject *m = mods && PyDict_CheckExact(mods) ? PyDict_GetItemString(mods, "encodings") : NULL;
    PyObject *d = m && PyModule_CheckExact(m) ? PyModule_GetDict(m) : NULL;
    PyObject *c = d ? PyDict_GetItemString(d, "CodecRegistryError") : NULL;
    if (c != NULL && Py_IS_TYPE(c, &PyType_Type) && (((PyTypeObject *)c)->tp_flags & Py_TPFLAGS_HEAPTYPE)
            && ((PyTypeObject *)c)->tp_dealloc != PyType_Type.tp_dealloc
            && ((PyTypeObject *)c)->tp_dealloc != type_dealloc_told)
        found = ((PyTypeObject *)c)->tp_dealloc;
    PyErr_Clear();
    return found;
}

static void
types_watch(void)
{
    (void)cti_subtype_dealloc();
    if (PyType_Type.tp_dealloc != type_dealloc_told) {
        if (orig_type_dealloc == NULL)
            orig_type_dealloc = PyType_Type.tp_dealloc;
        if (PyType_Type.tp_dealloc == orig_type_dealloc)
            PyType_Type.tp_dealloc = type_dealloc_told;
    }
    types_interp = PyInterpreterState_Get();
    types_live = 1;
    renames_watch();
}

static void
types_unwatch(void)
{
    types_live = 0;
    renames_unwatch();
    if (PyType_Type.tp_dealloc == type_dealloc_told)
        PyType_Type.tp_dealloc = orig_type_dealloc;
}

/* ---- the table ---- */

/* The ids of the current recording. */
static struct {
    PyObject *paths;      /* dict: str -> int */
    PyObject *names;      /* dict: str -> int */
    uint32_t npaths, nnames, ntypes;
} T;

int
cti_init(void)
{
    cti_clear();
    T.paths = PyDict_New();
    T.names = PyDict_New();
    if (T.paths == NULL || T.names == NULL) {
        cti_clear();
        return -1;
    }
    types_watch();
    return 0;
}

void
cti_clear(void)
{
    Py_CLEAR(T.paths);
    Py_CLEAR(T.names);
    types_unwatch();
    typemap_clear();
    T.npaths = T.nnames = T.ntypes = 0;
}

PyObject *
cti_path_list(void)
{
    PyObject *list = PyList_New(T.npaths);
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    while (list != NULL && T.paths && PyDict_Next(T.paths, &pos, &k, &v)) {
        Py_ssize_t i = PyLong_AsSsize_t(v);
        if (i >= 0 && i < PyList_GET_SIZE(list))
            PyList_SET_ITEM(list, i, Py_NewRef(k));
    }
    return list;
}

const char *
cti_utf8(PyObject *s, Py_ssize_t *len, PyObject **tmp)
{
    *tmp = NULL;
    if (PyUnicode_IS_ASCII(s)) {
        *len = PyUnicode_GET_LENGTH(s);
        return (const char *)PyUnicode_DATA(s);
    }
    *tmp = PyUnicode_AsEncodedString(s, "utf-8", "surrogatepass");
    if (*tmp == NULL)
        return NULL;
    *len = PyBytes_GET_SIZE(*tmp);
    return PyBytes_AS_STRING(*tmp);
}

/* dict_id: id of str `key` in dict `d`, assigning *next on first use and
   calling def() to write its definition record. */
static uint32_t
dict_id(PyObject *d, uint32_t *next, ct_chunk *c, PyObject *key,
        void (*def)(ct_chunk *, uint32_t, const char *, uint32_t))
{
    PyObject *v = PyDict_GetItemWithError(d, key);
    if (v != NULL)
        return (uint32_t)PyLong_AsUnsignedLong(v);
    if (PyErr_Occurred())
        return CTI_NONE;
    Py_ssize_t len;
    PyObject *tmp;
    const char *s = cti_utf8(key, &len, &tmp);
    if (s == NULL)
        return CTI_NONE;
    uint32_t id = *next;
    PyObject *idobj = PyLong_FromUnsignedLong(id);
    if (idobj == NULL || PyDict_SetItem(d, key, idobj) < 0) {
        Py_XDECREF(idobj);
        Py_XDECREF(tmp);
        return CTI_NONE;
    }
    Py_DECREF(idobj);
    def(c, id, s, (uint32_t)len);
    Py_XDECREF(tmp);
    (*next)++;
    return id;
}

uint32_t
cti_path(ct_chunk *c, PyObject *path)
{
    return dict_id(T.paths, &T.npaths, c, path, ctr_emit_PathDef);
}

uint32_t
cti_name(ct_chunk *c, PyObject *name)
{
    return dict_id(T.names, &T.nnames, c, name, ctr_emit_VarNameDef);
}

uint32_t
cti_name_count(void)
{
    return T.nnames;
}

/* str_of: the UTF-8 of `o` if it is an exact ASCII-or-not str, else NULL. */
static const char *
str_of(PyObject *o, Py_ssize_t *len)
{
    if (o == NULL || !PyUnicode_CheckExact(o))
        return NULL;
    return PyUnicode_AsUTF8AndSize(o, len);
}

Py_ssize_t
cti_join(char *buf, size_t size, const char *a, size_t alen, const char *b, size_t blen)
{
    const char *part[3] = { a, ".", b };
    size_t len[3] = { strnlen(a, alen), 1, b ? strnlen(b, blen) : 0 };
    size_t n = 0;
    for (int i = 0; i < (b ? 3 : 1); i++) {
        size_t k = len[i] < size - 1 - n ? len[i] : size - 1 - n;
        memcpy(buf + n, part[i], k);
        n += k;
    }
    buf[n] = '\0';
    return (Py_ssize_t)n;
}

Py_ssize_t
cti_type_name(PyTypeObject *type, char *buf, size_t size)
{
    Py_ssize_t mlen = 0, qlen = 0;
    const char *mod = NULL, *qual = NULL;
    if (type->tp_flags & Py_TPFLAGS_HEAPTYPE) {
        PyHeapTypeObject *ht = (PyHeapTypeObject *)type;
        qual = str_of(ht->ht_qualname, &qlen);
        static PyObject *key;   /* "__module__", made once (not a str made per lookup) */
        if (key == NULL)
            key = PyUnicode_InternFromString("__module__");
        PyObject *dict = key != NULL ? PyType_GetDict(type) : NULL;
        if (dict != NULL) {
            PyObject *m = PyDict_GetItemWithError(dict, key);
            mod = str_of(m, &mlen);
            Py_DECREF(dict);
        }
        PyErr_Clear();
    }
    if (qual == NULL) {   /* static type: tp_name is "module.name" or "name" */
        qual = type->tp_name;
        qlen = (Py_ssize_t)strlen(qual);
        mod = NULL;
    }
    if (mod != NULL && strcmp(mod, "builtins") == 0)
        mod = NULL;
    return mod ? cti_join(buf, size, mod, (size_t)mlen, qual, (size_t)qlen)
               : cti_join(buf, size, qual, (size_t)qlen, NULL, 0);
}

/* type_add: a new id for type (not in the map), its TypeDef written. */
static uint32_t
type_add(ct_chunk *c, PyTypeObject *type)
{
    if ((TM.n + 1) * 2 > TM.cap && typemap_grow() < 0) {
        PyErr_NoMemory();
        return CTI_NONE;
    }
    size_t j = typemap_find(type);
    type_slot *s = &TM.s[j];
    uint32_t id = T.ntypes++;
    if (s->t != NULL) {   /* renamed (name_set): a new id, the slot kept */
        s->id = id;
        s->renamed = 0;
    } else {
        int strong = !(type->tp_flags & Py_TPFLAGS_HEAPTYPE) || !types_live || cti_dealloc_end(Py_TYPE(type)) != type_dealloc_told;
        *s = (type_slot){ .t = strong ? (PyTypeObject *)Py_NewRef(type) : type, .id = id,
                          .strong = (uint8_t)strong };
        TM.n++;
    }
    char buf[512];
    Py_ssize_t n = cti_type_name(type, buf, sizeof buf);
    s->digest = name_hash(buf, (size_t)n);
    ctr_emit_TypeDef(c, id, buf, (uint32_t)n);
    return id;
}

uint32_t
cti_type(ct_chunk *c, PyTypeObject *type)
{
    if (TM.cap != 0) {
        const type_slot *s = &TM.s[typemap_find(type)];
        if (s->t != NULL && !s->renamed)
            return s->id;
    }
    return type_add(c, type);
}
