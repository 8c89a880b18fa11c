/*
** code.c -- the code cache: per-code-object data computed once per recording
** and kept in co_extra; the selection of recorded code.
*/
#include "code.h"
#include "redact.h"
#include "frame.h"
#include "intern.h"
#include "values.h"   /* ctv_atom */

#include <stdlib.h>
#include <string.h>

int ctc_extra_index = -1;
PyObject *ctc_last_code;
void *ctc_last_cc;
ctc_slot ctc_cache[CTC_CACHE];
PyObject *ctc_unseen[CTC_CACHE];

/* The selection of the current recording (ctc_start). */
static struct {
    uint64_t generation;
    PyObject *selector;          /* callable(filename, module) -> bool */
    int tool;                    /* sys.monitoring tool id */
    uint32_t local_mask;         /* PEP 669 bits set on each recorded code object */
    int unseen;                  /* values are recorded: code not recorded is scanned for
                                    impure opcodes (ct_code.impure_any, the pure-line epoch) */
    uint32_t unseen_mask;        /* PEP 669 bits set on each code object not recorded that has
                                    an impure opcode (PY_THROW where it is a local event) */
    PyObject *set_local_events;  /* sys.monitoring.set_local_events */
    PyObject *enabled_codes;     /* list of code objects given local events */
    uint32_t next_fn;            /* the next FunctionDef id */
} S;

/* code_free: co_extra destructor, run when the code object dies. */
static void
code_free(void *p)
{
    ct_code *cc = p;
    if (cc == NULL)
        return;
    if (p == ctc_last_cc) {
        ctc_last_code = NULL;
        ctc_last_cc = NULL;
    }
    ctc_slot *slot = ctc_slot_of(cc->code);
    if (slot->cc == cc)
        *slot = (ctc_slot){ NULL, NULL };
    if (*ctc_unseen_of(cc->code) == cc->code)
        *ctc_unseen_of(cc->code) = NULL;
    free(cc->name_ids);
    free(cc->names);
    free(cc->slots);
    free(cc->hides);
    free(cc->lines);
    free(cc->lflag);
    free(cc->lrebind);
    free(cc->lneed);
    free(cc->lcont);
    free(cc->ltarget);
    free(cc->lfor);
    free(cc->lcall);
    free(cc);
}

int
ctc_setup(void)
{
    ctf_setup();
    if (ctc_extra_index < 0)
        ctc_extra_index = (int)PyUnstable_Eval_RequestCodeExtraIndex(code_free);
    return ctc_extra_index < 0 ? -1 : 0;
}

/* module_name: __name__ of the globals of frame f if it runs `code`, or
   None (borrowed). The frame is the monitored one inside a C callback. */
static PyObject *
module_name(PyObject *code, PyFrameObject *f)
{
    if (f == NULL)
        return Py_None;
    PyCodeObject *fc = PyFrame_GetCode(f);
    int same = (PyObject *)fc == code;
    Py_DECREF(fc);
    if (!same)
        return Py_None;
    PyObject *g = PyFrame_GetGlobals(f);
    PyObject *name = NULL;
    if (g != NULL && PyDict_CheckExact(g))
        name = PyDict_GetItemString(g, "__name__");
    Py_XDECREF(g);
    return name != NULL && PyUnicode_CheckExact(name) ? name : Py_None;
}

/* attr_int: integer attribute `name` of a code object, or -1 with an error. */
static long
attr_int(PyObject *code, const char *name)
{
    PyObject *v = PyObject_GetAttrString(code, name);
    if (v == NULL)
        return -1;
    long n = PyLong_AsLong(v);
    Py_DECREF(v);
    return n;
}

#define SELECTOR_FRAMES 100   /* recursion headroom for the selector */

/* selected: ask the selector whether `code` is recorded: 1, 0, or -1. */
static int
selected(PyObject *code, PyFrameObject *frame)
{
    PyObject *file = PyObject_GetAttrString(code, "co_filename");
    if (file == NULL)
        return -1;
    PyObject *args[2] = { file, module_name(code, frame) };
    /* The selector is Python code (a few frames deep: os.path.realpath),
       and code is met first anywhere, also at the program's recursion
       limit (a deep recursion caught by an except that calls a new
       function): give it headroom, as the program never gets it. */
    int limit = Py_GetRecursionLimit();
    Py_SetRecursionLimit(limit + SELECTOR_FRAMES);
    PyObject *r = PyObject_Vectorcall(S.selector, args, 2, NULL);
    if (Py_GetRecursionLimit() == limit + SELECTOR_FRAMES)   /* unless changed meanwhile */
        Py_SetRecursionLimit(limit);
    Py_DECREF(file);
    if (r == NULL)
        return -1;
    int yes = PyObject_IsTrue(r);
    Py_DECREF(r);
    return yes;
}

/* add_names: append the names of tuple `t` not yet in names[0:*n]. */
static void
add_names(PyObject **names, Py_ssize_t *n, PyObject *t)
{
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(t); i++) {
        PyObject *s = PyTuple_GET_ITEM(t, i);
        int dup = 0;
        for (Py_ssize_t j = 0; j < *n && !dup; j++)
            dup = PyUnicode_Compare(names[j], s) == 0;
        if (!dup)
            names[(*n)++] = s;
    }
}

/* signature_order: co_varnames lists positional parameters, keyword-only
   ones, then *args: move *args before the keyword-only ones. */
static void
signature_order(PyObject **names, long argc, long kwc)
{
    PyObject *star = names[argc + kwc];
    memmove(names + argc + 1, names + argc, kwc * sizeof *names);
    names[argc] = star;
}

/* describe: fill the names, ids and FunctionDef of a recorded code object,
   reading its public attributes once. The name strings are borrowed: the
   code object's own name table keeps them alive as long as the code lives. */
