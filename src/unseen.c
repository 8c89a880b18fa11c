/*
** unseen.c -- C code that changes objects with no monitoring event, made
** seen while a recording with values runs.
**
** The pure-line epoch (docs/design.md) lets a Step pass a variable without
** reading it when nothing could have changed what it shows since its last
** check: the line that ran holds no opcode able to change an object no
** watcher tells of, and no event came in between that could follow code
** that does (ctu_epoch). Python code shows itself by its events (a
** PY_START, kept on every code object not recorded that holds such an
** opcode; a PY_THROW; a recorded activation's events). What is left is C
** code that a plain opcode runs and that changes an object: this file
** wraps the ones of CPython that Python code reaches that way, as deaths.c
** wraps deallocators (static slots and method definitions replaced while
** the recording runs; nothing visible to Python):
**
** - defaultdict's `__missing__`, which `d[k]` (BINARY_SUBSCR, a plain
**   opcode) calls for a missing key and which inserts the key: the wrapper
**   bumps ctu_epoch (defaultdicts are not watched: only exact dicts are);
** - weak references made with a callback, signal handlers, and classes'
**   special methods and property getters (below): those that are C
**   callables set ctu_opaque; classes' dicts are watched for those given
**   later (a dict watcher of this file's own).
*/
#include "unseen.h"

uint64_t ctu_epoch = 1;
PyObject *ctu_elast;
uint64_t ctu_target_passes;
uint64_t ctu_epoch_passes;
uint64_t ctu_pure_skips;

static int live;   /* a recording with values runs */

/* ---- defaultdict's __missing__ ---- */

static PyMethodDef *missing_def;
static PyCFunction orig_missing;

static PyObject *
missing_told(PyObject *self, PyObject *key)
{
    if (live)
        ctu_bump();
    return orig_missing(self, key);
}

/* missing_install: find the method definition once (a METH_O C method of
   `_collections.defaultdict`); 0, or -1 when it is not as expected */
static int
missing_install(void)
{
    if (missing_def == NULL) {
        PyObject *mod = PyImport_ImportModule("_collections");
        PyObject *t = mod != NULL ? PyObject_GetAttrString(mod, "defaultdict") : NULL;
        PyObject *dict = t != NULL && PyType_Check(t) ? PyType_GetDict((PyTypeObject *)t) : NULL;
        PyObject *d = dict != NULL ? PyDict_GetItemString(dict, "__missing__") : NULL;
        if (d != NULL && Py_IS_TYPE(d, &PyMethodDescr_Type)) {
            PyMethodDef *m = ((PyMethodDescrObject *)d)->d_method;
            if ((m->ml_flags & (METH_VARARGS | METH_KEYWORDS | METH_NOARGS | METH_O | METH_FASTCALL
                                | METH_METHOD)) == METH_O) {
                missing_def = m;
                orig_missing = m->ml_meth;
            }
        }
        Py_XDECREF(dict);
        Py_XDECREF(t);
        Py_XDECREF(mod);
        PyErr_Clear();
        if (missing_def == NULL)
            return -1;
    }
    if (missing_def->ml_meth == orig_missing)
        missing_def->ml_meth = missing_told;
    return 0;
}

static void
missing_remove(void)
{
    if (missing_def != NULL && missing_def->ml_meth == missing_told)
        missing_def->ml_meth = orig_missing;
}

/* ---- weak references ---- */

/* A weak reference's callback runs at its referent's death, which can
   happen inside any line (a plain `x = None`); Python code run there shows
   itself, but a C callable (`weakref.ref(o, lst.remove)`, `some_set.discard`) changes a
   list or set with no event at all. So while deaths are told, the two ways
   Python code makes a weak reference with a callback are wrapped: weakref.ref's tp_new (and that of each subclass made
   before, which copied it; `ref.__new__` reads the slot at each call) and
   `_weakref.proxy`'s C function (its PyMethodDef, a static array of
   CPython). A reference made with a callback that is not known to be
   Python code sets ctu_opaque, which turns the pure-line skip off for
   the rest of the recording. What stays unseen: a reference made by C code
   (PyWeakref_NewRef) with a C callback, and one made before the recording
   started (docs/design.md says so). */
