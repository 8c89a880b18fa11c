"""The C decoder (src/decode.c, _native.Checker) against its pure-Python twin
(reader._Checker) on real traces and damaged ones; the C fuzz target under
AddressSanitizer and UBSan; the commands' progress line on a terminal."""

import os
import pty
import random
import select
import shutil
import struct
import subprocess
import sys
import time

import pytest

from conftest import PROGRAMS, ROOT, env as child_env, fuzz_seed, record, run
from ctgen_tracer import reader

FUZZ_CASES = ROOT / "tests" / "fuzz_cases"
OLD_TRACES = ROOT / "tests" / "old_traces"


def both(path, values=True, strict=False):
    """(status, results, damaged) of Trace.check() with the C decoder and
    with the Python one; status is the TraceError's text or None."""
    out = []
    for native in (True, False):
        t = reader.Trace(path, skip_damaged=True)
        try:
            t.check(values=values, strict=strict, native=native)
            err = None
        except reader.TraceError as e:
            err = str(e)
        out.append((err is not None, t.check_results, [(e.index, e.offset) for e in t.damaged],
                    sorted(t.paths.items()), sorted(t.names.items()), sorted(t.types.items()),
                    sorted((i, f.name, f.path, f.line) for i, f in t.functions.items())))
    return out


def assert_same(path, **kw):
    c, py = both(path, **kw)
    assert c == py, path


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    base = tmp_path_factory.mktemp("corpus")
    dirs = []
    for name in ("basics.py", "generators.py", "exceptions.py", "threads.py", "hostile.py"):
        d = base / name
        assert record(PROGRAMS / name, d, options=("--chunk-bytes", "4096")).returncode == 0
        dirs.append(d)
    d = base / "compressed"
    assert record(PROGRAMS / "basics.py", d, options=("--chunk-bytes", "4096", "--compress")).returncode == 0
    dirs.append(d)
    return dirs + [OLD_TRACES / "format1", OLD_TRACES / "format2"]


def test_c_and_python_decoders_agree_on_the_corpus(corpus):
    for d in corpus:
        for values, strict in ((True, False), (False, True)):
            c, py = both(d, values=values, strict=strict)
            assert c == py, d
            assert not c[0] and c[1]["nproblems"] == 0, (d, c[1]["problems"][:3])
            assert c[1]["records"] == sum(len(ch["kinds"]) for _, ch in reader.Trace(d).file.chunks())


def _snapshots(d):
    out = []
    try:
        for step, snap in reader.Trace(d).steps():
            out.append((step.kind, step.fields, {k: (v.render(10 ** 6), repr(v.to_python()), v.length, v.flags)
                                                 if v is not None else None for k, v in snap.items()}))
    except reader.TraceError as e:
        out.append(str(e))
    return out


def test_c_and_python_value_trees_agree(corpus, monkeypatch):
    """reader.Chunk decodes value trees with the native module
    (src/decode_py.c, tree()) or in Python: the same Values."""
    assert reader._native_tree is not None
    for d in corpus:
        c = _snapshots(d)
        with monkeypatch.context() as m:
            m.setattr(reader, "_native_tree", None)
            assert _snapshots(d) == c, d


def test_c_and_python_decoders_agree_on_saved_fuzz_cases(tmp_path):
    for case in sorted(FUZZ_CASES.glob("*.ctgt")):
        d = tmp_path / case.stem
        d.mkdir()
        shutil.copy(case, d / "trace.ctgt")
        assert_same(d)


def _seal(data):
    """Recompute every format-3 frame's CRC-32 (tools/fuzz_reader.py's seal)."""
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import fuzz_reader
    finally:
        sys.path.pop(0)
    return fuzz_reader.seal(data)