static int
describe(ct_code *cc, PyObject *code, ct_chunk *c)
{
    PyObject *tuples[3] = {
        PyObject_GetAttrString(code, "co_varnames"),
        PyObject_GetAttrString(code, "co_cellvars"),
        PyObject_GetAttrString(code, "co_freevars"),
    };
    PyObject *file = PyObject_GetAttrString(code, "co_filename");
    PyObject *qual = PyObject_GetAttrString(code, "co_qualname");
    long flags = attr_int(code, "co_flags");
    long argc = attr_int(code, "co_argcount");
    long kwc = attr_int(code, "co_kwonlyargcount");
    long first = attr_int(code, "co_firstlineno");
    int rc = -1;
    if (PyErr_Occurred() || !PyUnicode_Check(file) || !PyUnicode_Check(qual))
        goto done;
    cc->optimized = (flags & CO_OPTIMIZED) != 0;
    cc->nargs = (int)(argc + kwc + ((flags & CO_VARARGS) != 0) + ((flags & CO_VARKEYWORDS) != 0));
    Py_ssize_t total = 0;
    for (int i = 0; i < 3; i++) {
        if (!PyTuple_Check(tuples[i]))
            goto done;
        total += PyTuple_GET_SIZE(tuples[i]);
    }
    free(cc->names);
    free(cc->name_ids);
    free(cc->slots);
    free(cc->hides);
    cc->names = malloc((total + 1) * sizeof *cc->names);
    cc->name_ids = malloc((total + 1) * sizeof *cc->name_ids);
    cc->slots = malloc((total + 1) * sizeof *cc->slots);
    cc->hides = malloc(total + 1);
    if (cc->names == NULL || cc->name_ids == NULL || cc->slots == NULL || cc->hides == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    cc->nnames = 0;
    for (int i = 0; i < 3; i++)
        add_names(cc->names, &cc->nnames, tuples[i]);
    cc->has_cells = PyTuple_GET_SIZE(tuples[1]) + PyTuple_GET_SIZE(tuples[2]) > 0;
    if ((flags & CO_VARARGS) && cc->optimized)
        signature_order(cc->names, argc, kwc);
    cc->all_slots = cc->optimized;
    for (Py_ssize_t i = 0; i < cc->nnames; i++) {
        if ((cc->name_ids[i] = cti_name(c, cc->names[i])) == CTI_NONE)
            goto done;
        cc->slots[i] = cc->optimized ? ctf_slot(code, cc->names[i]) : -1;
        cc->all_slots &= cc->slots[i] >= 0;
        cc->hides[i] = (uint8_t)ctx_hides(cc->names[i]);
    }
    cc->qok = cc->nnames <= 64;
    memset(cc->qname, -1, sizeof cc->qname);
    cc->qalways = 0;
    for (Py_ssize_t i = 0; cc->qok && i < cc->nnames; i++) {
        if (cc->slots[i] >= 0 && cc->slots[i] < 63)
            cc->qname[cc->slots[i]] = (int8_t)i;
        else
            cc->qalways |= 1ull << i;
    }
    uint32_t path = cti_path(c, file);
    if (path == CTI_NONE)
        goto done;
    Py_ssize_t qlen;
    PyObject *tmp;
    const char *q = cti_utf8(qual, &qlen, &tmp);
    if (q == NULL)
        goto done;
    cc->fn = S.next_fn++;
    ctr_emit_FunctionDef(c, cc->fn, path, (int32_t)first, q, (uint32_t)qlen);
    Py_XDECREF(tmp);
    rc = 0;
done:
    for (int i = 0; i < 3; i++)
        Py_XDECREF(tuples[i]);
    Py_XDECREF(file);
    Py_XDECREF(qual);
    return rc;
}

/* enable: give a code object local events: a recorded one this
   recording's (S.local_mask), one not recorded that has an impure opcode
   S.unseen_mask. */
static int
enable(PyObject *code, uint32_t mask)
{
    if (mask == 0)
        return 0;
    PyObject *args[3] = { NULL, code, NULL };
    args[0] = PyLong_FromLong(S.tool);
    args[2] = PyLong_FromUnsignedLong(mask);
    PyObject *r = NULL;
    if (args[0] != NULL && args[2] != NULL)
        r = PyObject_Vectorcall(S.set_local_events, args, 3, NULL);
    Py_XDECREF(args[0]);
    Py_XDECREF(args[2]);
    if (r == NULL)
        return -1;
    Py_DECREF(r);
    return PyList_Append(S.enabled_codes, code);
}

static int code_impure(PyObject *code);

ct_code *
ctc_code_init(PyObject *code, PyFrameObject *frame, ct_chunk *c)
{
    /* Decide first: the selector is Python code and may let other threads
       run, and they may meet this code object meanwhile; the entry becomes
       current for this recording only once it is complete. They may also
       stop the recording meanwhile (a SIGTERM's thread, the program's own
       stop()): then nothing of it is left to use (S is cleared, the chunk
       reset), and the event is not recorded. */
    uint64_t generation = S.generation;
    int yes = selected(code, frame);
    if (S.selector == NULL || S.generation != generation) {
        PyErr_Clear();
        return NULL;   /* no exception: not a failure */
    }
    if (yes < 0)
        return NULL;
    void *extra = NULL;
    if (PyUnstable_Code_GetExtra(code, ctc_extra_index, &extra) < 0)
        return NULL;
    ct_code *cc = extra;
    if (cc != NULL && cc->generation == S.generation)
        return cc;   /* another thread finished it while we decided */
    if (cc == NULL) {
        cc = calloc(1, sizeof *cc);
        if (cc == NULL) {
            PyErr_NoMemory();
            return NULL;
        }
        if (PyUnstable_Code_SetExtra(code, ctc_extra_index, cc) < 0) {
            free(cc);
            return NULL;
        }
    }
    cc->recorded = (uint8_t)yes;
    cc->code = code;
    cc->impure_any = !yes && S.unseen && code_impure(code);
    if (yes && (describe(cc, code, c) < 0 || enable(code, S.local_mask) < 0)) {
        cc->recorded = 0;
        return NULL;
    }
    if (cc->impure_any && enable(code, S.unseen_mask) < 0)
        return NULL;
    cc->generation = S.generation;
    return cc;
}

/* line_range: read one (start, end, line) tuple of co_lines(). */
static int
line_range(PyObject *t, long *start, long *end, long *line)
{
    if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) != 3)
        return -1;
    *start = PyLong_AsLong(PyTuple_GET_ITEM(t, 0));
    *end = PyLong_AsLong(PyTuple_GET_ITEM(t, 1));
    PyObject *l = PyTuple_GET_ITEM(t, 2);
    *line = l == Py_None ? -1 : PyLong_AsLong(l);
    return PyErr_Occurred() ? -1 : 0;
}

int
ctc_lines(ct_code *cc)
{
    PyObject *ranges = PyObject_CallMethod(cc->code, "co_lines", NULL);
    PyObject *list = ranges ? PySequence_List(ranges) : NULL;
    Py_XDECREF(ranges);
    if (list == NULL)
        return -1;
    long start, end, line, units = 0;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(list); i++) {
        if (line_range(PyList_GET_ITEM(list, i), &start, &end, &line) < 0)
            goto bad;
        if (end / 2 > units)
            units = end / 2;
    }
    cc->lines = malloc((units + 1) * sizeof *cc->lines);
    if (cc->lines == NULL) {
        Py_DECREF(list);
        PyErr_NoMemory();
        return -1;
    }
    for (long u = 0; u <= units; u++)
        cc->lines[u] = -1;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(list); i++) {
        line_range(PyList_GET_ITEM(list, i), &start, &end, &line);
        for (long u = start / 2; u < end / 2 && u < units; u++)
            cc->lines[u] = (int32_t)line;
    }
    for (long u = units - 2; u >= 0; u--)   /* no line (handler entries): the next one's */
        if (cc->lines[u] < 0)
            cc->lines[u] = cc->lines[u + 1];
    cc->nlines = units;
    Py_DECREF(list);
    return 0;
bad:
    Py_DECREF(list);
    if (!PyErr_Occurred())
        PyErr_SetString(PyExc_ValueError, "unexpected co_lines() entry");
    return -1;
}

