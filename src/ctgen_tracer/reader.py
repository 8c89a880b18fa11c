"""Read ctgen-tracer traces (pure Python, no third-party dependency).

    for rec in Trace(DIR).records():  # ids resolved: rec.kind, rec.fields, rec.thread
        ...

The decoding logic walks the spec's tables (trace_tables.py, generated from
spec/events.spec): records, layouts, enums, flags, sentinels and framing
come from there, by name. See docs/trace-format.md.
"""

import json as _json
import os as _os
from binascii import crc32 as _crc32
from collections import namedtuple as _namedtuple
import re as _re
import stat as _stat
import struct as _struct

from .trace_tables import (  # noqa: F401  (the tables are part of the reader's API)
    ALL_NAMES, CHECKSUM_SINCE, CHUNK_FIELDS, CLOCK_SINCE, CLOSES, COMPACT, COMPRESSED, COMPRESSED_SINCE, CRC_SIZE,
    DEFINITIONS,
    ENUM_FIELDS, EVENTS, FIELD_REFS, FORMAT_VERSION, HEADER_SIZE, IDENTIFIER, MAGIC, MAX_CHUNK, MIN_CHUNK, NOT_RECORDED,
    OMITS, OPENS, PLAIN_FORMAT_VERSION, RECORDS, THREAD_EVENT_EXIT, VALUE_FIELDS, VALUE_FLAG_TRUNCATED, VALUE_KINDS,
    VALUE_LAYOUTS, VALUE_PACKING, VALUE_REFS, Stream, ThreadEvent, ValueFlag)
from .tracedir import EVENTS_FILE, METADATA_FILE, find as _find

MAX_METADATA = 16 << 20     # bytes of the metadata (METADATA_FILE) this reader reads at most

_u16 = _struct.Struct("<H").unpack_from
_u32 = _struct.Struct("<I").unpack_from
_i32 = _struct.Struct("<i").unpack_from
_f64 = _struct.Struct("<d")
_i64 = _struct.Struct("<q")

RECORD_NAMES = tuple(r[0] for r in RECORDS)
_RECORD_INDEX = {name: i for i, name in enumerate(RECORD_NAMES)}
_FIELD_INDEX = {f[0]: i for i, f in enumerate(CHUNK_FIELDS)}
_FIRST_RECORD_FIELD = len(CHUNK_FIELDS) - len(RECORDS)


class TraceError(Exception):
    """The trace is not readable: the message says where and why."""


class NotATraceError(TraceError):
    """The path is not a ctgen-tracer trace at all (missing, not a directory
    holding trace.ctgt, not an event file, another format version)."""


def _need(cond, what):
    if not cond:
        raise TraceError(what)


def _utf8(raw, what):
    try:
        return bytes(raw).decode("utf-8", "surrogatepass")
    except UnicodeDecodeError as e:
        raise TraceError("%s is not valid UTF-8: %s" % (what, e.reason)) from None


def parse_chunk(buf, skip=()):
    """Decode one size-prefixed chunk (prefix included) into a dict: scalar
    fields by name, `kinds` as bytes, pools and record vectors as lists of
    tuples. Every offset is bounds-checked (TraceError on corruption).
    Vectors named in `skip` are left empty (e.g. the value pools, for a
    reader that needs only the records: index.py)."""
    n = len(buf)
    _need(n >= 16, "chunk shorter than its header")
    _need(buf[8:12] == IDENTIFIER, "chunk identifier is %r, not %r" % (bytes(buf[8:12]), IDENTIFIER))
    root = 4 + _u32(buf, 4)[0]
    _need(root + 4 <= n, "root offset out of the chunk")
    vt = root - _i32(buf, root)[0]
    _need(0 <= vt and vt + 4 <= n, "vtable offset out of the chunk")
    vt_size, t_size = _u16(buf, vt)[0], _u16(buf, vt + 2)[0]
    _need(vt_size >= 4 and vt_size % 2 == 0 and vt + vt_size <= n, "bad vtable size")
    _need(t_size >= 4 and root + t_size <= n, "bad table size")
    nfields = (vt_size - 4) // 2
    out = {}
    for i, (name, fmt, size) in enumerate(CHUNK_FIELDS):
        off = _u16(buf, vt + 4 + 2 * i)[0] if i < nfields else 0
        if off == 0 or name in skip:
            out[name] = 0 if size == 0 else (b"" if fmt == "<B" and i < _FIRST_RECORD_FIELD else [])
            continue
        _need(off + (_struct.calcsize(fmt) if size == 0 else 4) <= t_size,
              "field %s outside its table" % name)
        pos = root + off
        if size == 0:
            out[name] = _struct.unpack_from(fmt, buf, pos)[0]
            continue
        vec = pos + _u32(buf, pos)[0]
        _need(vec + 4 <= n, "vector %s out of the chunk" % name)
        count = _u32(buf, vec)[0]
        end = vec + 4 + count * size
        _need(end <= n, "vector %s (%d elements) runs past the chunk" % (name, count))
        body = bytes(buf[vec + 4:end])
        # bytes for the byte vectors (kinds, data); records as tuples, a record of one ubyte too
        out[name] = body if fmt == "<B" and i < _FIRST_RECORD_FIELD else list(_struct.iter_unpack(fmt, body))
    return out


def _open_regular(path, what):
    """Open path for reading if it is a regular file (a FIFO or a device
    would block or never end); NotATraceError otherwise."""
    try:   # O_NONBLOCK: opening a FIFO would otherwise wait for a writer
        fd = _os.open(path, _os.O_RDONLY | getattr(_os, "O_NONBLOCK", 0) | getattr(_os, "O_CLOEXEC", 0))
    except OSError as e:
        raise NotATraceError("cannot read %s %s: %s" % (what, path, e.strerror or e)) from None
    try:
        st = _os.fstat(fd)
    except OSError as e:
        _os.close(fd)
        raise NotATraceError("cannot read %s %s: %s" % (what, path, e.strerror or e)) from None
    if not _stat.S_ISREG(st.st_mode):
        _os.close(fd)
        raise NotATraceError("%s is not a regular file" % path)
    return _os.fdopen(fd, "rb"), st.st_size


_HEADERS = tuple(MAGIC + _struct.pack("<II", v, 0) for v in range(PLAIN_FORMAT_VERSION, FORMAT_VERSION + 1))


def inflate_chunk(frame):
    """The size-prefixed chunk (prefix included: what a plain chunk's 4 + N
    bytes are) in a compressed frame, given the frame's bytes after its size
    word (and, from format 3 on, after its CRC-32): uint32 R (the chunk's
    size, prefix included), uint32 Z, Z bytes of one zlib stream, zero
    padding. TraceError if any of it is damaged; never holds more than R
    bytes of output (R <= 4 + MAX_CHUNK)."""
    n = len(frame)
    _need(n >= 8, "compressed chunk shorter than its header")
    raw, z = _u32(frame, 0)[0], _u32(frame, 4)[0]
    _need(8 + z <= n and n - 8 - z < 8,
          "compressed chunk: a zlib stream of %d bytes cannot fill a frame of %d" % (z, n))
    _need(not bytes(frame[8 + z:]).strip(b"\0"), "compressed chunk: its padding is not zero")
    _need(24 <= raw <= 4 + MAX_CHUNK and raw % 8 == 0,
          "compressed chunk: its size before compression, %d bytes, is no chunk's" % raw)
    try:
        import zlib
    except ImportError:
        raise TraceError("this Python has no zlib module: it cannot read compressed chunks") from None
    d = zlib.decompressobj()
    try:
        out = d.decompress(frame[8:8 + z], raw)
    except zlib.error as e:
        raise TraceError("compressed chunk: its zlib data is corrupt (%s)" % e) from None
    _need(d.eof and len(out) == raw and not d.unused_data,
          "compressed chunk: its zlib data does not decompress to the %d bytes its header says" % raw)
    _need(_u32(out, 0)[0] == raw - 4,
          "compressed chunk: the chunk inside has size prefix %d, not %d" % (_u32(out, 0)[0], raw - 4))
    return out


def _frame_crc32():
    """The native module's CRC-32 (src/crc.c: zlib's, at memory speed), or binascii's without it."""
    try:
        from ._native import crc32
    except ImportError:
        return _crc32
    return crc32


_fast_crc32 = _frame_crc32()


def frame_crc(frame):
    """The CRC-32 a format-3 frame (its bytes from the size word on) should
    carry: zlib's CRC-32 (binascii.crc32, the same function) of its size word
    and of its bytes after the CRC."""
    view = memoryview(frame)
    return _fast_crc32(view[4 + CRC_SIZE:], _fast_crc32(view[:4]))


class ChunkError(TraceError):
    """A damaged chunk: `index` (its place in the file, from 0), `offset`
    (the file offset of its frame) and `reason`. When it is the framing that
    breaks (a size word no chunk has), reading cannot go on past it."""

    def __init__(self, index, offset, reason, framing=False):
        super().__init__("chunk %d at byte %d: %s" % (index, offset, reason))
        self.index, self.offset, self.reason, self.framing = index, offset, reason, framing


