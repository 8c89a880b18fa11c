"""Crash safety, unusable output directories, bad input for every trace
command and for the reader API, and the reader fuzzer (tools/fuzz_reader.py).

verify's exit statuses: 0 whole, 1 corrupt, 2 not a trace, 3 truncated but
readable (docs/trace-format.md)."""

import json
import os
import random
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from conftest import ROOT, env, fuzz_seed, record, record_killed, reseal, run
from ctgen_tracer import reader
from ctgen_tracer.tracedir import EVENTS_FILE, INDEX_FILE, METADATA_FILE, OLD_NAMES, PATHS_FILE

FUZZ_CASES = Path(__file__).resolve().parent / "fuzz_cases"   # format 1 and 2 traces: their metadata
OLD_METADATA = OLD_NAMES[METADATA_FILE]                         # goes under its old name
SHM = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
STATUSES = {"stats": {0, 2}, "show": {0, 2}, "verify": {0, 1, 2, 3}}


@pytest.fixture
def big_tmp():
    """A directory for traces of a few MB: /dev/shm when there is one."""
    d = tempfile.mkdtemp(prefix="ctgen-robust-", dir=SHM)
    yield Path(d)
    subprocess.run(["rm", "-rf", d])


def command(name, trace, *extra):
    return run(["-m", "ctgen_tracer", name, trace, *extra], timeout=120)


def assert_clean(p, name, statuses=None):
    """No traceback; a documented status; status 2 is one line on stderr."""
    assert "Traceback" not in p.stdout + p.stderr, p.stdout[-2000:] + p.stderr[-2000:]
    assert p.returncode in (statuses or STATUSES[name]), (name, p.returncode, p.stdout[-500:], p.stderr)
    if p.returncode == 2:
        assert p.stderr.startswith("ctgen-tracer: error: ") and p.stderr.count("\n") == 1, p.stderr


# ---- SIGKILL ----------------------------------------------------------------

LOOP = """
import sys, time

def step(i, acc):
    word = "w%d" % (i % 97)
    acc = (acc + i * len(word)) % 1000003
    return acc

acc = 0
i = 0
end = time.monotonic() + float(sys.argv[1])
while time.monotonic() < end:
    acc = step(i, acc)
    i += 1
    time.sleep(0.0003)
    if i % 50 == 0:
        print(i, flush=True)
print("done", i, acc)
"""
CHUNK = 8192


def _last_i(trace):
    """The last value of the module's `i` in the trace (-1: none)."""
    last = -1
    for rec, snap in trace.steps():
        v = snap.get("i")
        if v is not None and v.kind == "Int":
            last = v.data
    return last


def _check_killed(trace_dir, printed, iters_per_chunk):
    t = reader.Trace(str(trace_dir))
    assert t.finished is False and t.truncation
    # the torn tail is at most the chunk being written
    if t.torn >= 4:
        with open(trace_dir / "trace.ctgt", "rb") as f:
            f.seek(t.torn_at)
            declared = struct.unpack("<I", f.read(4))[0]
        assert t.torn < 4 + declared <= 4 * CHUNK
    n = sum(1 for _ in t.records())
    last = _last_i(reader.Trace(str(trace_dir)))
    # What was lost: the chunk being built, those queued for the writer (4)
    # and the one being written, at most.
    if printed:
        assert last >= printed[-1] - 6 * iters_per_chunk, (last, printed[-1], iters_per_chunk)
    v = command("verify", trace_dir)
    assert_clean(v, "verify")
    assert v.returncode == 3, v.stdout
    assert v.stdout.splitlines()[-2] == "truncated: " + t.truncation
    assert v.stdout.splitlines()[-1].endswith(
        "%d records in %d chunks, TRUNCATED, readable up to the cut" % (n, t.chunk_count))
    s = command("stats", trace_dir)
    assert s.returncode == 0 and ("truncated: " + t.truncation) in s.stdout.splitlines()
    sh = command("show", trace_dir, "--steps", ":50")
    assert sh.returncode == 0 and sh.stderr == "truncated: %s\n" % t.truncation
    return t.chunk_count