int
ctc_start(uint64_t generation, PyObject *selector, int tool, uint32_t local_mask,
          int unseen, uint32_t unseen_mask, PyObject *set_local_events)
{
    S.enabled_codes = PyList_New(0);
    if (S.enabled_codes == NULL)
        return -1;
    S.generation = generation;
    S.selector = Py_NewRef(selector);
    S.tool = tool;
    S.local_mask = local_mask;
    S.unseen = unseen;
    S.unseen_mask = unseen_mask;
    S.set_local_events = Py_NewRef(set_local_events);
    S.next_fn = 0;
    ctc_last_code = NULL;   /* (of an earlier recording) */
    ctc_last_cc = NULL;
    memset(ctc_cache, 0, sizeof ctc_cache);
    memset(ctc_unseen, 0, sizeof ctc_unseen);
    return 0;
}

int
ctc_started(void)
{
    return S.enabled_codes != NULL;
}

int
ctc_unmonitor(void)
{
    PyObject *exc = NULL;   /* the first failure's */
    PyObject *off = PyLong_FromLong(0), *tool = PyLong_FromLong(S.tool);
    for (Py_ssize_t i = 0; off && tool && S.enabled_codes && i < PyList_GET_SIZE(S.enabled_codes); i++) {
        PyObject *args[3] = { tool, PyList_GET_ITEM(S.enabled_codes, i), off };
        PyObject *r = PyObject_Vectorcall(S.set_local_events, args, 3, NULL);
        if (r == NULL && exc == NULL)
            exc = PyErr_GetRaisedException();
        PyErr_Clear();
        Py_XDECREF(r);
    }
    if (off == NULL || tool == NULL)
        exc = PyErr_GetRaisedException();
    Py_XDECREF(off);
    Py_XDECREF(tool);
    if (exc == NULL)
        return 0;
    PyErr_SetRaisedException(exc);
    return -1;
}

void
ctc_clear(void)
{
    Py_CLEAR(S.selector);
    Py_CLEAR(S.set_local_events);
    Py_CLEAR(S.enabled_codes);
}

/* ---- the pure-line epoch (docs/design.md, "The pure-line epoch") ---- */
#include <opcode.h>

/* op_impure: opcode op (deoptimized, with its argument) may change an
   object no watcher tells of, or run code that changes one with no event
   of its own. The list is of the opcodes known not to: any other, and any
   opcode a later CPython adds, is impure. Those listed may still run
   Python code (a property's getter, a dunder, a finalizer at a death):
   that code's events tell of it (a PY_START: ctc_code_init keeps it on
   code not recorded). C code they run is taken not to change an object,
   but for CPython's own exceptions, wrapped while recording (unseen.c:
   defaultdict's __missing__, weak references' callbacks). */
static int
op_impure(int op, int arg)
{
    switch (op) {
    case NOP: case RESUME: case CACHE: case EXTENDED_ARG: case INTERPRETER_EXIT:
    case POP_TOP: case PUSH_NULL: case COPY: case SWAP: case END_FOR: case END_SEND:
    case LOAD_CONST: case LOAD_FAST: case LOAD_FAST_CHECK: case LOAD_FAST_AND_CLEAR:
    case LOAD_GLOBAL: case LOAD_DEREF: case LOAD_ATTR:
    case STORE_FAST: case DELETE_FAST:
    case UNARY_NEGATIVE: case UNARY_NOT: case UNARY_INVERT:
    case BINARY_SLICE: case COMPARE_OP: case IS_OP:
    case BUILD_TUPLE: case BUILD_LIST: case BUILD_SET: case BUILD_MAP: case BUILD_STRING:
    case BUILD_SLICE: case LIST_APPEND: case SET_ADD: case MAP_ADD:
    case MAKE_FUNCTION: case MAKE_CELL: case COPY_FREE_VARS: case RETURN_GENERATOR:
    case JUMP_FORWARD: case JUMP_BACKWARD: case JUMP_BACKWARD_NO_INTERRUPT:
    case POP_JUMP_IF_FALSE: case POP_JUMP_IF_TRUE: case POP_JUMP_IF_NONE: case POP_JUMP_IF_NOT_NONE:
    case RETURN_VALUE: case PUSH_EXC_INFO: case POP_EXCEPT: case CHECK_EXC_MATCH:
    case GET_LEN: case MATCH_MAPPING: case MATCH_SEQUENCE:
#ifdef BUILD_CONST_KEY_MAP
    case BUILD_CONST_KEY_MAP:
#endif
#ifdef BINARY_SUBSCR
    case BINARY_SUBSCR:
#endif
#ifdef RETURN_CONST
    case RETURN_CONST:
#endif
#ifdef FORMAT_VALUE
    case FORMAT_VALUE:
#endif
#ifdef KW_NAMES
    case KW_NAMES:
#endif
#ifdef LOAD_CLOSURE
    case LOAD_CLOSURE:
#endif
#ifdef LOAD_ASSERTION_ERROR
    case LOAD_ASSERTION_ERROR:
#endif
#ifdef TO_BOOL
    case TO_BOOL: case FORMAT_SIMPLE: case FORMAT_WITH_SPEC: case CONVERT_VALUE:
    case LOAD_FAST_LOAD_FAST: case STORE_FAST_LOAD_FAST: case STORE_FAST_STORE_FAST:
    case SET_FUNCTION_ATTRIBUTE:
#endif
#ifdef LOAD_SMALL_INT
    case LOAD_SMALL_INT: case LOAD_COMMON_CONSTANT: case NOT_TAKEN: case POP_ITER:
    case LOAD_FAST_BORROW: case LOAD_FAST_BORROW_LOAD_FAST_BORROW:
#endif
        return 0;
    case BINARY_OP:
        return arg >= 13 && arg <= 25;   /* NB_INPLACE_ADD .. NB_INPLACE_XOR (3.14's
                                            NB_SUBSCR, 26, is a subscript) */
    default:
        return 1;
    }
}

/* op_call: opcode op is a call (not CALL_FUNCTION_EX, whose unpacking of
   *args and **kwargs iterates and reads mappings before the call) */
static int
op_call(int op)
{
#ifdef CALL_KW
    if (op == CALL_KW)
        return 1;
#endif
    return op == CALL;
}

/* unit_op: the opcode of code unit u of bytecode b and, in *arg, its
   argument with the EXTENDED_ARG prefixes before it (*ext carries them:
   0 at the start) */
static inline int
unit_op(const uint8_t *b, Py_ssize_t u, int *ext, int *arg)
{
    int op = b[2 * u];
    *arg = b[2 * u + 1] | *ext;
    *ext = op == EXTENDED_ARG ? *arg << 8 : 0;
    return op;
}

/* op_rebinds: the frame slots opcode op with argument arg rebinds, as a mask
   (bit s: slot s; bit 63: any slot from 63 on). Only opcodes op_impure
   passes need to be here: a line with another is impure, and after it
   every slot is read again. */
