"""The event file checked against real FlatBuffers tools.

generated/trace.fbs must be a schema that Google's flatc accepts, and every
chunk the recorder writes must be a FlatBuffer of that schema: flatc turns it
into JSON, and the official `flatbuffers` Python package (with code that flatc
generates from the schema) reads it, both agreeing field for field with the
pure-Python reader (ctgen_tracer.reader). The pure reader must reject
corrupted chunks with TraceError. A compressed chunk (--compress) is a
FlatBuffer once decompressed: the same checks run on the chunks of a
compressed recording, decompressed here with zlib as docs/trace-format.md
says (not with the reader).

flatc (Debian's flatbuffers-compiler) and the `flatbuffers` PyPI package are
installed in CI; without them the tests that need them are skipped.
"""

import importlib
import json
import keyword
import pathlib
import shutil
import struct
import subprocess
import sys
import types
import zlib

import pytest

from conftest import ROOT, record, reseal, run

from ctgen_tracer import reader
from ctgen_tracer.tracedir import METADATA_FILE

SCHEMA = ROOT / "generated" / "trace.fbs"
FLATC = shutil.which("flatc")

needs_flatc = pytest.mark.skipif(
    FLATC is None, reason="flatc not found (Debian/Ubuntu: apt-get install flatbuffers-compiler)")

PROGRAM = '''\
"""Recorded by tests/test_flatbuffers.py."""
import sys


class Shape:
    def __init__(self, name, sides):
        self.name = name
        self.sides = sides

    def describe(self, prefix="a"):
        return "%s %s with %d sides" % (prefix, self.name, self.sides)


def checked_div(a, b):
    if b == 0:
        raise ZeroDivisionError("b is zero")
    return a / b


def squares(n):
    for i in range(n):
        yield i * i


def main(rounds):
    greeting = "hello flatbuffers"
    shapes = [Shape("triangle", 3), Shape("square", 4)]
    text = [s.describe() for s in shapes]
    results = []
    for x in (4, 0, 2):
        try:
            results.append(checked_div(12, x))
        except ZeroDivisionError as e:
            results.append(str(e))
    total = sum(squares(5))
    acc = 0
    for i in range(rounds):
        acc += i % 7
    print(greeting, text, results, total, acc)


main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
'''

EXPECTED_OUTPUT = ("hello flatbuffers ['a triangle with 3 sides', 'a square with 4 sides'] "
                   "[3.0, 'b is zero', 6.0] 30 %d\n")

# Records the program through the API with small chunks, so that the event
# file holds many of them.
API_DRIVER = '''\
import runpy, sys
import ctgen_tracer
out, program, rounds, compress = sys.argv[1:]
sys.argv = [program, rounds]
ctgen_tracer.start(out, chunk_bytes=4096, program=program, args=[rounds], compress=compress == "z")
try:
    runpy.run_path(program, run_name="__main__")
finally:
    ctgen_tracer.stop(exit_status=0)
'''

API_ROUNDS = 400   # enough for at least 10 chunks of 4096 bytes (format 5 writes less per round)


def _frames(path):
    """[(file offset, size-prefixed chunk bytes, compressed)] by walking the
    frames as docs/trace-format.md describes them: uint32 N (bit 31:
    compressed), uint32 CRC-32 (zlib.crc32 of the size word and of the N - 4
    bytes after the CRC), then the size-prefixed chunk of N - 4 bytes, or
    uint32 R, uint32 Z and Z bytes of zlib stream that decompress to the
    R-byte chunk, zero padding."""
    data = pathlib.Path(path).read_bytes()
    assert data[:8] == reader.MAGIC
    assert struct.unpack_from("<II", data, 8) == (reader.FORMAT_VERSION, 0) == (11, 0)
    chunks, pos = [], reader.HEADER_SIZE
    while pos < len(data):
        assert pos + 8 <= len(data), "torn frame head at byte %d" % pos
        prefix, crc = struct.unpack_from("<II", data, pos)
        size = prefix & 0x7FFFFFFF
        assert pos % 8 == 0 and (4 + size) % 8 == 0 and pos + 4 + size <= len(data), pos
        assert crc == zlib.crc32(data[pos + 8:pos + 4 + size], zlib.crc32(data[pos:pos + 4])), pos
        if prefix & 0x80000000:
            raw, z = struct.unpack_from("<II", data, pos + 8)
            assert 16 + z <= 4 + size < 16 + z + 8 and data[pos + 16 + z:pos + 4 + size].strip(b"\0") == b""
            buf = zlib.decompress(data[pos + 16:pos + 16 + z])
            assert len(buf) == raw
        else:
            buf = data[pos + 8:pos + 4 + size]
        assert struct.unpack_from("<I", buf, 0)[0] == len(buf) - 4
        chunks.append((pos, buf, bool(prefix & 0x80000000)))
        pos += 4 + size
    return chunks


