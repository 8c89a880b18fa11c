"""Run the unittest tests of one module and write their outcome as JSON.

    python tools/unittest_result.py RESULT.json test.test_json

tools/transparency.py runs this untraced and under `python -m ctgen_tracer`
and compares the two RESULT files. The tests' own output goes to stderr as
with `python -m unittest`. Exit status: 0 when the tests passed, 1 when not,
as `python -m unittest` does.
"""

import json
import sys
import unittest


def main():
    if len(sys.argv) != 3:
        print("usage: unittest_result.py RESULT.json MODULE", file=sys.stderr)
        return 2
    out, name = sys.argv[1], sys.argv[2]
    suite = unittest.defaultTestLoader.loadTestsFromName(name)
    runner = unittest.TextTestRunner(stream=sys.stderr, verbosity=0)
    result = runner.run(suite)
    ids = lambda pairs: sorted(t.id() for t, _ in pairs)
    outcome = {
        "module": name,
        "run": result.testsRun,
        "failures": ids(result.failures),
        "errors": ids(result.errors),
        "skipped": len(result.skipped),
        "expected_failures": len(result.expectedFailures),
        "unexpected_successes": sorted(t.id() for t in result.unexpectedSuccesses),
        "ok": result.wasSuccessful(),
    }
    with open(out, "w") as f:
        json.dump(outcome, f, indent=1)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
