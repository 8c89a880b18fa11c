"""Program output (--capture-io): what the program writes to sys.stdout and
sys.stderr is recorded as Output records on the writing thread, at the step
that wrote it, and the program's visible output stays byte-identical."""

import json
import subprocess
import sys

from conftest import env, record, run

from ctgen_tracer import reader
from ctgen_tracer.tracedir import EVENTS_FILE, METADATA_FILE

# Threads take turns (a condition variable), so the program's output, and
# the order of its writes, are the same in every run: a byte comparison of
# the combined 2>&1 stream is meaningful. stdout is block-buffered when it
# is not a terminal: the unflushed prints reach the combined stream late,
# which the traced run must reproduce exactly.
THREADS = r'''
import sys, threading

N, ROUNDS = 3, 4
turn = 0
cv = threading.Condition()

def emit(me, k):
    print("t%d r%d out" % (me, k))                          # line A
    print("t%d r%d flushed" % (me, k), flush=True)          # line B
    sys.stderr.write("t%d r%d err\n" % (me, k))             # line C
    sys.stdout.write("t%d r%d direct\n" % (me, k))          # line D
    print("t%d r%d" % (me, k), "err", sep="|", end="!\n", file=sys.stderr)  # line E

def take_turns(me):
    global turn
    for k in range(ROUNDS):
        with cv:
            while turn % N != me:
                cv.wait()
            emit(me, k)
            turn += 1
            cv.notify_all()

workers = [threading.Thread(target=take_turns, args=(i,)) for i in range(1, N)]
for w in workers:
    w.start()
take_turns(0)
for w in workers:
    w.join()
print("done", flush=True)
'''


def expected_writes(tagged=False):
    """(who, stream, text) of every print/write call of THREADS, in order;
    tagged: with the line that makes it ("A" to "E", "done")."""
    out = []
    for k in range(4):
        for me in range(3):
            out += [(me, "Stdout", "t%d r%d out\n" % (me, k), "A"),
                    (me, "Stdout", "t%d r%d flushed\n" % (me, k), "B"),
                    (me, "Stderr", "t%d r%d err\n" % (me, k), "C"),
                    (me, "Stdout", "t%d r%d direct\n" % (me, k), "D"),
                    (me, "Stderr", "t%d r%d|err!\n" % (me, k), "E")]
    out.append((0, "Stdout", "done\n", "done"))
    return out if tagged else [w[:3] for w in out]


def untraced_and_traced(prog, trace_dir, cwd, options=(), **kw):
    """Run prog untraced and traced, each with stdout and stderr apart and
    once more combined (2>&1); returns (plain, traced) as pairs of
    (stdout, stderr, combined, returncode), all bytes."""
    def go(args):
        a = subprocess.run([sys.executable] + args, cwd=cwd, env=env(**kw), capture_output=True, timeout=120)
        b = subprocess.run([sys.executable] + args, cwd=cwd, env=env(**kw), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=120)
        return a.stdout, a.stderr, b.stdout, a.returncode
    plain = go([str(prog)])
    traced = go(["-m", "ctgen_tracer", "-q", "--force", "-o", str(trace_dir), *options, str(prog)])
    return plain, traced


def outputs(trace_dir):
    return list(reader.Trace(str(trace_dir)).outputs())