def test_a_problem_then_an_error_in_one_record(corpus, tmp_path):
    """A FunctionDef whose path id is undefined and whose name lies outside
    the data pool: both decoders check field by field in declaration order,
    so both note the undefined path, then stop at the text (CI once found
    the Python one checking every text before any reference)."""
    data = bytearray((corpus[0] / "trace.ctgt").read_bytes())
    t = reader.Trace(corpus[0])
    fn = next(r for r in t.records() if r.kind == "FunctionDef")
    k = reader.RECORD_NAMES.index("FunctionDef")
    names, fmt = reader.RECORDS[k][1], reader.CHUNK_FIELDS[len(reader.CHUNK_FIELDS) - len(reader.RECORDS) + k][1]
    packed = struct.pack(fmt, *(fn[name] for name in names))
    at = data.find(packed)
    assert at > 0 and data.find(packed, at + 1) < 0, "the record's bytes are found once"
    damaged = dict(fn.fields, path=0x7777, name_off=0xFFFFFF)
    struct.pack_into(fmt, data, at, *(damaged[name] for name in names))
    d = tmp_path / "t"
    d.mkdir()
    (d / "trace.ctgt").write_bytes(_seal(bytes(data)))
    c, py = both(d)
    assert c == py
    err, results = c[0], c[1]
    assert err and results["problems"] == ["record %d (FunctionDef) uses undefined path %d"
                                           % (results["records"] + 1, 0x7777)], results["problems"]


def test_c_and_python_decoders_agree_on_damaged_traces(corpus, tmp_path):
    """Random damage behind the checksums (frames resealed): both decoders
    find the same problems, stop at the same error, read the same records."""
    rng = random.Random(int(os.environ.get("CTGEN_FUZZ_SEED", "14")))
    seeds = [(d / "trace.ctgt").read_bytes() for d in corpus[:5]]
    deadline = time.monotonic() + float(os.environ.get("CTGEN_FUZZ_SECONDS", "10"))
    n = 0
    while time.monotonic() < deadline or n < 50:
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(16, len(data))
            if rng.random() < 0.5:
                data[at] ^= 1 << rng.randrange(8)
            else:
                data[at:at + 4] = rng.choice([b"\0\0\0\0", b"\xff\xff\xff\xff", b"\x01\0\0\0", b"\x7f\0\0\0"])
        d = tmp_path / ("in%d" % (n % 4))
        d.mkdir(exist_ok=True)
        (d / "trace.ctgt").write_bytes(_seal(bytes(data)))
        try:
            assert_same(d)
        except reader.NotATraceError:
            pass
        if n % 5 == 0:   # the value trees too
            c = _snapshots(d)
            nt, reader._native_tree = reader._native_tree, None
            try:
                assert _snapshots(d) == c
            finally:
                reader._native_tree = nt
        n += 1