class EventFile:
    """The chunks of an event file (a path, or its bytes as `data`).

    Opening it reads only the header and the size words of the frames,
    then: `chunk_count`, the number of complete frames; `torn`, the bytes of
    an incomplete last frame (0 when the file ends cleanly) and `torn_at`,
    where they start; `header_torn`, the file ends inside its 16-byte header
    (the process was killed right after creating it: no chunks); `version`,
    the format version (PLAIN_FORMAT_VERSION to FORMAT_VERSION; from
    CHECKSUM_SINCE on every frame carries a CRC-32, `checked`);
    `compressed`, per complete frame, 0 or (compressed) its chunk's size
    before compression as its frame says. A size word that cannot be a
    frame's breaks the framing: nothing after it can be read.

    chunks() and raw_chunks() check each frame (its CRC-32, its
    decompression, its FlatBuffer) as they read it. A damaged chunk raises
    a ChunkError naming it (index and offset), or, given `on_damaged`, is
    passed to it and skipped: reading goes on with the next frame, as far as
    the framing allows. check() checks every frame's CRC-32 without
    decoding anything. Chunks are read one at a time: memory use is one
    chunk's."""

    def __init__(self, path, data=None):
        self.path = path
        self._data = None if data is None else bytes(data)
        if data is None:
            f, self.size = _open_regular(path, "event file")
            f.close()
        else:
            self.size = len(self._data)
        self.spans, self.torn, self.torn_at, self.header_torn, self._bad = [], 0, 0, False, None
        self.compressed, self.version = [], PLAIN_FORMAT_VERSION
        head = self._read(0, HEADER_SIZE)
        if len(head) < HEADER_SIZE and any(h.startswith(head) for h in _HEADERS):
            self.header_torn, self.torn = True, len(head)
            return
        if len(head) < HEADER_SIZE or head[:8] != MAGIC:
            raise NotATraceError("%s is not a ctgen-tracer event file (no %r header)"
                                 % (path, MAGIC.decode()))
        self.version = _u32(head, 8)[0]
        if not PLAIN_FORMAT_VERSION <= self.version <= FORMAT_VERSION:
            raise NotATraceError("%s has format version %d; this reader reads versions %d to %d"
                                 % (path, self.version, PLAIN_FORMAT_VERSION, FORMAT_VERSION))
        self._scan()

    @property
    def checked(self):
        """Whether every frame carries a CRC-32 (format CHECKSUM_SINCE on)."""
        return self.version >= CHECKSUM_SINCE

    @property
    def _head(self):
        """Bytes of a frame before its chunk (plain) or its R, Z (compressed)."""
        return 4 + (CRC_SIZE if self.checked else 0)

    def _read(self, pos, n):
        if self._data is not None:
            return self._data[pos:pos + n]
        with open(self.path, "rb") as f:
            f.seek(pos)
            return f.read(n)

    def _zeros_from(self, pos):
        """Whether every byte from pos to the end is zero (the tail a system
        crash can leave where a chunk was being written)."""
        if self._data is not None:
            return not self._data[pos:].strip(b"\0")
        with open(self.path, "rb") as f:
            f.seek(pos)
            while True:
                block = f.read(1 << 20)
                if not block:
                    return True
                if block.strip(b"\0"):
                    return False

    def _scan(self):
        """The framing: complete frames, a torn tail, or where it breaks."""
        pos, end, head = HEADER_SIZE, self.size, self._head
        packs = self.version >= COMPRESSED_SINCE   # chunks may be compressed
        least = MIN_CHUNK + head - 4
        # unbuffered: a frame's head is a few bytes, a buffered read would read 8 KiB at each frame
        f = None if self._data is not None else open(self.path, "rb", buffering=0)
        pread = getattr(_os, "pread", None)     # (one call per frame, not a seek and a read)
        try:
            if f is not None and pread is not None and _native_frame_heads is not None:
                # the plain frames in C (17,000 of a 1 GB trace: 0.1 s in this loop); from the first
                # other one on (a zero size word, a size no chunk has, a torn end), the loop below
                spans, compressed, pos = _native_frame_heads(f.fileno(), pos, end, head, COMPRESSED if packs else 0,
                                                             least, MAX_CHUNK)
                self.spans.extend(spans)
                self.compressed.extend(compressed)
            while pos < end:
                if end - pos < 4:
                    break
                if f is None:
                    prefix = self._data[pos:pos + head + 4]
                elif pread is not None:
                    prefix = pread(f.fileno(), head + 4, pos)
                else:
                    f.seek(pos)
                    prefix = f.read(head + 4)
                if len(prefix) < 4:   # the file shrank meanwhile
                    break
                size = _u32(prefix, 0)[0]
                packed = packs and size & COMPRESSED
                if packed:
                    size ^= COMPRESSED
                elif size == 0 and self._zeros_from(pos):
                    break
                if size < least or size > MAX_CHUNK or (4 + size) % 8:
                    self._bad = ChunkError(len(self.spans), pos, "its size prefix says %d bytes%s, which no chunk has"
                                           % (size, " (compressed)" if packed else ""), framing=True)
                    return
                if pos + 4 + size > end:
                    break
                self.spans.append((pos, size))
                self.compressed.append(_u32(prefix, head)[0] if packed else 0)
                pos += 4 + size
        finally:
            if f is not None:
                f.close()
        if pos < end:
            self.torn, self.torn_at = end - pos, pos

    @property
    def chunk_count(self):
        return len(self.spans)

    @property
    def uncompressed_size(self):
        """The file's size with every compressed chunk at its size before
        compression (as the frames say), in a plain frame."""
        head = self._head if self.checked else 0
        return self.size + sum(head + r - 4 - size for (_, size), r in zip(self.spans, self.compressed) if r)

    def _frames(self, reuse=False, start=0):
        """Yield (index, file offset, the frame's bytes from its size word on),
        from chunk `start` on; reuse: read each frame into one buffer (a
        memoryview of it, valid until the next frame is read)."""
        f = None if self._data is not None else open(self.path, "rb", buffering=0 if reuse else -1)
        room = memoryview(bytearray(max((4 + size for _, size in self.spans), default=0))) if reuse else None
        try:
            for seq in range(start, len(self.spans)):
                pos, size = self.spans[seq]
                if f is None:
                    buf = self._data[pos:pos + 4 + size]
                elif reuse:
                    f.seek(pos)
                    buf = room[:4 + size]
                    got = 0
                    while got < 4 + size:
                        n = f.readinto(buf[got:])
                        if not n:
                            break
                        got += n
                    buf = buf[:got]
                else:
                    f.seek(pos)
                    buf = f.read(4 + size)
                _need(len(buf) == 4 + size, "%s changed while it was read (chunk %d at byte %d)"
                      % (self.path, seq, pos))
                yield seq, pos, buf
        finally:
            if f is not None:
                f.close()

    def _crc_error(self, seq, pos, frame):
        """A ChunkError when frame's CRC-32 is not the one it carries, else None."""
        want, got = _u32(frame, 4)[0], frame_crc(frame)
        if want == got:
            return None
        return ChunkError(seq, pos, "CRC-32 mismatch: the frame says %08x, its bytes give %08x" % (want, got))

    def _unframe(self, seq, pos, frame):
        """The size-prefixed chunk in a frame (checked, decompressed)."""
        if self.checked:
            bad = self._crc_error(seq, pos, frame)
            if bad:
                raise bad
        if not self.compressed[seq]:
            if not self.checked:
                return frame
            chunk = memoryview(frame)[self._head:]
            _need(_u32(chunk, 0)[0] == len(chunk) - 4, "its chunk has size prefix %d, its frame holds %d bytes"
                  % (_u32(chunk, 0)[0], len(chunk) - 4))
            return chunk
        return inflate_chunk(memoryview(frame)[self._head:])

    def _framing_end(self, on_damaged):
        if self._bad:
            _report(self._bad, on_damaged)

    def check(self):
        """The ChunkErrors of the file's framing and of every frame whose
        CRC-32 is wrong (none in a file of format 1 or 2, which has no
        checksums), without decoding or decompressing anything."""
        found = []
        if self.checked:
            for seq, pos, frame in self._frames():
                bad = self._crc_error(seq, pos, frame)
                if bad:
                    found.append(bad)
        self._framing_end(found.append)
        return found

    def raw_chunks(self, on_damaged=None, reuse=False, start=0):
        """Yield (file offset, size-prefixed chunk bytes) in file order, a
        compressed chunk decompressed: each is one size-prefixed FlatBuffer
        (for parse_chunk, flatc --size-prefixed or the official libraries).
        A damaged frame (CRC-32, decompression): ChunkError, or given
        on_damaged, on_damaged(the ChunkError) and on with the next frame.
        reuse: the frames are read into one buffer, so that each chunk's
        bytes (a memoryview) are valid only until the next is yielded (for
        a reader that keeps nothing of them: index.py). start: from chunk
        `start` on (random access: show --steps)."""
        for seq, pos, frame in self._frames(reuse, start):
            try:
                chunk = self._unframe(seq, pos, frame)
            except TraceError as e:
                _report(e if isinstance(e, ChunkError) else ChunkError(seq, pos, str(e)), on_damaged)
                continue
            yield pos, chunk
        self._framing_end(on_damaged)

    def chunk_bytes(self, seq):
        """The size-prefixed bytes of chunk `seq` alone (its frame checked and
        decompressed; a damaged one raises its ChunkError), not parsed."""
        pos, size = self.spans[seq]
        frame = self._read(pos, 4 + size)
        _need(len(frame) == 4 + size, "%s changed while it was read (chunk %d at byte %d)" % (self.path, seq, pos))
        try:
            return memoryview(self._unframe(seq, pos, frame))
        except ChunkError:
            raise
        except TraceError as e:
            raise ChunkError(seq, pos, str(e)) from None

    def chunk(self, seq, buf=None):
        """(file offset, decoded chunk) of chunk `seq` alone, read straight
        from its frame (random access: index.py), or parsed from buf, its
        chunk_bytes(); a damaged one raises its ChunkError."""
        pos = self.spans[seq][0]
        if buf is None:
            buf = self.chunk_bytes(seq)
        try:
            chunk = parse_chunk(buf)
            _need(chunk.get("seq", seq) == seq, "its seq is %s" % chunk.get("seq"))
        except ChunkError:
            raise
        except TraceError as e:
            raise ChunkError(seq, pos, str(e)) from None
        return pos, chunk

    def chunks(self, on_damaged=None, skip=(), start=0):
        """Yield (file offset, decoded chunk) in file order, from chunk
        `start` on; damaged chunks (their frame, their FlatBuffer or their
        seq) as in raw_chunks(); `skip`: vectors left empty (parse_chunk)."""
        index = {pos: seq for seq, (pos, _) in enumerate(self.spans)}
        for pos, buf in self.raw_chunks(on_damaged, start=start):
            seq = index[pos]
            try:
                chunk = parse_chunk(memoryview(buf), skip)
                _need(chunk.get("seq", seq) == seq, "its seq is %s" % chunk.get("seq"))
            except TraceError as e:
                _report(ChunkError(seq, pos, str(e)), on_damaged)
                continue
            yield pos, chunk


def _report(error, on_damaged):
    """A damaged chunk: raise its ChunkError, or hand it to on_damaged."""
    if on_damaged is None:
        raise error
    on_damaged(error)


class Layout:
    """How a reader reads and shows one value kind's node (VALUE_LAYOUTS, from
    the spec's `layout`, `render` and `codetracer` clauses; see
    docs/spec-language.md, "Value layouts"): `kind` (its name), `layout`
    (none, bool, int, float, complex, text, ref, elided: a leaf; items,
    tuple, pairs, attrs, fields: a container), `encoding` (text: utf8,
    bytes, int, name), `fields` ((name, name when the child is text), ...)
    of a `fields` layout, `render` (a leaf's template, or a container's
    opening and closing strings), `empty` and `one` (a container's text
    with no item, after its only item), `codetracer` (the runtime_tracing
    type convert makes of it), and derived: `container`, `pairs` (children
    as key/name, value pairs), `children` (the number a `fields` layout
    has, else None). A `named` layout (format 8 on) is read as the kind
    `encoding` names, with names of kind fields[0][0] and type fields[0][1]
    (docs/trace-format.md, "Names as ids"); its decoders make that kind's
    Value, so no reader of Values meets it. So is a `packed` layout (format
    9 on), read as the kind its data names ("Packed children"). `pack`: how
    a child of the kind is packed in a packed node (VALUE_PACKING: none,
    varint, word; None: it stays a node)."""

    __slots__ = ("id", "kind", "layout", "encoding", "fields", "render", "empty", "one",
                 "codetracer", "container", "pairs", "children", "template", "pack")

    def __init__(self, id, kind, layout, encoding, fields, render, empty, one, codetracer, pack=None):
        self.pack = pack
        self.id, self.kind, self.layout, self.encoding, self.fields = id, kind, layout, encoding, fields
        self.render, self.empty, self.one, self.codetracer = render, empty, one, codetracer
        self.container = layout in _CONTAINER_LAYOUTS
        self.pairs = layout in ("pairs", "attrs")
        self.children = len(fields) if fields and layout == "fields" else None
        # a template as (literal, placeholder, literal, ...): placeholders at odd indices
        self.template = tuple(_re.split(r"\$(\w+)", render[0]))

    def __repr__(self):
        return "Layout(%s: %s%s)" % (self.kind, self.layout, " " + self.encoding if self.encoding else "")