static uint64_t
slot_bit(int s)
{
    return s >= 63 ? 1ull << 63 : 1ull << s;
}

static uint64_t
op_rebinds(int op, int arg)
{
    switch (op) {
    case STORE_FAST: case DELETE_FAST: case LOAD_FAST_AND_CLEAR:
        return slot_bit(arg);
#ifdef STORE_FAST_STORE_FAST
    case STORE_FAST_STORE_FAST:
        return slot_bit(arg >> 4) | slot_bit(arg & 15);
    case STORE_FAST_LOAD_FAST:
        return slot_bit(arg >> 4);
#endif
    default:
        return 0;
    }
}

/* ---- lines that change one object (docs/design.md) ----

   line_targets: for each impure line of cc whose every impure opcode is an
   in-place operator, a subscript store or delete, an `in` test or a call
   of a list's or a set's method (lt_methods) of the kinds CTC_L_TARGET
   names, that flag, its lneed, lcont and ltarget. A
   line's code runs are simulated one after another (a fresh stack each:
   what is below is unknown), each
   stack value tagged with what is known of it: the value a slot held at the
   Step before the line (a slot not stored earlier in the line), an atom when
   some slots held atoms then, or an item of a slot's object. Any opcode not
   known here (a call, a build, anything a later CPython adds) leaves the
   line as it was; so does a jump back into the line itself (a loop within
   it would run its opcodes again with no Step between). */
enum { TAG_UNK, TAG_FAST, TAG_ATOM, TAG_ITEM, TAG_METH };
/* (TAG_METH: a method of slot `slot`'s object, lt_methods[need], as LOAD_ATTR
   pushes it for a call, below the object itself) */
typedef struct { uint8_t kind; int16_t slot; uint64_t need; } lt_tag;
typedef struct {
    uint64_t stored;    /* slots stored so far in the line */
    uint64_t need;      /* slots that must hold atoms */
    uint64_t cont;      /* slots that must hold exact built-in containers (`in`) */
    int16_t target;     /* the slot whose object subscript stores change, -1: none yet */
    uint8_t items;      /* an in-place operator on an item of the target */
    uint8_t subscr;     /* a subscript store into the target was met (its items may not be atoms after) */
    uint8_t grown;      /* a method call put an item into the target (its items may not be atoms after) */
    uint8_t no;         /* not such a line */
} lt_line;

/* The methods of exact lists and sets a target line may call on the target
   (LOAD_ATTR of the name on a slot's object, then CALL with nmin to nmax
   positional arguments; a keyword or a star argument is another opcode).
   The name finds the same method on every exact list, and on every exact
   set (a built-in type's dict cannot be changed, and its instances have
   none), or none (AttributeError, nothing changed): each changes that
   object alone. The arguments in `atoms` (bit k: argument k) must be
   atoms, as an index or an element hashed (set.add's hash of an atom runs
   no code); an element compared with others may run their `__eq__`, as an
   `in` test does (Python code shows itself by its events); an item dropped
   may run its finalizer, as a subscript store's does. `grows`: it puts an
   item that may be any object into a list (a later in-place operator on an
   item of the line is then not taken for one on an atom). `none`: it
   returns None (an atom). */
typedef struct {
    const char *name;
    uint8_t nmin, nmax, atoms, grows, none;
} lt_method;
static const lt_method lt_methods[] = {   /* (list's, set's or both's) */
    { "append",  1, 1, 0, 1, 1 },
    { "insert",  2, 2, 1, 1, 1 },
    { "pop",     0, 1, 1, 0, 0 },
    { "remove",  1, 1, 1, 0, 1 },
    { "clear",   0, 0, 0, 0, 1 },
    { "reverse", 0, 0, 0, 0, 1 },
    { "add",     1, 1, 1, 0, 1 },
    { "discard", 1, 1, 1, 0, 1 },
};
#define LT_NMETHODS ((int)(sizeof lt_methods / sizeof lt_methods[0]))

/* lt_method_of: the index in lt_methods of the name at co_names[i], -1:
   none */
static int
lt_method_of(PyObject *names, int i)
{
    if (names == NULL || i < 0 || i >= PyTuple_GET_SIZE(names))
        return -1;
    PyObject *name = PyTuple_GET_ITEM(names, i);
    if (!PyUnicode_CheckExact(name))
        return -1;
    for (int k = 0; k < LT_NMETHODS; k++)
        if (PyUnicode_CompareWithASCIIString(name, lt_methods[k].name) == 0)
            return k;
    return -1;
}

#define LT_DEPTH 32
#define LT_UNK ((lt_tag){ TAG_UNK, -1, 0 })   /* nothing known */

static inline lt_tag
lt_pop(lt_tag *st, int *d)
{
    return *d > 0 ? st[--*d] : LT_UNK;
}

static inline void
lt_push(lt_line *L, lt_tag *st, int *d, lt_tag t)
{
    if (*d == LT_DEPTH)
        L->no = 1;
    else
        st[(*d)++] = t;
}

/* lt_fast: what LOAD_FAST s pushes (unknown once the line stored s) */
static inline lt_tag
lt_fast(const lt_line *L, int s)
{
    if (s >= 63 || (L->stored & (1ull << s)))
        return LT_UNK;
    return (lt_tag){ TAG_FAST, (int16_t)s, 0 };
}

/* lt_atomic: t is an atom when *need's slots hold atoms (added to *need) */
static inline int
lt_atomic(lt_tag t, uint64_t *need)
{
    if (t.kind == TAG_FAST)
        *need |= 1ull << t.slot;
    else if (t.kind == TAG_ATOM)
        *need |= t.need;
    else
        return 0;
    return 1;
}

static inline void
lt_store(lt_line *L, int s)
{
    L->stored |= slot_bit(s);
}

/* lt_subscr_store: a subscript store or delete into c keyed by k */
static void
lt_subscr_store(lt_line *L, lt_tag c, lt_tag k)
{
    uint64_t need = 0;
    if (c.kind != TAG_FAST || !lt_atomic(k, &need) || (L->target >= 0 && L->target != c.slot)) {
        L->no = 1;
        return;
    }
    L->target = c.slot;
    L->need |= need;
    L->subscr = 1;
}

/* lt_call: CALL of n positional arguments (args), callable m and self s
   as LOAD_ATTR of a method pushed them: a method of lt_methods on the
   object of a slot; what it pushes */
static lt_tag
lt_call(lt_line *L, lt_tag m, lt_tag s, const lt_tag *args, int n)
{
    if (m.kind != TAG_METH || s.kind != TAG_FAST || s.slot != m.slot) {
        L->no = 1;
        return LT_UNK;
    }
    const lt_method *x = &lt_methods[m.need];
    uint64_t need = 0;
    if (n < x->nmin || n > x->nmax || (L->target >= 0 && L->target != s.slot)) {
        L->no = 1;
        return LT_UNK;
    }
    for (int k = 0; k < n; k++)
        if (((x->atoms >> k) & 1) && !lt_atomic(args[k], &need)) {
            L->no = 1;
            return LT_UNK;
        }
    L->target = s.slot;
    L->need |= need;
    if (x->grows)
        L->grown = 1;
    return x->none ? (lt_tag){ TAG_ATOM, -1, 0 } : LT_UNK;
}