@pytest.fixture(scope="module")
def fuzz_decode(tmp_path_factory):
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler")
    exe = tmp_path_factory.mktemp("fuzz") / "fuzz_decode"
    p = subprocess.run([cc, "-std=c11", "-g", "-O1", "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                        "-I", ROOT / "src", "-I", ROOT / "generated", ROOT / "tests" / "fuzz" / "fuzz_decode.c",
                        ROOT / "src" / "decode.c", "-o", exe], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return exe


def test_c_fuzz_target(fuzz_decode, corpus, tmp_path):
    """tests/fuzz/fuzz_decode.c: the C decoder on mutated traces under ASan
    and UBSan for CTGEN_FUZZ_SECONDS (default 10); a failing input is kept
    in tmp_path/current.ctgt (add it to tests/fuzz_cases/)."""
    seconds = os.environ.get("CTGEN_FUZZ_SECONDS", "10")
    seed = str(fuzz_seed())
    seeds = [d / "trace.ctgt" for d in corpus]
    p = subprocess.run([fuzz_decode, "--seconds", seconds, "--seed", seed, "--save", tmp_path] + seeds,
                       capture_output=True, text=True, timeout=float(seconds) + 300)
    assert p.returncode == 0 and " 0 failures" in p.stdout, "seed %s:\n%s\n%s" % (seed, p.stdout, p.stderr[-3000:])


@pytest.fixture(scope="module")
def libfuzz_decode(tmp_path_factory):
    """tests/fuzz/fuzz_decode.c as a libFuzzer target (clang -fsanitize=fuzzer,
    with ASan and UBSan); tools/dev installs clang and its runtime
    (libclang-rt-14-dev) on the host. Skipped where clang cannot link a
    fuzzer (the sid chroot, which runs the other C target)."""
    clang = shutil.which("clang")
    if clang is None:
        pytest.skip("no clang")
    exe = tmp_path_factory.mktemp("libfuzz") / "fuzz_decode"
    p = subprocess.run([clang, "-std=c11", "-g", "-O1", "-DCTGEN_LIBFUZZER",
                        "-fsanitize=fuzzer,address,undefined", "-fno-sanitize-recover=all",
                        "-I", ROOT / "src", "-I", ROOT / "generated", ROOT / "tests" / "fuzz" / "fuzz_decode.c",
                        ROOT / "src" / "decode.c", "-o", exe], capture_output=True, text=True)
    if p.returncode != 0 and "libclang_rt.fuzzer" in p.stderr:
        pytest.skip("clang has no libFuzzer runtime here: " + p.stderr.strip().splitlines()[-1])
    assert p.returncode == 0, p.stderr
    return exe


def test_libfuzzer_target(libfuzz_decode, corpus, tmp_path):
    """The C decoder under libFuzzer's coverage-guided mutation, with ASan and
    UBSan, for CTGEN_FUZZ_SECONDS (default 10; CI: 60), from the corpus's
    event files; a crash leaves libFuzzer's crash-* input in tmp_path (add
    it to tests/fuzz_cases/)."""
    seconds = os.environ.get("CTGEN_FUZZ_SECONDS", "10")
    seed = str(fuzz_seed(1000000))   # (libFuzzer: 0 means "pick one")
    work = tmp_path / "corpus"
    work.mkdir()
    for i, d in enumerate(corpus):
        shutil.copy(d / "trace.ctgt", work / ("seed%d.ctgt" % i))
    p = subprocess.run([libfuzz_decode, "-max_total_time=" + seconds, "-seed=" + seed,
                        "-artifact_prefix=%s/" % tmp_path, "-print_final_stats=1", work],
                       capture_output=True, text=True, timeout=float(seconds) + 300)
    stats = [line for line in p.stderr.splitlines() if line.startswith("stat::number_of_executed_units")]
    assert p.returncode == 0 and stats, "seed %s:\n%s" % (seed, p.stderr[-3000:])
    assert int(stats[0].split(":")[-1]) > len(corpus), p.stderr[-3000:]


def test_c_fuzz_target_replays_saved_cases(fuzz_decode):
    cases = sorted(FUZZ_CASES.glob("*.ctgt")) + sorted(OLD_TRACES.glob("*/trace.ctgt"))
    p = subprocess.run([fuzz_decode, "--replay"] + cases, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]


# ---- progress ------------------------------------------------------------------------


def _on_pty(args, env):
    """Run args with stdin, stdout and stderr on a pseudo-terminal; its output."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(args[0], args, env)
    out = b""
    while True:
        r, _, _ = select.select([fd], [], [], 60)
        if not r:
            break
        try:
            chunk = os.read(fd, 1 << 16)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.waitpid(pid, 0)
    return out.decode("utf-8", "replace")


@pytest.fixture(scope="module")
def slow_trace(tmp_path_factory):
    d = tmp_path_factory.mktemp("slow") / "t"
    prog = d.parent / "loop.py"
    prog.write_text("t = 0\nfor i in range(100000):\n    t += i\n")
    assert record(prog, d).returncode == 0
    return d


@pytest.mark.parametrize("command", ["verify", "stats", "show", "convert"])
def test_progress_on_a_terminal_only(slow_trace, tmp_path, command):
    """A command that runs longer than a second shows a progress line on a
    terminal (CTGEN_PROGRESS_DELAY=0: at once, so the test does not depend
    on the machine's speed), and none when stderr is not a terminal."""
    env = child_env(CTGEN_PROGRESS_DELAY="0")
    extra = ["--to", "codetracer", "-o", str(tmp_path / "out")] if command == "convert" else []
    args = [sys.executable, "-m", "ctgen_tracer", command, str(slow_trace)] + extra
    if command == "show":   # a listing to a file, its progress on the terminal
        args = ["/bin/sh", "-c", " ".join(args) + " > %s" % (tmp_path / "listing")]
    out = _on_pty(args, env)
    assert "%s [" % command in out and "% " in out, out[-2000:]
    shutil.rmtree(tmp_path / "out", ignore_errors=True)
    p = run(["-m", "ctgen_tracer", command, slow_trace] + extra, CTGEN_PROGRESS_DELAY="0")
    assert p.returncode in (0, 3) and "%s [" % command not in p.stderr, p.stderr[-2000:]


def _clock_damaged(d, how):
    """The trace at d with its third chunk's Clock rule broken: "late" swaps
    its first two records' kinds (a Thread or Step first, the Clock second);
    "decreasing" sets its Clock's ns below the chunk before's (CRC-32s
    resealed)."""
    t = reader.Trace(d)
    raws = list(t.file.chunks(None))
    (_, before), (pos, raw) = raws[1], raws[2]
    k_clock = reader.RECORD_NAMES.index("Clock")
    kinds = bytes(raw["kinds"])
    assert kinds[0] == k_clock != kinds[1]
    data = bytearray((d / "trace.ctgt").read_bytes())
    end = pos + 4 + t.file.spans[2][1]
    if how == "late":
        old = struct.pack("<I", len(kinds)) + kinds[:32]
        new = struct.pack("<I", len(kinds)) + bytes([kinds[1], kinds[0]]) + kinds[2:32]
    else:
        ns, prev = _clock_of(raw), _clock_of(before)
        assert ns >= prev > 0
        old, new = struct.pack("<Q", ns), struct.pack("<Q", prev - 1)
    at = data.find(old, pos, end)
    assert at > 0 and data.find(old, at + 1, end) < 0, "the bytes are found once in the chunk"
    data[at:at + len(old)] = new
    out = d.parent / (d.name + "-" + how)
    out.mkdir()
    (out / "trace.ctgt").write_bytes(_seal(bytes(data)))
    return out, 2


def _clock_of(raw):
    k = reader.RECORD_NAMES.index("Clock")
    vector = reader.CHUNK_FIELDS[len(reader.CHUNK_FIELDS) - len(reader.RECORDS) + k][0]
    return raw[vector][0][0]


@pytest.mark.parametrize("how", ["late", "decreasing"])
def test_verify_checks_the_clock_rules(corpus, tmp_path, how):
    """Format 5 on, a Clock is the first record of every chunk and the
    clocks never decrease along the file: a chunk whose Clock is not first,
    or whose clock is below the chunk before's, is a problem both decoders
    report alike (and `verify` names), the records otherwise read."""
    d = max(corpus[:5], key=lambda d: reader.Trace(d).chunk_count)
    assert reader.Trace(d).chunk_count >= 3 and not any(both(d)[0][1]["problems"])
    bad, seq = _clock_damaged(d, how)
    c, py = both(bad)
    assert c == py
    err, results = c[0], c[1]
    assert not err
    problems = results["problems"]
    if how == "late":
        assert problems[0] == "chunk %d: its first record is not a Clock" % seq
        assert len(problems) == 2 and problems[1].endswith(": a Clock that is not its chunk's first record")
    else:
        assert len(problems) == 1 and "Clock" in problems[0] and "before the previous Clock's" in problems[0]
    v = run(["-m", "ctgen_tracer", "verify", bad])
    assert v.returncode != 0 and problems[0] in v.stdout + v.stderr


def test_lines_read_alone_give_the_steps_of_the_whole_file(corpus):
    """Format 7: most steps are Lines (a Step without its fn); every chunk
    read alone (chunk_records: random access, with only the thread current
    at its start) gives the same Steps, fn included, as reading the file
    from its start; and both decoders count Lines alike: as Line records,
    and as steps of the Step they stand for in the hottest lines and steps
    per function. (Format 10: a Line of a line below 2^16 is a ShortLine:
    either stands for a Step without its fn.)"""
    k_step = reader.RECORD_NAMES.index("Step")
    line_kinds = [n for n, (of, _) in reader.OMITS.items() if of == "Step"]
    assert set(line_kinds) == {"Line", "ShortLine"}
    k_lines = {reader.RECORD_NAMES.index(n) for n in line_kinds}
    total = [0, 0]
    for d in corpus[:5]:
        t = reader.Trace(d)
        whole, starts, thread = [], [], None
        for seq, (_, raw) in enumerate(t.file.chunks(None)):
            starts.append(thread)
            for rec in t.chunk_records(seq, thread):   # definitions known from here on
                if rec.kind == "Step":
                    whole.append((seq, rec.thread, rec["fn"], rec["line"]))
                if rec.kind == "Thread" and rec["what"] != reader.THREAD_EVENT_EXIT:
                    thread = rec["id"]
        assert whole == [(rec.chunk.raw["seq"], rec.thread, rec["fn"], rec["line"])
                         for rec in reader.Trace(d).records() if rec.kind == "Step"]
        alone = [(seq, rec.thread, rec["fn"], rec["line"]) for seq in range(t.chunk_count)
                 for rec in t.chunk_records(seq, starts[seq]) if rec.kind == "Step"]
        assert alone == whole
        lines = sum(k in k_lines for _, raw in t.file.chunks(None) for k in bytes(raw["kinds"]))
        steps = sum(bytes(raw["kinds"]).count(k_step) for _, raw in t.file.chunks(None))
        assert lines + steps == len(whole), d
        assert steps >= (t.chunk_count > 1), d   # a chunk begun inside an activation starts with a Step
        total[0] += lines
        total[1] += steps
        c, py = both(d)
        assert c == py
        res = c[1]
        assert sum(res["counts"].get(n, 0) for n in line_kinds) == lines and res["counts"].get("Step", 0) == steps
        assert sum(res["lines"].values()) == len(whole)
        assert sum(n for (rec, fn), n in res["by_function"].items() if rec == "Step") == len(whole)
    assert total[0] > 2 * total[1] > 0, total


def test_a_line_whose_chunk_tells_no_function(corpus, tmp_path):
    """A Line takes its fn from what its chunk tells of the thread's current
    activation (docs/trace-format.md, "Records that omit a field"). A chunk's
    first Step swapped with the Line after it (the chunk's kinds, resealed):
    the Line comes where the chunk tells no function yet, a problem both
    decoders report alike and `verify` names; a reader of records refuses
    the chunk. (A ShortLine, format 10, is a Line of a line below 2^16.)"""
    k_step = reader.RECORD_NAMES.index("Step")
    k_lines = {reader.RECORD_NAMES.index(n) for n, (of, _) in reader.OMITS.items() if of == "Step"}
    tells = {reader.RECORD_NAMES.index(n) for n in reader.OPENS | reader.CLOSES} | {k_step} | k_lines
    for d in corpus[:5]:
        t = reader.Trace(d)
        for seq, (pos, raw) in enumerate(t.file.chunks(None)):
            kinds = bytes(raw["kinds"])
            at = [i for i, k in enumerate(kinds) if k in tells][:2]
            if len(at) == 2 and kinds[at[0]] == k_step and kinds[at[1]] in k_lines:
                break
        else:
            continue
        break
    else:
        pytest.fail("no chunk of the corpus starts its steps with a Step then a Line")
    data = bytearray((d / "trace.ctgt").read_bytes())
    end = pos + 4 + t.file.spans[seq][1]
    old = struct.pack("<I", len(kinds)) + kinds
    where = data.find(old, pos, end)
    assert where > 0 and data.find(old, where + 1, end) < 0, "the chunk's kinds are found once"
    i, j = (where + 4 + x for x in at)
    data[i], data[j] = data[j], data[i]
    bad = tmp_path / "t"
    bad.mkdir()
    (bad / "trace.ctgt").write_bytes(_seal(bytes(data)))
    c, py = both(bad)
    assert c == py
    err, results = c[0], c[1]
    assert not err and len(results["problems"]) == 1, results["problems"]
    assert results["problems"][0].endswith(" whose chunk tells no function of its activation")
    line = reader.RECORD_NAMES[kinds[at[1]]]
    assert ": %s on thread " % line in results["problems"][0]
    v = run(["-m", "ctgen_tracer", "verify", bad])
    assert v.returncode == 1 and results["problems"][0] in v.stdout, v.stdout
    with pytest.raises(reader.TraceError, match="^%s record on thread .* whose chunk tells no function" % line):
        list(reader.Trace(bad).records())