_CONTAINER_LAYOUTS = frozenset(("items", "tuple", "pairs", "attrs", "fields", "named", "packed"))
_OBJECT_KIND = next((i for i, row in enumerate(VALUE_LAYOUTS) if row[0] == "object"), -1)   # the kind whose node names an object
LAYOUTS = tuple(Layout(i, kind, *row, pack=pack)
                for i, (kind, row, pack) in enumerate(zip(VALUE_KINDS, VALUE_LAYOUTS, VALUE_PACKING)))
_PACKED_KINDS = frozenset(lay.id for lay in LAYOUTS if lay.layout == "packed")
# per kind a `named` layout stands for: (its names' kind, their type), as an ObjAdd's name is read
_NAMES_OF = {lay.encoding: lay.fields[0] for lay in LAYOUTS if lay.layout == "named"}
LAYOUT_OF = {lay.kind: lay for lay in LAYOUTS}
_KIND_ID = {lay.kind: lay.id for lay in LAYOUTS}
CONTAINERS = frozenset(lay.kind for lay in LAYOUTS if lay.container)
_MAX_INT_BITS = 12000                                  # larger ints are rendered by size


class Value:
    """A decoded value: kind (a VALUE_KINDS name), type (its Python type's
    name), data (a Python scalar, str, bytes, or for CONTAINERS a list of
    child Values), length (the full length before truncation, for sized
    kinds) and flags. A chunk decodes each tree once: treat Values as
    read-only. to_python() and render() work on trees of any depth; how
    each kind reads and shows is its `layout` (LAYOUT_OF[kind])."""

    __slots__ = ("kind", "type", "data", "length", "flags")

    def __init__(self, kind, type, data, length=None, flags=0):
        self.kind, self.type, self.data, self.length, self.flags = kind, type, data, length, flags

    @property
    def truncated(self):
        return bool(self.flags & VALUE_FLAG_TRUNCATED)

    @property
    def layout(self):
        return LAYOUT_OF[self.kind]

    def __repr__(self):
        return "Value(%s, %s, %s)" % (self.kind, self.type, self.render(200))

    def to_python(self):
        """A plain Python object equal to the recorded one where the kind
        allows: by layout, items as a list, tuple and fields as a tuple,
        pairs as a list of (key, value) tuples, attrs as a dict of the
        attributes with "__type__"; leaves as their data."""
        results, stack = [], [(self, False)]
        while stack:
            v, built = stack.pop()
            if type(v.data) is not list:
                results.append(v.data)
            elif not built:
                stack.append((v, True))
                stack.extend((c, False) for c in reversed(v.data))
            else:
                n = len(v.data)
                items = results[len(results) - n:] if n else []
                del results[len(results) - n:]
                results.append(_build(v, items))
        return results[0]

    def render(self, limit=80):
        """A short human-readable rendering, at most `limit` characters."""
        return _render(self, limit)


def _key(child, item):
    """A dict key for an attribute name (names are normally str)."""
    try:
        hash(item)
        return item
    except TypeError:
        return _render(child, 200)


def _build(v, items):
    lay = LAYOUT_OF[v.kind].layout
    if lay == "items":
        return items
    if lay in ("tuple", "fields"):
        return tuple(items)
    if lay == "pairs":
        return [(items[i], items[i + 1]) for i in range(0, len(items) - 1, 2)]
    out = {"__type__": v.type}      # attrs
    for i in range(0, len(items) - 1, 2):
        out[_key(v.data[i], items[i])] = items[i + 1]
    return out


def leaf_text(v, room=None):
    """The rendering of leaf Value v by its kind's render template, its
    text cut at `room` characters (None: whole, and no "..." after a
    truncated one: the caller marks it)."""
    lay = LAYOUT_OF[v.kind]
    t = lay.template
    if len(t) == 1:
        return t[0]
    parts = [t[0]]
    for j in range(1, len(t), 2):
        name = t[j]
        if name == "type":
            parts.append(str(v.type))
        elif name == "length":
            parts.append(str(v.length))
        elif name == "text":
            parts.append(str(v.data)[:room])
        else:   # value
            parts.append(_value_text(v, lay, room))
        parts.append(t[j + 1])
    return "".join(parts)


def _value_text(v, lay, room):
    d = v.data
    if lay.encoding == "int":
        if d is None:   # beyond --max-text: only its size was recorded
            return "<int of %s bytes>" % v.length
        if d.bit_length() > _MAX_INT_BITS:
            return "<int of %d bits>" % d.bit_length()
    elif lay.encoding is not None:
        return repr(d[:room]) + ("..." if v.truncated and room is not None else "")
    return repr(d)


def _render(value, limit):
    """Render iteratively, stopping once the text is longer than limit."""
    out, size, stack = [], 0, [value]
    while stack and size <= limit:
        v = stack.pop()
        if type(v) is str:
            piece = v
        else:
            lay = LAYOUT_OF[v.kind]
            if not lay.container:
                piece = leaf_text(v, limit + 1)
            else:
                d = v.data
                if not d and lay.empty is not None and not v.truncated:
                    piece, todo = lay.empty, ()
                else:
                    piece, todo = _container_parts(v, lay, d)
                stack.extend(reversed(todo))
        out.append(piece)
        size += len(piece)
    s = "".join(out)
    return s if len(s) <= limit and not stack else s[:max(0, limit - 3)] + "..."


def _container_parts(v, lay, d):
    """(opening text, the pieces and child Values that follow it) of container v."""
    opening, closing = lay.render
    if "$type" in opening:
        opening = opening.replace("$type", str(v.type))
    parts = []
    if lay.layout == "attrs":
        for i in range(0, len(d) - 1, 2):
            if i:
                parts.append(", ")
            name = d[i]
            parts.append(name.data if LAYOUT_OF[name.kind].encoding == "utf8" else name)
            parts.append("=")
            parts.append(d[i + 1])
    else:
        sep = ": " if lay.layout == "pairs" else None
        if lay.children == 1 and lay.fields[0][1] is not None and LAYOUT_OF[d[0].kind].layout == "tuple":
            v = d[0]   # one field, text or a tuple (an exception's args): the args as a call's, E(1, 2), E()
            d, lay = v.data, None   # (no one-item comma: E(x), not E(x,))
        for i, x in enumerate(d):
            if i:
                parts.append(sep if sep and i % 2 else ", ")
            parts.append(x)
    if v.truncated:
        parts.append(", ..." if d else "...")
    elif len(d) == 1 and lay is not None and lay.one is not None:
        parts.append(lay.one)
    parts.append(closing)
    return opening, parts


# ---- decoding a node by its layout: one function per layout, (Value, children to follow) ----

def _bits(a):
    return _f64.unpack(_i64.pack(a))[0]


def _dec_none(c, kind, root, i, a, b, n, type, flags):
    return Value(kind, type, None, flags=flags), 0


def _dec_bool(c, kind, root, i, a, b, n, type, flags):
    return Value(kind, type, bool(a), flags=flags), 0


def _dec_int(c, kind, root, i, a, b, n, type, flags):
    return Value(kind, type, a, flags=flags), 0


def _dec_float(c, kind, root, i, a, b, n, type, flags):
    return Value(kind, type, _bits(a), flags=flags), 0


def _dec_complex(c, kind, root, i, a, b, n, type, flags):
    return Value(kind, type, complex(_bits(a), _bits(b)), flags=flags), 0


def _dec_utf8(c, kind, root, i, a, b, n, type, flags):
    return Value(kind, type, _utf8(c._text(a, n), "a %s value" % kind), b, flags), 0


def _dec_bytes(c, kind, root, i, a, b, n, type, flags):
    return Value(kind, type, bytes(c._text(a, n)), b, flags), 0


def _dec_bigint(c, kind, root, i, a, b, n, type, flags):
    raw = c._text(a, n)
    return Value(kind, type, int.from_bytes(raw, "little", signed=True) if raw else None, b, flags), 0


def _dec_name(c, kind, root, i, a, b, n, type, flags):
    return Value(kind, type, bytes(c._text(a, n)).decode("utf-8", "replace"), flags=flags), 0


def _dec_ref(c, kind, root, i, a, b, n, type, flags):
    _need(0 <= a < i - root, "back-reference to a later node")
    return Value(kind, type, a, flags=flags), 0


def _dec_elided(c, kind, root, i, a, b, n, type, flags):
    return Value(kind, type, None, b, flags), 0


def _dec_object(c, kind, root, i, a, b, n, type, flags):
    return Value(kind, type, a, flags=flags), 0


def _dec_items(c, kind, root, i, a, b, n, type, flags):
    return Value(kind, type, [], b, flags), n


def _dec_named(c, kind, root, i, a, b, n, type, flags):
    """A `named` node (format 8 on): (a Value of the kind it stands for, its
    children, the names to put before them: one Value per child)."""
    lay = LAYOUT_OF[kind]
    name_kind, name_type = lay.fields[0]
    _need(0 <= a and a + 4 * n <= len(c.data), "name ids [%d:%d] outside the data pool" % (a, a + 4 * n))
    raw = c.data[a:a + 4 * n]
    names, out = c.names, []
    for (nid,) in _struct.iter_unpack("<I", raw):
        name = names.get(nid)
        if name is None:
            raise TraceError("value uses undefined name id %d" % nid)
        out.append(Value(name_kind, name_type, name, len(name), 0))
    return Value(lay.encoding, type, [], b, flags), n, out


def _uleb(data, p, what):
    """(the ULEB128 number at data[p], the offset after it): at most 64 bits."""
    x = shift = 0
    while True:
        _need(p < len(data), "packed children run past the data pool (%s)" % what)
        byte = data[p]
        p += 1
        x |= (byte & 0x7F) << shift
        if byte < 0x80:
            break
        shift += 7
        _need(shift < 64, "packed children: a %s of more than 64 bits" % what)
    _need(x < 1 << 64, "packed children: a %s of more than 64 bits" % what)
    return x, p


def _dec_packed(c, kind, root, i, a, b, n, type, flags):
    """A `packed` node (format 9 on, docs/trace-format.md, "Packed
    children"): (a Value of the kind it stands for, the children that are
    nodes, the names to put before the children (a named kind's) or None,
    the `n` children in order: a Value, or None for the next node)."""
    data = c.data
    nd = len(data)
    _need(0 <= a < nd, "packed children at %d outside the data pool" % a)
    sk = data[a]
    p = a + 1
    _need(sk < len(LAYOUTS) and LAYOUTS[sk].container and LAYOUTS[sk].layout != "packed",
          "a %s value stands for value kind %d, which is no container" % (kind, sk))
    stands = LAYOUTS[sk]
    names = None
    if stands.layout == "named":
        _need(p + 4 <= nd, "packed children at %d outside the data pool" % a)
        off = int.from_bytes(data[p:p + 4], "little")
        p += 4
        v, _, names = _dec_named(c, stands.kind, root, i, off, b, n, type, flags)
    else:
        v = _DECODE[sk][0](c, stands.kind, root, i, a, b, n, type, flags)[0]
    _need(n <= nd, "packed children run past the data pool")
    kids, nodes, types = [], 0, c.types
    for _ in range(n):
        _need(p < nd, "packed children run past the data pool")
        k = data[p]
        p += 1
        if k == 0xFF:
            kids.append(None)
            nodes += 1
            continue
        _need(k < len(LAYOUTS) and LAYOUTS[k].pack is not None, "a packed child of value kind %d, which does not pack" % k)
        tid, p = _uleb(data, p, "type id")
        t = types.get(tid)
        if t is None:
            raise TraceError("value uses undefined type id %d" % tid)
        form = LAYOUTS[k].pack
        if form == "varint":
            z, p = _uleb(data, p, "number")
            x = (z >> 1) ^ -(z & 1)
        elif form == "word":
            _need(p + 8 <= nd, "packed children run past the data pool")
            x = int.from_bytes(data[p:p + 8], "little", signed=True)
            p += 8
        else:
            x = 0
        kids.append(_DECODE[k][0](c, VALUE_KINDS[k], root, i, x, 0, 0, t, 0)[0])
    return v, nodes, names, kids