static newfunc orig_ref_new;
static PyObject *call_name;   /* "__call__", interned */

/* A C function of a module (its PyMethodDef, a static array of CPython)
   wrapped: found once (cfunc_find), its ml_meth replaced while recording
   by the wrapper of its calling convention (METH_VARARGS or
   METH_FASTCALL). */
typedef struct cfunc {
    const char *module, *name;
    PyCFunction varargs, fast;   /* the wrappers */
    PyMethodDef *def;            /* found: its definition, and the original */
    PyCFunction orig;
} cfunc;

/* cfunc_wrap: find f once and wrap it; -1 when it is not as expected */
static int
cfunc_wrap(cfunc *f)
{
    if (f->def == NULL) {
        PyObject *mod = PyImport_ImportModule(f->module);
        PyObject *fn = mod != NULL ? PyObject_GetAttrString(mod, f->name) : NULL;
        if (fn != NULL && PyCFunction_Check(fn)) {
            PyMethodDef *d = ((PyCFunctionObject *)fn)->m_ml;
            int flags = d->ml_flags & ~(METH_COEXIST | METH_STATIC | METH_CLASS);
            if (flags == METH_VARARGS || flags == METH_FASTCALL) {
                f->def = d;
                f->orig = d->ml_meth;
            }
        }
        Py_XDECREF(fn);
        Py_XDECREF(mod);
        PyErr_Clear();
        if (f->def == NULL)
            return -1;
    }
    if (f->def->ml_meth == f->orig)
        f->def->ml_meth = (f->def->ml_flags & METH_FASTCALL) ? f->fast : f->varargs;
    return 0;
}

static void
cfunc_unwrap(cfunc *f)
{
    if (f->def != NULL && f->def->ml_meth != f->orig)
        f->def->ml_meth = f->orig;
}

static PyObject *
cfunc_fast(cfunc *f, PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    return ((_PyCFunctionFast)(void (*)(void))f->orig)(self, args, nargs);
}

/* python_code: calling `cb` runs Python code first (a function, a method
   of one, an instance of a class whose __call__ is one) */
static int
python_code(PyObject *cb)
{
    if (PyFunction_Check(cb))
        return 1;
    if (PyMethod_Check(cb))
        return PyFunction_Check(PyMethod_GET_FUNCTION(cb));
    PyTypeObject *t = Py_TYPE(cb);
    if (call_name == NULL || !(t->tp_flags & Py_TPFLAGS_HEAPTYPE) || t->tp_mro == NULL || !PyTuple_Check(t->tp_mro))
        return 0;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(t->tp_mro); i++) {
        PyObject *dict = PyType_GetDict((PyTypeObject *)PyTuple_GET_ITEM(t->tp_mro, i));
        PyObject *call = dict != NULL ? PyDict_GetItemWithError(dict, call_name) : NULL;
        int yes = call != NULL && PyFunction_Check(call);
        Py_XDECREF(dict);
        if (call != NULL || PyErr_Occurred()) {
            PyErr_Clear();
            return yes;
        }
    }
    return 0;
}

/* weak_made: r, a weak reference or proxy just made (or NULL) */
static void
weak_made(PyObject *r)
{
    if (r != NULL && live && !ctu_opaque) {
        PyObject *cb = ((PyWeakReference *)r)->wr_callback;
        if (cb != NULL && cb != Py_None && !python_code(cb))
            ctu_opaque = 1;
    }
}

static PyObject *
ref_new_told(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *r = orig_ref_new(type, args, kwds);
    weak_made(r);
    return r;
}

static cfunc proxy_fn;

static PyObject *
proxy_told_varargs(PyObject *self, PyObject *args)
{
    PyObject *r = proxy_fn.orig(self, args);
    weak_made(r);
    return r;
}

static PyObject *
proxy_told_fast(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *r = cfunc_fast(&proxy_fn, self, args, nargs);
    weak_made(r);
    return r;
}

static cfunc proxy_fn = { "_weakref", "proxy", proxy_told_varargs,
                          (PyCFunction)(void (*)(void))proxy_told_fast, NULL, NULL };