/* lt_op: one opcode of a run of line L (stack st, depth *d); consts, names:
   the code object's constants and names */
static void
lt_op(lt_line *L, lt_tag *st, int *d, int op, int arg, PyObject *consts, PyObject *names)
{
    lt_tag a, b;
    uint64_t need;
    switch (op) {
    case NOP: case CACHE: case EXTENDED_ARG: case RESUME:
#ifdef NOT_TAKEN
    case NOT_TAKEN:
#endif
        return;
    case POP_TOP:
        lt_pop(st, d);
        return;
    case PUSH_NULL: case LOAD_DEREF:
        lt_push(L, st, d, LT_UNK);
        return;
    case LOAD_CONST: {
        PyObject *k = arg < PyTuple_GET_SIZE(consts) ? PyTuple_GET_ITEM(consts, arg) : NULL;
        lt_push(L, st, d, (lt_tag){ k != NULL && ctv_atom(k) ? TAG_ATOM : TAG_UNK, -1, 0 });
        return;
    }
#ifdef LOAD_SMALL_INT
    case LOAD_SMALL_INT:
        lt_push(L, st, d, (lt_tag){ TAG_ATOM, -1, 0 });
        return;
    case LOAD_FAST_BORROW:
#endif
    case LOAD_FAST: case LOAD_FAST_CHECK:
        lt_push(L, st, d, lt_fast(L, arg));
        return;
#ifdef LOAD_FAST_LOAD_FAST
#ifdef LOAD_FAST_BORROW_LOAD_FAST_BORROW
    case LOAD_FAST_BORROW_LOAD_FAST_BORROW:
#endif
    case LOAD_FAST_LOAD_FAST:
        lt_push(L, st, d, lt_fast(L, arg >> 4));
        lt_push(L, st, d, lt_fast(L, arg & 15));
        return;
    case STORE_FAST_LOAD_FAST:
        lt_pop(st, d);
        lt_store(L, arg >> 4);
        lt_push(L, st, d, lt_fast(L, arg & 15));
        return;
    case STORE_FAST_STORE_FAST:
        lt_pop(st, d);
        lt_store(L, arg >> 4);
        lt_pop(st, d);
        lt_store(L, arg & 15);
        return;
#endif
    case STORE_FAST:
        lt_pop(st, d);
        lt_store(L, arg);
        return;
    case LOAD_GLOBAL:   /* (3.12+: the low bit pushes a NULL too) */
        lt_push(L, st, d, LT_UNK);
        if (arg & 1)
            lt_push(L, st, d, LT_UNK);
        return;
    case LOAD_ATTR:   /* (the low bit: a method, for a call: the method, then self, for CALL; 3.12 to
                         3.15) */
        if (arg & 1) {
            a = lt_pop(st, d);
            int k = a.kind == TAG_FAST ? lt_method_of(names, arg >> 1) : -1;
            if (k < 0)
                break;
            lt_push(L, st, d, (lt_tag){ TAG_METH, a.slot, (uint64_t)k });
            lt_push(L, st, d, a);
            return;
        }
        lt_pop(st, d);
        lt_push(L, st, d, LT_UNK);
        return;
    case CALL: {   /* callable, self, then arg positional arguments (3.12 to 3.15) */
        lt_tag args[2];
        if (arg > 2 || *d < arg + 2)
            break;
        for (int k = arg - 1; k >= 0; k--)
            args[k] = lt_pop(st, d);
        b = lt_pop(st, d);
        a = lt_pop(st, d);
        lt_push(L, st, d, lt_call(L, a, b, args, arg));
        return;
    }
    case COPY:
        if (arg < 1 || arg > *d)
            break;
        lt_push(L, st, d, st[*d - arg]);
        return;
    case SWAP:
        if (arg < 2 || arg > *d)
            break;
        a = st[*d - 1];
        st[*d - 1] = st[*d - arg];
        st[*d - arg] = a;
        return;
    case UNARY_NEGATIVE: case UNARY_INVERT:
        a = lt_pop(st, d);
        need = 0;
        lt_push(L, st, d, lt_atomic(a, &need) ? (lt_tag){ TAG_ATOM, -1, need } : LT_UNK);
        return;
    case UNARY_NOT:   /* a bool */
#ifdef TO_BOOL
    case TO_BOOL:
#endif
        lt_pop(st, d);
        lt_push(L, st, d, (lt_tag){ TAG_ATOM, -1, 0 });
        return;
#ifdef BINARY_SUBSCR
    case BINARY_SUBSCR:
        b = lt_pop(st, d);
        a = lt_pop(st, d);
        goto subscript;
#endif
    case BINARY_OP:
        b = lt_pop(st, d);
        a = lt_pop(st, d);
        if (arg > 25)   /* 3.14's NB_SUBSCR (26) */
            goto subscript;
        if (arg >= 13) {   /* in place: its left operand an atom, or an item of the target */
            if (a.kind == TAG_ITEM) {
                if (L->target >= 0 && L->target != a.slot) {
                    L->no = 1;
                    return;
                }
                L->target = a.slot;
                L->items = 1;
            } else if (!lt_atomic(a, &L->need)) {
                L->no = 1;
                return;
            }
        }
        need = 0;
        lt_push(L, st, d, lt_atomic(a, &need) && lt_atomic(b, &need) ? (lt_tag){ TAG_ATOM, -1, need }
                                                                      : LT_UNK);
        return;
    subscript:   /* a of slot s, not stored into yet in the line: an item of it */
        lt_push(L, st, d, a.kind == TAG_FAST && !L->subscr && !L->grown ? (lt_tag){ TAG_ITEM, a.slot, 0 }
                                                                          : LT_UNK);
        return;
    case CONTAINS_OP:   /* TOS1 in TOS: of a slot's exact built-in container, a bool */
        b = lt_pop(st, d);
        lt_pop(st, d);
        if (b.kind != TAG_FAST)
            break;
        L->cont |= 1ull << b.slot;
        lt_push(L, st, d, (lt_tag){ TAG_ATOM, -1, 0 });
        return;
    case STORE_SUBSCR:   /* TOS1[TOS] = TOS2 */
        b = lt_pop(st, d);
        a = lt_pop(st, d);
        lt_pop(st, d);
        lt_subscr_store(L, a, b);
        return;
    case DELETE_SUBSCR:   /* del TOS1[TOS] */
        b = lt_pop(st, d);
        a = lt_pop(st, d);
        lt_subscr_store(L, a, b);
        return;
    case RETURN_VALUE:
        lt_pop(st, d);
        return;
#ifdef RETURN_CONST
    case RETURN_CONST:
        return;
#endif
    default:
        break;
    }
    L->no = 1;
}

