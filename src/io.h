/*
** io.h -- program output (cto_): the text the program writes to sys.stdout
** and sys.stderr, recorded as Output records (see io.c).
*/
#ifndef CT_IO_H
#define CT_IO_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* cto_install: hook the write of sys.stdout and sys.stderr; returns
   {"stdout": status, "stderr": status}, NULL with an error set. */
PyObject *cto_install(void);

/* cto_uninstall: remove the hooks that are still in place. */
void cto_uninstall(void);

#endif