def test_sigkill_at_random_points(big_tmp):
    """A recorded program killed at random moments leaves a trace whose
    complete chunks all read; verify says it is truncated (status 3) and how
    much was lost; stats and show print the same line."""
    prog = big_tmp / "loop.py"
    prog.write_text(LOOP)
    full = record(prog, big_tmp / "full", "1", options=["--chunk-bytes", CHUNK], cwd=big_tmp)
    assert full.returncode == 0 and full.stdout.splitlines()[-1].startswith("done")
    t = reader.Trace(str(big_tmp / "full"))
    total = int(full.stdout.split()[-2])
    assert t.chunk_count >= 10 and t.finished is True and t.truncation is None
    iters_per_chunk = total / t.chunk_count
    assert command("verify", big_tmp / "full").returncode == 0

    rng = random.Random(20240605)
    delays = sorted(rng.uniform(0.0, 1.6) for _ in range(6))
    chunks = []
    for k, delay in enumerate(delays):
        out = big_tmp / ("killed%d" % k)
        stdout = record_killed(prog, out, delay, "3", options=["--chunk-bytes", str(CHUNK)], cwd=big_tmp)
        printed = [int(x) for x in stdout.split() if x.isdigit()]
        chunks.append(_check_killed(out, printed, iters_per_chunk))
    assert chunks[-1] > chunks[0]   # the kills were spread over the run

    # killed at once, before or while recording starts: nothing or a torn start
    for k, delay in enumerate((0.0, 0.03, 0.08)):
        out = big_tmp / ("early%d" % k)
        p = subprocess.Popen([sys.executable, "-m", "ctgen_tracer", "-q", "-o", str(out), str(prog), "3"],
                             cwd=big_tmp, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        p.kill()
        p.wait(timeout=30)
        for name in ("verify", "stats", "show"):
            r = command(name, out)
            assert_clean(r, name, {2, 3} if name == "verify" else {0, 2})
        # the directory holds nothing but our (cut-short) trace: recording again needs no --force
        again = record(prog, out, "0.01", cwd=big_tmp)
        assert again.returncode == 0, again.stderr


def test_killed_before_the_header_or_the_metadata(tmp_path):
    """What a kill leaves at the very start: metadata written (complete:
    false) and an event file with part of its header, or no event file, or
    only a temporary metadata file, or only the write test of the directory.
    Readable as truncated (no records), or
    'not a trace' when nothing was recorded; our own directory is reused."""
    prog = tmp_path / "p.py"
    prog.write_text("x = 1\nprint(x)\n")
    src = tmp_path / "src"
    assert record(prog, src).returncode == 0
    meta = json.loads((src / METADATA_FILE).read_text())
    assert meta["complete"] is True
    start_meta = dict(meta, complete=False, end_time=None, exit_status=None)
    del start_meta["stats"], start_meta["recording_error"]
    head = (src / "trace.ctgt").read_bytes()[:16]
    for n in (0, 4, 8, 12, 15):
        d = tmp_path / ("head%d" % n)
        d.mkdir()
        (d / "trace.ctgt").write_bytes(head[:n])
        (d / METADATA_FILE).write_text(json.dumps(start_meta))
        t = reader.Trace(str(d))
        assert t.file.header_torn and t.torn == n and list(t.records()) == []
        assert t.truncation == ("the recording was not finished (killed, crashed, or out of disk space); "
                                "the event file ends inside its 16-byte header (%d bytes written): "
                                "no records" % n)
        v = command("verify", d)
        assert v.returncode == 3 and "truncated: " + t.truncation in v.stdout
        assert command("stats", d).returncode == 0 and command("show", d).returncode == 0
        assert record(prog, d).returncode == 0 and command("verify", d).returncode == 0
    d = tmp_path / "no-events"
    d.mkdir()
    (d / METADATA_FILE).write_text(json.dumps(start_meta))
    v = command("verify", d)
    assert v.returncode == 3 and "no event file was written" in v.stdout
    assert record(prog, d).returncode == 0 and command("verify", d).returncode == 0
    d = tmp_path / "tmp-only"   # killed while writing the first metadata
    d.mkdir()
    (d / (METADATA_FILE + ".tmp")).write_text(json.dumps(start_meta)[:40])
    v = command("verify", d)
    assert_clean(v, "verify")
    assert v.returncode == 2 and "not a ctgen-tracer trace" in v.stderr
    assert record(prog, d).returncode == 0 and command("verify", d).returncode == 0
    assert sorted(os.listdir(d)) == sorted([EVENTS_FILE, METADATA_FILE, PATHS_FILE, INDEX_FILE])
    d = tmp_path / "probe-only"   # killed between the write test's creation and its removal
    d.mkdir()
    (d / ".ctgen-write-test").write_text("")
    assert record(prog, d).returncode == 0 and command("verify", d).returncode == 0
    assert sorted(os.listdir(d)) == sorted([EVENTS_FILE, METADATA_FILE, PATHS_FILE, INDEX_FILE])


# ---- deadlock in the writer (found while recording the fuzzer's seeds) ----------------

def test_threads_with_small_chunks_never_deadlock(tmp_path):
    """Threads filling the writer's queue: a thread waiting for a free
    buffer used to take the GIL back while holding the queue's lock, while
    the thread holding the GIL waited for that lock (1 run in 3 hung)."""
    prog = ROOT / "tests" / "programs" / "threads.py"
    for k in range(8):
        out = tmp_path / ("t%d" % k)
        p = run(["-m", "ctgen_tracer", "-q", "--chunk-bytes", "4096", "-o", out, prog], timeout=60)
        assert p.returncode == 0, p.stderr
        assert command("verify", out).returncode == 0


# ---- output directories ---------------------------------------------------------

@pytest.fixture
def readonly_dir(tmp_path):
    """A directory nobody can create files in: mode 555, or for root (whom
    modes do not stop) a read-only tmpfs."""
    d = tmp_path / "ro"
    d.mkdir()
    if os.geteuid() != 0:
        d.chmod(0o555)
        yield d
        d.chmod(0o755)
        return
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(d)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip("cannot mount a read-only tmpfs (as root, modes do not stop writes): %s" % r.stderr)
    yield d
    subprocess.run(["umount", str(d)], capture_output=True)


def test_unwritable_output_dir(tmp_path, readonly_dir):
    """One clear error before the program runs (it has no side effects)."""
    prog = tmp_path / "p.py"
    prog.write_text("open(%r, 'w').write('ran')\nprint('ran')\n" % str(tmp_path / "side-effect"))
    (tmp_path / "file").write_text("x")
    cases = [
        (readonly_dir / "t", "cannot write to %s: " % (readonly_dir / "t")),
        (tmp_path / "file" / "t", "cannot write to %s: Not a directory" % (tmp_path / "file" / "t")),
    ]
    for out, message in cases:
        p = record(prog, out)
        assert p.returncode == 2 and p.stdout == "", p.stderr
        assert p.stderr.startswith("ctgen-tracer: error: " + message) and p.stderr.count("\n") == 1, p.stderr
        assert not (tmp_path / "side-effect").exists()
    p = record(prog, readonly_dir)   # the read-only directory itself
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "cannot write to" in p.stderr
    # the program untraced, for comparison
    plain = run([prog])
    assert plain.returncode == 0 and plain.stdout == "ran\n"


def test_existing_directory_is_never_silently_destroyed(tmp_path):
    prog = tmp_path / "p.py"
    prog.write_text("def f(x):\n    return x + 1\n\nprint(f(1))\n")
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    p = record(prog, other)
    assert p.returncode == 2 and p.stdout == "" and "use --force" in p.stderr
    assert os.listdir(other) == ["notes.txt"]
    # a file named like our event file that is not one of ours
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "trace.ctgt").write_bytes(b"precious data")
    assert record(prog, fake).returncode == 2
    assert (fake / "trace.ctgt").read_bytes() == b"precious data"
    # --force: our files are written, other files are left alone
    p = record(prog, other, options=["--force"])
    assert p.returncode == 0 and p.stdout == "2\n"
    assert (other / "notes.txt").read_text() == "keep me"
    assert command("verify", other).returncode == 0
    # our own trace is replaced, and nothing of the old one stays
    own = tmp_path / "own"
    assert record(prog, own).returncode == 0
    (own / PATHS_FILE).write_text('["stale"]')
    first = json.loads((own / METADATA_FILE).read_text())["start_time"]
    assert record(prog, own).returncode == 0
    assert json.loads((own / METADATA_FILE).read_text())["start_time"] > first
    assert json.loads((own / PATHS_FILE).read_text()) == [str(prog)]
    assert command("verify", own).returncode == 0


