/*
** deaths.c -- death signals for the kinds the spec declares `lifetime
** dealloc` (generated/value_kinds.h, CTV_DEALLOC_TYPES): while a recording
** with values runs, each such type's tp_dealloc is wrapped, and the wrapper
** tells the value walker (ctv_died) before the original deallocator runs.
** A dict, list, tuple, set, frozenset or instance made later at a dead
** one's address then gets a fresh object id instead of taking over the dead one's
** (docs/trace-format.md, "What an id promises"). Nothing of this is
** visible to Python code: tp_dealloc has no attribute, and the wrapper
** runs no code but the original's.
**
** Subclasses made by class statements deallocate through subtype_dealloc,
** which calls the first base's tp_dealloc that is not its own, read at each
** deallocation: they reach the wrapper too, as do OrderedDict and
** defaultdict, whose deallocators end in PyDict_Type.tp_dealloc. A static
** subtype whose deallocator does not (a struct sequence) does not.
** Instances (`lifetime dealloc PyBaseObject_Type`): the instances of every
** class whose first base with its own deallocator is object reach
** object's, which the wrapper stands for; static types that inherited
** object's deallocator copied it when they were readied and do not. An
** object that is no GC object (a bare object(), an instance of a class
** with empty __slots__) has no GC header to untrack and must not enter the
** trashcan, which object's deallocator never does: the wrapper tells its
** death and calls the original, nothing else. A GC instance reaching it
** from subtype_dealloc is untracked already, and its type's tp_dealloc is
** subtype_dealloc, not the wrapper, so it enters no trashcan either.
**
** An exact dict's death is also told by the dict watcher when its entry
** watches it (values.c, dict_event); ctv_died passes an entry already dead.
**
** The trashcan (CPython's guard against deep recursion when a long chain
** of containers dies): up to 3.13 a deallocator enters it only when the
** object's type's tp_dealloc is that deallocator (Py_TRASHCAN_BEGIN's
** test), so once wrapped the original never would; the wrapper enters it
** in its place, exactly where the original did (after untracking the
** object). From 3.14 on the trashcan is in _Py_Dealloc and the macros are
** empty.
*/
#include "values.h"
#include "value_kinds.h"
#include "intern.h"

static int live;   /* a recording with values runs: deaths are told */

#define CTD_DECLARE(K, T) static destructor orig_##K;
CTV_DEALLOC_TYPES(CTD_DECLARE)