def _fill(pdata, pnames, kids, at):
    """Append a packed node's children from kids[at] up to its next node
    child (None) to pdata (each after its name, pnames not None); the index
    of that node child (len(kids): none left)."""
    n = len(kids)
    while at < n:
        v = kids[at]
        if v is None:
            break
        if pnames is not None:
            pdata.append(pnames[len(pdata) >> 1])
        pdata.append(v)
        at += 1
    return at


def _decoder(lay):
    """The node decoder of a layout, with the checks of its child count."""
    if lay.layout == "named":
        return _dec_named
    if lay.layout == "packed":
        return _dec_packed
    if lay.children is not None:
        want = lay.children

        def fields(c, kind, root, i, a, b, n, type, flags):
            _need(n == want, "%s value with %d children, not %d" % (kind, n, want))
            return Value(kind, type, [], b, flags), n
        return fields
    if lay.pairs:
        def pairs(c, kind, root, i, a, b, n, type, flags):
            _need(n % 2 == 0, "%s value with an odd number of children" % kind)
            return Value(kind, type, [], b, flags), n
        return pairs
    if lay.container:
        return _dec_items
    if lay.layout == "text":
        return {"utf8": _dec_utf8, "bytes": _dec_bytes, "int": _dec_bigint, "name": _dec_name}[lay.encoding]
    return {"none": _dec_none, "bool": _dec_bool, "int": _dec_int, "float": _dec_float,
            "complex": _dec_complex, "ref": _dec_ref, "elided": _dec_elided, "object": _dec_object}[lay.layout]


_F_INT, _F_UTF8, _F_ITEMS, _F_OTHER, _F_NAMED, _F_PACKED = range(6)    # the layouts Chunk._tree decodes inline


def _fast(lay):
    if lay.layout == "named":
        return _F_NAMED
    if lay.layout == "packed":
        return _F_PACKED
    if lay.layout == "int":
        return _F_INT
    if lay.layout == "text" and lay.encoding == "utf8":
        return _F_UTF8
    if lay.layout in ("items", "tuple"):
        return _F_ITEMS
    return _F_OTHER


# per kind id: (its node decoder, its name, how Chunk._tree decodes it)
_DECODE = tuple((_decoder(lay), lay.kind, _fast(lay)) for lay in LAYOUTS)


class Chunk:
    """One decoded chunk with its pools; decodes the value trees it holds.

    Each tree is decoded once (later requests for the same root share it).
    The trees of distinct roots never overlap in a trace the recorder wrote,
    so all of a chunk's trees together hold at most its number of nodes:
    decoding more than that means overlapping trees, corruption. This bounds
    the work by the chunk's size however the records reference values."""

    def __init__(self, raw, types, objects=None, names=None):
        self.raw, self.types = raw, types
        self.names = names if names is not None else {}   # name ids (VarNameDef): a named node's names
        self.values, self.data = raw["values"], raw["data"]
        self.objects = objects if objects is not None else Objects()
        self._trees = {}
        self._sizes = {}    # root -> node count of a tree decoded but not kept
        self._left = len(self.values)
        # the packed children's budget (format 9 on): each takes two bytes of data or more
        self._packed = len(self.data) // 2
        self._psizes = {}   # root -> packed children of a tree decoded but not kept
        self._with_objects = set()   # roots of trees that hold Object nodes
        self._object_nodes = None    # whether the values pool holds any (None: not looked yet)
        self._inline = []            # the compact records' values (inline()), past the pool

    def value(self, index, keep=True, render=True):
        """The Value whose root node is at `index` (None: not recorded).
        A tree that refers to objects (Object nodes) is rendered from them
        as the records read so far say (Objects.render): the value at that
        point of the trace; render=False gives the tree as stored.
        keep=False: the tree is not kept for later requests (for a caller
        that keeps what it makes of it); decoding it again later costs
        nothing more against the chunk's bound."""
        if index == NOT_RECORDED:
            return None
        v = self._trees.get(index)
        if v is None:
            _need(index < len(self.values), "value index %d out of %d nodes" % (index, len(self.values)))
            size = self._sizes.get(index)
            if size is not None:    # decoded before and not kept: its nodes are counted
                self._left += size
                self._packed += self._psizes.get(index, 0)
            left, packed = self._left, self._packed
            v = self._tree(index)
            if self._object_nodes is None:   # once per chunk: does it hold any Object node (or Packed: maybe)?
                self._object_nodes = any(n[4] == _OBJECT_KIND or n[4] in _PACKED_KINDS for n in self.values)
            # the tree's nodes are [index, index + its size) in pre-order
            if self._object_nodes and any(n[4] == _OBJECT_KIND or n[4] in _PACKED_KINDS
                                          for n in self.values[index:index + left - self._left]):
                self._with_objects.add(index)
            if keep:
                self._trees[index] = v
            else:
                self._sizes[index] = left - self._left
                if packed != self._packed:
                    self._psizes[index] = packed - self._packed
        if render and index in self._with_objects:
            return self.objects.render(v)[0]
        return v

    def inline(self, kind, type, a):
        """The index of a value tree of one node of value kind `kind`
        (its layout bool, int or float) with `a`, its type named `type`,
        no flags (a compact record's value, docs/trace-format.md, "Compact
        records"): past the values pool, so that it names no stored node."""
        index = len(self.values) + len(self._inline)
        decode = _DECODE[_KIND_ID[kind]][0]
        self._inline.append(None)
        self._trees[index] = decode(self, kind, index, index, a, 0, 0, type, 0)[0]
        return index

    def refers_to_objects(self, index):
        """Whether the tree at `index` (decoded by value()) holds Object nodes."""
        return index in self._with_objects

    def _text(self, a, n):
        _need(0 <= a and a + n <= len(self.data), "text [%d:%d] outside the data pool" % (a, a + n))
        return self.data[a:a + n]

    def _tree(self, root):
        """Decode the pre-order tree at root without recursion, each node by
        its kind's layout (_DECODE; the commonest layouts inline), or with
        the native module's decoder (the same Values, errors and budget)."""
        if _native_tree is not None:
            v, self._left, self._packed = _native_tree(self.values, self.data, self.types, root, self._left, self.names,
                                                       self._packed)
            return v
        return self._py_tree(root)

    def _py_tree(self, root):
        values, count, types, data = self.values, len(self.values), self.types, self.data
        ndata, decoders, nkinds = len(data), _DECODE, len(_DECODE)
        stack = []   # (an enclosing container's data, its node children still to come, names, packed, at)
        pdata, pleft = None, 0     # the current container's data, its node children still to come
        pnames = None              # a named node's names, one before each of its children
        pkids, pat = None, 0       # a packed node's children (None: a node), the next one
        top = None
        i = root
        left = self._left
        while True:
            if i >= count:
                raise TraceError("value tree at %d runs past the values pool" % root)
            left -= 1
            if left < 0:
                raise TraceError("value trees overlap (the tree at %d shares nodes with another)" % root)
            a, b, n, type_id, kind_id, flags = values[i]
            if kind_id >= nkinds:
                raise TraceError("unknown value kind %d" % kind_id)
            type = types.get(type_id)
            if type is None:
                raise TraceError("value uses undefined type id %d" % type_id)
            decode, kind, fast = decoders[kind_id]
            if fast == _F_INT:
                v, n = Value(kind, type, a, None, flags), 0
            elif fast == _F_UTF8:
                if a < 0 or a + n > ndata:
                    raise TraceError("text [%d:%d] outside the data pool" % (a, a + n))
                try:
                    v, n = Value(kind, type, data[a:a + n].decode("utf-8", "surrogatepass"), b, flags), 0
                except UnicodeDecodeError as e:
                    raise TraceError("a %s value is not valid UTF-8: %s" % (kind, e.reason)) from None
            elif fast == _F_ITEMS:
                v = Value(kind, type, [], b, flags)
            elif fast == _F_NAMED:
                v, n, names = decode(self, kind, root, i, a, b, n, type, flags)
            elif fast == _F_PACKED:
                full = n
                v, n, names, kids = decode(self, kind, root, i, a, b, n, type, flags)
                self._packed -= full - n
                if self._packed < 0:
                    raise TraceError("value trees overlap (the tree at %d shares nodes with another)" % root)
                at = _fill(v.data, names, kids, 0)
            else:
                v, n = decode(self, kind, root, i, a, b, n, type, flags)
            i += 1
            if pdata is None:
                if not n:
                    self._left = left
                    return v
                top = v
            else:
                if pnames is not None:
                    pdata.append(pnames[len(pdata) >> 1])
                pdata.append(v)
                pleft -= 1
                if pkids is not None:
                    pat = _fill(pdata, pnames, pkids, pat + 1)
            if n:
                stack.append((pdata, pleft, pnames, pkids, pat))
                pdata, pleft = v.data, n
                pnames = names if fast >= _F_NAMED else None
                pkids, pat = (kids, at) if fast == _F_PACKED else (None, 0)
            else:
                while not pleft:
                    pdata, pleft, pnames, pkids, pat = stack.pop()
                    if pdata is None:
                        self._left = left
                        return top


SEEN_MAX = 64    # containers of a tree a later meeting refers back to (a Ref): the recorder's walker's
RENDER_SLACK = 100000   # nodes a rendering may make beyond 4 x max_nodes before it is refused