# ---- bad input ---------------------------------------------------------------------

PROGRAM = """
def f(n, words):
    total = 0
    for i in range(n):
        total += len(words[i % len(words)])
    return total

big = [str(i) for i in range(3000)]   # (str items: nodes, where ints would be packed, format 9)
text = "y" * 6000
print(f(30, ["a", "bb", "ccc"]), len(big), len(text))
"""


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """A recorded trace with two chunks and a big list value."""
    work = tmp_path_factory.mktemp("robust-sample")
    prog = work / "sample.py"
    prog.write_text(PROGRAM)
    p = record(prog, work / "t", options=["--max-items", "5000", "--max-nodes", "100000", "--max-text",
                                          "10000", "--chunk-bytes", "65536"], cwd=work)
    assert p.returncode == 0, p.stderr
    t = reader.Trace(str(work / "t"))
    assert t.chunk_count >= 2 and command("verify", work / "t").returncode == 0
    return work / "t"


def _copy(sample, dest, events=None, meta=None):
    dest.mkdir()
    data = (sample / "trace.ctgt").read_bytes()
    (dest / "trace.ctgt").write_bytes(data if events is None else events(data))
    m = (sample / METADATA_FILE).read_bytes()
    if meta is not False:
        (dest / METADATA_FILE).write_bytes(m if meta is None else meta)
    return dest