/* lt_mark: units t and t+1 of `units` begin a run (a jump may land there:
   t, or the unit after it, FOR_ITER's when exhausted under 3.12 and 3.13) */
static void
lt_mark(uint8_t *reset, Py_ssize_t units, Py_ssize_t t)
{
    for (Py_ssize_t u = t; u <= t + 1; u++)
        if (u >= 0 && u < units)
            reset[u] = 1;
}

/* lt_varint: the exception table's 6-bit varint at *p (< end) */
static int
lt_varint(const uint8_t **p, const uint8_t *end, Py_ssize_t *v)
{
    Py_ssize_t x = 0;
    for (int i = 0; i < 6; i++) {
        if (*p >= end)
            return -1;
        uint8_t c = *(*p)++;
        x = (x << 6) | (c & 63);
        if (!(c & 64)) {
            *v = x;
            return 0;
        }
    }
    return -1;
}

/* jump_target: the unit jump opcode op (argument arg) at unit u lands on:
   the unit after it and its caches, plus arg, or minus it for a backward
   jump (dis's rule) */
static Py_ssize_t
jump_target(const uint8_t *b, Py_ssize_t units, Py_ssize_t u, int op, int arg)
{
    Py_ssize_t next = u + 1;
    while (next < units && b[2 * next] == CACHE)
        next++;
    int back = op == JUMP_BACKWARD || op == JUMP_BACKWARD_NO_INTERRUPT;
#ifdef JUMP_IF_FALSE   /* (3.14 on: END_ASYNC_FOR jumps back) */
    back = back || op == END_ASYNC_FOR;
#endif
    return back ? next - arg : next + arg;
}

/* lt_resets: per code unit, 1 where a jump or an exception handler may
   enter (the simulation's stack starts afresh there). A jump's target is
   the unit after it and its caches, plus its argument, or minus it for the
   backward jumps (dis's rule: it gives the targets dis gives for every jump
   of 400 standard library modules under 3.12, 3.13, 3.14 and 3.15). 0, or
   -1 (the table unread: no line flagged). */
static int
lt_resets(ct_code *cc, const uint8_t *b, Py_ssize_t units, uint8_t *reset)
{
    int ext = 0;
    for (Py_ssize_t u = 0; u < units; u++) {
        int arg, op = unit_op(b, u, &ext, &arg);
        switch (op) {
        case JUMP_FORWARD: case JUMP_BACKWARD: case JUMP_BACKWARD_NO_INTERRUPT:
        case POP_JUMP_IF_FALSE: case POP_JUMP_IF_TRUE: case POP_JUMP_IF_NONE: case POP_JUMP_IF_NOT_NONE:
        case FOR_ITER: case SEND:
#ifdef JUMP_IF_FALSE
        case JUMP_IF_FALSE: case JUMP_IF_TRUE: case END_ASYNC_FOR:
#endif
            lt_mark(reset, units, jump_target(b, units, u, op, arg));
            break;
        default:
            break;
        }
    }
    PyObject *table = ((PyCodeObject *)cc->code)->co_exceptiontable;
    if (table == NULL || !PyBytes_Check(table))
        return -1;
    const uint8_t *p = (const uint8_t *)PyBytes_AS_STRING(table), *end = p + PyBytes_GET_SIZE(table);
    while (p < end) {   /* entries of start, length, target, depth and lasti */
        Py_ssize_t start, len, target, dl;
        if (lt_varint(&p, end, &start) < 0 || lt_varint(&p, end, &len) < 0
                || lt_varint(&p, end, &target) < 0 || lt_varint(&p, end, &dl) < 0)
            return -1;
        lt_mark(reset, units, target);
    }
    return 0;
}

/* line_targets: (above) after ctc_purity's pass; b: the deoptimized
   bytecode of `units` code units. Under 3.12 to 3.15 only, whose jump
   opcodes lt_resets knows. -1 when out of memory or the exception table
   cannot be read (no line is flagged then). */
static int
line_targets(ct_code *cc, const uint8_t *b, Py_ssize_t units)
{
#if PY_VERSION_HEX >= 0x03100000
    (void)cc; (void)b; (void)units;
    return 0;
#else
    uint8_t *reset = calloc(units + 1, 1);
    if (reset == NULL || lt_resets(cc, b, units, reset) < 0) {
        free(reset);
        return -1;
    }
    int32_t n = cc->lcount, lo = cc->lfirst;
    lt_line *L = calloc(n, sizeof *L);
    cc->lneed = calloc(n, sizeof *cc->lneed);
    cc->lcont = calloc(n, sizeof *cc->lcont);
    cc->ltarget = malloc(n * sizeof *cc->ltarget);
    if (L == NULL || cc->lneed == NULL || cc->lcont == NULL || cc->ltarget == NULL) {
        free(reset); free(L); free(cc->lneed); free(cc->lcont); free(cc->ltarget);
        cc->lneed = NULL; cc->lcont = NULL; cc->ltarget = NULL;
        return -1;
    }
    for (int32_t i = 0; i < n; i++) {
        L[i].target = -1;
        L[i].no = !(cc->lflag[i] & CTC_L_IMPURE);   /* (a pure line stays pure) */
    }
    PyObject *consts = ((PyCodeObject *)cc->code)->co_consts, *names = ((PyCodeObject *)cc->code)->co_names;
    lt_tag st[LT_DEPTH];
    int d = 0, ext = 0;
    int32_t cur = -1;
    for (Py_ssize_t u = 0; u < units && u < cc->nlines; u++) {
        int arg, op = unit_op(b, u, &ext, &arg);
        int32_t l = cc->lines[u];
        if (l < 0) {   /* (harmless, ctc_purity found: it ends the run) */
            cur = -1;
            continue;
        }
        if (l != cur || reset[u]) {   /* a run of line l begins (or a jump may land here) */
            cur = l;
            d = 0;
        }
        lt_line *x = &L[l - lo];
        if (x->no || op == EXTENDED_ARG)
            continue;
        switch (op) {   /* jumps: none back into the line (a loop within it would run its
                           opcodes again with no Step between) */
        case JUMP_BACKWARD: case JUMP_BACKWARD_NO_INTERRUPT: {
            Py_ssize_t t = jump_target(b, units, u, op, arg);
            for (Py_ssize_t k = t - 1; k <= t + 1; k++)
                if (k < 0 || k >= cc->nlines || cc->lines[k] == l)
                    x->no = 1;
            d = 0;   /* (what follows is another path) */
            break;
        }
        case JUMP_FORWARD:
            d = 0;
            break;
        case POP_JUMP_IF_FALSE: case POP_JUMP_IF_TRUE: case POP_JUMP_IF_NONE: case POP_JUMP_IF_NOT_NONE:
            lt_pop(st, &d);
            break;
#ifdef JUMP_IF_FALSE
        case JUMP_IF_FALSE: case JUMP_IF_TRUE:   /* (3.14: the condition stays) */
            break;
#endif
        default:
            lt_op(x, st, &d, op, arg, consts, names);
        }
    }
    for (int32_t i = 0; i < n; i++) {
        cc->ltarget[i] = -1;
        const lt_line *x = &L[i];
        if (x->no || (x->need & (1ull << 63)) || (x->items && !x->subscr))
            continue;   /* (an in-place operator on an item stores it back: one without is not this) */
        cc->lflag[i] |= CTC_L_TARGET | (x->items ? CTC_L_ITEMS : 0);
        cc->lneed[i] = x->need;
        cc->lcont[i] = x->cont;
        cc->ltarget[i] = x->target;
    }
    free(L);
    free(reset);
    return 0;
#endif
}