class Objects:
    """The objects of a trace as the records read so far say (format 4 on,
    docs/trace-format.md, "Objects"): per id, [kind, type, flags, length,
    children], the children being stored nodes (atoms, inline Range and
    Slice trees, Object nodes); the value limits (a Limits record); and
    `clock`, `changed`: a count of the changes applied, and per id the
    count at its last change (for a caller that caches renderings)."""

    def __init__(self):
        self.table, self.changed = {}, {}
        self.clock = 0
        self.max_depth = self.max_nodes = None

    def limits(self, f):
        _need(f["max_depth"] >= 0, "Limits record with max_depth %d" % f["max_depth"])
        self.max_depth, self.max_nodes = f["max_depth"], f["max_nodes"]

    def apply(self, kind, f, chunk):
        """Apply an Obj, ObjPut, ObjSet or ObjAdd record (its fields f, of `chunk`)."""
        oid = f["id"]
        if kind == "Obj":
            v = chunk.value(f["value"], render=False)
            _need(v is not None and type(v.data) is list and LAYOUT_OF[v.kind].container,
                  "Obj record of object %d holds no object's content" % oid)
            lay = LAYOUT_OF[v.kind]
            _need(not lay.pairs or len(v.data) % 2 == 0, "Obj record of object %d: an odd number of children" % oid)
            self.table[oid] = [v.kind, v.type, v.flags & ~VALUE_FLAG_TRUNCATED, v.length, list(v.data)]
        elif kind == "ObjSet":
            obj = self.table.get(oid)
            _need(obj is not None, "ObjSet record of object %d, which no Obj record gave" % oid)
            kids, at = obj[4], f["at"]
            _need(at < len(kids), "ObjSet record of object %d replaces child %d of %d" % (oid, at, len(kids)))
            v = chunk.value(f["value"], render=False)
            _need(v is not None, "ObjSet record of object %d holds no value" % oid)
            kids[at] = v
        elif kind == "ObjAdd":   # format 9 on: one pair added, its name as a named node's (_NAMES_OF)
            obj = self.table.get(oid)
            _need(obj is not None, "ObjAdd record of object %d, which no Obj record gave" % oid)
            names = _NAMES_OF.get(obj[0])
            _need(names is not None, "ObjAdd record of object %d, a %s, whose names are not ids" % (oid, obj[0]))
            name = chunk.names.get(f["name"])
            if name is None:
                raise TraceError("value uses undefined name id %d" % f["name"])
            v = chunk.value(f["value"], render=False)
            _need(v is not None, "ObjAdd record of object %d holds no value" % oid)
            obj[4] += (Value(names[0], names[1], name, len(name), 0), v)
            obj[3] += 1
        else:
            obj = self.table.get(oid)
            _need(obj is not None, "ObjPut record of object %d, which no Obj record gave" % oid)
            kids = obj[4]
            at, cut = f["at"], f["cut"]
            _need(at + cut <= len(kids), "ObjPut record of object %d replaces children [%d:%d] of %d"
                  % (oid, at, at + cut, len(kids)))
            new = []
            if f["value"] != NOT_RECORDED:
                v = chunk.value(f["value"], render=False)
                _need(v is not None and type(v.data) is list, "ObjPut record of object %d holds no children" % oid)
                new = v.data
            kids[at:at + cut] = new
            _need(not LAYOUT_OF[obj[0]].pairs or len(kids) % 2 == 0,
                  "ObjPut record of object %d leaves an odd number of children" % oid)
            obj[3] = f["length"]
        self.clock += 1
        self.changed[oid] = self.clock

    def stale(self, touched, clock):
        """Whether an object of `touched` changed since `clock`."""
        if _native_stale is not None:
            return _native_stale(self.changed, touched, clock)
        changed = self.changed
        for i in touched:
            if changed.get(i, 0) > clock:
                return True
        return False

    def render(self, tree):
        """(Value, ids of the objects it reads): tree (a stored value that
        holds Object nodes) rendered, by the native module when it is there
        (src/convert_json.c), else by _py_render, its reference."""
        if _native_render is not None:
            _need(self.max_depth is not None, "a value refers to objects, but no Limits record came before it")
            return _native_render(tree, self.table, self.max_depth, self.max_nodes)
        return self._py_render(tree)

    def _py_render(self, tree):
        """(Value, ids of the objects it reads): tree (a stored value that
        holds Object nodes) rendered as the recorder's walker wrote values
        before format 4, by the same rules and in the same pre-order: an
        object's children one level deeper (an inline Range's or Slice's at
        its own level); a container at max_depth or deeper is Elided; before
        each child (each pair) a container checks the nodes so far against
        max_nodes and is Truncated when it stops early or holds fewer items
        than its length; a container met again among the first SEEN_MAX
        containers of the tree is a Ref to its node; an exception is never
        Elided nor a Ref. Without recursion."""
        table, max_depth, max_nodes = self.table, self.max_depth, self.max_nodes
        _need(max_depth is not None, "a value refers to objects, but no Limits record came before it")
        count, seen, touched = 0, {}, set()
        # fixed-shape children (Range, Slice, an exception's) are not counted against max_nodes:
        # a recorder's tree passes it by a few nodes; a damaged trace (an exception holding
        # itself) could run on for ever
        most = 4 * max_nodes + RENDER_SLACK
        out = []
        stack = []
        # the current frame: its Value (None: the root), children to render, next child, their depth,
        # how it checks room (0: per child, 1: per pair, 2: never), its full number of children
        node, kids, pos, depth, room, full = None, (tree,), 0, 0, 2, 0
        data = out
        while True:
            if pos < len(kids) and (room == 2 or count < max_nodes or (room == 1 and pos % 2)):
                item = kids[pos]
                pos += 1
                k = item.kind
                if k == "Object":
                    oid = item.data
                    obj = table.get(oid)
                    _need(obj is not None, "a value refers to object %d, which no Obj record gave" % oid)
                    touched.add(oid)
                    okind, otype, oflags, olen, okids = obj
                    lay = LAYOUT_OF[okind]
                    if lay.layout == "fields":      # an exception
                        v = Value(okind, otype, [], olen, oflags)
                        sub = (v, okids, depth + 1, 2, 0)
                    elif oid in seen:
                        v, sub = Value("Ref", otype, seen[oid], None, 0), None
                    elif depth >= max_depth:
                        v, sub = Value("Elided", otype, None, olen, oflags), None
                    else:
                        v = Value(okind, otype, [], olen, oflags)
                        if len(seen) < SEEN_MAX:
                            seen[oid] = count
                        sub = (v, okids, depth + 1, 1 if lay.pairs else 0, 2 * olen if lay.pairs else olen)
                elif type(item.data) is list:       # an inline Range or Slice: its children at its level
                    v = Value(k, item.type, [], item.length, item.flags)
                    sub = (v, item.data, depth, 2, 0)
                else:
                    v, sub = item, None
                count += 1
                if count > most:
                    raise TraceError("a value rendered from objects has more than %d nodes (limit %d): "
                                     "damaged objects" % (most, max_nodes))
                data.append(v)
                if sub is not None:
                    stack.append((node, kids, pos, depth, room, full, data))
                    node, kids, depth, room, full = sub
                    pos, data = 0, node.data
                continue
            if node is None:
                return out[0], touched
            if room != 2 and len(node.data) < full:
                node.flags |= VALUE_FLAG_TRUNCATED
            node, kids, pos, depth, room, full, data = stack.pop()


Seek = _namedtuple("Seek", "chunk thread stacks step")
Seek.__doc__ = """Where Trace.timeline() begins when not at the start: chunk
`chunk`, `thread` current at its start, `stacks` ({thread: [(function id,
its latest step's number or None, that step's line), ...]}, outermost
first: the activations open there) and `step` (the number of the chunk's
first Step)."""


_PENDING = object()   # a variable's value not decoded yet (Trace.timeline's quiet steps)


def _timeline_act():
    """An activation as Trace.timeline() keeps it: [its snapshot, its last
    Step, that step's number, its live values]."""
    return [{}, None, None, {}]


class Activations:
    """The activations running on each thread, as the records say: a record
    of OPENS (the spec: its events `do push`) starts one on its thread, one
    of CLOSES (`do pop`) ends the innermost. The one tracker of the Python
    readers: Trace.timeline() (and show on it), convert, the index's scan
    and step state (index.py) and the checker's twin (_Checker) keep their
    activations here; what each keeps per activation is its own (the
    objects it opens). The native decoder's are src/decode.c's
    (ctq_state.depth for the checker, ctq_index's stacks for the index)."""

    __slots__ = ("stacks",)

    def __init__(self):
        self.stacks = {}     # thread -> [its activations, outermost first], in the order threads came

    def stack(self, thread):
        """thread's open activations, outermost first (the list itself)."""
        st = self.stacks.get(thread)
        if st is None:
            st = self.stacks[thread] = []
        return st

    def top(self, thread):
        """thread's innermost activation, None when none is open."""
        st = self.stacks.get(thread)
        return st[-1] if st else None

    def depth(self, thread):
        return len(self.stacks.get(thread, ()))

    def open(self, thread, act):
        """act starts on thread (a record of OPENS, or one a reader infers)."""
        self.stack(thread).append(act)
        return act

    def close(self, thread):
        """The innermost activation of thread ends (a record of CLOSES): it,
        or None when none is open."""
        st = self.stacks.get(thread)
        return st.pop() if st else None

    def feed(self, kind, thread, make):
        """A record of `kind` (its name) on thread: open make() if the kind
        opens one, close the innermost if it closes one. Returns (+1, the
        new activation), (-1, the ended one or None) or (0, None)."""
        if kind in OPENS:
            return 1, self.open(thread, make())
        if kind in CLOSES:
            return -1, self.close(thread)
        return 0, None


def _native_tree_decoder():
    """The native module's value-tree decoder (src/decode_py.c), set up to
    make this module's Values and TraceErrors; None without the module."""
    try:
        from ._native import tree, tree_setup
    except ImportError:
        return None
    tree_setup(Value, TraceError, VALUE_KINDS)
    return tree


_native_tree = _native_tree_decoder()


def _native_renderer():
    """The native module's Objects.render (src/convert_json.c), set up
    with the spec's value layouts, or None without the native module."""
    try:
        from ._native import render_objects, render_setup, value_json_setup
    except ImportError:
        return None
    value_json_setup({lay.kind: (lay.layout, lay.encoding, lay.codetracer, lay.fields) for lay in LAYOUTS}, None)
    render_setup(Value, TraceError, "Object", "Ref", "Elided", SEEN_MAX, RENDER_SLACK, VALUE_FLAG_TRUNCATED)
    return render_objects


_native_render = _native_renderer()
try:
    from ._native import objects_stale as _native_stale, frame_heads as _native_frame_heads
except ImportError:
    _native_stale = _native_frame_heads = None


class Record:
    """One record: kind (a RECORDS name), fields (dict), thread (the trace's
    number of the thread it belongs to), chunk (its Chunk, to decode values)."""

    __slots__ = ("kind", "fields", "thread", "chunk")

    def __init__(self, kind, fields, thread, chunk):
        self.kind, self.fields, self.thread, self.chunk = kind, fields, thread, chunk

    def __getitem__(self, name):
        return self.fields[name]

    def value(self, field):
        """The Value of value field `field`; in a record that defines an
        object (Obj, ObjPut), the node as stored, else rendered from the
        objects as the trace says they are at this record."""
        return self.chunk.value(self.fields[field], render=DEFINITIONS.get(self.kind) != "object")

    def text(self, field):
        """The str of `text` field `field` (e.g. Output's "text")."""
        off, n = self.fields[field + "_off"], self.fields[field + "_len"]
        _need(off + n <= len(self.chunk.data), "%s text outside the data pool" % field)
        return _utf8(self.chunk.data[off:off + n], "%s %s text" % (self.kind, field))

    def __repr__(self):
        return "Record(%s, %r)" % (self.kind, self.fields)