def test_threads_interleaved_output_is_recorded_in_order_and_unchanged(write_program, tmp_path):
    prog = write_program(THREADS)
    plain, traced = untraced_and_traced(prog, tmp_path / "t", tmp_path, options=["--capture-io"])
    assert traced == plain   # stdout, stderr and the 2>&1 stream, byte for byte; same status
    assert plain[3] == 0 and b"t2 r3 direct" in plain[0]
    v = run(["-m", "ctgen_tracer", "verify", tmp_path / "t"])
    assert v.returncode == 0, v.stdout

    t = reader.Trace(str(tmp_path / "t"))
    src = prog.read_text().splitlines()
    outs = list(t.outputs())
    # The stream of each Output record is where the program wrote; per stream,
    # the records joined are exactly what the untraced program printed.
    for stream, data in (("Stdout", plain[0]), ("Stderr", plain[1])):
        assert "".join(o.text for o in outs if o.stream == stream).encode() == data
    # Program order, across threads and streams, character by character: a
    # record holds consecutive writes of one thread to one stream (a print's
    # text and its "\n" are apart when another thread recorded between them).
    who = {}
    for o in outs:
        if o.text.startswith("t"):
            me = int(o.text[1])
            assert who.setdefault(o.thread, me) == me, "thread %s wrote for t%d and t%d" % (o.thread, who[o.thread], me)
    assert len(who) == 3 and sorted(who.values()) == [0, 1, 2]
    got = [(who[o.thread], o.stream, ch) for o in outs for ch in o.text]
    assert got == [(me, stream, ch) for me, stream, text in expected_writes() for ch in text]
    # The step each belongs to: the line that wrote it (A to E of emit, or
    # the final print), on the same thread.
    tags = [tag for _, _, text, tag in expected_writes(tagged=True) for _ in text]
    pos = 0
    for o in outs:
        assert o.step is not None and o.step.thread == o.thread
        line = src[o.step["line"] - 1]
        for tag in set(tags[pos:pos + len(o.text)]):
            if tag == "done":
                assert 'print("done"' in line, line
            else:
                assert line.endswith("# line " + tag) and t.functions[o.step["fn"]].name == "emit", (o, line)
        pos += len(o.text)


def test_output_belongs_to_the_step_that_wrote_it(write_program, tmp_path):
    prog = write_program('''
def f(x):
    y = x * 2
    return y

print("value", f(21))
print("again", end="")
print()
''')
    p = record(prog, tmp_path / "t", cwd=tmp_path)
    assert p.returncode == 0 and p.stdout == "value 42\nagain\n"
    t = reader.Trace(str(tmp_path / "t"))
    outs = list(t.outputs())
    assert [(o.stream, o.text, o.step["line"]) for o in outs] == [
        ("Stdout", "value 42\n", 6), ("Stdout", "again", 7), ("Stdout", "\n", 8)]
    # the print runs after f returned: its Output follows f's steps in the
    # stream, and belongs to the caller's step at line 6
    steps = [s for s, _ in t.steps()]
    assert steps[outs[0].step_index].fields == outs[0].step.fields
    assert [s["line"] for s in steps].index(3) < [s["line"] for s in steps].index(8)
    # show prints them under their step; stats counts them
    show = run(["-m", "ctgen_tracer", "show", tmp_path / "t"])
    assert "[0] stdout (step %d, app.py:6): 'value 42\\n'" % outs[0].step_index in show.stdout, show.stdout
    stats = run(["-m", "ctgen_tracer", "stats", tmp_path / "t"])
    assert "Output" in stats.stdout and "stdout 3 records, 15 characters" in stats.stdout, stats.stdout


def test_writes_that_fail_or_are_not_str_behave_as_untraced(write_program, tmp_path):
    """A non-str write raises the same TypeError; a write that raises records
    nothing; what write() returns is returned; a write of bytes to the binary
    buffer below is not recorded (but written)."""
    prog = write_program(r'''
import sys
for bad in (3, b"bytes", None):
    try:
        sys.stdout.write(bad)
    except TypeError as e:
        print("TypeError:", e)
try:
    sys.stdout.write()
except TypeError as e:
    print("TypeError:", e)
try:
    sys.stdout.write("a", "b")
except TypeError as e:
    print("TypeError:", e)
try:
    print("caf\udce9")            # a lone surrogate: the strict utf-8 encoder refuses it
except UnicodeEncodeError as e:
    print("UnicodeEncodeError:", e.reason)
print("returned", sys.stdout.write("four"))
sys.stdout.flush()
sys.stdout.buffer.write(b"raw bytes\n")
sys.stdout.buffer.flush()
print(b"printed bytes", 1.5, None)

calls = []
class Loud(str):                  # the recorder reads the str's storage, never these
    def __str__(self): calls.append("str"); return "loud"
    def __len__(self): calls.append("len"); return 0
    def __iter__(self): calls.append("iter"); return iter("")
    def encode(self, *a): calls.append("encode"); return b""
sys.stdout.write(Loud("quiet\n"))
print("user methods called:", calls)
''')
    plain, traced = untraced_and_traced(prog, tmp_path / "t", tmp_path, PYTHONIOENCODING="utf-8")
    assert traced == plain
    assert plain[0].count(b"TypeError:") == 5 and b"returned 4" in plain[0] and b"raw bytes" in plain[0]
    assert b"quiet\nuser methods called: []" in plain[0]
    text = "".join(o.text for o in outputs(tmp_path / "t"))
    assert text == plain[0].decode().replace("raw bytes\n", "")
    assert "\udce9" not in text


