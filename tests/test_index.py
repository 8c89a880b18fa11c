"""Random access (index.py): every step read through the index, one chunk
decoded, is the step the forward reader rebuilds; the debugger's moves,
seeks to a call, a thread and a line, and a variable's changes land where a
forward walk over the whole trace says. Traces are recorded with small
chunks, so that activations, keyframes and seeks cross chunk boundaries."""

import collections
import json
import os
from pathlib import Path

import pytest

from conftest import PROGRAMS, record, record_killed, run
from test_signals import LOOP
from ctgen_tracer import reader
from ctgen_tracer.index import Index, Trace as IndexedTrace, build, file_form
from ctgen_tracer.tracedir import EVENTS_FILE, INDEX_FILE

SMALL = ("--chunk-bytes", "4096")


def reference(t):
    """[(thread, fid, line, depth, activation number, {name: rendering})] of
    every step, from the forward reader (Trace.timeline)."""
    out, stacks, acts = [], {}, 0
    for item in t.timeline(events=True):
        if type(item) is tuple:
            step, snap = item
            stack = stacks.get(step.thread, [])
            out.append((step.thread, step["fn"], step["line"], len(stack), stack[-1] if stack else None,
                        {k: v.render(10000) if v is not None else None for k, v in snap.items()}))
        elif isinstance(item, reader.Record):
            if item.kind in reader.OPENS:
                stacks.setdefault(item.thread, []).append(acts)
                acts += 1
            elif item.kind in reader.CLOSES and stacks.get(item.thread):
                stacks[item.thread].pop()
    return out


def recorded(tmp_path, program, *args, options=SMALL):
    d = tmp_path / "t"
    r = record(PROGRAMS / program, d, *args, options=options)
    assert r.returncode == 0, r.stderr
    return d


def fresh(d):
    """The trace at d with an index built now (none saved before)."""
    if (d / INDEX_FILE).exists():
        os.remove(d / INDEX_FILE)
    return IndexedTrace(d)


@pytest.mark.parametrize("program", ["threads.py", "generators.py", "recursion.py", "exceptions_flow.py",
                                     "closures.py", "front_removal.py", "replay_patch.py"])
def test_every_step_through_the_index_is_the_readers(tmp_path, program):
    d = recorded(tmp_path, program)
    ref = reference(reader.Trace(d))
    t = fresh(d)
    idx = t.index
    assert idx.steps == len(ref)
    assert len(idx.chunks) == t.chunk_count >= 2, "the program should fill several chunks"
    assert (d / INDEX_FILE).is_file(), "the index is saved next to the event file"
    order = list(range(len(ref)))
    order = order[::-1] + order[::7]          # backwards first: every chunk decoded alone
    for n in order:
        s = t.step(n)
        thread, fid, line, depth, act, snap = ref[n]
        assert (s.n, s.thread, s.fid, s.line, s.depth) == (n, thread, fid, line, depth)
        assert {k: v.render(10000) if v is not None else None for k, v in s.variables().items()} == snap
        if act is not None:
            assert s.act.id == act


def nxt(ref, n, forward, pred):
    rng = range(n + 1, len(ref)) if forward else range(n - 1, -1, -1)
    return next((i for i in rng if pred(ref[i])), None)


