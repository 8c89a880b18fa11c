"""Event file format 3: every frame's CRC-32 finds damage and names the
chunk; the reader reads on past a damaged chunk; traces of formats 1 and 2
(tests/old_traces, with the old file names) are read by every command; a
newer format is refused by its version; nothing in a raw trace directory
has one of CodeTracer's file names. The framing is in
docs/trace-format.md ("The event file")."""

import contextlib
import io
import json
import random
import shutil
import struct
import zlib
from pathlib import Path

import pytest

from conftest import record, run
from ctgen_tracer import cli, convert, reader
from ctgen_tracer.tracedir import EVENTS_FILE, INDEX_FILE, METADATA_FILE, OLD_NAMES, PATHS_FILE

OLD_TRACES = Path(__file__).resolve().parent / "old_traces"
FLIPS = 40

# Definitions first, then a loop: chunks after the first define nothing new,
# so the records after a skipped chunk read without it.
LOOP = """
def step(i, acc):
    word = "w%d" % (i % 97)
    return (acc + i * len(word)) % 1000003, [word] * 3

acc = 0
for i in range(800):
    acc, words = step(i, acc)
print(acc)
"""


def verify(trace_dir):
    """(status, stdout) of the verify command, run in this process."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = cli.main(["verify", str(trace_dir)])
    return status, out.getvalue()


@pytest.fixture(scope="module")
def traces(tmp_path_factory):
    """{"plain": trace dir, "compressed": trace dir}: LOOP recorded with
    4 KiB chunks, without and with --compress."""
    work = tmp_path_factory.mktemp("checksums")
    prog = work / "loop.py"
    prog.write_text(LOOP)
    out = {}
    for name, opts in (("plain", []), ("compressed", ["--compress"])):
        p = record(prog, work / name, options=["--chunk-bytes", "4096"] + opts, cwd=work)
        assert p.returncode == 0, p.stderr
        out[name] = work / name
    assert reader.EventFile(str(out["plain"] / EVENTS_FILE)).chunk_count >= 10
    assert any(reader.EventFile(str(out["compressed"] / EVENTS_FILE)).compressed)
    return out


def _frame_of(spans, pos):
    """(index, offset) of the frame holding byte pos."""
    for k, (at, size) in enumerate(spans):
        if at <= pos < at + 4 + size:
            return k, at
    raise AssertionError("byte %d is in no frame" % pos)


@pytest.mark.parametrize("kind", ["plain", "compressed"])
def test_every_single_bit_flip_is_found_and_named(traces, tmp_path, kind):
    """40 of 40 random single-bit flips anywhere in the chunks (size
    prefixes, CRC-32s, chunks, compressed frames): verify says CORRUPT and
    its first problem names the chunk holding the flipped bit."""
    src = traces[kind]
    data = (src / EVENTS_FILE).read_bytes()
    spans = reader.EventFile(str(src / EVENTS_FILE)).spans
    rng = random.Random(14003 if kind == "plain" else 14004)
    d = tmp_path / "flipped"
    shutil.copytree(src, d)
    found = 0
    for _ in range(FLIPS):
        bit = rng.randrange(reader.HEADER_SIZE * 8, len(data) * 8)
        b = bytearray(data)
        b[bit // 8] ^= 1 << (bit % 8)
        (d / EVENTS_FILE).write_bytes(bytes(b))
        status, out = verify(d)
        k, at = _frame_of(spans, bit // 8)
        problems = [line for line in out.splitlines() if line.startswith("problem: ")]
        assert status == 1 and problems, (bit, out)
        assert problems[0].startswith("problem: chunk %d at byte %d: " % (k, at)), (bit, out)
        found += 1
    assert found == FLIPS


def test_crc_is_zlib_crc32_of_the_size_prefix_and_the_rest(traces):
    """The documented checksum, computed here with zlib alone, is what every
    frame carries."""
    for kind in ("plain", "compressed"):
        data = (traces[kind] / EVENTS_FILE).read_bytes()
        assert struct.unpack_from("<II", data, 8) == (reader.FORMAT_VERSION, 0) == (11, 0)
        for pos, size in reader.EventFile(str(traces[kind] / EVENTS_FILE)).spans:
            crc = struct.unpack_from("<I", data, pos + 4)[0]
            assert crc == zlib.crc32(data[pos + 8:pos + 4 + size], zlib.crc32(data[pos:pos + 4]))
    assert zlib.crc32(b"123456789") == 0xCBF43926   # CRC-32/ISO-HDLC, as the docs name it


def _damage(src, dest, k):
    """A copy of trace src with one byte in the middle of chunk k flipped."""
    shutil.copytree(src, dest)
    pos, size = reader.EventFile(str(src / EVENTS_FILE)).spans[k]
    b = bytearray((src / EVENTS_FILE).read_bytes())
    b[pos + 4 + size // 2] ^= 0x10
    (dest / EVENTS_FILE).write_bytes(bytes(b))
    return pos


@pytest.mark.parametrize("kind", ["plain", "compressed"])
def test_reading_goes_on_after_a_damaged_chunk(traces, tmp_path, kind):
    """A damaged chunk in the middle: the event file yields every other
    chunk and reports that one; Trace reads every other record and then
    raises naming it (skip_damaged=True: no error, the chunk in
    trace.damaged); verify lists it and goes on checking."""
    src = traces[kind]
    whole = reader.EventFile(str(src / EVENTS_FILE))
    k = whole.chunk_count // 2
    d = tmp_path / "damaged"
    pos = _damage(src, d, k)

    bad = []
    offsets = [off for off, _ in reader.EventFile(str(d / EVENTS_FILE)).chunks(bad.append)]
    assert offsets == [off for j, (off, _) in enumerate(whole.spans) if j != k]
    assert [(e.index, e.offset) for e in bad] == [(k, pos)] and "CRC-32 mismatch" in str(bad[0])
    assert [(e.index, e.offset) for e in reader.EventFile(str(d / EVENTS_FILE)).check()] == [(k, pos)]
    with pytest.raises(reader.ChunkError, match="chunk %d at byte %d: CRC-32 mismatch" % (k, pos)):
        list(reader.EventFile(str(d / EVENTS_FILE)).chunks())

    all_kinds = [r.kind for r in reader.Trace(str(src)).records()]
    lost = sum(len(c["kinds"]) for j, (_, c) in enumerate(reader.EventFile(str(src / EVENTS_FILE)).chunks())
               if j == k)
    got = []
    with pytest.raises(reader.TraceError, match="chunk %d at byte %d: CRC-32 mismatch" % (k, pos)):
        for r in reader.Trace(str(d)).records():
            got.append(r.kind)
    assert len(got) == len(all_kinds) - lost and got[-1] == all_kinds[-1] == "Exit"
    t = reader.Trace(str(d), skip_damaged=True)
    assert [r.kind for r in t.records()] == got
    assert [(e.index, e.offset) for e in t.damaged] == [(k, pos)]

    status, out = verify(d)
    assert status == 1
    assert out.splitlines()[0].startswith("problem: chunk %d at byte %d: CRC-32 mismatch" % (k, pos)), out
    assert out.splitlines()[-1].endswith("%d records in %d chunks, CORRUPT: %d problems"
                                         % (len(got), whole.chunk_count, out.count("problem: ")))
    for cmd in ("stats", "show"):
        p = run(["-m", "ctgen_tracer", cmd, d])
        assert p.returncode == 2 and p.stderr.count("\n") == 1, p.stderr
        assert "chunk %d at byte %d: CRC-32 mismatch" % (k, pos) in p.stderr, p.stderr


def test_two_damaged_chunks_are_both_named(traces, tmp_path):
    src = traces["plain"]
    d = tmp_path / "two"
    p1 = _damage(src, d, 2)
    spans = reader.EventFile(str(src / EVENTS_FILE)).spans
    p2, size = spans[5]
    b = bytearray((d / EVENTS_FILE).read_bytes())
    b[p2 + 4 + size - 1] ^= 0x01
    (d / EVENTS_FILE).write_bytes(bytes(b))
    status, out = verify(d)
    lines = out.splitlines()
    assert status == 1
    assert lines[0].startswith("problem: chunk 2 at byte %d: CRC-32 mismatch" % p1)
    assert lines[1].startswith("problem: chunk 5 at byte %d: CRC-32 mismatch" % p2)
    with pytest.raises(reader.TraceError, match="^2 damaged chunks skipped: chunk 2 at byte %d: .*; chunk 5 at "
                       "byte %d: " % (p1, p2)):
        list(reader.Trace(str(d)).records())


def test_a_size_prefix_that_runs_past_the_end_is_found(traces, tmp_path):
    """The last frame's size prefix made larger: the frame seems torn, but
    the file has every byte the metadata says was written."""
    src = traces["plain"]
    d = tmp_path / "long"
    shutil.copytree(src, d)
    ev = reader.EventFile(str(src / EVENTS_FILE))
    pos, size = ev.spans[-1]
    b = bytearray((src / EVENTS_FILE).read_bytes())
    struct.pack_into("<I", b, pos, size + 8)
    (d / EVENTS_FILE).write_bytes(bytes(b))
    status, out = verify(d)
    assert status == 1 and out.startswith("problem: chunk %d at byte %d: its size prefix runs past the end"
                                          % (ev.chunk_count - 1, pos)), out
    # the same file cut short by a crash (fewer bytes than written): truncated
    (d / EVENTS_FILE).write_bytes(bytes(b[:pos + 4 + size // 2]))
    assert verify(d)[0] == 3


@pytest.mark.parametrize("version", [1, 2])
def test_old_formats_are_read_by_every_command(tmp_path, version):
    """The traces of tests/old_traces (recorded by the recorder at format 1
    and 2, with trace_metadata.json and trace_paths.json) read as before."""
    src = OLD_TRACES / ("format%d" % version)
    assert sorted(p.name for p in src.iterdir()) == sorted([EVENTS_FILE, OLD_NAMES[METADATA_FILE],
                                                            OLD_NAMES[PATHS_FILE]])
    t = reader.Trace(str(src))
    assert t.file.version == version and not t.file.checked and t.file.check() == []
    assert t.metadata["recorder"]["format_version"] == version and t.finished is True
    kinds = [r.kind for r in t.records()]
    assert len(kinds) == 237 and kinds[-1] == "Exit" and not t.damaged
    status, out = verify(src)
    assert status == 0 and out.splitlines()[-1] == "%s: 237 records in 2 chunks, OK" % src, out
    for cmd in ("stats", "show"):
        p = run(["-m", "ctgen_tracer", cmd, src])
        assert p.returncode == 0 and p.stderr == "", p.stderr
    p = run(["-m", "ctgen_tracer", "convert", src, "--to", "codetracer", "-o", tmp_path / "ct"])
    assert p.returncode == 0, p.stderr
    assert json.loads((tmp_path / "ct" / convert.PATHS_JSON).read_text()) == \
        json.loads((src / OLD_NAMES[PATHS_FILE]).read_text())


def _old_trace_reads_the_same(tmp_path, version, records, chunks, snapshot):
    """tests/old_traces/formatN is read by every command, and Trace.steps()
    rebuilds the snapshots that format's reader rebuilt (formatN-steps.json,
    written by that reader: each step's function, line, and per variable
    what `snapshot(value)` gives)."""
    src = OLD_TRACES / ("format%d" % version)
    t = reader.Trace(str(src))
    assert t.file.version == version and t.metadata["recorder"]["format_version"] == version
    kinds = {r.kind for r in t.records()}
    assert ("Clock" in kinds) == (version >= 5) and ({"Obj", "ObjPut"} <= kinds) == (version >= 4)
    got = [[t.functions[step["fn"]].name, step["line"], {k: snapshot(v) for k, v in sorted(snap.items())}]
           for step, snap in t.steps()]
    assert got == json.loads((OLD_TRACES / ("format%d-steps.json" % version)).read_text())
    status, out = verify(src)
    assert status == 0 and out.splitlines()[-1] == "%s: %d records in %d chunks, OK" % (src, records, chunks), out
    for cmd in ("stats", "show"):
        p = run(["-m", "ctgen_tracer", cmd, src])
        assert p.returncode == 0 and p.stderr == "", p.stderr
    p = run(["-m", "ctgen_tracer", "convert", src, "--to", "codetracer", "-o", tmp_path / "ct"])
    assert p.returncode == 0, p.stderr


def test_format3_is_read_by_every_command_with_the_same_values(tmp_path):
    """tests/old_traces/format3 (recorded at format 3, before objects with
    identity), its snapshots as each variable's kind and rendering."""
    _old_trace_reads_the_same(tmp_path, 3, 198, 2, lambda v: [v.kind, v.render(1000)])