def _spans(data):
    """(file offset, size) of each plain frame: the size prefix, the CRC-32,
    then the chunk (size-prefixed) at _chunk(offset)."""
    out, pos = [], reader.HEADER_SIZE
    while pos + 4 <= len(data):
        n = struct.unpack_from("<I", data, pos)[0]
        if pos + 4 + n > len(data):
            break
        out.append((pos, n))
        pos += 4 + n
    return out


def _chunk(frame_pos):
    """The file offset of the chunk (its own size prefix) in the plain frame at frame_pos."""
    return frame_pos + 4 + reader.CRC_SIZE


def _vector(data, chunk_pos, field):
    """(file offset of the first element, count) of a chunk's vector field."""
    base = chunk_pos + 4
    root = base + struct.unpack_from("<I", data, base)[0]
    vt = root - struct.unpack_from("<i", data, root)[0]
    index = [f[0] for f in reader.CHUNK_FIELDS].index(field)
    off = struct.unpack_from("<H", data, vt + 4 + 2 * index)[0]
    vec = root + off + struct.unpack_from("<I", data, root + off)[0]
    return vec + 4, struct.unpack_from("<I", data, vec)[0]


def bad_inputs(sample, tmp):
    """(name, path, expected statuses {command: status}, stderr fragment)."""
    data = (sample / "trace.ctgt").read_bytes()
    spans = _spans(data)
    (c0, n0), (c1, n1) = spans[0], spans[1]
    k0 = _chunk(c0)
    root0 = k0 + 4 + struct.unpack_from("<I", data, k0 + 4)[0]
    vt0 = root0 - struct.unpack_from("<i", data, root0)[0]
    rng = random.Random(7)
    corrupt = {"stats": 2, "show": 2, "verify": 1}
    cut = {"stats": 0, "show": 0, "verify": 3}
    none = {"stats": 2, "show": 2, "verify": 2}
    yield "missing", tmp / "missing", none, "no such trace"
    (tmp / "empty-dir").mkdir()
    yield "empty directory", tmp / "empty-dir", none, "not a ctgen-tracer trace (no trace.ctgt)"
    (tmp / "other-dir").mkdir()
    (tmp / "other-dir" / "a.txt").write_text("hello")
    yield "directory of other files", tmp / "other-dir", none, "not a ctgen-tracer trace"
    (tmp / "random.bin").write_bytes(bytes(rng.randrange(256) for _ in range(5000)))
    yield "random file", tmp / "random.bin", none, "not a ctgen-tracer event file"
    yield "metadata file instead of the directory", sample / METADATA_FILE, none, \
        "not a ctgen-tracer event file"
    d = _copy(sample, tmp / "random-events", lambda d: bytes(rng.randrange(256) for _ in range(3000)))
    yield "random event file", d, none, "not a ctgen-tracer event file"
    d = _copy(sample, tmp / "version", lambda d: d[:8] + struct.pack("<I", 99) + d[12:])
    yield "other format version", d, none, "format version 99"
    d = _copy(sample, tmp / "garbage-chunks", lambda d: d[:16] + bytes(rng.randrange(256) for _ in range(3000)))
    yield "header then garbage", d, corrupt, "chunk 0 at byte 16: its size prefix"
    d = _copy(sample, tmp / "directory-events", lambda d: b"", meta=None)
    os.remove(d / "trace.ctgt")
    (d / "trace.ctgt").mkdir()
    yield "event file is a directory", d, none, "not a regular file"
    d = _copy(sample, tmp / "fifo-events")
    os.remove(d / "trace.ctgt")
    os.mkfifo(d / "trace.ctgt")
    yield "event file is a FIFO", d, none, "not a regular file"
    # truncation at every kind of boundary (complete metadata: a torn tail is still 'truncated')
    for name, at in [("inside the header", 9), ("inside a size prefix", c1 + 2),
                     ("after a size prefix", c1 + 4), ("inside the CRC-32", c1 + 6),
                     ("inside the root offset", _chunk(c1) + 6),
                     ("inside a vtable", vt0 + 3), ("one byte short", c1 + 4 + n1 - 1)]:
        d = _copy(sample, tmp / ("cut-" + name.replace(" ", "-")), lambda d, at=at: d[:at])
        yield "truncated " + name, d, cut, None
    # corrupted bytes: the CRC-32 finds them (naming the chunk); with the CRC-32
    # recomputed, the decoder does
    for name, pos, val in [("size prefix", c1, b"\x11\x00\x00\x00"), ("huge size prefix", c1, b"\xff\xff\xff\x7f"),
                           ("CRC-32", c1 + 4, b"\x00\x00\x00\x00"), ("chunk size prefix", k0, b"\x08\x00\x00\x00"),
                           ("root offset", k0 + 4, b"\xff\xff\x00\x00"), ("identifier", k0 + 8, b"XXXX"),
                           ("vtable size", vt0, b"\xff\xff"), ("vtable offset", root0, b"\x00\x00\x00\x80")]:
        d = _copy(sample, tmp / ("bad-" + name.replace(" ", "-")),
                  lambda d, pos=pos, val=val: d[:pos] + val + d[pos + len(val):])
        yield "corrupted " + name, d, corrupt, "chunk %d at byte %d" % ((0, c0) if pos < c1 else (1, c1))
        if pos >= k0 and pos != c1 + 4:   # the framing holds: a frame that says it is whole
            d = _copy(sample, tmp / ("bad-sealed-" + name.replace(" ", "-")),
                      lambda d, pos=pos, val=val: reseal(d[:pos] + val + d[pos + len(val):]))
            yield "corrupted " + name + ", CRC-32 recomputed", d, corrupt, None
    d = _copy(sample, tmp / "zero-tail", lambda d: d + bytes(4096))
    yield "zero-filled tail (a system crash)", d, cut, None
    # metadata and paths files
    for name, meta in [("empty", b""), ("not json", b"{oops"), ("a list", b"[1, 2]"),
                       ("deeply nested", b"[" * 100000 + b"]" * 100000), ("not utf-8", b"\xff\xfe{}")]:
        d = _copy(sample, tmp / ("meta-" + name.replace(" ", "-")), meta=meta)
        yield "metadata " + name, d, corrupt, METADATA_FILE
    d = _copy(sample, tmp / "meta-fifo", meta=False)
    os.mkfifo(d / METADATA_FILE)
    yield "metadata is a FIFO", d, corrupt, "not a regular file"
    d = _copy(sample, tmp / "paths-garbage")
    (d / PATHS_FILE).write_bytes(b"\x00garbage")
    yield "garbage paths file", d, {"stats": 0, "show": 0, "verify": 1}, None
    d = _copy(sample, tmp / "paths-wrong")
    (d / PATHS_FILE).write_text('{"a": 1}')
    yield "paths file not a list", d, {"stats": 0, "show": 0, "verify": 1}, None