def test_surrogates_unicode_and_large_writes_are_recorded_whole(write_program, tmp_path):
    prog = write_program(r'''
import sys
big = "0123456789abcdef" * (1 << 16)          # 1 MiB of ASCII in one write
sys.stdout.write(big)
wide = "é☃😀\n" * 100000                      # 400000 code points, 1 MB of UTF-8
print(wide, end="")
sys.stderr.write("bad byte: \udcff\n")         # stderr's errors="backslashreplace"
print("ünïcödé", "∑", "🐍")
''')
    plain, traced = untraced_and_traced(prog, tmp_path / "t", tmp_path, PYTHONIOENCODING="utf-8:surrogateescape")
    assert traced == plain
    outs = outputs(tmp_path / "t")
    big, wide = "0123456789abcdef" * (1 << 16), "é☃😀\n" * 100000
    stdout = "".join(o.text for o in outs if o.stream == "Stdout")
    assert stdout == big + wide + "ünïcödé ∑ 🐍\n"
    assert stdout.encode("utf-8", "surrogateescape") == plain[0]
    assert [o.text for o in outs if o.stream == "Stderr"] == ["bad byte: \udcff\n"]
    # long text is split into records of at most 256 KiB, never --max-text
    assert all(o.record["text_len"] <= 256 << 10 for o in outs)
    assert sum(1 for o in outs if o.text and o.text[0] in "0123456789abcdef") >= 4


def test_redirected_and_replaced_streams(write_program, tmp_path):
    """Output to a StringIO installed by contextlib.redirect_stdout is not
    program output: not recorded. A reference to sys.stdout taken before
    recording started is the same object: recorded. The stream objects keep
    their identity, type and attributes."""
    prog = write_program(r'''
import contextlib, io, sys
early = sys.stdout
buf = io.StringIO()
with contextlib.redirect_stdout(buf):
    print("into the buffer")
print("buffer held", repr(buf.getvalue()))
early.write("via a reference taken early\n")
print(sys.stdout is sys.__stdout__, type(sys.stdout).__name__, sys.stdout.isatty(),
      sys.stdout.fileno(), sys.stdout.encoding, sys.stderr.errors, sys.stdout.write.__name__,
      sys.stdout.write.__self__ is sys.stdout, callable(sys.stdout.write))
sys.stdout.writelines(["one\n", "two\n"])
sys.stdout.flush()
''')
    plain, traced = untraced_and_traced(prog, tmp_path / "t", tmp_path)
    assert traced == plain
    assert b"True TextIOWrapper False 1 utf-8 backslashreplace write True True" in plain[0]
    texts = [o.text for o in outputs(tmp_path / "t")]
    assert "into the buffer\n" not in texts
    assert "".join(texts) == plain[0].decode()
    assert "via a reference taken early\n" in texts