def split_chunks(path):
    """[(file offset, size-prefixed chunk bytes)] of a recording without compression."""
    chunks = _frames(path)
    assert not any(packed for _, _, packed in chunks)
    return [(pos, buf) for pos, buf, _ in chunks]


def decompressed_chunks(path):
    """[(file offset, size-prefixed chunk bytes)] of a compressed recording."""
    chunks = _frames(path)
    assert any(packed for _, _, packed in chunks)   # the writer writes chunks plain when it falls behind: not all
    return [(pos, buf) for pos, buf, _ in chunks]


@pytest.fixture(scope="module")
def traces(tmp_path_factory):
    """{"cli": trace dir, "api": trace dir, "compressed": trace dir}: the
    program recorded by `python -m ctgen_tracer` (one chunk) and by
    ctgen_tracer.start() with chunk_bytes=4096 and a longer loop (many
    chunks), without and with compress=True."""
    work = tmp_path_factory.mktemp("flatbuffers-traces")
    program = work / "program.py"
    program.write_text(PROGRAM)
    driver = work / "driver.py"
    driver.write_text(API_DRIVER)

    cli = record(program, work / "cli", cwd=work)
    assert cli.returncode == 0, cli.stderr
    assert cli.stdout == EXPECTED_OUTPUT % 3

    for name, z in (("api", "-"), ("compressed", "z")):
        api = run([driver, work / name, program, API_ROUNDS, z], cwd=work)
        assert api.returncode == 0, api.stderr
        assert api.stdout == EXPECTED_OUTPUT % sum(i % 7 for i in range(API_ROUNDS))
    return {"cli": work / "cli", "api": work / "api", "compressed": work / "compressed"}


@pytest.fixture(scope="module", params=["cli", "api", "compressed"])
def chunks(request, traces):
    """(trace dir, [(offset, chunk bytes)]) of one recording (decompressed)."""
    path = traces[request.param] / "trace.ctgt"
    split = decompressed_chunks if request.param == "compressed" else split_chunks
    return traces[request.param], split(path)


def test_recordings_have_the_expected_chunks(traces):
    assert len(split_chunks(traces["cli"] / "trace.ctgt")) == 1
    many = split_chunks(traces["api"] / "trace.ctgt")
    assert len(many) >= 10
    meta = json.loads((traces["api"] / METADATA_FILE).read_text())
    assert meta["stats"]["chunks"] == len(many)
    assert meta["stats"]["bytes"] == (traces["api"] / "trace.ctgt").stat().st_size


def test_chunks_are_aligned_and_match_the_pure_reader(chunks):
    trace_dir, parts = chunks
    decoded = list(reader.EventFile(str(trace_dir / "trace.ctgt")).chunks())
    assert [off for off, _ in decoded] == [off for off, _ in parts]
    for seq, (off, buf) in enumerate(parts):
        assert off % 8 == 0, "chunk %d starts at byte %d, not 8-aligned" % (seq, off)
        assert len(buf) % 8 == 0, "chunk %d is %d bytes: the next one is not 8-aligned" % (seq, len(buf))
        assert buf[8:12] == b"CTGT"
        assert reader.parse_chunk(buf) == decoded[seq][1]
        assert decoded[seq][1]["seq"] == seq


# ---- flatc -----------------------------------------------------------------