def test_bad_input_every_command(sample, tmp_path):
    """Each command on each bad input: its documented status, one line of
    error (status 2) and never a traceback or a hang (the FIFOs would block
    a reader that opened them)."""
    seen = 0
    for name, path, statuses, fragment in bad_inputs(sample, tmp_path):
        for cmd in ("stats", "show", "verify"):
            p = command(cmd, path)
            assert_clean(p, cmd)
            assert p.returncode == statuses[cmd], (name, cmd, p.returncode, p.stdout[-600:], p.stderr)
            if fragment and p.returncode in (1, 2):
                assert fragment in p.stdout + p.stderr, (name, cmd, p.stdout[-600:], p.stderr)
        seen += 1
    assert seen >= 30


def test_bad_input_reader_api(sample, tmp_path):
    """The reader raises TraceError (NotATraceError when the path is no trace
    at all), and nothing else, on the same inputs."""
    for name, path, statuses, _ in bad_inputs(sample, tmp_path):
        try:
            t = reader.Trace(str(path))
            for rec in t.records():
                for field in ("value", "exc", "callable"):
                    if field in rec.fields:
                        rec.value(field)
            for rec, snap in reader.Trace(str(path)).steps():
                for v in snap.values():
                    if v is not None:
                        v.render(), v.to_python()
        except reader.NotATraceError:
            assert statuses["verify"] == 2, name
        except reader.TraceError:
            assert statuses["verify"] in (1, 2), name