#define CTD_WRAPPER(K, T)                                   \
    static void                                             \
    dealloc_##K(PyObject *o)                                \
    {                                                       \
        if (!PyObject_IS_GC(o)) {                           \
            if (live)                                       \
                ctv_died(o);                                \
            orig_##K(o);                                    \
            return;                                         \
        }                                                   \
        PyObject_GC_UnTrack(o);                             \
        Py_TRASHCAN_BEGIN(o, dealloc_##K)                   \
        if (live)                                           \
            ctv_died(o);                                    \
        orig_##K(o);                                        \
        Py_TRASHCAN_END                                     \
    }
CTV_DEALLOC_TYPES(CTD_WRAPPER)

/* Wrapped once per type; a deallocator another module put in after ours
   stays, and ours (still in its chain) tells deaths while `live`. */
#define CTD_INSTALL(K, T)                                   \
    if (T.tp_dealloc != dealloc_##K) {                      \
        if (orig_##K == NULL)                               \
            orig_##K = T.tp_dealloc;                        \
        if (T.tp_dealloc == orig_##K)                       \
            T.tp_dealloc = dealloc_##K;                     \
    }

/* An instance's class set (`obj.__class__ = C`, object's setter): the
   object table compares an entry's class by its pointer, and a class born
   at the address of the instance's old class, dead meanwhile (its death
   told: intern.c, its address's generation moved on), would pass as the
   same. While deaths are told, object's `__class__` setter is wrapped as
   the deallocators are (its PyGetSetDef, a static array of CPython, has its
   `set` replaced: the descriptor is the same object, nothing visible to
   Python), and after a set that succeeded the walker is told
   (ctv_class_set): the instance's next check writes it whole. */
static PyGetSetDef *class_def;
static setter orig_class_set;

static int
class_set_told(PyObject *self, PyObject *value, void *closure)
{
    int rc = orig_class_set(self, value, closure);
    if (rc == 0 && live)
        ctv_class_set(self);
    return rc;
}

static void
class_set_install(void)
{
    if (class_def == NULL && (class_def = cti_own_setter(&PyBaseObject_Type, "__class__")) != NULL)
        orig_class_set = class_def->set;
    if (class_def != NULL && class_def->set == orig_class_set)
        class_def->set = class_set_told;
}

/* An instance's __dict__ set (`obj.__dict__ = d`): a quiet root's replay
   that passes its objects without reading them (values.c, hard_make) takes
   an object's dict pointer as unchanged while ctv_wseq is, so the setter
   of the classes that class statements make (subtype_setdict, static in
   Objects/typeobject.c, behind the `__dict__` descriptor of each such
   class: two static PyGetSetDef arrays, with and without `__weakref__`) is
   wrapped as the `__class__` setter is, and tells ctv_dict_set. Both are
   found from two classes made once for it (no user code: type's own
   constructor, an empty namespace). A class whose `__dict__` setter is
   another (a C base's, PyObject_GenericSetDict) is told by no wrapper:
   ctv_dict_set_told says so, and its instances are read at each replay. */
static PyGetSetDef *dict_defs[2];
static setter orig_dict_set;

static int
dict_set_told(PyObject *self, PyObject *value, void *closure)
{
    int rc = orig_dict_set(self, value, closure);
    if (live)
        ctv_dict_set(self);
    return rc;
}

/* probe_def: the `__dict__` PyGetSetDef of a class made with `slots`
   (NULL: none) as its __slots__. */
static PyGetSetDef *
probe_def(const char *slots)
{
    PyObject *ns = slots ? Py_BuildValue("{s:(s)}", "__slots__", slots) : PyDict_New();
    PyObject *t = ns ? PyObject_CallFunction((PyObject *)&PyType_Type, "s(O)O", "_ctgen_probe",
                                             (PyObject *)&PyBaseObject_Type, ns) : NULL;
    PyGetSetDef *gs = t != NULL && PyType_Check(t) ? cti_own_setter((PyTypeObject *)t, "__dict__") : NULL;
    Py_XDECREF(t);
    Py_XDECREF(ns);
    PyErr_Clear();
    return gs;
}

static void
dict_set_install(void)
{
    if (dict_defs[0] == NULL && dict_defs[1] == NULL) {
        dict_defs[0] = probe_def(NULL);
        dict_defs[1] = probe_def("__dict__");
        if (dict_defs[1] == dict_defs[0])
            dict_defs[1] = NULL;
        orig_dict_set = dict_defs[0] ? dict_defs[0]->set : dict_defs[1] ? dict_defs[1]->set : NULL;
    }
    for (int i = 0; i < 2; i++)
        if (dict_defs[i] != NULL && dict_defs[i]->set == orig_dict_set)
            dict_defs[i]->set = dict_set_told;
}

static void
dict_set_remove(void)
{
    for (int i = 0; i < 2; i++)
        if (dict_defs[i] != NULL && dict_defs[i]->set == dict_set_told)
            dict_defs[i]->set = orig_dict_set;
}

/* ctv_dict_set_told: (a cache of the last answers per class, keyed by its
   version tag, which any change of the class or its bases moves on) */
ctv_told_slot ctv_told_cache[1 << CTV_TOLD_BITS];
static PyObject *dict_name;   /* "__dict__", interned */

int
ctv_dict_set_told_slow(PyTypeObject *t)
{
    if (!live || class_def == NULL || class_def->set != class_set_told)
        return 0;
    unsigned int tag = t->tp_version_tag;
    ctv_told_slot *k = ctv_told_at(t);
    if (dict_name == NULL && (dict_name = PyUnicode_InternFromString("__dict__")) == NULL) {
        PyErr_Clear();
        return 0;
    }
    int ok = 0;
    PyObject *mro = t->tp_mro;
    for (Py_ssize_t i = 0; mro != NULL && PyTuple_Check(mro) && i < PyTuple_GET_SIZE(mro); i++) {
        PyObject *b = PyTuple_GET_ITEM(mro, i);
        PyObject *dict = PyType_Check(b) ? PyType_GetDict((PyTypeObject *)b) : NULL;
        PyObject *d = dict != NULL && PyDict_CheckExact(dict) ? PyDict_GetItemWithError(dict, dict_name) : NULL;
        Py_XDECREF(dict);   /* (the class's dict holds d) */
        if (d == NULL) {
            if (PyErr_Occurred()) {
                PyErr_Clear();
                break;
            }
            continue;
        }
        ok = Py_IS_TYPE(d, &PyGetSetDescr_Type) && ((PyGetSetDescrObject *)d)->d_getset->set == dict_set_told;
        break;
    }
    if (tag != 0)
        *k = (ctv_told_slot){ t, tag, ok };
    return ok;
}

void
ctv_deaths_install(void)
{
    CTV_DEALLOC_TYPES(CTD_INSTALL)
    class_set_install();
    dict_set_install();
    memset(ctv_told_cache, 0, sizeof ctv_told_cache);
    (void)cti_subtype_dealloc();   /* (learned once, intern.c) */
    live = 1;
}

/* ctv_death_told: o's death will be told (ctv_died): the deallocator its
   type's instances end in, past subtype_dealloc's walk up the bases, is
   one this file wraps, while a recording with values runs. */
int
ctv_death_told(PyObject *o)
{
    if (!live)
        return 0;
    destructor d = cti_dealloc_end(Py_TYPE(o));
#define CTD_TOLD(K, T)                                      \
    if (d == dealloc_##K)                                   \
        return 1;
    CTV_DEALLOC_TYPES(CTD_TOLD)
    return 0;
}

#define CTD_REMOVE(K, T)                                    \
    if (T.tp_dealloc == dealloc_##K)                        \
        T.tp_dealloc = orig_##K;

void
ctv_deaths_remove(void)
{
    live = 0;
    memset(ctv_told_cache, 0, sizeof ctv_told_cache);   /* (no class is told now) */
    CTV_DEALLOC_TYPES(CTD_REMOVE)
    if (class_def != NULL && class_def->set == class_set_told)
        class_def->set = orig_class_set;
    dict_set_remove();
}