/* ---- `for` lines (docs/design.md) ----

   for_lines: for each impure line of cc with a FOR_ITER, the run a LINE
   event at that FOR_ITER begins (the loop's next turn: the jump back lands
   there): the next item taken and stored in fast locals, unpacked into
   tuples or lists on the way (UNPACK_SEQUENCE: the shapes it needs are
   noted), and nothing else until another line, and whose exhausted path
   reaches a line start before any opcode but END_FOR and POP_ITER
   (for_end). Such a line is flagged CTC_L_FOR with that unit and those
   shapes. */

/* fp_tag: a stack value of that run: the next item's part at a path (depth
   0 to 3; idx: 1 + the index at each level), or unknown (depth -1) */
typedef struct { int8_t depth; uint8_t idx[3]; } fp_tag;

/* line_skipped: CPython's line instrumentation never makes such an opcode
   a line start, and keeps the line before it as its current line (Python/
   instrumentation.c, initialize_lines): 2 for END_FOR (3.12 on) and
   POP_ITER (3.14 on, where it exists), in every version; 1 for END_SEND,
   END_ASYNC_FOR and RESUME, skipped so from 3.13 on but not in 3.12 */
static int
line_skipped(int op)
{
    switch (op) {
    case END_FOR:
#ifdef POP_ITER
    case POP_ITER:
#endif
        return 2;
    case END_SEND: case END_ASYNC_FOR: case RESUME:
        return 1;
    default:
        return 0;
    }
}

/* line_start: unit v surely gets a LINE event when it runs: its line
   differs from the current line CPython's instrumentation had before it,
   the line of the first unit back that it does not skip (units of no line
   passed too: 3.13 takes their -1, later versions keep the line before),
   and from the lines of the units between that some version skips and
   another does not. A jump target may be a line start too; not counted
   here. */
static int
line_start(const ct_code *cc, const uint8_t *b, Py_ssize_t v)
{
    int32_t lv = cc->lines[v];
    if (lv < 0)
        return 0;
    for (Py_ssize_t w = v - 1; w >= 0; w--) {
        int op = b[2 * w], k = line_skipped(op);
        if (op == CACHE || k == 2 || cc->lines[w] < 0)
            continue;
        if (cc->lines[w] == lv)
            return 0;
        if (k == 0)
            return 1;
    }
    return 1;
}

/* for_end: the path a FOR_ITER that finds its iterator exhausted takes
   (from its target t: END_FOR, then POP_ITER, or 3.13's POP_TOP of the
   iterator in line l, which it skips) reaches a line start before any
   other opcode: 0, or -1. From 3.14 on the code after END_FOR and POP_ITER
   gets no LINE event when its line is that of the unit before them: a
   comprehension's stores after its loop run in its `for` line's Step. */
static int
for_end(const ct_code *cc, const uint8_t *b, Py_ssize_t units, Py_ssize_t t, int32_t l)
{
    for (Py_ssize_t v = t; v >= 0 && v < units && v < cc->nlines; v++) {
        int op = b[2 * v];
        if (op == CACHE || line_skipped(op) || (op == POP_TOP && cc->lines[v] == l))
            continue;   /* (an EXTENDED_ARG is an instruction of its own there: it may start a line) */
        return line_start(cc, b, v) ? 0 : -1;
    }
    return -1;
}

/* for_run: the run from FOR_ITER unit u of line l (above) into *F; 0, or
   -1 (not such a run) */
static int
for_run(const ct_code *cc, const uint8_t *b, Py_ssize_t units, Py_ssize_t u, int32_t l, ctc_for *F)
{
    fp_tag st[LT_DEPTH];
    int d = 0, ext = 0;
    F->unit = (int32_t)u;
    F->nchk = 0;
    st[d++] = (fp_tag){ 0, { 0, 0, 0 } };   /* the next item (the iterator below: not in st) */
    for (Py_ssize_t v = u + 1; v < units && v < cc->nlines && v - u < 256; v++) {
        int arg, op = unit_op(b, v, &ext, &arg);
        if (op == CACHE || op == EXTENDED_ARG)
            continue;
        if (cc->lines[v] < 0)
            return -1;
        if (cc->lines[v] != l)
            return 0;   /* another line: a Step */
        switch (op) {
        case NOP:
#ifdef NOT_TAKEN
        case NOT_TAKEN:
#endif
            break;
        case STORE_FAST:
            if (d < 1)
                return -1;
            d--;
            break;
#ifdef STORE_FAST_STORE_FAST
        case STORE_FAST_STORE_FAST:
            if (d < 2)
                return -1;
            d -= 2;
            break;
#endif
        case UNPACK_SEQUENCE: {
            if (d < 1 || arg < 1 || arg > 15 || F->nchk == CTC_FOR_CHECKS)
                return -1;
            fp_tag t = st[--d];
            if (t.depth < 0 || d + arg > LT_DEPTH)
                return -1;
            F->chk[F->nchk++] = CTC_FOR_CHK(arg, t.idx[0], t.idx[1], t.idx[2]);
            for (int k = arg - 1; k >= 0; k--) {   /* (item 0 on top) */
                fp_tag c = t;
                if (t.depth < 3) {
                    c.idx[t.depth] = (uint8_t)(k + 1);
                    c.depth = (int8_t)(t.depth + 1);
                } else {
                    c.depth = -1;
                }
                st[d++] = c;
            }
            break;
        }
        default:
            return -1;
        }
    }
    return -1;
}

/* for_lines: (above) after ctc_purity's pass and line_targets; b: the
   deoptimized bytecode of `units` code units. Under 3.12 to 3.15 only
   (frame.c reads the iterator on the stack for them). -1 when out of
   memory (no line flagged). */
static int
for_lines(ct_code *cc, const uint8_t *b, Py_ssize_t units)
{
#if PY_VERSION_HEX >= 0x03100000
    (void)cc; (void)b; (void)units;
    return 0;
#else
    int ext = 0;
    for (Py_ssize_t u = 0; u < units && u < cc->nlines; u++) {
        int arg, op = unit_op(b, u, &ext, &arg);
        int32_t l = cc->lines[u];
        if (op != FOR_ITER || l < 0)
            continue;
        int32_t i = l - cc->lfirst;
        if (!(cc->lflag[i] & CTC_L_IMPURE) || (cc->lflag[i] & (CTC_L_TARGET | CTC_L_FOR)))
            continue;
        ctc_for F;
        if (for_run(cc, b, units, u, l, &F) < 0
                || for_end(cc, b, units, jump_target(b, units, u, op, arg), l) < 0)
            continue;
        if (cc->lfor == NULL && (cc->lfor = calloc(cc->lcount, sizeof *cc->lfor)) == NULL)
            return -1;
        cc->lfor[i] = F;
        cc->lflag[i] |= CTC_L_FOR;
    }
    return 0;
#endif
}