# ---- crafted values: depth, overlap, shapes, big ints, bad text ---------------------

def _values_edit(sample, dest, edit):
    """A copy of sample where edit(data, values_offset, count, var_offset,
    var_count) rewrites a chunk's values pool (and Var vector) in place: the
    first chunk for which it returns a true value."""
    data = bytearray((sample / "trace.ctgt").read_bytes())
    for pos, _ in _spans(bytes(data)):
        vals, nvals = _vector(bytes(data), _chunk(pos), "values")
        var, nvar = _vector(bytes(data), _chunk(pos), "var")
        if edit(data, vals, nvals, var, nvar):
            return _copy(sample, dest, lambda d: reseal(data))
    raise AssertionError("no chunk to edit")


def _node(data, vals, i):
    return list(struct.unpack_from("<qqIIBB", data, vals + 32 * i))


def _set_node(data, vals, i, node):
    struct.pack_into("<qqIIBB", data, vals + 32 * i, *node)


def _find_big_list(data, vals, nvals):
    kinds = reader.VALUE_KINDS
    for i in range(nvals):
        n = _node(data, vals, i)
        if kinds[n[4]] == "List" and n[2] >= 2000:
            return i, n[2]
    return None, None


def test_deep_value_tree(sample, tmp_path):
    """A 2000-level deep value (the recursive decoder hit Python's recursion
    limit): decoded, rendered and converted without recursion."""
    def edit(data, vals, nvals, var, nvar):
        i, n = _find_big_list(data, vals, nvals)
        if i is None:
            return False
        lst = reader.VALUE_KINDS.index("List")
        for j in range(i, i + n - 1):   # a chain of one-item lists; the last item stays a Str
            node = _node(data, vals, j)
            _set_node(data, vals, j, [0, 1, 1, node[3], lst, 0])
        return True
    d = _values_edit(sample, tmp_path / "deep", edit)
    p = command("verify", d)
    assert p.returncode == 0, p.stdout
    s = command("show", d)
    assert s.returncode == 0 and "big = [[[[[[[[" in s.stdout
    deepest = None
    for rec, snap in reader.Trace(str(d)).steps():
        if "big" in snap:   # its first value (later chunks hold it again, unedited)
            deepest = snap["big"]
            break
    depth, x = 0, deepest.to_python()
    while isinstance(x, list) and x:
        x, depth = x[0], depth + 1
    assert depth >= 2000


def test_overlapping_value_trees(sample, tmp_path):
    """Var records pointing into each other's trees would make decoding cost
    records x nodes: the reader detects the overlap and stops."""
    def edit(data, vals, nvals, var, nvar):
        i, n = _find_big_list(data, vals, nvals)
        if i is None:
            return False
        for k in range(nvar):   # each Var points at one of the list's items...
            struct.pack_into("<I", data, var + 8 * k + 4, i + 1 + (k % (n - 2)))
        lst = reader.VALUE_KINDS.index("List")
        first_type = _node(data, vals, 0)[3]   # defined before any Var of the chunk
        for j in range(i + 1, i + n):   # ...and each item is a list holding the rest
            _set_node(data, vals, j, [0, 1, 1 if j < i + n - 1 else 0, first_type, lst, 0])
        return True
    d = _values_edit(sample, tmp_path / "overlap", edit)
    t0 = time.monotonic()
    p = command("verify", d)
    assert p.returncode == 1 and "value trees overlap" in p.stdout, p.stdout
    s = command("show", d)
    assert_clean(s, "show")
    assert s.returncode == 2 and "value trees overlap" in s.stderr
    assert time.monotonic() - t0 < 60