def test_format4_is_read_by_every_command_with_the_same_values(tmp_path):
    """tests/old_traces/format4 (recorded at format 4, objects with identity,
    before the compact records of format 5), its snapshots as each
    variable's kind, type and rendering."""
    _old_trace_reads_the_same(tmp_path, 4, 1049, 18, lambda v: [v.kind, v.type, v.render(1000)])


def test_format5_is_read_by_every_command_with_the_same_values(tmp_path):
    """tests/old_traces/format5 (recorded at format 5, Clock and compact
    records, before the ObjSet records of format 6), from the program of
    format4: the same snapshots."""
    _old_trace_reads_the_same(tmp_path, 5, 1049, 15, lambda v: [v.kind, v.type, v.render(1000)])
    assert json.loads((OLD_TRACES / "format5-steps.json").read_text()) == \
        json.loads((OLD_TRACES / "format4-steps.json").read_text())


def test_format6_is_read_by_every_command_with_the_same_values(tmp_path):
    """tests/old_traces/format6 (recorded at format 6, ObjSet records,
    before the Steps without a function id of format 7), from the program
    of format4: the same snapshots."""
    _old_trace_reads_the_same(tmp_path, 6, 1052, 15, lambda v: [v.kind, v.type, v.render(1000)])
    assert "ObjSet" in {r.kind for r in reader.Trace(str(OLD_TRACES / "format6")).records()}
    assert json.loads((OLD_TRACES / "format6-steps.json").read_text()) == \
        json.loads((OLD_TRACES / "format4-steps.json").read_text())