class _RecordAfterDamage(Record):
    """A Record that Trace.records() read after it skipped a damaged chunk:
    an error decoding it names that chunk (its ids may have been defined
    there)."""

    __slots__ = ("trace",)

    def _noted(self, method, field):
        try:
            return method(self, field)
        except TraceError as e:
            raise TraceError("%s (%s)" % (e, self.trace.damage_note())) from None

    def value(self, field):
        return self._noted(Record.value, field)

    def text(self, field):
        return self._noted(Record.text, field)


class Output:
    """Program output (an Output record): `stream` "Stdout" or "Stderr",
    `text`, `thread`, and the step it belongs to: `step` (the Step record of
    the thread's innermost open activation that has had one; None when
    there is none) and
    `step_index` (its number in steps() order)."""

    __slots__ = ("stream", "text", "thread", "step", "step_index", "record")

    def __init__(self, stream, text, thread, step, step_index, record):
        self.stream, self.text, self.thread = stream, text, thread
        self.step, self.step_index, self.record = step, step_index, record

    def __repr__(self):
        return "Output(%s, %r, thread=%s, step=%s)" % (self.stream, self.text, self.thread, self.step_index)


class Function:
    __slots__ = ("id", "name", "path", "line")

    def __init__(self, id, name, path, line):
        self.id, self.name, self.path, self.line = id, name, path, line

    def __repr__(self):
        return "Function(%s, %s:%d)" % (self.name, self.path, self.line)


_DEFINED_BY = {what: record for record, what in DEFINITIONS.items()}


def _row_check(name, fields):
    """What rows() does for a record of `name` beyond yielding it, by the
    tables: None (nothing), or (its enum checks (index, field, enum), what it
    defines or None, a Thread record's id and what indexes or None)."""
    enums = tuple((fields.index(f), f, e) for f, e in ENUM_FIELDS.get(name, ()))
    what = DEFINITIONS.get(name)
    thread = (fields.index("id"), fields.index("what")) if name == "Thread" else (None, None)
    if not enums and what is None and thread[0] is None:
        return None
    return (enums, what) + thread


_ROW_CHECKS = [_row_check(r[0], list(r[1])) for r in RECORDS]


def _row_compact(name, fields):
    """What rows() reads a compact record as (COMPACT): None for any other
    record, else (its name, the index of the record it stands for, the
    place of its value field, the inline node's kind and type); a compact
    record has its record's fields in its order."""
    if name not in COMPACT:
        return None
    of, field, kind, type = COMPACT[name]
    assert tuple(fields) == tuple(RECORDS[_RECORD_INDEX[of]][1]), name
    return (name, _RECORD_INDEX[of], list(fields).index(field), kind, type)


_ROW_COMPACT = [_row_compact(r[0], r[1]) for r in RECORDS]


def _fn_role(name, fields):
    """What ChunkFunctions does with a record of `name`: None (nothing), or
    (0, its function field's place or None): it opens an activation; (1,
    None): it closes one; (2, place): its field there is the function a
    record omits (OMITS); (3, (the index of the record it stands for, the
    place of the function in that one's row)): it omits it."""
    fn = next((f for f, what, sentinel in FIELD_REFS.get(name, ()) if what == "function" and sentinel is None), None)
    if name in OPENS:
        return (0, list(fields).index(fn) if fn is not None else None)
    if name in CLOSES:
        return (1, None)
    if name in OMITS:
        of, field = OMITS[name]
        full = list(RECORDS[_RECORD_INDEX[of]][1])
        assert tuple(fields) == tuple(f for f in full if f != field), name
        return (3, (_RECORD_INDEX[of], full.index(field)))
    told = [OMITS[o][1] for o in OMITS if OMITS[o][0] == name]
    if told:
        return (2, list(fields).index(told[0]))
    return None


_FN_ROLES = [_fn_role(r[0], r[1]) for r in RECORDS]


class ChunkFunctions:
    """The function of each thread's current activation as one chunk tells
    it, for the records that omit it (OMITS: a Line is a Step without its
    fn; docs/trace-format.md, "Records that omit a field"): per thread, the
    function of the innermost activation opened before the chunk (None: the
    chunk does not tell), then those of the activations opened in it. One
    per chunk; src/decode.c's twin is fns_feed."""

    __slots__ = ("threads",)

    def __init__(self):
        self.threads = {}

    def feed(self, k, row, thread):
        """Record kind k (its row, fields in RECORDS' order) on thread: for
        a record that omits the function, that function (None: the chunk
        does not tell); for any other, None."""
        role = _FN_ROLES[k]
        if role is None:
            return None
        st = self.threads.get(thread)
        if st is None:
            st = self.threads[thread] = [None]
        how, at = role
        if how == 0:
            st.append(row[at] if at is not None else None)
        elif how == 1:
            if len(st) > 1:
                st.pop()
            else:
                st[0] = None
        elif how == 2:
            st[-1] = row[at]
        else:
            return st[-1]
        return None


def _no_function(name, thread):
    return "%s on thread %s whose chunk tells no function of its activation" % (name, thread)


def _told(fns, k, row, thread):
    """(kind, row) of a record of kind k with a part in what its chunk tells
    of functions (_FN_ROLES), fed to fns (its chunk's ChunkFunctions): a
    record that omits its function (a Line) read as the one it stands for
    (a Step) with the function the chunk tells; any other as it is."""
    fn = fns.feed(k, row, thread)
    if _FN_ROLES[k][0] != 3:
        return k, row
    _need(fn is not None, _no_function(RECORDS[k][0] + " record", thread))
    k, i = _FN_ROLES[k][1]
    return k, row[:i] + (fn,) + row[i:]


# the records rows() gives as they are stored (no compact record, no check, no
# part in what a chunk tells of functions)
_ROW_PLAIN = [_ROW_COMPACT[k] is None and _ROW_CHECKS[k] is None and _FN_ROLES[k] is None for k in range(len(RECORDS))]


def row_vectors(raw):
    """A decoded chunk's record vectors, by record kind index (RECORDS' order)."""
    return [raw[CHUNK_FIELDS[_FIRST_RECORD_FIELD + i][0]] for i in range(len(RECORDS))]
# What the definitions only values need define (the objects a value refers
# to, the limits it is rendered by): a reader of ids alone skips them.
OBJECT_DEFINITIONS = frozenset(("limits", "object"))
# The record that ends a Step's snapshot before the object records of the
# next event's value check (format 11 on; docs/trace-format.md, "The stream"):
# no event of its own.
MARK = "Mark"
# The definitions Trace._defined applies (the ids' texts); the checkers and the
# index's scan hand no other to their define callback (the object records and
# Clocks, one or more per chunk, would be a Python call each for nothing).
APPLIED_DEFINITIONS = frozenset(r for r, what in DEFINITIONS.items() if what in ("path", "function", "type", "name"))
_MAX_KEPT = 1000     # problems a checker keeps as text (the rest are counted)


def _check_compact(name, value):
    """A compact record's inline value holds what its kind's layout reads:
    a bool 0 or 1 (src/decode.c checks the same)."""
    field, kind = COMPACT[name][1], COMPACT[name][2]
    if LAYOUT_OF[kind].layout == "bool":
        _need(value in (0, 1), "%s record with %s %d, which is no bool (0 or 1)" % (name, field, value))


def _native_checker():
    """The native module's Checker (src/decode.c), or None without it."""
    try:
        from ._native import Checker
    except ImportError:
        return None
    return Checker


_CHECK_PLANS = {}


def _check_plan(k):
    """The checks of record kind k, field by field in declaration order:
    (0, field, its enum), (1, text name, None) at its `_off` field,
    (2, field, (what it refers to, sentinel)); the order src/decode.c
    checks them in."""
    plan = _CHECK_PLANS.get(k)
    if plan is None:
        name, fields, texts = RECORDS[k][0], RECORDS[k][1], RECORDS[k][2]
        enums = dict(ENUM_FIELDS.get(name, ()))
        refs = {field: (what, sentinel) for field, what, sentinel in FIELD_REFS.get(name, ())}
        plan = []
        for field in fields:
            if field in enums:
                plan.append((0, field, enums[field]))
            if field.endswith("_off") and field[:-4] in texts:
                plan.append((1, field[:-4], None))
            if field in refs:
                plan.append((2, field, refs[field]))
        plan = _CHECK_PLANS[k] = tuple(plan)
    return plan


_K_CLOCK = RECORD_NAMES.index("Clock")