@pytest.mark.parametrize("kind,children,message", [
    ("Dict", 3, "Dict value with an odd number of children"),
    ("Instance", 1, "Instance value with an odd number of children"),
    ("Range", 2, "Range value with 2 children, not 3"),
    ("Exception", 2, "Exception value with 2 children, not 1"),
])
def test_value_shapes_are_checked(sample, tmp_path, kind, children, message):
    """Containers whose child count their kind does not allow (rendering an
    odd Dict raised IndexError)."""
    def edit(data, vals, nvals, var, nvar):
        i, n = _find_big_list(data, vals, nvals)
        if i is None:
            return False
        node = _node(data, vals, i)
        node[4], node[2] = reader.VALUE_KINDS.index(kind), children
        _set_node(data, vals, i, node)
        return True
    d = _values_edit(sample, tmp_path / kind, edit)
    p = command("verify", d)
    assert p.returncode == 1 and message in p.stdout, p.stdout
    s = command("show", d)
    assert s.returncode == 2 and message in s.stderr and s.stderr.count("\n") == 1


@pytest.mark.parametrize("case,message", [
    ("no container", "a Packed value stands for value kind 200, which is no container"),
    ("kind", "a packed child of value kind %d, which does not pack" % reader.VALUE_KINDS.index("Str")),
    ("type", "value uses undefined type id 99"),
    ("end", "packed children run past the data pool"),
    ("varint", "packed children: a number of more than 64 bits"),
])
def test_packed_children_are_checked(sample, tmp_path, case, message):
    """A Packed node (format 9, "Packed children") whose bytes in data are
    not what its layout says: refused with a message naming what is wrong,
    by verify (the C checker) and show (the tree decoder)."""
    kinds = reader.VALUE_KINDS

    def edit(data, vals, nvals, var, nvar):
        i, n = _find_big_list(data, vals, nvals)
        if i is None:
            return False
        for pos, _ in _spans(bytes(data)):   # this chunk's data pool: the one that holds vals
            if pos < vals:
                pool, npool = _vector(bytes(data), _chunk(pos), "data")
        at = _node(data, vals, i + 1)[0]   # the text of the list's first items ("0", "1", ...)
        lst, int_, str_ = kinds.index("List"), kinds.index("Int"), kinds.index("Str")
        a_type = _node(data, vals, i + 1)[3]   # (a str's: any defined type id)
        crafted = {"no container": bytes([200]),
                   "kind": bytes([lst, str_]),
                   "type": bytes([lst, int_, 99, 0]),
                   "varint": bytes([lst, int_, a_type]) + b"\xff" * 9 + b"\x7f",
                   "end": None}[case]
        node = _node(data, vals, i)
        node[4] = kinds.index("Packed")
        if crafted is None:   # its entries from the last byte of data on
            data[pool + npool - 1] = lst
            node[0] = npool - 1
        else:
            data[pool + at:pool + at + len(crafted)] = crafted
            node[0] = at
        _set_node(data, vals, i, node)
        return True
    d = _values_edit(sample, tmp_path / case.replace(" ", "_"), edit)
    p = command("verify", d)
    assert p.returncode == 1 and message in p.stdout, p.stdout
    s = command("show", d)
    assert s.returncode == 2 and message in s.stderr and s.stderr.count("\n") == 1, s.stderr


def test_huge_int_value_renders_by_size(sample, tmp_path):
    """A BigInt of 48000 bits: repr() would raise ValueError (the int to
    str digit limit); show prints its size."""
    def edit(data, vals, nvals, var, nvar):
        for i in range(nvals):
            node = _node(data, vals, i)
            if reader.VALUE_KINDS[node[4]] == "Str" and node[2] == 6000:
                node[4] = reader.VALUE_KINDS.index("BigInt")
                _set_node(data, vals, i, node)
                return True
        return False
    d = _values_edit(sample, tmp_path / "bigint", edit)
    s = command("show", d)
    assert s.returncode == 0 and "text = <int of " in s.stdout
    assert command("verify", d).returncode == 0


def test_lone_surrogate_in_a_name_is_printed_escaped(sample, tmp_path):
    """Names decode with surrogatepass; printing one to a UTF-8 stream raised
    UnicodeEncodeError."""
    def events(d):
        return reseal(d.replace(b"words", b"\xed\xb2\x80or", 1))
    d = _copy(sample, tmp_path / "surrogate", events)
    s = command("show", d)
    assert s.returncode == 0 and "\\udc80or = " in s.stdout, s.stderr
    assert command("stats", d).returncode == 0