def test_format7_is_read_by_every_command_with_the_same_values(tmp_path):
    """tests/old_traces/format7 (recorded at format 7, Line records, before
    the names as ids of format 8: its instances' attribute names are Str
    nodes), from the program of format4: the same snapshots."""
    _old_trace_reads_the_same(tmp_path, 7, 1052, 15, lambda v: [v.kind, v.type, v.render(1000)])
    t = reader.Trace(str(OLD_TRACES / "format7"))
    raw = [c for _, c in t.file.chunks()]
    assert sum(len(c["line"]) for c in raw) > 0
    assert not any(reader.VALUE_KINDS[n[4]].startswith("Named") for c in raw for n in c["values"])
    assert json.loads((OLD_TRACES / "format7-steps.json").read_text()) == \
        json.loads((OLD_TRACES / "format4-steps.json").read_text())


def test_format8_is_read_by_every_command_with_the_same_values(tmp_path):
    """tests/old_traces/format8 (recorded at format 8, names as ids, before
    the packed children of format 9: every child of an object's content is
    a node), from the program of format4: the same snapshots."""
    _old_trace_reads_the_same(tmp_path, 8, 1057, 15, lambda v: [v.kind, v.type, v.render(1000)])
    t = reader.Trace(str(OLD_TRACES / "format8"))
    raw = [c for _, c in t.file.chunks()]
    kinds = {reader.VALUE_KINDS[n[4]] for c in raw for n in c["values"]}
    assert "NamedInstance" in kinds and "Packed" not in kinds
    assert json.loads((OLD_TRACES / "format8-steps.json").read_text()) == \
        json.loads((OLD_TRACES / "format4-steps.json").read_text())


