/* fake312.h -- a tiny stand-in for CPython 3.12's internal/pycore_instruments.h
   (tests/gen/errors/header_*.spec). Only the PY_MONITORING_EVENT_<NAME> <int>
   defines count; the other macros are there to be ignored. */
#ifndef FAKE_INSTRUMENTS_H
#define FAKE_INSTRUMENTS_H

#define PY_MONITORING_TOOL_IDS 8

/* Local events */
#define PY_MONITORING_EVENT_PY_START 0
#  define	PY_MONITORING_EVENT_BRANCH	8   /* tabs and a comment */

#define PY_MONITORING_IS_INSTRUMENTED_EVENT(ev) \
    ((ev) < _PY_MONITORING_LOCAL_EVENTS)
#define PY_MONITORING_EVENT_LIKE(ev) 3
#define _PY_MONITORING_LOCAL_EVENTS 10

#endif