/* ref_subclasses: set each subclass of t whose tp_new is `from` to `to`,
   at any depth (their tp_subclasses, read through type.__subclasses__,
   a C method) */
static PyObject *subclasses_fn;   /* type.__subclasses__, unbound (a method descriptor) */

/* subclasses_of: t's direct subclasses, a list, by type.__subclasses__
   called unbound (no attribute of t is looked up: no code of its own
   runs); NULL (no error set) when they cannot be had */
static PyObject *
subclasses_of(PyTypeObject *t)
{
    if (subclasses_fn == NULL) {
        PyObject *dict = PyType_GetDict(&PyType_Type);
        subclasses_fn = dict != NULL ? PyDict_GetItemString(dict, "__subclasses__") : NULL;
        Py_XINCREF(subclasses_fn);
        Py_XDECREF(dict);
    }
    PyObject *subs = subclasses_fn != NULL ? PyObject_CallOneArg(subclasses_fn, (PyObject *)t) : NULL;
    if (subs == NULL || !PyList_Check(subs)) {
        Py_XDECREF(subs);
        PyErr_Clear();
        return NULL;
    }
    return subs;
}

static void
ref_subclasses(PyTypeObject *t, newfunc from, newfunc to)
{
    PyObject *subs = subclasses_of(t);
    if (subs == NULL)
        return;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(subs); i++) {
        PyTypeObject *sub = (PyTypeObject *)PyList_GET_ITEM(subs, i);
        if (sub->tp_new == from)
            sub->tp_new = to;
        ref_subclasses(sub, from, to);
    }
    Py_DECREF(subs);
}

/* weak_install: wrap both; where one cannot be wrapped (an unknown
   calling convention), the skip is off from the start */
static void
weak_install(void)
{
    if (call_name == NULL && (call_name = PyUnicode_InternFromString("__call__")) == NULL)
        PyErr_Clear();
    if (orig_ref_new == NULL)
        orig_ref_new = _PyWeakref_RefType.tp_new;
    if (_PyWeakref_RefType.tp_new == orig_ref_new) {
        _PyWeakref_RefType.tp_new = ref_new_told;
        ref_subclasses(&_PyWeakref_RefType, orig_ref_new, ref_new_told);
    }
    if (cfunc_wrap(&proxy_fn) < 0)
        ctu_opaque = 1;
}

static void
weak_remove(void)
{
    if (_PyWeakref_RefType.tp_new == ref_new_told) {
        _PyWeakref_RefType.tp_new = orig_ref_new;
        ref_subclasses(&_PyWeakref_RefType, ref_new_told, orig_ref_new);
    }
    cfunc_unwrap(&proxy_fn);
}

/* ---- signal handlers ---- */

/* A signal handler runs between two opcodes of whatever line runs (the
   eval loop's pending calls): a Python one shows itself, a C callable
   (`signal.signal(SIGUSR1, items.insert)`) changes objects with no event.
   While recording, `signal.signal` is wrapped: a handler set that is not
   an int (SIG_DFL, SIG_IGN), Python code or signal.default_int_handler
   (it only raises KeyboardInterrupt) sets ctu_opaque; the handlers set
   before the recording started are looked at once, at its start. */
static PyObject *default_int;   /* signal.default_int_handler */

static void
handler_set(PyObject *h)
{
    if (live && !PyLong_Check(h) && h != Py_None && h != default_int && !python_code(h))
        ctu_opaque = 1;
}

static cfunc signal_fn;

static PyObject *
signal_told_varargs(PyObject *self, PyObject *args)
{
    PyObject *r = signal_fn.orig(self, args);
    if (r != NULL && PyTuple_Check(args) && PyTuple_GET_SIZE(args) == 2)
        handler_set(PyTuple_GET_ITEM(args, 1));
    return r;
}

static PyObject *
signal_told_fast(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *r = cfunc_fast(&signal_fn, self, args, nargs);
    if (r != NULL && nargs == 2)
        handler_set(args[1]);
    return r;
}

static cfunc signal_fn = { "_signal", "signal", signal_told_varargs,
                           (PyCFunction)(void (*)(void))signal_told_fast, NULL, NULL };