/* INTRINSIC_STOPITERATION: CALL_INTRINSIC_1's argument that turns a
   StopIteration escaping a generator or coroutine into a RuntimeError
   (pycore_intrinsics.h, 3 under 3.12 to 3.15: dis names it so) */
#define INTRINSIC_STOPITERATION 3

/* unlined_harmless: an instruction with no line number (no Step before it,
   no line flag after it) that the epoch may ignore: one op_impure passes
   (a generator's POP_TOP after RETURN_GENERATOR under 3.12, the cleanup of
   a `try` or `with`: PUSH_EXC_INFO, COPY, POP_EXCEPT, and `except ... as
   e`'s STORE_FAST and DELETE_FAST of e, whose rebinds ctc_purity adds to
   every line's), RERAISE (it changes no object: the exception raised
   again, its traceback as it was; it leaves the frame, whose caller's line
   is impure, or enters a handler of the frame, whose first numbered
   instruction gets a LINE event: tests/test_recording.py,
   test_a_line_event_follows_code_without_a_line), or the handler every
   generator and coroutine ends with, CALL_INTRINSIC_1 of a StopIteration (a
   new RuntimeError made). Any other makes every line of the code object
   impure. */
static int
unlined_harmless(int op, int arg)
{
    return !op_impure(op, arg) || op == RERAISE || (op == CALL_INTRINSIC_1 && arg == INTRINSIC_STOPITERATION);
}

int
ctc_purity(ct_code *cc)
{
    if (cc->lcount != 0)
        return cc->lcount > 0 ? 0 : -1;
    cc->lcount = -1;
    if (cc->lines == NULL && ctc_lines(cc) < 0) {
        PyErr_Clear();
        return -1;
    }
    PyObject *bytes = PyCode_GetCode((PyCodeObject *)cc->code);
    if (bytes == NULL) {
        PyErr_Clear();
        return -1;
    }
    const uint8_t *b = (const uint8_t *)PyBytes_AS_STRING(bytes);
    Py_ssize_t units = PyBytes_GET_SIZE(bytes) / 2;
    int32_t lo = INT32_MAX, hi = -1;
    for (Py_ssize_t u = 0; u < units && u < cc->nlines; u++) {
        int32_t l = cc->lines[u];
        if (l >= 0 && l < lo) lo = l;
        if (l > hi) hi = l;
    }
    if (hi < 0) {
        Py_DECREF(bytes);
        return -1;
    }
    int32_t n = hi - lo + 1;
    cc->lflag = calloc(n, 1);
    cc->lrebind = calloc(n, sizeof *cc->lrebind);
    if (cc->lflag == NULL || cc->lrebind == NULL) {
        free(cc->lflag); free(cc->lrebind);
        cc->lflag = NULL; cc->lrebind = NULL;
        Py_DECREF(bytes);
        return -1;
    }
    /* per line: an impure opcode not a call, a jump back, its calls' units (more than
       CTC_CALLS: calls = CTC_CALLS + 1) */
    struct { int32_t unit[CTC_CALLS]; uint8_t other, back, calls; } *C = calloc(n, sizeof *C);
    if (C == NULL) {
        free(cc->lflag); free(cc->lrebind);
        cc->lflag = NULL; cc->lrebind = NULL;
        Py_DECREF(bytes);
        return -1;
    }
    int ext = 0, harmful = 0;
    uint64_t unlined_rebind = 0;
    for (Py_ssize_t u = 0; u < units; u++) {
        int arg, op = unit_op(b, u, &ext, &arg);
        if (op == EXTENDED_ARG || op == CACHE)
            continue;
        int32_t l = u < cc->nlines ? cc->lines[u] : -1;
        if (l < 0) {
            if (u < cc->nlines && unlined_harmless(op, arg)) {
                unlined_rebind |= op_rebinds(op, arg);   /* (may run after any line) */
            } else {   /* every line impure, rebinding all */
                memset(cc->lflag, CTC_L_IMPURE, n);
                unlined_rebind = ~0ull;
                harmful = 1;
            }
            continue;
        }
        if (op_impure(op, arg)) {
            cc->lflag[l - lo] |= CTC_L_IMPURE;
            if (!op_call(op))
                C[l - lo].other = 1;
            else if (C[l - lo].calls < CTC_CALLS)
                C[l - lo].unit[C[l - lo].calls++] = (int32_t)u;
            else
                C[l - lo].calls = CTC_CALLS + 1;
        }
        if (op == JUMP_BACKWARD || op == JUMP_BACKWARD_NO_INTERRUPT)
            C[l - lo].back = 1;
        cc->lrebind[l - lo] |= op_rebinds(op, arg);
    }
    for (int32_t i = 0; i < n && !harmful; i++) {
        if (!(cc->lflag[i] & CTC_L_IMPURE) || C[i].other || C[i].back || C[i].calls > CTC_CALLS)
            continue;
        if (cc->lcall == NULL && (cc->lcall = calloc(n, sizeof *cc->lcall)) == NULL)
            break;
        ctc_call *L = &cc->lcall[i];
        L->n = C[i].calls;
        for (int k = 0; k < L->n; k++) {
            int32_t last = C[i].unit[k];   /* (its caches: where 3.12's frame points during the call) */
            while (last + 1 < units && b[2 * (last + 1)] == CACHE)
                last++;
            L->unit[k] = C[i].unit[k];
            L->last[k] = last;
        }
        cc->lflag[i] |= CTC_L_CALLS;
    }
    free(C);
    for (int32_t i = 0; i < n; i++)
        cc->lrebind[i] |= unlined_rebind;
    cc->lfirst = lo;
    cc->lcount = n;
    if (!harmful) {   /* (out of memory: no line flagged) */
        (void)line_targets(cc, b, units);
        (void)for_lines(cc, b, units);
    }
    Py_DECREF(bytes);
    return 0;
}

static int
code_impure(PyObject *code)
{
    PyObject *bytes = PyCode_GetCode((PyCodeObject *)code);
    if (bytes == NULL) {
        PyErr_Clear();
        return 1;
    }
    const uint8_t *b = (const uint8_t *)PyBytes_AS_STRING(bytes);
    Py_ssize_t units = PyBytes_GET_SIZE(bytes) / 2;
    int ext = 0, impure = 0;
    for (Py_ssize_t u = 0; u < units && !impure; u++) {
        int arg, op = unit_op(b, u, &ext, &arg);
        impure = op_impure(op, arg);
    }
    Py_DECREF(bytes);
    return impure;
}