def test_format9_is_read_by_every_command_with_the_same_values(tmp_path):
    """tests/old_traces/format9 (recorded at format 9, packed children and
    ObjAdd records, before the narrower records of format 10: its Lines,
    VarInts and ArgInts take 4-byte fields), from the program of format4:
    the same snapshots."""
    _old_trace_reads_the_same(tmp_path, 9, 1016, 7, lambda v: [v.kind, v.type, v.render(1000)])
    t = reader.Trace(str(OLD_TRACES / "format9"))
    raw = [c for _, c in t.file.chunks()]
    kinds = {reader.VALUE_KINDS[n[4]] for c in raw for n in c["values"]}
    assert "Packed" in kinds
    assert sum(len(c["line"]) for c in raw) > 0 and sum(len(c["var_int"]) for c in raw) > 0
    shorts = [reader.CHUNK_FIELDS[reader._FIRST_RECORD_FIELD + k][0] for k, r in enumerate(reader.RECORDS)
              if r[0].startswith("Short")]
    assert len(shorts) == 6 and not any(c.get(f) for c in raw for f in shorts)
    assert json.loads((OLD_TRACES / "format9-steps.json").read_text()) == \
        json.loads((OLD_TRACES / "format4-steps.json").read_text())


def test_format10_is_read_by_every_command_with_the_same_values(tmp_path):
    """tests/old_traces/format10 (recorded at format 10, the narrower
    records, before the Marks of format 11: no Mark ends a Step's snapshot
    before a Return's object records), from the program of format4: the
    same snapshots."""
    _old_trace_reads_the_same(tmp_path, 10, 1028, 7, lambda v: [v.kind, v.type, v.render(1000)])
    t = reader.Trace(str(OLD_TRACES / "format10"))
    raw = [c for _, c in t.file.chunks()]
    assert sum(len(c["short_line"]) for c in raw) > 0
    assert reader.MARK not in {r.kind for r in t.records()}
    assert json.loads((OLD_TRACES / "format10-steps.json").read_text()) == \
        json.loads((OLD_TRACES / "format4-steps.json").read_text())


