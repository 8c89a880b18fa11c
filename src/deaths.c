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

void
ctv_deaths_install(void)
{
    CTV_DEALLOC_TYPES(CTD_INSTALL)
    class_set_install();
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
    CTV_DEALLOC_TYPES(CTD_REMOVE)
    if (class_def != NULL && class_def->set == class_set_told)
        class_def->set = orig_class_set;
}