class _Checker:
    """The pure-Python twin of the native module's Checker (src/decode.c,
    src/decode_py.c): the same checks, counts and messages, from the same
    tables (FIELD_REFS, ENUM_FIELDS, DEFINITIONS, OPENS, CLOSES). Slower by
    two orders of magnitude; tests compare the two."""

    def __init__(self, values=True, strict=False, define=None, clock=False, defines=None):
        self.values, self.strict, self.define, self.clock = values, strict, define, clock
        self.defines = defines      # the definition records handed to define (None: all)
        self.last_clock = None      # the latest Clock's ns
        self.types, self.names = {}, {}
        self.ids = {what: set() for what in DEFINITIONS.values()}
        self.thread = None
        self.records = 0
        self.problems, self.nproblems = [], 0
        self.counts, self.bytes, self.by_function, self.lines = {}, {}, {}, {}
        self.threads, self.by_enum, self.enum_chars = {}, {}, {}
        self.acts = Activations()

    def records_so_far(self):
        return self.records

    def _problem(self, msg):
        if self.strict:
            raise TraceError(msg)
        self.nproblems += 1
        if len(self.problems) < _MAX_KEPT:
            self.problems.append(msg)

    def feed(self, buf, seq):
        try:
            raw = parse_chunk(memoryview(buf))
            _need(raw["seq"] == seq, "its seq is %s" % raw["seq"])
        except TraceError as e:
            return 1, str(e)
        try:
            self._feed(raw)
        except TraceError as e:
            return 2, str(e)
        return 0, seq

    def _feed(self, raw):
        chunk = Chunk(raw, self.types, names=self.names)
        data = raw["data"]
        cursors = [0] * len(RECORDS)
        vectors = [raw[CHUNK_FIELDS[_FIRST_RECORD_FIELD + i][0]] for i in range(len(RECORDS))]
        fns = ChunkFunctions()
        if self.clock and (not raw["kinds"] or raw["kinds"][0] != _K_CLOCK):   # the Clock rules: "The stream"
            self._problem("chunk %d: its first record is not a Clock" % raw["seq"])
        for j, k in enumerate(raw["kinds"]):
            _need(k < len(RECORDS), "unknown record kind %d" % k)
            name, fields, texts = RECORDS[k][0], RECORDS[k][1], RECORDS[k][2]
            vec = vectors[k]
            _need(cursors[k] < len(vec), "more %s kinds than %s records" % (name, name))
            row = vec[cursors[k]]
            f = dict(zip(fields, row))
            cursors[k] += 1
            n = self.records + 1
            size = _struct.calcsize(CHUNK_FIELDS[_FIRST_RECORD_FIELD + k][1])
            key = None
            chars = 0
            # field by field, each its enum, text and reference checks, in
            # the C checker's order (the same problems before the same error)
            for how, field, what in _check_plan(k):
                if how == 0:
                    _need(f[field] in what, "%s record with %s %d, which is no %s"
                          % (name, field, f[field], "/".join(what.values())))
                    if key is None:
                        key = (name, field, f[field])
                elif how == 1:
                    off, ln = f[field + "_off"], f[field + "_len"]
                    _need(off + ln <= len(data), "%s text outside the data pool" % field)
                    try:
                        chars += len(bytes(data[off:off + ln]).decode("utf-8", "surrogatepass"))
                    except UnicodeDecodeError as e:
                        raise TraceError("%s %s text is not valid UTF-8: %s" % (name, field, e.reason)) from None
                    size += ln
                else:
                    what, sentinel = what
                    v = f[field]
                    if sentinel is not None and v == sentinel:
                        continue
                    if what in self.ids:
                        if v not in self.ids[what]:
                            self._problem("record %d (%s) uses undefined %s %d" % (n, name, what, v))
                        if what == "function":
                            self.by_function[(name, v)] = self.by_function.get((name, v), 0) + 1
                    elif self.values:
                        chunk.value(v, render=False)   # its nodes checked, not rendered (objects: below the records)
            if name in COMPACT:
                _check_compact(name, f[COMPACT[name][1]])
            if k == _K_CLOCK:
                ns = f[fields[0]]
                if j != 0:
                    self._problem("record %d: a Clock that is not its chunk's first record" % n)
                else:
                    if self.last_clock is not None and ns < self.last_clock:
                        self._problem("record %d: Clock %d ns, before the previous Clock's %d ns"
                                      % (n, ns, self.last_clock))
                    self.last_clock = ns
            thread = self.thread
            if name == "Thread":
                thread = f["id"]
                if f["what"] != THREAD_EVENT_EXIT:
                    self.thread = f["id"]
            if name in DEFINITIONS:
                if self.define is not None and (self.defines is None or name in self.defines):
                    g = dict(f)
                    for t in texts:
                        g[t] = bytes(data[f[t + "_off"]:f[t + "_off"] + f[t + "_len"]]).decode("utf-8", "surrogatepass")
                    self.define(name, g)
                # its id (a record without one, Limits: its first field, as the C checker takes it)
                self.ids[DEFINITIONS[name]].add(f["id"] if "id" in f else f[RECORDS[k][1][0]])
            self.threads[thread] = self.threads.get(thread, 0) + 1
            fn = fns.feed(k, row, thread)
            omits = name in OMITS
            if omits:   # counted as the record it stands for, by the function its chunk tells
                if fn is None:
                    self._problem("record %d: %s" % (n, _no_function(name, thread)))
                else:
                    key_fn = (OMITS[name][0], fn)
                    self.by_function[key_fn] = self.by_function.get(key_fn, 0) + 1
            if self.acts.feed(name, thread, bool) == (-1, None):
                self._problem("record %d: %s on thread %s with no activation" % (n, name, thread))
            if name == "Step" or (omits and OMITS[name][0] == "Step" and fn is not None):
                at = (f["fn"] if name == "Step" else fn, f["line"])
                self.lines[at] = self.lines.get(at, 0) + 1
            if key is not None:
                self.by_enum[key] = self.by_enum.get(key, 0) + 1
                self.enum_chars[key] = self.enum_chars.get(key, 0) + chars
            self.counts[name] = self.counts.get(name, 0) + 1
            self.bytes[name] = self.bytes.get(name, 0) + size
            self.records = n

    def results(self):
        return {"records": self.records, "problems": self.problems, "nproblems": self.nproblems,
                "counts": dict(self.counts), "bytes": dict(self.bytes), "by_function": dict(self.by_function),
                "lines": dict(self.lines), "threads": dict(self.threads),
                "open": {t: len(st) for t, st in self.acts.stacks.items() if st}, "by_enum": dict(self.by_enum),
                "enum_chars": dict(self.enum_chars)}


def _read_metadata(path):
    """The metadata file (METADATA_FILE) as a dict; TraceError when it is not one."""
    try:
        f, size = _open_regular(path, "metadata")
    except NotATraceError as e:
        raise TraceError(str(e)) from None
    with f:
        _need(size <= MAX_METADATA, "%s is %d bytes: not trace metadata" % (path, size))
        try:
            meta = _json.loads(f.read(MAX_METADATA + 1))
        except (OSError, ValueError, RecursionError) as e:
            raise TraceError("cannot read %s: %s" % (path, str(e)[:200])) from None
    _need(isinstance(meta, dict), "%s holds a JSON %s, not an object" % (path, type(meta).__name__))
    return meta