def test_old_formats_hold_the_same_records():
    a, b = (reader.Trace(str(OLD_TRACES / d)) for d in ("format1", "format2"))
    ra, rb = ([(r.kind, {k: v for k, v in r.fields.items() if k != "ident"}) for r in t.records()] for t in (a, b))
    assert ra == rb


def test_a_damaged_old_paths_file_is_found(tmp_path):
    d = tmp_path / "old"
    shutil.copytree(OLD_TRACES / "format1", d)
    (d / OLD_NAMES[PATHS_FILE]).write_text('["/elsewhere.py"]')
    status, out = verify(d)
    assert status == 1 and "problem: trace_paths.json does not list the trace's 1 paths" in out, out


def test_a_newer_format_is_refused_by_its_version(traces, tmp_path):
    d = tmp_path / "newer"
    shutil.copytree(traces["plain"], d)
    b = bytearray((d / EVENTS_FILE).read_bytes())
    struct.pack_into("<I", b, 8, reader.FORMAT_VERSION + 1)
    (d / EVENTS_FILE).write_bytes(bytes(b))
    for cmd in ("verify", "stats", "show"):
        p = run(["-m", "ctgen_tracer", cmd, d])
        assert p.returncode == 2 and p.stderr.count("\n") == 1, p.stderr
        assert "has format version %d; this reader reads versions 1 to %d" % (
            reader.FORMAT_VERSION + 1, reader.FORMAT_VERSION) in p.stderr, p.stderr


def test_raw_trace_has_none_of_codetracers_file_names(traces):
    """CodeTracer's `ct` takes a directory holding trace_metadata.json for
    one of its traces: a raw trace holds none of its names."""
    names = set(p.name for p in traces["plain"].iterdir())
    assert names == {EVENTS_FILE, METADATA_FILE, PATHS_FILE, INDEX_FILE}   # the index: written at stop
    assert not names & {convert.METADATA_JSON, convert.PATHS_JSON, "trace.json"}


def test_recording_into_an_old_trace_replaces_it(tmp_path, write_program):
    """A directory holding a format-1 trace is ours: recording into it needs
    no --force and leaves no file of the old trace behind."""
    d = tmp_path / "old"
    shutil.copytree(OLD_TRACES / "format1", d)
    prog = write_program("x = 1\n")
    assert record(prog, d).returncode == 0
    assert sorted(p.name for p in d.iterdir()) == sorted([EVENTS_FILE, METADATA_FILE, PATHS_FILE, INDEX_FILE])
    assert verify(d)[0] == 0


def test_force_leaves_codetracers_files_alone(tmp_path, write_program, traces):
    """--force into a converted CodeTracer trace: its trace_metadata.json
    and trace_paths.json (CodeTracer's) are not ours to remove."""
    ct = tmp_path / "ct"
    assert run(["-m", "ctgen_tracer", "convert", traces["plain"], "--to", "codetracer", "-o", ct]).returncode == 0
    before = {n: (ct / n).read_bytes() for n in (convert.METADATA_JSON, convert.PATHS_JSON)}
    prog = write_program("x = 1\n")
    assert record(prog, ct).returncode == 2
    assert record(prog, ct, options=["--force"]).returncode == 0
    assert {n: (ct / n).read_bytes() for n in before} == before
    status, out = verify(ct)
    assert status == 0, out
    assert json.loads((ct / METADATA_FILE).read_text())["recorder"]["name"] == "ctgen-tracer"


def test_the_native_crc32_is_zlibs():
    """The native module's CRC-32 (src/crc.c, folding with carry-less
    multiplication), which the readers check frames with, gives zlib's value
    (binascii.crc32) for every length, alignment and starting value."""
    import binascii
    import random
    from ctgen_tracer._native import crc32
    rnd = random.Random(7)
    data = bytes(rnd.getrandbits(8) for _ in range(70000))
    for n in list(range(0, 300)) + [1023, 1024, 4096, 65535, 65536, 65537, 69990]:
        for start in (0, 1, 7):
            value = rnd.getrandbits(32)
            part = memoryview(data)[start:start + n]
            assert crc32(part, value) == binascii.crc32(part, value), (n, start)
            assert crc32(part) == binascii.crc32(part)
