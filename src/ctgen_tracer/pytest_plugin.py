"""pytest plugin: record each test into its own ctgen-tracer trace.

    pytest --ctgen-record=DIR            # DIR/<test id>/ for every test
    pytest --ctgen-record-failed         # keep only the failing tests' traces
                                         # (in ctgen-traces/, or --ctgen-record=DIR)

Installed with the package (entry point `pytest11`), or loaded with
`-p ctgen_tracer.pytest_plugin`. A test's trace holds its setup, call and
teardown (fixtures included); the test's directory name is its node id with
every character other than letters, digits, `.`, `-` and `_` replaced by `_`.
Without these options the plugin only declares them: nothing is recorded,
sys.monitoring is not touched and nothing is printed.
"""

import hashlib
import os
import re
import shutil

import pytest

DEFAULT_DIR = "ctgen-traces"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_MAX_NAME = 200


def pytest_addoption(parser):
    group = parser.getgroup("ctgen-tracer", "record tests with ctgen-tracer")
    group.addoption("--ctgen-record", metavar="DIR", default=None,
                    help="record each test into its own trace DIR/<test id>/")
    group.addoption("--ctgen-record-failed", action="store_true", default=False,
                    help="keep only the traces of failing tests (in --ctgen-record DIR, "
                         "default %s)" % DEFAULT_DIR)
    group.addoption("--ctgen-compress", action="store_true", default=False,
                    help="compress the traces' chunks with zlib (see ctgen-tracer's --compress)")


def pytest_configure(config):
    out = config.getoption("ctgen_record")
    failed_only = config.getoption("ctgen_record_failed")
    if out is None and not failed_only:
        return
    if out is None:
        out = DEFAULT_DIR
    config.pluginmanager.register(_Recorder(os.path.abspath(out), failed_only,
                                            config.getoption("ctgen_compress")), "ctgen-recorder")


def trace_name(nodeid):
    """The directory name of a test's trace: its node id made file-safe."""
    name = _UNSAFE.sub("_", nodeid).strip(".") or "_"
    if len(name) > _MAX_NAME:   # file names are limited: keep the end, which names the test
        digest = hashlib.sha1(nodeid.encode("utf-8", "surrogatepass")).hexdigest()[:12]
        name = digest + "-" + name[-(_MAX_NAME - 13):]
    return name


class _Recorder:
    """Records one test at a time (setup, call, teardown)."""

    def __init__(self, out, failed_only, compress=False):
        self.out, self.failed_only, self.compress = out, failed_only, compress
        self.used = set()
        self.failed = False

    def _dir(self, nodeid):
        name = trace_name(nodeid)
        base, n = name, 1
        while name in self.used:   # two ids that read the same once made file-safe
            n += 1
            name = "%s-%d" % (base, n)
        self.used.add(name)
        return os.path.join(self.out, name)

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_protocol(self, item, nextitem):
        import ctgen_tracer
        d = self._dir(item.nodeid)
        self.failed = False
        started = False
        if not ctgen_tracer.recording_now():   # the test suite may record by itself
            try:
                os.makedirs(self.out, exist_ok=True)
                ctgen_tracer.start(d, force=True, program=item.nodeid, args=[],
                                   follow_children=True, compress=self.compress)
                started = True
            except (ctgen_tracer.TraceDirError, OSError, RuntimeError, ValueError) as e:
                item.warn(pytest.PytestWarning("ctgen-tracer: cannot record %s: %s" % (item.nodeid, e)))
        try:
            yield
        finally:
            if started and ctgen_tracer.recording_now():
                ctgen_tracer.stop(_ended="test " + ("failed" if self.failed else "passed"))
                if self.failed_only and not self.failed:
                    shutil.rmtree(d, ignore_errors=True)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        if report.failed:   # setup error, failing call, teardown error
            self.failed = True