class Trace:
    """A trace directory (or an event file): records with ids resolved.

    Opening it reads the metadata and the event file's framing, so these
    are known before any record is read: `chunk_count`, `torn` (bytes of an
    incomplete last chunk, lost), `torn_at`, `header_torn`, `finished` (True or False as the
    metadata says; None without metadata), and `truncation`: one line saying
    what is missing from a trace whose recording was cut short (killed,
    disk full), or None for a whole trace; `recording_error`, why the
    recorder stopped early (the trace is whole up to there). Raises NotATraceError for a path
    that is no trace, TraceError for a damaged one.

    A damaged chunk (EventFile) does not stop records(): it is skipped and
    added to `damaged` (ChunkErrors: index, offset, reason), and reading
    goes on with the next chunk. Once every other record is yielded,
    records() raises a TraceError naming each damaged chunk, unless the
    trace was opened with skip_damaged=True (then the caller looks at
    `damaged`). Records after a damaged chunk may use ids it defined."""

    def __init__(self, path, skip_damaged=False):
        path = _os.fspath(path)
        meta = None
        self.events_missing, self.skip_damaged, self.damaged = False, skip_damaged, []
        if _os.path.isdir(path):
            self.dir = path
            events = _os.path.join(path, EVENTS_FILE)
            meta = _find(path, METADATA_FILE)
        elif _os.path.lexists(path):
            self.dir, events = _os.path.dirname(path), path
            if _os.path.basename(path) == EVENTS_FILE:
                meta = _find(self.dir, METADATA_FILE)
        else:
            raise NotATraceError("no such trace: %s" % path)
        self.metadata = _read_metadata(meta) if meta else {}
        if _os.path.lexists(events):
            self.file = EventFile(events)
        elif self.metadata and self.finished is False:
            self.file, self.events_missing = EventFile(events, data=b""), True   # killed at once
        else:
            raise NotATraceError("%s is not a ctgen-tracer trace (no %s)" % (path, EVENTS_FILE))
        self.paths, self.functions, self.types, self.names = {}, {}, {}, {}
        self.objects = Objects()
        self.progress = None    # called with the bytes read so far after each chunk records() reads

    @property
    def torn(self):
        return self.file.torn

    @property
    def torn_at(self):
        return self.file.torn_at

    @property
    def header_torn(self):
        return self.file.header_torn

    @property
    def chunk_count(self):
        return self.file.chunk_count

    @property
    def finished(self):
        m = self.metadata
        if not m:
            return None
        if isinstance(m.get("complete"), bool):
            return m["complete"]
        if "end_time" in m:
            return m["end_time"] is not None
        return None

    @property
    def recording_error(self):
        """Why the recorder stopped recording before the program ended (the
        trace is whole up to there), or None."""
        err = self.metadata.get("recording_error")
        return err if isinstance(err, str) and err else None

    @property
    def truncation(self):
        f, parts = self.file, []
        if self.finished is False:
            parts.append("the recording was not finished (killed, crashed, or out of disk space)")
        if self.events_missing:
            parts.append("no event file was written")
        elif f.header_torn:
            parts.append("the event file ends inside its %d-byte header (%d bytes written): no records"
                         % (HEADER_SIZE, f.torn))
        elif f.torn:
            parts.append("%d complete chunks read; the last %d bytes (an incomplete chunk at byte %d) are lost"
                         % (f.chunk_count, f.torn, f.torn_at))
        elif parts:
            parts.append("%d complete chunks read" % f.chunk_count)
        return "; ".join(parts) or None

    def function(self, fid):
        """The Function of id fid; TraceError when no FunctionDef defined it."""
        fn = self.functions.get(fid)
        self._need(fn is not None, "a record uses undefined function %d (no FunctionDef before it)" % fid)
        return fn

    def _text(self, chunk, fields, name):
        off, n = fields[name + "_off"], fields[name + "_len"]
        _need(off + n <= len(chunk.data), "%s text outside the data pool" % name)
        return _utf8(chunk.data[off:off + n], "a %s name" % name)

    def _define(self, chunk, what, f, kind=None):
        """Apply a definition record (DEFINITIONS: what its `id` defines);
        the object records (Limits, Obj, ObjPut: OBJECT_DEFINITIONS; kind:
        the record's name) to the chunk's Objects."""
        if what == "limits":
            chunk.objects.limits(f)
            return
        if what == "object":
            chunk.objects.apply(kind, f, chunk)
            return
        if what == "clock":     # the chunk's time: random access reads it (index.py), the stream skips it
            return
        if what == "function":
            _need(f["path"] in self.paths, "function %d uses undefined path %d" % (f["id"], f["path"]))
        g = dict(f)
        for name in RECORDS[_RECORD_INDEX[_DEFINED_BY[what]]][2]:
            g[name] = self._text(chunk, f, name)
        self._defined(_DEFINED_BY[what], g)

    def _defined(self, record, f):
        """Apply definition record `record` (one of APPLIED_DEFINITIONS),
        its fields f with its text fields decoded (by name); check() hands
        them so."""
        what = DEFINITIONS[record]
        if what == "path":
            self.paths[f["id"]] = f["path"]
        elif what == "function":
            self.functions[f["id"]] = Function(f["id"], f["name"], self.paths.get(f["path"], "?"), f["line"])
        elif what == "type":
            self.types[f["id"]] = f["name"]
        elif what == "name":
            self.names[f["id"]] = f["name"]

    def check(self, values=True, strict=False, progress=None, native=None):
        """Read and check every record of the trace in one pass, with the
        decoder of the native module (src/decode.c, no Python object per
        record) or, without it or with native=False, its pure-Python twin
        (_Checker): ids defined before use (a problem; with strict, an
        error), enums, texts, value trees (with values), activations per
        thread. Definitions are applied (trace.paths, functions, ...).
        Damaged chunks are skipped into `damaged` as records() does, and
        raised at the end unless skip_damaged. An error in the records
        raises a TraceError (naming damaged chunks before it; the results
        up to it are in `check_results`). progress:
        called with the bytes read so far after each chunk. Returns the
        checker's results(): records, problems, nproblems, counts and bytes
        per record, by_function, lines, threads, open, by_enum, enum_chars."""
        cls = _native_checker() if native is not False else None
        if cls is None:
            if native:
                raise TraceError("the native module's decoder is not available")
            cls = _Checker
        chk = cls(values=values, strict=strict, define=self._defined, clock=self.file.version >= CLOCK_SINCE,
                  defines=APPLIED_DEFINITIONS)
        if cls is _Checker:
            chk.types, chk.names = self.types, self.names
        self.damaged = []
        index = {pos: seq for seq, (pos, _) in enumerate(self.file.spans)}
        self.check_results = None
        for pos, buf in self.file.raw_chunks(self.damaged.append):
            seq = index[pos]
            status, what = chk.feed(buf, seq)
            if status == 1:
                self.damaged.append(ChunkError(seq, pos, what))
            elif status == 2:
                self.check_results = chk.results()
                self._need(False, what)
            if progress is not None:
                progress(pos + self.file.spans[seq][1] + 4)
        res = self.check_results = chk.results()
        if self.damaged and not self.skip_damaged:
            if len(self.damaged) == 1:
                e = self.damaged[0]
                raise ChunkError(e.index, e.offset, e.reason, e.framing)
            raise TraceError(self.damage_note())
        return res

    def records(self, start=0, thread=None):
        """Yield every Record in stream order; definitions are applied as
        they come, so trace.functions etc. are current at each record.
        Damaged chunks are skipped (see the class). start, thread: as
        rows() says."""
        record = self._record
        for k, row, thread, chunk in self.rows(start, thread):
            name, fields = RECORDS[k][0], RECORDS[k][1]
            yield record(name, dict(zip(fields, row)), thread, chunk)

    def rows(self, start=0, thread=None):
        """records() without a Record per record: yield (kind, row, thread,
        chunk) in stream order, kind the record's index in RECORDS, row its
        fields as a tuple in RECORDS' order; the same checks, definitions
        and errors (the pure-Python convert reads this way). start, thread:
        from chunk `start` on, `thread` the thread current at its start
        (the definitions of the chunks before must be known: the index
        gives them)."""
        for raw, thread, objects in self.row_chunks(start, thread):
            try:
                yield from self._chunk_rows(raw, thread, objects)
            except TraceError as e:
                raise self.noted(e) from None

    def row_chunks(self, start=0, thread=None):
        """Yield (decoded chunk, [the current thread], the reading's Objects)
        for each chunk in file order, for a reader that walks a chunk's rows
        itself as rows() does (the native convert, src/convert_rows.c): a
        TraceError its checks raise is raised as noted() makes it; the
        damaged chunks are reported at the end as rows() reports them.
        start, thread: as rows() says."""
        thread = [thread]
        self.damaged = []
        sizes = dict(self.file.spans)
        objects = self.objects = Objects()   # this reading's: records() may be read twice at once
        for pos, raw in self.file.chunks(self.damaged.append, start=start):
            if self.progress is not None:
                self.progress(pos + 4 + sizes[pos])
            yield raw, thread, objects
        if self.damaged and not self.skip_damaged:
            if len(self.damaged) == 1:
                e = self.damaged[0]
                raise ChunkError(e.index, e.offset, e.reason, e.framing)
            raise TraceError(self.damage_note())

    def noted(self, e):
        """TraceError e of a chunk's records, naming the damaged chunks
        skipped before it (the id it finds undefined may be defined there)."""
        return TraceError("%s (%s)" % (e, self.damage_note())) if self.damaged else e

    def chunk_records(self, seq, thread=None):
        """Yield the Records of chunk `seq` alone (random access; index.py):
        the definitions of earlier chunks must be known already (the index
        keeps them), `thread` is the thread current at the chunk's start."""
        for k, row, t, chunk in self.chunk_rows(seq, thread):
            yield self.row_record(k, row, t, chunk)

    def chunk_rows(self, seq, thread=None):
        """The rows of chunk `seq` alone, as chunk_records() reads them but
        without a Record each: (record kind's index in RECORDS, its fields
        in RECORDS order, thread, Chunk) (index.py's ChunkState makes a
        Record, row_record(), only of the records it keeps)."""
        return self._chunk_rows(self.file.chunk(seq)[1], [thread], Objects())

    def row_record(self, k, row, thread, chunk):
        """The Record of a row of chunk_rows()."""
        return self._record(RECORDS[k][0], dict(zip(RECORDS[k][1], row)), thread, chunk)

    def _chunk_rows(self, raw, thread, objects):
        """The rows (see rows()) of decoded chunk raw; thread: [the current
        thread], kept current; objects: the Objects its object records apply
        to (a chunk read alone: new ones; each chunk gives the objects it uses)."""
        chunk = Chunk(raw, self.types, objects, self.names)
        cursors = [0] * len(RECORDS)
        vectors = row_vectors(raw)
        nkinds = len(RECORDS)
        fns = ChunkFunctions()
        for k in raw["kinds"]:
            _need(k < nkinds, "unknown record kind %d" % k)
            vec = vectors[k]
            c = cursors[k]
            if c >= len(vec):
                name = RECORDS[k][0]
                _need(False, "more %s kinds than %s records" % (name, name))
            row = vec[c]
            cursors[k] = c + 1
            if _ROW_PLAIN[k]:
                yield k, row, thread[0], chunk
                continue
            if _FN_ROLES[k] is not None:   # a Line read as its Step (with fn), what the chunk tells followed
                k, row = _told(fns, k, row, thread[0])
            yield self.row_of(chunk, k, row, thread) + (chunk,)

    def row_of(self, chunk, k, row, thread):
        """(kind, row, thread) of a record of kind k that is not _ROW_PLAIN
        (of chunk, its fields `row`; thread: [the current thread], kept
        current): a compact record read as the record it compacts, its
        value a node of its own; enums checked; a definition defined."""
        compact = _ROW_COMPACT[k]
        if compact is not None:
            own, k, i, kind, type = compact
            _check_compact(own, row[i])
            row = row[:i] + (chunk.inline(kind, type, row[i]),) + row[i + 1:]
        check = _ROW_CHECKS[k]
        if check is None:
            return k, row, thread[0]
        name = RECORDS[k][0]
        for i, field, enum in check[0]:
            _need(row[i] in enum, "%s record with %s %d, which is no %s"
                  % (name, field, row[i], "/".join(enum.values())))
        if check[1] is not None:
            self._define(chunk, check[1], dict(zip(RECORDS[k][1], row)), name)
        elif check[2] is not None:        # Thread: its id is the current thread's
            if row[check[3]] != THREAD_EVENT_EXIT:
                thread[0] = row[check[2]]
            return k, row, row[check[2]]
        return k, row, thread[0]

    def _need(self, cond, what):
        """_need, naming the damaged chunks skipped so far: the id a check
        finds undefined may have been defined in one of them."""
        if not cond:
            raise TraceError("%s (%s)" % (what, self.damage_note()) if self.damaged else what)

    def _record(self, kind, fields, thread, chunk):
        if not self.damaged:
            return Record(kind, fields, thread, chunk)
        rec = _RecordAfterDamage(kind, fields, thread, chunk)
        rec.trace = self
        return rec

    def damage_note(self):
        """One line naming the damaged chunks records() skipped so far, or None."""
        if not self.damaged:
            return None
        return "%d damaged chunk%s skipped: %s" % (len(self.damaged), "s" if len(self.damaged) > 1 else "",
                                                   "; ".join(str(e) for e in self.damaged))

    def steps(self):
        """Yield (step, snapshot) for every Step record: snapshot maps each
        visible variable's name to its Value at the start of that line. The
        trace records only what changed since the activation's previous step
        (Var, Unset) -- at an activation's first Step, since its Call's Arg
        records; this rebuilds the full snapshot of every step."""
        for item in self.timeline():
            if type(item) is tuple:
                yield item

    def outputs(self):
        """Yield an Output for every Output record (program output), in
        stream order, with the step it belongs to."""
        for item in self.timeline():
            if type(item) is Output:
                yield item

    def timeline(self, events=False, start=None, quiet=0):
        """Yield, in stream order, (step, snapshot) for every Step (as
        steps() does) and an Output for every Output record; with events,
        also every other record (Call, Arg, Return, Raise, Thread, ...; not
        the definitions, Var or Unset) as its Record. start: a Seek
        (index.Index.seek), to begin at the start of its chunk with the
        activations open there, each one's snapshot made by its first Step
        in the chunk (a keyframe: it lists every variable). quiet: the steps
        numbered below it come with None for their snapshot, and no value
        is decoded for them (a listing from a later step: show --steps)."""
        acts = Activations()
        step = snap = None
        count = 0
        first = (0, None)
        if start is not None:
            for th, stack in start.stacks.items():
                acts.stacks[th] = [[{}, None if last is None else self._record("Step", {"fn": fid, "line": line}, th, None),
                                    last, {}] for fid, last, line in stack]
            count, first = start.step, (start.chunk, start.thread)

        def bind(act, name, rec):
            """act's variable `name` takes the value of rec (an Arg or Var);
            one that refers to objects is rendered again at each step they
            change (act[3]: name -> [stored tree, objects read, when]); before
            step `quiet`, it is decoded at the first step that shows it
            (act[3]: name -> [_PENDING, chunk, index])."""
            if count < quiet:
                act[0][name] = None
                act[3][name] = [_PENDING, rec.chunk, rec["value"]]
                return
            settle(act, name, rec.chunk, rec["value"])

        def settle(act, name, chunk, index):
            v = chunk.value(index, render=False)
            if chunk.refers_to_objects(index):
                stored = v
                v, touched = chunk.objects.render(stored)
                act[3][name] = [stored, touched, chunk.objects.clock]
            else:
                act[3].pop(name, None)
            act[0][name] = v

        def current(act, objs):
            """act's snapshot with the values that refer to changed objects rendered again."""
            pending = None
            for name, live in act[3].items():
                if live[0] is _PENDING:
                    pending = pending or []
                    pending.append((name, live))
                elif objs.stale(live[1], live[2]):
                    act[0][name], live[1] = objs.render(live[0])
                    live[2] = objs.clock
            for name, live in pending or ():
                settle(act, name, live[1], live[2])
            return dict(act[0])

        for rec in self.records(*first):
            k = rec.kind
            if k == "Arg":   # a Call's arguments: its variables before its first Step
                stack = acts.stacks.get(rec.thread)
                if stack:
                    self._need(rec["name"] in self.names, "Arg uses undefined name %d" % rec["name"])
                    bind(stack[-1], self.names[rec["name"]], rec)
                if events:
                    yield rec
                continue
            if k == "Var" and step is not None:
                self._need(rec["name"] in self.names, "Var uses undefined name %d" % rec["name"])
                bind(snap, self.names[rec["name"]], rec)
                continue
            if k == "Unset" and step is not None:
                if rec["name"] == ALL_NAMES:
                    snap[0].clear()
                    snap[3].clear()
                else:
                    self._need(rec["name"] in self.names, "Unset uses undefined name %d" % rec["name"])
                    snap[0].pop(self.names[rec["name"]], None)
                    snap[3].pop(self.names[rec["name"]], None)
                continue
            if k in DEFINITIONS:
                continue
            if step is not None:
                yield step, current(snap, rec.chunk.objects) if count > quiet else None
                step = None
            if k == MARK:   # (it ends the step; no event)
                continue
            if k == "Step":
                act = acts.top(rec.thread) or _timeline_act()
                step, snap = rec, act
                act[1], act[2] = rec, count
                count += 1
            elif k == "Output":
                at = next((a for a in reversed(acts.stack(rec.thread)) if a[1] is not None), None)
                yield Output(Stream[rec["stream"]], rec.text("text"), rec.thread,
                             at[1] if at else None, at[2] if at else None, rec)
            else:
                acts.feed(k, rec.thread, _timeline_act)
            if events and k != "Step" and k != "Output":
                yield rec
        if step is not None:
            yield step, current(snap, step.chunk.objects) if count > quiet else None