/* signals_install: wrap signal.signal and look at the handlers set (each
   signal number's, by signal.getsignal, a C function); -1 when a part of
   it cannot be done */
static int
signals_install(void)
{
    PyObject *mod = PyImport_ImportModule("_signal");
    PyObject *get = mod != NULL ? PyObject_GetAttrString(mod, "getsignal") : NULL;
    PyObject *nsig = mod != NULL ? PyObject_GetAttrString(mod, "NSIG") : NULL;
    if (default_int == NULL && mod != NULL)
        default_int = PyObject_GetAttrString(mod, "default_int_handler");
    long n = nsig != NULL ? PyLong_AsLong(nsig) : -1;
    int rc = get != NULL && n > 0 && default_int != NULL ? 0 : -1;
    for (long i = 1; rc == 0 && i < n; i++) {
        PyObject *num = PyLong_FromLong(i);
        PyObject *h = num != NULL ? PyObject_CallOneArg(get, num) : NULL;
        if (h != NULL)
            handler_set(h);   /* (live: ctu_install sets it first) */
        Py_XDECREF(h);
        Py_XDECREF(num);
        PyErr_Clear();   /* (a number that is no signal) */
    }
    Py_XDECREF(nsig);
    Py_XDECREF(get);
    Py_XDECREF(mod);
    PyErr_Clear();
    if (cfunc_wrap(&signal_fn) < 0)
        rc = -1;
    return rc;
}

/* ---- classes' special methods and properties ---- */

/* A special method runs when a plain opcode meets an instance (`o[1]`,
   `a + b`, `{o}`), and a property's getter when one reads an attribute:
   Python code there shows itself, but a class whose special method or
   property getter is a C callable bound to some object (`__getitem__ =
   log.append`, `property(log.append)`) changes that object with no event.
   So while recording, type's tp_new is wrapped (and that of the
   metaclasses made before, which copied it): a class made is looked at,
   and the classes that exist at the start are looked at once
   (type.__subclasses__ from object down). A special method or property
   getter that is such a callable sets ctu_opaque.

   Such an attribute can also be given to a class after it was made
   (`C.__getitem__ = log.append`, setattr, `type.__setattr__(C, ...)`
   called as a function, a metaclass's `super().__setattr__`, or
   PyDict_SetItem on its dict from C): each heap class looked at has its
   dict watched by a dict watcher of this file's own (class_event), which
   CPython calls before every store into the dict, however it is reached.
   (type's tp_setattro is not wrapped: a metaclass's `super().__setattr__`,
   as enum's, goes through a slot wrapper that checks the slot is the
   original, and would fail.) A static type's dict is not watched: Python
   code cannot set its attributes (it is immutable), and C code that writes
   into it is not counted, as C code elsewhere is not. No watcher to be had
   (the interpreter's 8 are taken): the skip is off from the start. What
   stays unseen: a class made by C code (PyType_FromSpec) while the
   recording runs, neither looked at nor watched, and one more than 64
   classes deep under object at the start. */
static newfunc orig_type_new;
static PyObject *fget_member;   /* property's `fget` member descriptor */
static int class_watcher = -1;  /* the dict watcher of classes' dicts; -1: none */

/* c_bound: v is a C function bound to an object that is not a module or a
   class (`log.append`), or a callable that is not Python code, a class or
   a C type's own method */
static int
c_bound(PyObject *v)
{
    if (v == NULL || v == Py_None || PyType_Check(v) || python_code(v))
        return 0;
    if (Py_IS_TYPE(v, &PyMethodDescr_Type) || Py_IS_TYPE(v, &PyClassMethodDescr_Type)
            || Py_IS_TYPE(v, &PyWrapperDescr_Type) || Py_IS_TYPE(v, &PyGetSetDescr_Type)
            || Py_IS_TYPE(v, &PyMemberDescr_Type))
        return 0;   /* (a C type's own method or field: it acts on the instance it is given) */
    if (PyCFunction_Check(v)) {
        PyObject *self = PyCFunction_GET_SELF(v);
        return self != NULL && !PyModule_Check(self) && !PyType_Check(self);
    }
    return PyCallable_Check(v);
}