@needs_flatc
@pytest.mark.parametrize("lang, expected", [
    ("--python", "ctgen/trace/Chunk.py"),
    ("--cpp", "trace_generated.h"),
])
def test_flatc_compiles_the_schema(tmp_path, lang, expected):
    r = subprocess.run([FLATC, lang, "-o", str(tmp_path), str(SCHEMA)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert (tmp_path / expected).is_file()
    if lang == "--cpp":
        header = (tmp_path / expected).read_text()
        assert "namespace trace" in header
        assert "VerifySizePrefixedChunkBuffer" in header
        assert 'return "CTGT";' in header


def _enum_name(table, value):
    """How flatc's JSON shows an enum value: its name, or the number if none."""
    return table.get(value, value) if isinstance(table, dict) else (
        table[value] if value < len(table) else value)


def pure_as_flatc_json(raw):
    """The pure reader's decoding of a chunk, shaped like flatc's JSON."""
    out = {}
    record_fields = {name.lower(): fields for name, fields, _, _ in reader.RECORDS}
    thread_events = reader.ThreadEvent
    for name, fmt, size in reader.CHUNK_FIELDS:
        value = raw[name]
        if size == 0:
            out[name] = value
        elif name == "kinds":
            out[name] = [_enum_name(reader.RECORD_NAMES, k) for k in value]
        elif name == "data":
            out[name] = list(value)
        elif name == "values":
            out[name] = []
            for node in value:
                d = dict(zip(reader.VALUE_FIELDS, node))
                d["kind"] = _enum_name(reader.VALUE_KINDS, d["kind"])
                out[name].append(d)
        else:
            fields = record_fields[name.replace("_", "")]
            out[name] = []
            for rec in value:
                d = dict(zip(fields, rec))
                if name == "thread":
                    d["what"] = _enum_name(thread_events, d["what"])
                elif name == "output":
                    d["stream"] = _enum_name(reader.Stream, d["stream"])
                out[name].append(d)
    return out


@needs_flatc
def test_flatc_converts_every_chunk_to_the_same_data(chunks, tmp_path):
    _, parts = chunks
    names = []
    for seq, (_, buf) in enumerate(parts):
        path = tmp_path / ("chunk%04d.bin" % seq)
        path.write_bytes(buf)
        names.append(path.name)
    out = tmp_path / "json"
    # flatc 2.0.8 reads size-prefixed buffers itself (--size-prefixed), so the
    # chunks are passed whole. No --raw-binary: flatc then also checks that
    # every chunk carries the schema's file_identifier "CTGT".
    r = subprocess.run([FLATC, "--json", "--strict-json", "--size-prefixed",
                        "-o", str(out), str(SCHEMA), "--"] + names,
                       cwd=str(tmp_path), capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    total_steps = 0
    for seq, (_, buf) in enumerate(parts):
        got = json.loads((out / ("chunk%04d.json" % seq)).read_text())
        raw = reader.parse_chunk(buf)
        want = pure_as_flatc_json(raw)
        assert got.get("seq", 0) == seq == raw["seq"]
        assert len(got["kinds"]) == len(raw["kinds"]) > 0
        assert got.get("step", []) == [{"fn": fn, "line": line} for fn, line in raw["step"]]
        assert got.get("line", []) == [{"line": line} for line, in raw["line"]]
        assert got.get("short_line", []) == [{"line": line} for line, in raw["short_line"]]
        total_steps += len(raw["step"]) + len(raw["line"]) + len(raw["short_line"])
        unknown = set(got) - set(want)
        assert not unknown, "flatc shows fields the pure reader does not know: %s" % unknown
        for name in want:   # every field and vector, element by element
            empty = 0 if name == "seq" else []
            assert got.get(name, empty) == want[name], "chunk %d, field %s" % (seq, name)
    assert total_steps > 0


# ---- the official flatbuffers package --------------------------------------

def _accessor(field):
    """The method flatc --python generates for a table or struct field:
    path_def -> PathDef, return -> Return_ (Python keywords get a '_')."""
    name = "".join(part[:1].upper() + part[1:] for part in field.split("_"))
    return name + "_" if keyword.iskeyword(field) else name


@pytest.fixture(scope="module")
def fbs(tmp_path_factory):
    """The classes flatc --python generates from generated/trace.fbs (package
    ctgen.trace for the schema's namespace, ctgen/trace/*.py): .Chunk,
    .RecordKind, .ValueKind, .ThreadEvent."""
    if FLATC is None:
        pytest.skip("flatc not found (Debian/Ubuntu: apt-get install flatbuffers-compiler)")
    pytest.importorskip("flatbuffers", reason="the flatbuffers package is not installed "
                        "(pip install flatbuffers)")
    out = tmp_path_factory.mktemp("flatc-python")
    subprocess.run([FLATC, "--python", "-o", str(out), str(SCHEMA)], check=True)
    assert (out / "ctgen" / "trace" / "Chunk.py").is_file()

    def ours(name):
        return name == "ctgen" or name.startswith("ctgen.")

    saved_path = list(sys.path)
    saved_modules = {k: v for k, v in sys.modules.items() if ours(k)}
    for k in saved_modules:
        del sys.modules[k]
    sys.path.insert(0, str(out))
    try:
        classes = {}
        for name in ("Chunk", "RecordKind", "ValueKind", "ThreadEvent"):
            module = importlib.import_module("ctgen.trace." + name)
            assert pathlib.Path(module.__file__).resolve().is_relative_to(out.resolve())
            classes[name] = getattr(module, name)
        yield types.SimpleNamespace(**classes)
    finally:
        sys.path[:] = saved_path
        for k in [k for k in sys.modules if ours(k)]:
            del sys.modules[k]
        sys.modules.update(saved_modules)


def test_generated_enums_match_the_pure_reader(fbs):
    assert [getattr(fbs.RecordKind, name) for name in reader.RECORD_NAMES] == \
        list(range(len(reader.RECORD_NAMES)))
    assert [getattr(fbs.ValueKind, name) for name in reader.VALUE_KINDS] == \
        list(range(len(reader.VALUE_KINDS)))
    assert {getattr(fbs.ThreadEvent, name): name for name in reader.ThreadEvent.values()} == \
        reader.ThreadEvent


def _struct_tuple(obj, fields):
    return tuple(getattr(obj, _accessor(f))() for f in fields)


def test_official_flatbuffers_reads_every_chunk(chunks, fbs):
    import flatbuffers.util
    Chunk = fbs.Chunk
    _, parts = chunks
    record_fields = {name.lower(): fields for name, fields, _, _ in reader.RECORDS}
    for seq, (_, buf) in enumerate(parts):
        raw = reader.parse_chunk(buf)
        assert flatbuffers.util.GetSizePrefix(buf, 0) == len(buf) - 4
        assert Chunk.ChunkBufferHasIdentifier(buf, 0, size_prefixed=True)
        data, start = flatbuffers.util.RemoveSizePrefix(buf, 0)
        c = Chunk.GetRootAs(data, start)
        assert c.Seq() == seq == raw["seq"]
        # kinds: the record stream
        assert c.KindsLength() == len(raw["kinds"]) > 0
        assert bytes(c.Kinds(j) for j in range(c.KindsLength())) == raw["kinds"]
        # the data pool
        assert bytes(c.Data(j) for j in range(c.DataLength())) == raw["data"]
        # every Value node; structs holding longs are 8-aligned (the chunk
        # starts 8-aligned in the file, so offsets from its start count)
        assert c.ValuesLength() == len(raw["values"])
        if c.ValuesLength():
            assert c.Values(0)._tab.Pos % 8 == 0, "chunk %d: values not 8-aligned" % seq
        if c.ThreadLength():
            assert c.Thread(0)._tab.Pos % 8 == 0, "chunk %d: thread not 8-aligned" % seq
        for j, node in enumerate(raw["values"]):
            v = c.Values(j)
            assert (v.A(), v.B(), v.Len(), v.Type(), v.Kind(), v.Flags()) == node, \
                "chunk %d, value node %d" % (seq, j)
        # every Step, field by field
        assert c.StepLength() == len(raw["step"])
        for j, (fn, line) in enumerate(raw["step"]):
            s = c.Step(j)
            assert (s.Fn(), s.Line()) == (fn, line), "chunk %d, step %d" % (seq, j)
        # every record vector: its length and every element's fields
        for name, _, _ in reader.CHUNK_FIELDS[4:]:
            fields = record_fields[name.replace("_", "")]
            acc = _accessor(name)
            n = getattr(c, acc + "Length")()
            assert n == len(raw[name]), "chunk %d, %s" % (seq, name)
            assert sum(1 for k in raw["kinds"] if reader.RECORD_NAMES[k].lower() == name.replace("_", "")) == n
            for j in range(n):
                assert _struct_tuple(getattr(c, acc)(j), fields) == raw[name][j], \
                    "chunk %d, %s[%d]" % (seq, name, j)


def test_official_flatbuffers_sees_the_program(traces, fbs):
    """Decoded with the official package alone, the trace names the program's
    functions, steps through their lines and holds its values."""
    Chunk = fbs.Chunk
    lines = PROGRAM.splitlines()

    def line_of(text):
        return lines.index(text) + 1

    functions, names, steps, texts = {}, {}, set(), {}
    for _, buf in split_chunks(traces["cli"] / "trace.ctgt"):
        c = Chunk.GetRootAs(buf, 4)
        data = bytes(c.Data(j) for j in range(c.DataLength()))

        def text(off, n):
            return data[off:off + n].decode("utf-8")

        for j in range(c.FunctionDefLength()):
            f = c.FunctionDef(j)
            functions[f.Id()] = (text(f.NameOff(), f.NameLen()), f.Line())
        for j in range(c.VarNameDefLength()):
            d = c.VarNameDef(j)
            names[d.Id()] = text(d.NameOff(), d.NameLen())
        # the records in stream order: a Line is a Step of the function its
        # chunk tells for the thread's current activation (docs/trace-format.md,
        # "Records that omit a field"): per thread, the function of the
        # innermost activation opened before the chunk (None: untold), then
        # those opened in it
        kind = {getattr(fbs.RecordKind, name): name for name in reader.RECORD_NAMES}
        vector = {name: _accessor(field[0]) for name, field in zip(reader.RECORD_NAMES, reader.CHUNK_FIELDS[4:])}
        told, at, thread = {}, {}, None
        for j in range(c.KindsLength()):
            name = kind[c.Kinds(j)]
            i = at[name] = at.get(name, -1) + 1
            rec = getattr(c, vector[name])(i)
            if name == "Thread":
                if rec.What() != fbs.ThreadEvent.Exit:
                    thread = rec.Id()
                continue
            st = told.setdefault(thread, [None])
            if name in reader.OPENS:
                st.append(rec.Fn())
            elif name in reader.CLOSES:
                if len(st) > 1:
                    st.pop()
                else:
                    st[0] = None
            elif name == "Step":
                st[-1] = rec.Fn()
                steps.add((functions[rec.Fn()][0], rec.Line()))
            elif name in ("Line", "ShortLine"):   # a Step without its fn (format 7; 10: a line below 2^16)
                steps.add((functions[st[-1]][0], rec.Line()))
        for j in range(c.VarLength()):
            v = c.Var(j)
            node = c.Values(v.Value())
            if node.Kind() == fbs.ValueKind.Str:
                texts.setdefault(names[v.Name()], set()).add(text(node.A(), node.Len()))

    by_name = dict(functions.values())
    assert by_name["checked_div"] == line_of("def checked_div(a, b):")
    assert by_name["Shape.describe"] == line_of('    def describe(self, prefix="a"):')
    assert by_name["squares"] == line_of("def squares(n):")
    assert ("checked_div", line_of('        raise ZeroDivisionError("b is zero")')) in steps
    assert ("main", line_of("            results.append(str(e))")) in steps
    assert ("squares", line_of("        yield i * i")) in steps
    assert ("main", line_of("        acc += i % 7")) in steps
    assert "hello flatbuffers" in texts["greeting"]


# ---- corruption ------------------------------------------------------------

def _layout(buf):
    """(root table position, vtable position) of a size-prefixed chunk."""
    root = 4 + struct.unpack_from("<I", buf, 4)[0]
    return root, root - struct.unpack_from("<i", buf, root)[0]


def _set_u16(buf, pos, value):
    b = bytearray(buf)
    struct.pack_into("<H", b, pos, value)
    return bytes(b)


def _corruptions(buf):
    """(description, corrupted chunk) of vtable corruptions that leave no
    valid reading."""
    root, vt = _layout(buf)
    vt_size, t_size = struct.unpack_from("<HH", buf, vt)
    n = len(buf)
    step = 4 + 2 * [f[0] for f in reader.CHUNK_FIELDS].index("step")
    yield "vtable size 0xffff", _set_u16(buf, vt, 0xFFFF)
    yield "odd vtable size", _set_u16(buf, vt, vt_size - 1)
    yield "vtable size 2", _set_u16(buf, vt, 2)
    yield "table size 0xffff", _set_u16(buf, vt + 2, 0xFFFF)
    yield "table size 2", _set_u16(buf, vt + 2, 2)
    yield "step field outside the table", _set_u16(buf, vt + step, t_size)
    yield "step field far outside the table", _set_u16(buf, vt + step, 0xFFF0)
    b = bytearray(buf)
    struct.pack_into("<i", b, root, root + 8)   # vtable before the buffer
    yield "vtable offset before the chunk", bytes(b)
    struct.pack_into("<i", b, root, root - n)   # vtable after the buffer
    yield "vtable offset after the chunk", bytes(b)


def _expect_trace_error(what, bad):
    try:
        reader.parse_chunk(bad)
    except reader.TraceError:
        return
    except Exception as e:
        pytest.fail("%s: parse_chunk raised %s: %s, not TraceError" % (what, type(e).__name__, e))
    pytest.fail("%s: parse_chunk accepted the chunk" % what)


def test_corrupted_vtable_raises_trace_error(traces):
    (_, buf), = split_chunks(traces["cli"] / "trace.ctgt")
    reader.parse_chunk(buf)   # intact: no error
    for what, bad in _corruptions(buf):
        _expect_trace_error(what, bad)


def test_scalar_field_straddling_the_chunk_end_raises_trace_error(traces):
    """The vtable says the table runs to the chunk's end and puts the 8-byte
    seq at its last 4 bytes: the field must be bounds-checked by its size."""
    (_, buf), = split_chunks(traces["cli"] / "trace.ctgt")
    root, vt = _layout(buf)
    room = len(buf) - root
    bad = _set_u16(_set_u16(buf, vt + 2, room), vt + 4, room - 4)
    _expect_trace_error("seq straddling the chunk's end", bad)


def test_any_vtable_byte_flip_gives_data_or_trace_error(traces):
    (_, buf), = split_chunks(traces["cli"] / "trace.ctgt")
    root, vt = _layout(buf)
    vt_size = struct.unpack_from("<H", buf, vt)[0]
    region = list(range(vt, vt + vt_size)) + list(range(root, root + 4))
    errors = 0
    for pos in region:
        for mask in (0x01, 0x10, 0x80, 0xFF):
            bad = bytearray(buf)
            bad[pos] ^= mask
            try:
                reader.parse_chunk(bytes(bad))
            except reader.TraceError:
                errors += 1
            except Exception as e:
                pytest.fail("flipping %#x at byte %d: %s: %s, not TraceError"
                            % (mask, pos, type(e).__name__, e))
    assert errors > 0


def test_event_file_reports_the_corrupted_chunk(traces, tmp_path):
    parts = split_chunks(traces["api"] / "trace.ctgt")
    off, buf = parts[1]
    root, vt = _layout(buf)
    data = bytearray((traces["api"] / "trace.ctgt").read_bytes())
    struct.pack_into("<H", data, off + 4 + reader.CRC_SIZE + vt, 0xFFFF)   # the chunk follows size and CRC-32
    path = tmp_path / "trace.ctgt"
    for data, found in ((bytes(data), "CRC-32 mismatch"), (reseal(data), "bad vtable size")):
        path.write_bytes(data)
        ev = reader.EventFile(str(path))
        seen = []
        with pytest.raises(reader.TraceError, match=r"chunk 1 at byte %d: %s" % (off, found)):
            for offset, _ in ev.chunks():
                seen.append(offset)
        assert seen == [parts[0][0]]
        with pytest.raises(reader.TraceError, match=r"chunk 1 at byte %d: %s" % (off, found)):
            list(reader.Trace(str(tmp_path)).records())


def _decode_everything(trace_dir):
    """Read every record of a trace and decode every value it references."""
    for rec in reader.Trace(str(trace_dir)).records():
        for field in ("value", "exc", "callable"):
            if field in rec.fields:
                rec.value(field)


@pytest.mark.parametrize("text", [
    b"checked_div",          # a FunctionDef name
    b"hello flatbuffers",    # a Str value
])
def test_invalid_utf8_in_the_data_pool_raises_trace_error(traces, tmp_path, text):
    data = (traces["cli"] / "trace.ctgt").read_bytes()
    assert text in data
    _decode_everything(traces["cli"])   # intact: no error
    (tmp_path / "trace.ctgt").write_bytes(reseal(data.replace(text, b"\xff" + text[1:])))
    try:
        _decode_everything(tmp_path)
    except reader.TraceError:
        return
    except Exception as e:
        pytest.fail("text %r made invalid UTF-8: the reader raised %s: %s, not TraceError"
                    % (text, type(e).__name__, e))
    pytest.fail("text %r made invalid UTF-8: the reader accepted it" % text)