@pytest.mark.parametrize("program", ["threads.py", "recursion.py", "generators.py"])
def test_moves_land_where_a_forward_walk_says(tmp_path, program):
    d = recorded(tmp_path, program)
    ref = reference(reader.Trace(d))
    idx = fresh(d).index
    for n in range(0, len(ref), max(1, len(ref) // 150)):
        th, d0 = ref[n][0], ref[n][3]
        want = {
            "into": nxt(ref, n, True, lambda r: r[0] == th),
            "back_into": nxt(ref, n, False, lambda r: r[0] == th),
            "over": nxt(ref, n, True, lambda r: r[0] == th and r[3] <= d0),
            "back_over": nxt(ref, n, False, lambda r: r[0] == th and r[3] <= d0),
            "out": nxt(ref, n, True, lambda r: r[0] == th and r[3] < d0),
            "back_out": nxt(ref, n, False, lambda r: r[0] == th and r[3] < d0),
        }
        for how, target in want.items():
            assert idx.move(n, how) == target, (n, how)


def test_reverse_finish_lands_on_the_callers_step(tmp_path):
    d = recorded(tmp_path, "recursion.py")
    idx = fresh(d).index
    ref = reference(reader.Trace(d))
    deep = max(range(len(ref)), key=lambda i: ref[i][3])
    back = idx.move(deep, "back_out")
    s, caller = idx.step(deep), idx.step(back)
    assert caller.depth == s.depth - 1
    assert caller.act.id == s.stack[-2][0].id, "the step is the caller activation's"
    assert caller.n == s.stack[-2][1], "its latest step before the call"


def test_seek_call_thread_and_line(tmp_path):
    d = recorded(tmp_path, "recursion.py")
    t = reader.Trace(d)
    calls, first_step = {}, {}
    acts, n, pending = 0, 0, []
    for item in t.timeline(events=True):
        if type(item) is tuple:
            for a in pending:
                first_step.setdefault(a, n)
            pending = []
            n += 1
        elif isinstance(item, reader.Record) and item.kind == "Call":
            name = t.functions[item["fn"]].name
            calls.setdefault(name, []).append(acts)
            pending.append(acts)
        if isinstance(item, reader.Record) and item.kind in reader.OPENS:
            acts += 1
    idx = fresh(d).index
    name, acts_of = max(calls.items(), key=lambda kv: len(kv[1]))
    assert idx.calls(name) == len(acts_of) > 10
    for k in (0, 1, len(acts_of) // 2, len(acts_of) - 1):
        n = idx.seek_call(name, k)
        assert n == first_step.get(acts_of[k])
        assert idx.step(n).function.name == name
    assert idx.seek_call(name, len(acts_of)) is None
    t = fresh(d)         # index.Trace: the same through the trace
    assert t.seek_call(name, 1) == first_step.get(acts_of[1]) and t.step(t.seek_call(name, 1)).function.name == name
    ref = reference(reader.Trace(d))
    assert idx.seek_thread(ref[0][0], 0) == 0
    fid, line = ref[len(ref) // 2][1], ref[len(ref) // 2][2]
    path = t.functions[fid].path
    hits = [i for i, r in enumerate(ref) if r[1] in {f for f, fn in t.functions.items() if fn.path == path}
            and r[2] == line]
    assert idx.line_steps(path, line, 0, True) == next(i for i in hits if i > 0)
    assert idx.line_steps(path, line, len(ref) - 1, False) == next(i for i in reversed(hits) if i < len(ref) - 1)


LONG_ACTIVATION = '''\
def work(k):
    acc = []
    for j in range(60):
        acc.append(j * k)
    return len(acc)

def main():
    total = 0
    for i in range(40):
        work(i)
        if i % 10 == 9:
            total += 1
    return total

main()
'''


@pytest.mark.parametrize("program", ["basics.py", "long activation"])
def test_variable_changes(tmp_path, program):
    if program == "long activation":     # main's activation spans many chunks, its variables change rarely
        prog = tmp_path / "long.py"
        prog.write_text(LONG_ACTIVATION)
        d = tmp_path / "t"
        assert record(prog, d, options=SMALL).returncode == 0
    else:
        d = recorded(tmp_path, program)
    ref = reference(reader.Trace(d))
    idx = fresh(d).index
    assert program == "basics.py" or len(idx.chunks) > 10
    checked = 0
    of_act = {}
    for i, r in enumerate(ref):
        of_act.setdefault(r[4], []).append(i)
    changes = {}     # (activation, name) -> the steps where name changed (a forward walk)
    for act, same in of_act.items():
        for name in {k for i in same for k in ref[i][5]}:
            val = lambda i: ref[i][5].get(name, "<unbound>")  # noqa: E731
            changes[act, name] = [i for j, i in enumerate(same) if (j == 0 and name in ref[i][5])
                                  or (j > 0 and val(i) != val(same[j - 1]))]
    for n in range(0, len(ref), max(1, len(ref) // 200)):
        for name in ref[n][5]:
            ch = changes[ref[n][4], name]
            before = [i for i in ch if i < n]
            after = [i for i in ch if i > n]
            assert idx.var_change(n, name, False) == (before[-1] if before else None), (n, name)
            assert idx.var_change(n, name, True) == (after[0] if after else None), (n, name)
            checked += 1
    assert checked > 20


def test_a_stale_or_damaged_index_is_rebuilt(tmp_path):
    d = recorded(tmp_path, "recursion.py")
    steps = fresh(d).index.steps
    saved = json.loads((d / INDEX_FILE).read_text())
    assert saved["steps"] == steps
    # an index that does not match the event file (a trace cut by a crash: fewer chunks)
    events = d / "trace.ctgt"
    data = events.read_bytes()
    t = reader.Trace(d)
    cut = t.file.spans[len(t.file.spans) // 2][0] + 100
    events.write_bytes(data[:cut])
    t2 = IndexedTrace(d)
    assert t2.index.steps < steps
    assert t2.index.steps == len(reference(reader.Trace(d)))
    # garbage in the index file, or JSON of another shape: built again, not trusted
    good = json.loads((d / INDEX_FILE).read_text())
    assert good["version"] == 3 and len(good["states"]) == good["chunk_count"] > 1
    same = json.loads(json.dumps(good))
    for bad in ("{not json", "[]", json.dumps(dict(good, steps=good["steps"] + 1)),
                json.dumps(dict(good, states=good["states"][:-1])),         # one chunk's entry fewer
                json.dumps(dict(good, columns=good["columns"][:-4])),       # or its numbers cut
                json.dumps(dict(good, columns="*" + good["columns"][1:])),  # no base64
                json.dumps(dict(good, version=1))):
        (d / INDEX_FILE).write_text(bad)
        idx = IndexedTrace(d).index
        assert idx.steps == t2.index.steps
        assert [idx.step(n).line for n in range(idx.steps)] == [t2.index.step(n).line for n in range(idx.steps)]
        assert json.loads((d / INDEX_FILE).read_text()) == same, "saved again"
    # a chunk's state of another shape: read when its chunk is, and the seek says how to mend it
    wrong = json.dumps({"thread": 0, "stacks": {"0": [[0, 0]]}, "mind": {}}, separators=(",", ":"))
    (d / INDEX_FILE).write_text(json.dumps(dict(good, states=good["states"][:-1] + [wrong])))
    idx = IndexedTrace(d).index
    assert idx.step(0).line == t2.index.step(0).line
    with pytest.raises(reader.TraceError, match="entry of chunk %d is damaged: remove it to build it again"
                       % (good["chunk_count"] - 1)):
        idx.step(idx.steps - 1)
    # a read-only directory: built in memory, not saved
    os.remove(d / INDEX_FILE)
    os.chmod(d, 0o555)
    try:
        if not os.access(d, os.W_OK):     # (root writes anyway)
            assert Index.open(reader.Trace(d)).steps == t2.index.steps
            assert not (d / INDEX_FILE).exists()
    finally:
        os.chmod(d, 0o755)


def test_an_index_file_of_version_2_is_read_and_saved_as_3(tmp_path, monkeypatch):
    """An index file of version 2 (each chunk's entry a JSON object, in
    "chunks"), made for this event file, is read without a scan and saved
    again in the current form (version 3: columns and states), which the
    next open reads, entries made when read."""
    from ctgen_tracer import index
    d = recorded(tmp_path, "threads.py")
    want = build(reader.Trace(d))
    assert len(want["chunks"]) > 2
    (d / INDEX_FILE).write_text(json.dumps(dict(want, version=2), separators=(",", ":")))

    def scan(*args, **kwargs):
        raise AssertionError("scanned")
    monkeypatch.setattr(index, "build", scan)
    old = Index.open(reader.Trace(d))
    assert old.data["version"] == 2 and old.chunks == want["chunks"]
    assert json.loads((d / INDEX_FILE).read_text()) == file_form(want)
    new = Index.open(reader.Trace(d))
    assert type(new.chunks) is index._Chunks and new.chunks.made == [None] * len(want["chunks"])
    assert [new.step(n).line for n in range(new.steps)] == [old.step(n).line for n in range(old.steps)]
    assert new.chunks == want["chunks"] and new.data == dict(want, version=3)
    assert [new.time_of(n) for n in range(0, new.steps, 7)] == [old.time_of(n) for n in range(0, old.steps, 7)]


def test_recording_again_replaces_the_index(tmp_path):
    d = recorded(tmp_path, "recursion.py")
    old = json.loads((d / INDEX_FILE).read_text())
    r = record(PROGRAMS / "basics.py", d)
    assert r.returncode == 0, r.stderr
    new = json.loads((d / INDEX_FILE).read_text())
    assert new != old and new["events_size"] == (d / EVENTS_FILE).stat().st_size
    assert IndexedTrace(d).index.steps == len(reference(reader.Trace(d))) == new["steps"]



FORKED = """\
import os
def work(n):
    t = 0
    for i in range(n):
        t += i
    return t
work(300)
pid = os.fork()
if pid == 0:
    work(500)
    os._exit(0)
os.waitpid(pid, 0)
work(300)
"""


NO_SCAN = """\
import sys
from ctgen_tracer import index, cli
def no_scan(*args, **kw):
    raise AssertionError("the recorder scanned its event file for the index")
index.build = no_scan
sys.argv[0] = "ctgen_tracer"
sys.exit(cli.main(sys.argv[1:]))
"""


@pytest.mark.parametrize("program, options", [
    ("threads.py", SMALL), ("generators.py", SMALL), ("exceptions_flow.py", SMALL),
    ("recursion.py", SMALL + ("--compress",)), ("forked", SMALL),
    ("recursion.py", SMALL + ("--max-steps", "500"))])
def test_the_recorder_writes_the_index_a_reader_builds(tmp_path, program, options):
    """A finished recording (stop, a fork child's os._exit, a cap) leaves
    the index next to its event file, the very index a reader builds from
    the event file alone, and opening the trace loads it. The recorder does
    not scan its event file for it: its writer thread indexed each chunk as
    it wrote it (src/windex.c; the recording runs here with the scan made
    to fail, so the index exists only if the writer's was used)."""
    prog = PROGRAMS / program
    if program == "forked":
        prog = tmp_path / "prog.py"
        prog.write_text(FORKED)
    d = tmp_path / "t"
    r = run(["-c", NO_SCAN, "-q", "-o", d, *options, prog])
    assert r.returncode == 0, r.stderr
    dirs = [d] + sorted((d / "children").iterdir()) if (d / "children").is_dir() else [d]
    assert len(dirs) == (2 if program == "forked" else 1)
    for t in dirs:
        written = json.loads((t / INDEX_FILE).read_text())
        assert written == file_form(build(reader.Trace(t)))
        assert written["chunk_count"] >= 2 and written["steps"] > 0
        assert file_form(Index.load(reader.Trace(t))) == written, "a reader loads it rather than scanning"


ODD_NAMES = """\
import threading
class Tÿpe\U00010400:
    pass
def fünc\U00010428(n):
    s = Tÿpe\U00010400()
    for i in range(n):
        s.x = i
    return s
def work():
    for k in range(60):
        fünc\U00010428(k)
t = threading.Thread(target=work)
t.start()
work()
t.join()
"""


def test_the_recorders_index_file_is_the_scans_json_with_any_name(tmp_path):
    """The recorder writes the index file's JSON itself (src/windex.c): for
    paths and names with quotes, backslashes, control characters, accents
    and characters beyond the BMP, the file is byte for byte the JSON of
    the scan's index (json.dumps: ASCII, escaped)."""
    where = tmp_path / 'dé"jà\\ \t\U0001F600'
    where.mkdir()
    prog = where / "prög.py"
    prog.write_text(ODD_NAMES, encoding="utf-8")
    d = tmp_path / "t"
    r = run(["-c", NO_SCAN, "-q", "-o", d, *SMALL, "--no-values", prog])
    assert r.returncode == 0, r.stderr
    written = (d / INDEX_FILE).read_text(encoding="ascii")
    scanned = build(reader.Trace(d))
    assert written == json.dumps(file_form(scanned), separators=(",", ":")) + "\n"
    assert str(prog) in scanned["paths"].values()
    assert {f[0] for f in scanned["functions"].values()} >= {"Tÿpe\U00010400", "fünc\U00010428"}
    assert len(scanned["threads"]) == 2


def test_a_killed_recording_has_no_index_and_its_reader_builds_it(tmp_path):
    """A recording killed before stop writes no index; opening the trace
    builds it from what the event file holds (and saves it)."""
    prog = tmp_path / "prog.py"
    prog.write_text(LOOP)
    d = tmp_path / "t"
    record_killed(prog, d, 0.5, options=SMALL, min_bytes=16 * 4096)
    assert reader.Trace(d).finished is False
    assert not (d / INDEX_FILE).exists()
    t = IndexedTrace(d)
    assert t.index.steps == len(reference(reader.Trace(d))) > 0
    assert json.loads((d / INDEX_FILE).read_text()) == file_form(build(reader.Trace(d)))


PRINTING = '''\
def say(i):
    text = "line %d" % i
    print(text)
    return text

for i in range(400):
    say(i)
'''


def test_output_up_to_a_step(tmp_path):
    prog = tmp_path / "printing.py"
    prog.write_text(PRINTING)
    d = tmp_path / "t"
    assert record(prog, d, options=SMALL).returncode == 0
    t = reader.Trace(d)
    outs = [(o.step_index, o.stream, o.text) for o in t.outputs()]
    total = sum(len(o[2]) for o in outs)
    idx = fresh(d).index
    assert sum(e["out"] for e in idx.chunks) == total
    assert idx.chunks[-1]["out"] and idx.chunks[0]["out"], "output in several chunks"
    for n in range(0, idx.steps, 37):
        shown, earlier = idx.outputs_before(n, limit=10 ** 9, chunks=2)
        want = [o for o in outs if o[0] is not None and o[0] <= n]
        assert shown == want[len(want) - len(shown):]
        assert earlier + sum(len(o[2]) for o in shown) == sum(len(o[2]) for o in want)
        assert idx.outputs_before(n, limit=10 ** 9, chunks=10 ** 6) == (want, 0)


RETURNED = """
def make(n):
    xs = list(range(n))
    return xs

def grow(xs):
    xs.append(-1)
    return len(xs)

def main():
    for i in range(60):
        xs = make(3)
        xs.append(i)
        xs.append(i + 1)
        grow(xs)
        xs.clear()

main()
"""


def test_event_and_argument_values_are_as_at_the_record(tmp_path):
    """A Return or an Arg whose value refers to objects shows them as they
    were at that record, as the forward reader does, not as the records
    after it in the same chunk make them (make's list is appended to and
    cleared right after it returns; grow's argument is appended to)."""
    prog = tmp_path / "returned.py"
    prog.write_text(RETURNED)
    d = tmp_path / "t"
    r = record(prog, d, options=SMALL)
    assert r.returncode == 0, r.stderr
    t = reader.Trace(d)
    want = {"Return": [], "Arg": []}
    for rec in t.records():
        if rec.kind in want and rec.value("value") is not None and rec.value("value").kind == "List":
            want[rec.kind].append(rec.value("value").render(1000))
    assert want["Return"] == ["[0, 1, 2]"] * 60
    assert want["Arg"] == ["[0, 1, 2, %d, %d]" % (i, i + 1) for i in range(60)]
    it = fresh(d)
    got = {"Return": [], "Arg": []}
    seen = set()
    for n in range(it.index.steps):
        s = it.step(n)
        for rec in s.events:
            v = rec.value("value") if rec.kind == "Return" else None
            if v is not None and v.kind == "List":
                got["Return"].append(v.render(1000))
        args = it.index.args_of(s.act)   # an activation may open in the chunk before its first step's
        if s.act.id not in seen and args:
            seen.add(s.act.id)
            got["Arg"] += [rec.value("value").render(1000) for _, rec in args
                           if rec.value("value").kind == "List"]
    assert got["Arg"] == want["Arg"]
    assert got["Return"] and set(got["Return"]) == {"[0, 1, 2]"}


def both_builds(d):
    """The index of the trace at d built by the native module's Indexer and
    by the pure-Python scan, each from a fresh reader (or the error each raised)."""
    out = []
    for native in (True, False):
        try:
            out.append(build(reader.Trace(d), native=native))
        except reader.TraceError as e:
            out.append(("error", str(e)))
    return out


# Lines below 2^16 (near: ShortLine records) and beyond (far, gen: Line records), in two threads, with a
# generator (Resume, Yield): every shape of the index scan's cases (src/decode.c, a case per record kind).
WIDE_LINES = ("import threading\n\ndef near(n):\n    t = 0\n    for i in range(n):\n        t += i\n    return t\n"
              + "\n" * 70000 + "def far(n):\n    t = 0\n    for i in range(n):\n        t += near(i % 5)\n"
              "    return t\n\ndef gen(n):\n    for i in range(n):\n        yield far(i % 3)\n\n"
              "th = threading.Thread(target=lambda: sum(gen(60)))\nth.start()\nprint(sum(gen(120)))\nth.join()\n")
WRITTEN = {"printing": PRINTING, "long activation": LONG_ACTIVATION, "wide lines": WIDE_LINES}


def recorded_or_written(tmp_path, program, options):
    """The trace of a program of the corpus, or of one written here (WRITTEN)."""
    if program not in WRITTEN:
        return recorded(tmp_path, program, options=options)
    prog = tmp_path / "prog.py"
    prog.write_text(WRITTEN[program])
    d = tmp_path / "t"
    assert record(prog, d, options=options).returncode == 0
    return d


@pytest.mark.parametrize("program, options", [
    ("threads.py", SMALL), ("threads_race.py", SMALL), ("generators.py", SMALL), ("coroutines.py", SMALL),
    ("exceptions_flow.py", SMALL), ("recursion.py", SMALL + ("--compress",)), ("printing", SMALL),
    ("long activation", ("--chunk-bytes", "65536")), ("wide lines", SMALL + ("--no-values",)),
    ("wide lines", SMALL), ("generators.py", SMALL + ("--no-values",)), ("threads.py", SMALL + ("--no-values",))])
def test_the_native_index_is_the_pure_python_ones(tmp_path, program, options):
    """The index the C decoder builds (src/decode.c) is the pure-Python
    scan's, to the order of its JSON: chunks, calls, lines, threads,
    timeline, definitions; with threads, generators, exceptions, output,
    compressed chunks, activations longer than a chunk, recordings without
    values (runs of Lines after a Call or a Step), lines of either width."""
    d = recorded_or_written(tmp_path, program, options)
    native, python = both_builds(d)
    assert native["chunk_count"] >= 2
    assert native == python
    assert json.dumps(native) == json.dumps(python)
    if program == "wide lines":
        kinds = collections.Counter(reader.RECORDS[k][0] for _, raw in reader.EventFile(str(d / EVENTS_FILE)).chunks()
                                    for k in raw["kinds"])
        assert kinds["ShortLine"] > 0 and kinds["Line"] > 0 and kinds["Resume"] > 0, kinds
        assert len(native["threads"]) >= 2
    if program == "printing":
        assert sum(e["out"] for e in native["chunks"]) > 0
    if program.startswith("threads"):
        assert len(native["threads"]) >= 3


def test_the_native_index_reads_past_a_damaged_chunk_as_the_scan_does(tmp_path):
    """A chunk whose CRC-32 is wrong: an entry with no steps naming it, and
    the chunks after it indexed, the same by both builds."""
    d = recorded(tmp_path, "threads.py")
    spans = reader.EventFile(str(d / EVENTS_FILE)).spans
    k = len(spans) // 2
    data = bytearray((d / EVENTS_FILE).read_bytes())
    data[spans[k][0] + spans[k][1] // 2] ^= 0x10
    (d / EVENTS_FILE).write_bytes(bytes(data))
    native, python = both_builds(d)
    assert native == python
    assert [e.get("damaged") is not None for e in native["chunks"]] == [i == k for i in range(len(spans))]
    assert "chunk %d at byte %d: CRC-32 mismatch" % (k, spans[k][0]) in native["chunks"][k]["damaged"]
    assert sum(e["steps"] for e in native["chunks"][k + 1:]) > 0


SLEEPER = """\
import json, sys, time
def phase(name, n):
    total = 0
    for i in range(n):
        total += i
    return total
sleeps = []
for name in ("a", "b", "c"):
    if name != "a":
        before = time.monotonic_ns()
        time.sleep(0.2)
        after = time.monotonic_ns()
        sleeps.append((before, after))
    phase(name, 400)
with open(sys.argv[1], "w") as f:
    json.dump(sleeps, f)
"""
AFTER_SLEEP = 13        # SLEEPER's line `after = time.monotonic_ns()`


def test_seek_time_lands_in_the_phase_after_a_sleep(tmp_path):
    """A program that sleeps between phases: every chunk begins with a Clock
    record (CLOCK_MONOTONIC since the recording started, whose origin the
    metadata gives); a time inside a sleep seeks to a step after it and in
    the phase after it, time 0 to step 0, a time past the end to None;
    time_of(n) is at or before step n's time; show --time lists from there."""
    prog, marks = tmp_path / "prog.py", tmp_path / "marks.json"
    prog.write_text(SLEEPER)
    d = tmp_path / "t"
    r = record(prog, d, marks, options=SMALL)
    assert r.returncode == 0, r.stderr
    origin = json.loads((d / "ctgen_metadata.json").read_text())["clock"]
    assert origin["source"] == "CLOCK_MONOTONIC"
    sleeps = [((b - origin["origin_ns"]) / 1e9, (a - origin["origin_ns"]) / 1e9)
              for b, a in json.loads(marks.read_text())]
    t = fresh(d)
    chunks = t.index.chunks
    clocks = [e["clock"] for e in chunks]
    assert None not in clocks and clocks == sorted(clocks) and len(clocks) > 10
    assert [r.kind for r in t.records()].count("Clock") == len(clocks)
    for seq in range(len(chunks)):
        assert next(iter(t.chunk_records(seq))).kind == "Clock"
    phases = [t.seek_call("phase", k) for k in range(3)]
    assert t.seek_time(0) == 0
    assert t.seek_time(sleeps[-1][1] + 60) is None
    for k, (before, after) in enumerate(sleeps):
        # the first step after the sleep (its line `after = ...`)
        first_after = next(n for n in range(phases[k], t.index.steps)
                           if t.step(n).line == AFTER_SLEEP and t.step(n).function.name == "<module>")
        for at in (before + (after - before) * 0.01, (before + after) / 2, after):
            n = t.seek_time(at)
            assert n is not None and first_after <= n < (phases[k + 2] if k + 2 < 3 else t.index.steps), (k, at, n)
            assert t.index.time_of(n) >= at and (n == 0 or t.index.time_of(n - 1) <= t.index.time_of(n))
            s = t.step(n)
            if n >= phases[k + 1]:     # in the phase after the sleep (else on the lines before its call)
                assert s.function.name == "phase" and s.variables()["name"].render(10) == repr("bc"[k])
    for n in (0, phases[1], phases[2], t.index.steps - 1):
        assert t.index.time_of(n) <= sleeps[-1][1] + 60
    # show --time: the listing starts at the step seek_time gives
    at = sum(sleeps[0]) / 2
    p = run(["-m", "ctgen_tracer", "show", d, "--time", "%.6fs" % at])
    assert p.returncode == 0, p.stderr
    first = next(line for line in p.stdout.splitlines() if line[:6].strip().isdigit())
    assert int(first.split()[0]) == t.seek_time(at)
    p = run(["-m", "ctgen_tracer", "show", d, "--time", "%dms" % int(at * 1000 + 0.5)])
    assert p.returncode == 0 and int(next(line for line in p.stdout.splitlines()
                                          if line[:6].strip().isdigit()).split()[0]) == t.seek_time(
        int(at * 1000 + 0.5) / 1000)
    p = run(["-m", "ctgen_tracer", "show", d, "--time", "1h"])
    assert p.returncode == 2 and "--time: expected a time since the recording started" in p.stderr, p.stderr
    p = run(["-m", "ctgen_tracer", "show", d, "--time", "3600"])
    assert p.returncode != 0 and p.stdout == "" and p.stderr.strip().endswith(
        "--time 3600: no step was recorded at or after 3600 s since the recording started"), p.stderr


def test_seek_time_refuses_a_trace_without_clocks(tmp_path):
    """A format-4 trace (tests/old_traces/format4: no Clock records): seek_time
    and show --time say why, without a traceback; the rest reads as before."""
    import shutil
    d = tmp_path / "format4"
    shutil.copytree(Path(__file__).resolve().parent / "old_traces" / "format4", d)
    t = IndexedTrace(d)
    assert t.file.version == 4 and all(e["clock"] is None for e in t.index.chunks)
    with pytest.raises(reader.TraceError, match=r"^this trace has no clock: it was recorded at format 4, and chunks "
                                                r"begin with a Clock record from format 5 on \(record it again to "
                                                r"seek to a time\)$"):
        t.seek_time(0.5)
    assert t.index.time_of(3) is None and t.step(3).line > 0
    p = run(["-m", "ctgen_tracer", "show", d, "--time", "0.5"])
    assert p.returncode != 0 and p.stdout == "" and "Traceback" not in p.stderr
    assert p.stderr.strip().endswith("--time 0.5: this trace has no clock: it was recorded at format 4, and chunks "
                                     "begin with a Clock record from format 5 on (record it again to seek to a time)")


def _step_key(s):
    """What a screen or a walk reads of StepState s, values rendered (value
    indices of compact records differ by the order they are read in)."""
    def shown(r):
        return (r.kind, r.thread, r._clock,
                {f: (None if r.value(f) is None else r.value(f).render(2000)) if f in ("value", "exc") else v
                 for f, v in r.fields.items()})
    now = s.now()
    return (s.n, s.thread, s.fid, s.line, s.act.id, s.act.kind, s.act.chunk, s.act.carried, s.depth, s.keyframe,
            s.prev, s.clock, [(a.id, last, line) for a, last, line in s.frames()], sorted(s.snap), sorted(s.marked),
            {k: None if v is None else (v.kind, v.render(2000)) for k, v in now.items()},
            sorted(s.changed()), [shown(r) for r in s.events],
            None if s.act.args is None else [(name, shown(r)) for name, r in s.act.args])


@pytest.mark.parametrize("program, options", [
    ("threads.py", SMALL), ("generators.py", SMALL), ("coroutines.py", SMALL), ("exceptions_flow.py", SMALL),
    ("objects.py", SMALL), ("watched.py", SMALL), ("inline_values.py", SMALL), ("recursion_deep.py", SMALL),
    ("recursion.py", SMALL + ("--compress",)),
    ("printing", SMALL), ("long activation", ("--chunk-bytes", "65536"))])
def test_the_chunks_state_machine_in_c_is_the_pythons(tmp_path, program, options):
    """Every chunk decoded by the native walk (index.ChunkState, src/walk.c)
    is what the pure-Python reference (index.ChunkStatePy) makes of it:
    every step's thread, function, line, activation, depth, keyframe,
    call stack, snapshot and values, changes and events, the Outputs, each
    activation's steps and arguments, and the Calls in order."""
    from ctgen_tracer import index
    assert index.ChunkState is not index.ChunkStatePy, "the native module has no chunk_walk"
    d = recorded_or_written(tmp_path, program, options)
    py_trace, c_trace = IndexedTrace(d), IndexedTrace(d)
    py_ix, c_ix = py_trace.index, c_trace.index
    made = {}       # the reference's chunks (its changed() reads earlier steps through state() too)
    py_ix.state = lambda seq: made[seq] if seq in made else made.setdefault(seq, index.ChunkStatePy(py_ix, seq))
    assert len(c_ix.chunks) >= 2
    steps = 0
    for seq in range(len(c_ix.chunks)):
        a, b = py_ix.state(seq), c_ix.state(seq)
        assert len(a.steps) == b.nsteps
        assert a.outputs == b.outputs
        assert [x.id for x in a.calls] == [x.id for x in b.calls]
        assert {i: (x.fid, x.first, x.last, x.line, x.chunk, x.carried) for i, x in a.acts.items()} == \
            {i: (x.fid, x.first, x.last, x.line, x.chunk, x.carried) for i, x in b.acts.items()}
        for i in range(len(a.steps)):
            assert _step_key(a.steps[i]) == _step_key(b.step_at(i)), (seq, i)
        steps += len(a.steps)
    assert steps == c_ix.steps
    if program == "printing":
        assert any(c_ix.state(seq).outputs for seq in range(len(c_ix.chunks)))


def test_an_index_files_calls_and_lines_are_read_when_first_needed(tmp_path):
    """Opening a trace decodes its index file but for `calls` and `lines`
    (two thirds of it on a big trace), read at the first seek that needs
    them: the same index as the whole file's JSON, the same seeks; when
    that part is damaged, the seek says so and how to mend it."""
    from ctgen_tracer import index
    d = recorded(tmp_path, "recursion.py")
    IndexedTrace(d).index      # built and saved
    text = (d / INDEX_FILE).read_bytes()
    whole = json.loads(text)
    idx = Index.open(reader.Trace(d))
    assert type(idx.data) is index._IndexData and idx.data.rest is not None
    assert idx.seek_call("fact", 3) == IndexedTrace(d).seek_call("fact", 3) is not None
    assert idx.data.rest is None and file_form(dict(idx.data)) == whole
    i = text.index(b'"lines":{') + len(b'"lines":{')
    (d / INDEX_FILE).write_bytes(text[:i] + b"]" + text[i + 1:])
    idx = Index.open(reader.Trace(d))
    assert idx.data.rest is not None, "opened without reading calls and lines"
    with pytest.raises(reader.TraceError, match="calls and lines are no JSON.*remove it to build it again"):
        idx.seek_call("fact", 3)


def test_the_native_chunk_walk_refuses_damaged_chunks_without_crashing(tmp_path):
    """chunk_walk (src/walk.c) on a chunk's bytes damaged anywhere (a byte
    changed, the chunk cut short) gives its tables or a ValueError naming
    what is wrong (ChunkState raises it as a TraceError), never a crash or
    a read out of bounds; the undamaged chunk walks as before."""
    import random
    from ctgen_tracer import _native, index
    d = recorded(tmp_path, "threads.py")
    e = IndexedTrace(d).index.chunks[1]
    buf = bytes(reader.EventFile(str(d / EVENTS_FILE)).chunk_bytes(1))
    args = (1, e["step0"], e["act0"], e["thread"],
            [(index._tid(t), [tuple(a) for a in s]) for t, s in e["stacks"].items()], index._WALK_ROLES)
    good = _native.chunk_walk(buf, *args)
    assert len(good[0]) // _native.CHUNK_WALK_WIDTHS["steps"] // 8 == e["steps"]
    rnd = random.Random(7)
    refused = 0
    for _ in range(400):
        bad = bytearray(buf)
        if rnd.random() < 0.2:
            bad = bad[:rnd.randrange(len(bad))]
        else:
            bad[rnd.randrange(len(bad))] ^= 1 << rnd.randrange(8)
        try:
            _native.chunk_walk(bytes(bad), *args)
        except ValueError:
            refused += 1
    assert refused > 0
    assert _native.chunk_walk(buf, *args) == good


def prefix_of(d, k):
    """The data of an Index of the first k chunks of the trace at d, as
    index.Building takes it while its scan runs (index._prefix, at the
    scan's k-th chunk)."""
    from ctgen_tracer import index
    got, trace = {}, reader.Trace(d)

    def progress(chunks):
        if len(chunks) == k:
            got["data"] = index._prefix(trace, chunks)
    build(trace, progress=progress)
    return got["data"]


@pytest.mark.parametrize("program", ["threads.py", "printing", "long activation"])
def test_an_index_of_the_chunks_scanned_so_far_answers_as_the_whole_one_or_not_yet(tmp_path, program):
    """While the index of a trace never indexed is built (index.Building:
    the viewer shows its first steps meanwhile), an Index of the chunks
    scanned so far (complete=False) gives each step, move, output, thread
    place, time and variable change the whole index gives, or raises
    NotYet when the answer needs a chunk not scanned yet or the whole
    trace's calls and lines; its entries are the whole index's first ones."""
    from ctgen_tracer.index import NotYet
    d = recorded_or_written(tmp_path, program, SMALL)
    whole = fresh(d).index
    total = len(whole.chunks)
    assert total > 8
    moves = ("next", "prev", "into", "over", "out", "back_into", "back_over", "back_out")
    for k in (2, total // 3, total - 1):
        part = Index(reader.Trace(d), prefix_of(d, k), complete=False)
        assert part.chunks == whole.chunks[:k] and part.steps == whole.chunks[k]["step0"]
        answered = not_yet = 0

        def same(what, *args):
            nonlocal answered, not_yet
            try:
                got = getattr(part, what)(*args)
            except NotYet:
                not_yet += 1
                return
            answered += 1
            assert got == getattr(whole, what)(*args), (k, what, args)
        for n in range(0, whole.steps, max(1, whole.steps // 120)):
            if n >= part.steps:
                with pytest.raises(NotYet):
                    part.step(n)
                continue
            if whole.chunk_of(n) + 1 < k:       # its chunk and the one after it are scanned: its screen
                assert _step_key(part.step(n)) == _step_key(whole.step(n))
                assert part.thread_positions(n) == whole.thread_positions(n)
                assert part.time_of(n) == whole.time_of(n)
            same("outputs_before", n)
            for how in moves:
                same("move", n, how)
            for name in sorted(whole.step(n).snap)[:2]:
                same("var_change", n, name, False)
                same("var_change", n, name, True)
        assert answered and not_yet, (k, answered, not_yet)
        for fn in list(whole.functions)[:3]:
            with pytest.raises(NotYet):
                part.calls(fn)
        with pytest.raises(NotYet):
            part.seek_call(next(iter(whole.functions)), 0)


def test_building_shows_the_first_chunks_then_gives_the_whole_index(tmp_path):
    """index.Building on a trace never indexed: first() gives an Index of
    the chunks scanned so far as soon as a step can be shown (or the whole
    one), wait() the whole index, the one build() gives, saved as the
    index file."""
    from ctgen_tracer.index import Building
    prog = tmp_path / "prog.py"
    prog.write_text(LOOP)
    d = tmp_path / "t"
    record_killed(prog, d, 0.5, options=SMALL, min_bytes=16 * 4096)
    assert not (d / INDEX_FILE).exists()
    trace = reader.Trace(d)
    b = Building(trace)
    first = b.first()
    want = build(reader.Trace(d))
    assert first.steps > 0 and first.chunks == want["chunks"][:len(first.chunks)]
    assert first.complete == (len(first.chunks) == len(want["chunks"]))
    whole = b.wait()
    assert b.done and whole.complete and whole.data == want and whole.trace is trace
    assert json.loads((d / INDEX_FILE).read_text()) == file_form(want)
    assert [_step_key(first.step(n)) for n in range(min(first.steps, 50))] == \
        [_step_key(whole.step(n)) for n in range(min(first.steps, 50))]