/* wrapped_func: what an exact classmethod or staticmethod wraps (a new
   reference), read from its `__func__` without a lookup on it; NULL */
static PyObject *
wrapped_func(PyObject *v)
{
    PyObject *dict = PyType_GetDict(Py_TYPE(v));
    PyObject *d = dict != NULL ? PyDict_GetItemString(dict, "__func__") : NULL;
    PyObject *f = d != NULL && Py_TYPE(d)->tp_descr_get != NULL
        ? Py_TYPE(d)->tp_descr_get(d, v, (PyObject *)Py_TYPE(v)) : NULL;
    Py_XDECREF(dict);
    PyErr_Clear();
    return f;
}

/* dunder: name is a str of the form `__x__` */
static int
dunder(PyObject *name)
{
    return PyUnicode_Check(name) && PyUnicode_GET_LENGTH(name) >= 5
        && PyUnicode_READ_CHAR(name, 0) == '_' && PyUnicode_READ_CHAR(name, 1) == '_'
        && PyUnicode_READ_CHAR(name, PyUnicode_GET_LENGTH(name) - 1) == '_'
        && PyUnicode_READ_CHAR(name, PyUnicode_GET_LENGTH(name) - 2) == '_';
}

/* attr_opaque: a class attribute `name` = v that a plain opcode could call
   as a C callable bound to some object: a special method (a dunder name)
   that is one, or a property (exact) whose getter is one */
static int
attr_opaque(PyObject *name, PyObject *v)
{
    if (v == NULL)
        return 0;
    if (Py_IS_TYPE(v, &PyProperty_Type)) {
        if (fget_member == NULL)
            return 1;
        PyObject *g = Py_TYPE(fget_member)->tp_descr_get(fget_member, v, (PyObject *)&PyProperty_Type);
        int r = g != NULL && c_bound(g);
        Py_XDECREF(g);
        PyErr_Clear();
        return r;
    }
    if (!dunder(name))
        return 0;
    if (Py_IS_TYPE(v, &PyClassMethod_Type) || Py_IS_TYPE(v, &PyStaticMethod_Type)) {
        PyObject *f = wrapped_func(v);
        int r = f == NULL || c_bound(f);
        Py_XDECREF(f);
        return r;
    }
    if (PyObject_TypeCheck(v, &PyProperty_Type))
        return 1;   /* (a subclass of property: its getter is not read without its code) */
    return c_bound(v);
}

/* dict_opaque: some entry of dict d is attr_opaque */
static int
dict_opaque(PyObject *d)
{
    PyObject *k, *v;
    Py_ssize_t pos = 0;
    while (PyDict_Next(d, &pos, &k, &v))
        if (attr_opaque(k, v))
            return 1;
    return 0;
}

/* class_event: the dict watcher of classes' dicts, called before each
   change of a watched dict, in the thread that makes it. A store of an
   attribute that is neither an exact property nor a dunder costs a few
   compares, as does a dunder that is a Python function or cannot be
   called; any other runs attr_opaque (no Python code, no error left: a
   pending exception is kept aside). It never fails. */
static int
class_event(PyDict_WatchEvent ev, PyObject *dict, PyObject *key, PyObject *value)
{
    (void)dict;
    if (!live || ctu_opaque)
        return 0;
    if (ev == PyDict_EVENT_ADDED || ev == PyDict_EVENT_MODIFIED) {
        if (value == NULL || (!Py_IS_TYPE(value, &PyProperty_Type) && !dunder(key)))
            return 0;
        PyTypeObject *vt = Py_TYPE(value);
        if (vt == &PyFunction_Type || (vt->tp_call == NULL && !PyObject_TypeCheck(value, &PyProperty_Type)
                                       && vt != &PyClassMethod_Type && vt != &PyStaticMethod_Type))
            return 0;   /* (a Python function, or a dunder that cannot be called: not opaque) */
    } else if (ev != PyDict_EVENT_CLONED || key == NULL || !PyDict_Check(key))
        return 0;   /* (a deletion, a clear, the dict's death: nothing given) */
    PyObject *exc = PyErr_GetRaisedException();
    if (ev == PyDict_EVENT_CLONED ? dict_opaque(key) : attr_opaque(key, value))
        ctu_opaque = 1;   /* (CLONED: `key` is the dict copied from) */
    PyErr_SetRaisedException(exc);
    return 0;
}