def test_source_line_of_a_fifo_path_does_not_block(tmp_path):
    """show reads source lines only from regular files: a recorded path
    that now names a FIFO (or a device) would block it forever."""
    prog = tmp_path / "p.py"
    prog.write_text("x = 1\ny = x + 1\n")
    assert record(prog, tmp_path / "t").returncode == 0
    prog.unlink()
    os.mkfifo(prog)
    s = command("show", tmp_path / "t")
    first_step = next(x for x in s.stdout.splitlines() if " | " in x)   # after the thread's start and call
    assert s.returncode == 0 and first_step.endswith("p.py:1 <module> | "), s.stdout


def test_show_steps_argument_is_checked(sample):
    p = command("show", sample, "--steps", "abc")
    assert p.returncode == 2 and "Traceback" not in p.stderr and "--steps" in p.stderr


# ---- saved fuzzer findings ----------------------------------------------------------

CASES = {   # name: (statuses, what it found)
    "undefined-function": ({"stats": 2, "show": 2, "verify": 1}, "undefined function"),
    "metadata-args-not-text": ({"stats": 0, "show": 0, "verify": 3}, None),      # and a torn chunk
    "metadata-python-not-object": ({"stats": 0, "show": 0, "verify": 3}, None),
    "metadata-deep-json": ({"stats": 2, "show": 2, "verify": 1}, OLD_METADATA),
    "output-stream-not-an-enum-member": ({"stats": 2, "show": 2, "verify": 1}, "no Stdout/Stderr"),
    "metadata-surrogate-convert": ({"stats": 0, "show": 0, "verify": 0}, None),   # see below
    "metadata-exit-status-surrogate-convert": ({"stats": 0, "show": 0, "verify": 3}, None),  # test_codetracer
}


def test_convert_metadata_with_a_lone_surrogate(tmp_path):
    """A fuzzer finding: a metadata string with a lone surrogate
    (recording_error "\\udcff") made convert fail with UnicodeEncodeError
    writing its trace_metadata.json; it is written with U+FFFD instead."""
    d = tmp_path / "t"
    d.mkdir()
    (d / "trace.ctgt").write_bytes((FUZZ_CASES / "metadata-surrogate-convert.ctgt").read_bytes())
    (d / OLD_METADATA).write_bytes((FUZZ_CASES / "metadata-surrogate-convert.json").read_bytes())
    p = run(["-m", "ctgen_tracer", "convert", d, "--to", "codetracer", "-o", tmp_path / "out"])
    assert p.returncode == 0 and "Traceback" not in p.stderr, p.stderr
    meta = json.loads((tmp_path / "out" / "trace_metadata.json").read_text(encoding="utf-8"))   # CodeTracer's name
    assert meta["process_exit_status"]["label"] == "recording stopped early: \ufffd"


@pytest.mark.parametrize("name", sorted(CASES))
def test_fuzz_case(name, tmp_path):
    """Inputs tools/fuzz_reader.py found crashing the commands (KeyError on
    an undefined function id, TypeError/AttributeError on metadata of other
    types, RecursionError on deeply nested metadata JSON, TypeError on an
    Output record's stream outside the Stream enum)."""
    statuses, fragment = CASES[name]
    d = tmp_path / name
    d.mkdir()
    (d / "trace.ctgt").write_bytes((FUZZ_CASES / (name + ".ctgt")).read_bytes())
    if (FUZZ_CASES / (name + ".json")).exists():
        (d / OLD_METADATA).write_bytes((FUZZ_CASES / (name + ".json")).read_bytes())
    for cmd in ("stats", "show", "verify"):
        p = command(cmd, d)
        assert_clean(p, cmd)
        assert p.returncode == statuses[cmd], (cmd, p.stdout[-500:], p.stderr)
        if fragment and p.returncode in (1, 2):
            assert fragment in p.stdout + p.stderr


def test_fuzzer(tmp_path):
    """tools/fuzz_reader.py for CTGEN_FUZZ_SECONDS (default 10; CI: 60)."""
    seconds = float(os.environ.get("CTGEN_FUZZ_SECONDS", "10"))
    seed = fuzz_seed()
    p = run([ROOT / "tools" / "fuzz_reader.py", "--seconds", seconds, "--seed", seed,
             "--crashes", tmp_path / "crashes"], timeout=seconds + 300)
    assert p.returncode == 0, "fuzzer failed (seed %d):\n%s\n%s" % (seed, p.stdout[-5000:], p.stderr[-3000:])
    last = p.stdout.splitlines()[-1]
    assert " 0 failures" in last and "inputs/s" in last
    print(last)
