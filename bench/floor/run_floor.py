#!/usr/bin/env python3
"""Run a script as __main__ with no-op C callbacks on ctgen-tracer's events.

    python bench/floor/run_floor.py [--mode global|local] [--events OPTS]
                                    [--event-names NAMES] [--module-dir DIR]
                                    script.py [args...]

The event list is ctgen_tracer.event_names(OPTS) (the spec's default events
plus the --events options, as this CPython numbers them), unless
--event-names gives PEP 669 names directly. Event numbers come from
sys.monitoring.events.

--mode global (the floor): every event is set globally with set_events and
    delivered to a callback that returns None, for all code.
--mode local: mirrors ctgen-tracer's selection: the discovering events
    (PY_START, PY_RESUME) and the exception events are global; the first
    PY_START/PY_RESUME of a code object in the script or under its directory
    (by co_filename, absolute or as given on the command line) turns on
    the other events for that code (set_local_events) and any other code gets
    DISABLE. The callbacks still do nothing.

_floor is looked up in --module-dir, then on sys.path, then in
build/bench/floor-X.Y (bench/floor/build.py builds it).
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from mainmod import install_main  # noqa: E402  (bench/mainmod.py)
del sys.path[0]

TOOL = 5
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))



def usage(msg):
    print("run_floor: " + msg, file=sys.stderr)
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    sys.exit(2)


def parse(argv):
    opts = {"mode": "global", "events": "", "event_names": None, "module_dir": None}
    i = 0
    while i < len(argv) and argv[i].startswith("--"):
        key = argv[i][2:].replace("-", "_")
        if key not in opts or i + 1 >= len(argv):
            usage("bad option %s" % argv[i])
        opts[key] = argv[i + 1]
        i += 2
    if i >= len(argv):
        usage("no script given")
    if opts["mode"] not in ("global", "local"):
        usage("--mode is global or local")
    return opts, argv[i], argv[i + 1:]


def event_table(opts):
    """[(name, group, discover)] of the events to deliver, with the group
    and discover flag the spec gives them (ctgen_tracer.EVENTS; importing it
    starts no recording, and happens before anything is timed)."""
    import ctgen_tracer
    if opts["event_names"]:
        names = {n.strip().upper() for n in opts["event_names"].split(",") if n.strip()}
    else:
        options = [o.strip() for o in opts["events"].split(",") if o.strip()]
        names = set(ctgen_tracer.event_names(options))
    requires = {e["name"]: e["requires"] for e in ctgen_tracer.EVENTS}
    for n in list(names):              # an ancillary event needs the one it requires
        if requires.get(n):
            names.add(requires[n])
    return [(e["name"], e["group"], e["discover"]) for e in ctgen_tracer.EVENTS
            if e["name"] in names and e["number"] >= 0]


def load_floor(module_dir):
    dirs = [module_dir] if module_dir else []
    dirs.append(os.path.join(ROOT, "build", "bench", "floor-%d.%d" % sys.version_info[:2]))
    try:
        import _floor
        return _floor
    except ImportError:
        pass
    for d in dirs:
        sys.path.insert(0, d)
        try:
            import _floor
            return _floor
        except ImportError:
            sys.path.pop(0)
    usage("cannot import _floor: build it with bench/floor/build.py --python %s" % sys.executable)


def user_prefixes(path):
    """co_filename prefixes of the script's own code (the script is compiled
    with the path as given; modules imported from its directory get absolute
    names through sys.path[0])."""
    prefixes = [os.path.dirname(os.path.abspath(path)) + os.sep, path]
    if os.path.dirname(path):
        prefixes.append(os.path.dirname(path) + os.sep)
    return tuple(prefixes)


def install(floor, table, mode, prefixes):
    mon = sys.monitoring
    mon.use_tool_id(TOOL, "ctgen-bench-floor")
    global_mask = local_mask = 0
    for name, group, discover in table:
        bit = getattr(mon.events, name)
        if mode == "global":
            global_mask |= bit
            mon.register_callback(TOOL, bit, floor.noop)
            continue
        if group == "exception" or discover:
            global_mask |= bit
        if group != "exception":
            local_mask |= bit
        mon.register_callback(TOOL, bit, floor.discover if discover else floor.noop)
    if mode == "local":
        floor.configure(TOOL, local_mask, prefixes)
    mon.set_events(TOOL, global_mask)


def run_main(path, args):
    """Run the script as __main__; print `bench-timed: exec=S compile=S` on
    stderr at the end (bench/run.py reads it, as for bench/timed.py)."""
    with open(path, "rb") as f:
        source = f.read()
    t0 = time.perf_counter()
    code = compile(source, path, "exec", dont_inherit=True)
    t1 = time.perf_counter()
    namespace = install_main(path, args)
    try:
        exec(code, namespace)
    finally:
        t2 = time.perf_counter()
        sys.stdout.flush()
        print("bench-timed: exec=%.9f compile=%.9f" % (t2 - t1, t1 - t0), file=sys.stderr, flush=True)


def main():
    opts, path, args = parse(sys.argv[1:])
    floor = load_floor(opts["module_dir"])
    table = event_table(opts)
    install(floor, table, opts["mode"], user_prefixes(path))
    try:
        run_main(path, args)
    finally:
        sys.monitoring.set_events(TOOL, 0)
        sys.monitoring.free_tool_id(TOOL)


if __name__ == "__main__":
    main()