/* class_look: look at a heap class's own attributes, and watch its dict
   (class_event) */
static void
class_look(PyObject *t)
{
    if (!PyType_Check(t) || !(((PyTypeObject *)t)->tp_flags & Py_TPFLAGS_HEAPTYPE) || ctu_opaque)
        return;
    PyObject *dict = PyType_GetDict((PyTypeObject *)t);
    if (dict == NULL || class_watcher < 0 || PyDict_Watch(class_watcher, dict) < 0) {
        PyErr_Clear();
        ctu_opaque = 1;   /* (its later attributes would not be seen) */
    } else if (dict_opaque(dict))
        ctu_opaque = 1;
    Py_XDECREF(dict);
}

/* class_unwatch: t's dict no longer watched */
static void
class_unwatch(PyTypeObject *t)
{
    if (class_watcher < 0 || !(t->tp_flags & Py_TPFLAGS_HEAPTYPE))
        return;
    PyObject *dict = PyType_GetDict(t);
    if (dict != NULL && PyDict_Unwatch(class_watcher, dict) < 0)
        PyErr_Clear();
    Py_XDECREF(dict);
}

static PyObject *
type_new_told(PyTypeObject *meta, PyObject *args, PyObject *kwds)
{
    PyObject *t = orig_type_new(meta, args, kwds);
    if (t != NULL && live)
        class_look(t);
    return t;
}

/* classes_walk: from t down its subclasses: look at each class, and give
   each metaclass that copied type's tp_new the wrapper
   (with `on` 0: the original back, and each dict unwatched); `depth`
   bounds the recursion */
static void
classes_walk(PyTypeObject *t, int on, int depth)
{
    if (on)
        class_look((PyObject *)t);
    else
        class_unwatch(t);
    if (PyType_IsSubtype(t, &PyType_Type) && t != &PyType_Type) {
        if (t->tp_new == (on ? orig_type_new : type_new_told))
            t->tp_new = on ? type_new_told : orig_type_new;
    }
    PyObject *subs = depth < 64 ? subclasses_of(t) : NULL;
    for (Py_ssize_t i = 0; subs != NULL && i < PyList_GET_SIZE(subs); i++)
        classes_walk((PyTypeObject *)PyList_GET_ITEM(subs, i), on, depth + 1);
    Py_XDECREF(subs);
}

static void
classes_install(void)
{
    if (orig_type_new == NULL) {
        orig_type_new = PyType_Type.tp_new;
        PyObject *dict = PyType_GetDict(&PyProperty_Type);
        fget_member = dict != NULL ? PyDict_GetItemString(dict, "fget") : NULL;
        Py_XINCREF(fget_member);
        Py_XDECREF(dict);
        PyErr_Clear();
    }
    if (class_watcher < 0 && (class_watcher = PyDict_AddWatcher(class_event)) < 0) {
        PyErr_Clear();
        ctu_opaque = 1;   /* (all of the interpreter's dict watchers are taken) */
    }
    if (PyType_Type.tp_new == orig_type_new)
        PyType_Type.tp_new = type_new_told;
    classes_walk(&PyBaseObject_Type, 1, 0);
}

static void
classes_remove(void)
{
    if (PyType_Type.tp_new == type_new_told)
        PyType_Type.tp_new = orig_type_new;
    if (orig_type_new != NULL)
        classes_walk(&PyBaseObject_Type, 0, 0);
    if (class_watcher >= 0 && PyDict_ClearWatcher(class_watcher) < 0)
        PyErr_Clear();
    class_watcher = -1;
}

int ctu_opaque;

void
ctu_install(void)
{
    ctu_opaque = 0;
    live = 1;
    if (missing_install() < 0 || signals_install() < 0)
        ctu_opaque = 1;
    weak_install();
    classes_install();
}

void
ctu_remove(void)
{
    live = 0;
    missing_remove();
    weak_remove();
    cfunc_unwrap(&signal_fn);
    classes_remove();
}