def test_capture_off_records_no_output(write_program, tmp_path):
    prog = write_program(r'''
import sys
print("out", "write" in vars(sys.stdout))
print("err", file=sys.stderr)
''')
    plain, traced = untraced_and_traced(prog, tmp_path / "t", tmp_path, options=["--no-capture-io"])
    assert traced == plain and plain[0] == b"out False\n"
    assert outputs(tmp_path / "t") == []
    meta = json.loads((tmp_path / "t" / METADATA_FILE).read_text())
    assert meta["options"]["capture_io"] is False and meta["output"] is None
    stats = run(["-m", "ctgen_tracer", "stats", tmp_path / "t"])
    assert "output:   not recorded (--no-capture-io)" in stats.stdout
    # on by default: the hook is visible in the instance dict (documented)
    p = record(prog, tmp_path / "t2", cwd=tmp_path)
    assert p.stdout == "out True\n"
    meta = json.loads((tmp_path / "t2" / METADATA_FILE).read_text())
    assert meta["options"]["capture_io"] is True
    assert meta["output"] == {"stdout": "captured", "stderr": "captured"}
    assert [o.text for o in outputs(tmp_path / "t2")] == ["out True\n", "err\n"]


def test_uncaught_exception_traceback_and_exit_message_are_recorded(write_program, tmp_path):
    prog = write_program('''
def fail():
    raise ValueError("boom")
print("before")
fail()
''')
    plain, traced = untraced_and_traced(prog, tmp_path / "t", tmp_path)
    assert traced == plain and plain[3] == 1
    t = reader.Trace(str(tmp_path / "t"))
    kinds = [r.kind for r in t.records()]
    err = "".join(o.text for o in t.outputs() if o.stream == "Stderr")
    assert err == plain[1].decode() and err.startswith("Traceback") and err.endswith("ValueError: boom\n")
    assert kinds[-1] == "Exit" and kinds[-2] == "Output"
    prog = write_program('''
import threading
def work():
    raise KeyError("in a thread")
t = threading.Thread(target=work)
t.start()
t.join()
''', name="thread.py")
    plain, traced = untraced_and_traced(prog, tmp_path / "t", tmp_path)
    assert traced == plain and b"KeyError: 'in a thread'" in plain[1]
    outs = outputs(tmp_path / "t")
    assert "".join(o.text for o in outs) == plain[1].decode()
    # on the thread; threading prints it after work() unwound: no open
    # activation, so no step
    assert {o.thread for o in outs} == {1} and outs[0].step is None
    prog = write_program('import sys\nsys.exit("bye")\n', name="exit.py")
    plain, traced = untraced_and_traced(prog, tmp_path / "t", tmp_path)
    assert traced == plain and plain[1] == b"bye\n"
    assert [o.text for o in outputs(tmp_path / "t")] == ["bye\n"]


