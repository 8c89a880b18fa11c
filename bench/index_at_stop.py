"""Record with the CLI and print what stop spends on the index.

    PYTHONPATH=build python bench/index_at_stop.py -q -o /dev/shm/t bench/workloads/richards.py 1100

Wraps session._write_index (the index at stop) and session._finish (all of
stop after the recorder's own) with timers, then runs the CLI's main with
the arguments given; the figures go to stderr (bench/README.md, "Index at
stop, session 5")."""

import sys
import time

from ctgen_tracer import cli, session

write_index, finish = session._write_index, session._finish


def timed_write_index(d, stats, *args, **kw):
    t, c = time.perf_counter(), time.process_time()
    write_index(d, stats, *args, **kw)
    print("index at stop: %.3f s wall, %.3f s CPU (%s)" % (time.perf_counter() - t, time.process_time() - c,
                                                           stats.get("index_error")), file=sys.stderr)


def timed_finish(s, *args):
    t = time.perf_counter()
    r = finish(s, *args)
    print("stop (_finish): %.3f s wall" % (time.perf_counter() - t), file=sys.stderr)
    return r


session._write_index, session._finish = timed_write_index, timed_finish
sys.exit(cli.main(sys.argv[1:]))