def test_api_restores_streams_and_custom_streams(write_program, tmp_path):
    """With the API: a stream object of the program's own class set as
    sys.stdout before start() is captured (its write's return value and
    exceptions pass through); a write() the instance dict already had is
    wrapped and put back at stop(); the hook a program kept keeps working
    after stop(); a write the program puts in place itself wins."""
    prog = write_program(r'''
import sys, ctgen_tracer

class Upper:
    def __init__(self):
        self.got = []
    def write(self, s):
        if s == "fail":
            raise OSError("disk on fire")
        self.got.append(s.upper())
        return 123

real = sys.stdout
sys.stdout = mine = Upper()
sys.stderr.write = own = (lambda s, w=sys.stderr.write: w("[" + s + "]"))
ctgen_tracer.start(sys.argv[1], capture_io=True)
r = sys.stdout.write("hello")
try:
    sys.stdout.write("fail")
except OSError as e:
    r2 = str(e)
kept = sys.stdout.write
print("to stderr", file=sys.stderr)
stats = ctgen_tracer.stop()
kept("after")
sys.stdout = real
print(r, r2, mine.got, "write" in vars(mine), sys.stderr.write is own, stats["error"])
''')
    p = run([prog, tmp_path / "t"], cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "123 disk on fire ['HELLO', 'AFTER'] False True None\n"
    assert p.stderr == "[to stderr][\n]"
    meta = json.loads((tmp_path / "t" / METADATA_FILE).read_text())
    assert meta["output"] == {"stdout": "captured", "stderr": "captured"}
    # "fail" raised: withdrawn, although Upper.write (recorded code) ran; the
    # program's own stderr write (a recorded lambda) runs between the two
    # write() calls of print, so they are two records
    assert [(o.stream, o.text) for o in outputs(tmp_path / "t")] == [
        ("Stdout", "hello"), ("Stderr", "to stderr"), ("Stderr", "\n")]


def test_streams_that_cannot_be_hooked_are_left_alone(write_program, tmp_path):
    prog = write_program(r'''
import sys, ctgen_tracer

class Slotted:
    __slots__ = ("lines",)
    def __init__(self):
        self.lines = []
    def write(self, s):
        self.lines.append(s)

class Guarded:
    def __getattribute__(self, name):
        return object.__getattribute__(self, name)
    def write(self, s):
        sys.__stderr__.write(s)

real = sys.stdout
sys.stdout, sys.stderr = Slotted(), Guarded()
ctgen_tracer.start(sys.argv[1])
print("slotted")
print("guarded", file=sys.stderr)
ctgen_tracer.stop()
got, sys.stdout, sys.stderr = sys.stdout.lines, real, sys.__stderr__
print(got)
''')
    p = run([prog, tmp_path / "t"], cwd=tmp_path)
    assert p.returncode == 0 and p.stdout == "['slotted', '\\n']\n" and p.stderr == "guarded\n", p.stderr
    meta = json.loads((tmp_path / "t" / METADATA_FILE).read_text())
    assert meta["output"] == {"stdout": "not captured: it has no instance __dict__",
                              "stderr": "not captured: its type defines __getattribute__"}
    assert outputs(tmp_path / "t") == []


def test_recording_failure_during_a_write_keeps_the_output(write_program, tmp_path):
    prog = write_program(r'''
import sys
from ctgen_tracer import _native
print("first")
_native._fail_next(); sys.stdout.write("second\n")
print("third")
''')
    p = record(prog, tmp_path / "t", cwd=tmp_path)
    assert p.returncode == 0 and p.stdout == "first\nsecond\nthird\n"
    assert p.stderr == "ctgen-tracer: recording stopped: injected failure (test)\n"
    assert [o.text for o in outputs(tmp_path / "t")] == ["first\n"]
    v = run(["-m", "ctgen_tracer", "verify", tmp_path / "t"])
    assert v.returncode == 0, v.stdout


def test_no_values_chunks_are_cut_by_the_byte_rule_after_output(write_program, tmp_path):
    """--chunk-bytes bounds a chunk by the recorder's rule, `values + data +
    16 x records` (docs/design.md), with --no-values too, whose fast paths
    test a record bound set again after whatever appends text (here the
    Output records between runs of lines): a chunk ends when the next event
    finds the rule met, and no record after the chunk's last text was
    appended past it."""
    prog = write_program(r'''
def work(n):
    s = 0
    for k in range(n):
        s += k
    return s

for i in range(60):
    print("%04d" % i + "x" * (700 + 37 * (i % 11)))   # text between fast-path events
    work(25 + i % 7)
''')
    limit = 4096
    assert record(prog, tmp_path / "t", options=("--no-values", "--chunk-bytes", str(limit))).returncode == 0
    k_output = reader.RECORD_NAMES.index("Output")
    chunks = [c for _, c in reader.EventFile(str(tmp_path / "t" / EVENTS_FILE)).chunks()]
    assert len(chunks) > 10
    cut_by_text = 0
    for i, c in enumerate(chunks):
        kinds, data = c["kinds"], len(c["data"])
        assert not c["values"]
        if i < len(chunks) - 1:   # the next event found no room
            assert data + 16 * len(kinds) >= limit, (i, data, len(kinds))
        last_text = max((j for j, k in enumerate(kinds) if k == k_output), default=-1)
        if last_text < len(kinds) - 1:   # its last record, appended after all its text, had room
            assert data + 16 * (len(kinds) - 1) < limit, (i, data, len(kinds))
            cut_by_text += last_text >= 0 and data + 16 * (last_text + 40) >= limit
    assert cut_by_text > 0   # chunks whose text left room for fewer than 40 more records
