#!/usr/bin/env python3
"""Fuzz the trace reader and the trace commands with mutated real traces.

    PYTHONPATH=build python tools/fuzz_reader.py [--seconds N] [--seed S]
                                                 [--crashes DIR] [TRACE_DIR ...]

Without TRACE_DIRs, it first records a few programs of tests/programs with
`python -m ctgen_tracer --chunk-bytes 4096` (several chunks each) as seeds,
two of them also with --compress.
Each input is a seed trace's event file (sometimes also its metadata) with
one to four mutations applied: bit flips, overwrites with interesting values
(0, -1, 0x7fffffff, lengths, ...) aimed at random bytes or at chunk headers,
vtables and size prefixes, fields of vector elements (value nodes' kinds,
lengths and types; records' ids, value indices and text offsets), truncation (anywhere, or just around a chunk
boundary), chunk splicing from another seed, duplication, deletion and swaps,
size-prefix edits, inserted or deleted byte runs, garbage metadata, and
for compressed chunks: their frame header (size before compression, zlib
length), the compressed bit, mutations of the chunk inside (decompressed,
mutated, compressed again) and decompression bombs. In a trace of format 3
(frames with a CRC-32), half of the inputs get their frames' CRC-32s
recomputed after mutating ("sealed"), so that the damage reaches the
decoder's own checks behind the checksum; the other half test the checksum.
Some inputs are exactly one bit flipped in a frame of a whole format-3
trace: verify must say CORRUPT (status 1) and name a chunk.

For each input it runs, in this process, the reader (Trace(), records() with
every value decoded, steps() with every snapshot rendered and converted to
Python) and one of the commands (stats, show, verify) through
ctgen_tracer.cli.main, or the CodeTracer conversion (convert.convert()).
It fails on any exception other than TraceError from the reader (and
ConvertError from the conversion), any exit status the commands do not
document, and any input that
takes longer than --timeout seconds of CPU time (or ten times that of wall
time: blocking) -- a hang. Failing inputs are saved under
--crashes (default: fuzz-crashes/) as NAME.ctgt (+ NAME.json when the
metadata was mutated) and the loop stops at the first failure (--keep-going
to collect more). Exit status: 0 no failure, 1 failures, 2 usage error.
"""

import argparse
import contextlib
import io
import json
import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import zlib

from ctgen_tracer import reader, tracedir   # PYTHONPATH=build, as above
from ctgen_tracer.trace_tables import COMPRESSED, HEADER_SIZE as HEADER

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEED_PROGRAMS = ("basics.py", "generators.py", "exceptions.py", "threads.py", "hostile.py")
COMPRESSED_SEEDS = ("basics.py", "generators.py")   # recorded with --compress too
COMMAND_STATUSES = {"stats": {0, 2}, "show": {0, 2}, "verify": {0, 1, 2, 3}, "convert": {0, 2}}

INTERESTING8 = (0x00, 0x01, 0x7F, 0x80, 0xFF, 0x10, 0x20, 0x40)
INTERESTING32 = (0, 1, 2, 3, 4, 7, 8, 16, 0x7F, 0x80, 0xFF, 0x100, 0xFFFF, 0x10000, 0x7FFFFFFF,
                 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF, 0x3FFFFFFF, 0x40000000)


class Hang(Exception):
    """The per-input time limit ran out."""


def _alarm(signum, frame):
    raise Hang()


# ---- seeds -----------------------------------------------------------------

def record_seeds(work):
    """Record the seed programs into work/NAME; returns the trace dirs."""
    env = dict(os.environ)
    # the recordings run in `work`: a relative PYTHONPATH must not change meaning
    path = [os.path.abspath(p) for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(path or [os.path.join(ROOT, "build")])
    dirs = []
    runs = [(name, []) for name in SEED_PROGRAMS] + [(name, ["--compress"]) for name in COMPRESSED_SEEDS]
    for name, opts in runs:
        prog = os.path.join(ROOT, "tests", "programs", name)
        out = os.path.join(work, os.path.splitext(name)[0] + ("-compressed" if opts else ""))
        p = subprocess.run([sys.executable, "-m", "ctgen_tracer", "-q", "--chunk-bytes", "4096"] + opts
                           + ["-o", out, prog], cwd=work, env=env, capture_output=True, text=True,
                           timeout=120)
        if not os.path.exists(os.path.join(out, tracedir.EVENTS_FILE)):
            sys.exit("fuzz_reader: recording %s failed:\n%s" % (name, p.stderr))
        dirs.append(out)
    return dirs


def crc_size(data):
    """Bytes of CRC-32 after each size prefix: 4 in a format-3 trace, else 0."""
    checked = len(data) >= 12 and struct.unpack_from("<I", data, 8)[0] >= reader.CHECKSUM_SINCE
    return reader.CRC_SIZE if checked else 0


def chunk_at(data, off):
    """The offset of the chunk (its own size prefix) in the plain frame at off."""
    return off + crc_size(data)


def seal(data):
    """data with every complete frame's CRC-32 recomputed (format 3)."""
    if not crc_size(data):
        return data
    b = bytearray(data)
    for off, n in split_chunks(data):
        if n >= 8:
            struct.pack_into("<I", b, off + 4, reader.frame_crc(b[off:off + n]))
    return bytes(b)


def split_chunks(data):
    """[(offset, length including the size prefix)] of the complete chunks
    (compressed ones too: their size prefix has the COMPRESSED bit)."""
    out, pos = [], HEADER
    while pos + 4 <= len(data):
        n = struct.unpack_from("<I", data, pos)[0] & ~COMPRESSED
        if pos + 4 + n > len(data):
            break
        out.append((pos, 4 + n))
        pos += 4 + n
    return out


class Seed:
    def __init__(self, trace_dir):
        with open(os.path.join(trace_dir, tracedir.EVENTS_FILE), "rb") as f:
            self.data = f.read()
        try:
            with open(tracedir.find(trace_dir, tracedir.METADATA_FILE) or "", "rb") as f:
                self.meta = f.read()
        except OSError:
            self.meta = None
        self.chunks = split_chunks(self.data)
        self.name = os.path.basename(os.path.normpath(trace_dir))


# ---- mutations ---------------------------------------------------------------

def _pos_in_structure(rng, data, chunks):
    """A byte offset likely to matter: a size prefix, the root offset, the
    vtable, the first bytes of a vector, or anywhere."""
    if not chunks or rng.random() < 0.4:
        return rng.randrange(len(data)) if data else 0
    off, n = rng.choice(chunks)
    base = chunk_at(data, off)
    if base + 12 > len(data):
        return rng.randrange(len(data))
    root = base + 4 + struct.unpack_from("<I", data, base + 4)[0]
    choice = rng.random()
    if choice < 0.25:
        return off + rng.randrange(base - off + 12)      # size prefix, CRC-32, root offset, identifier
    if choice < 0.6 and root + 4 <= len(data):
        vt = root - struct.unpack_from("<i", data, root)[0]
        if 0 <= vt < len(data):
            return vt + rng.randrange(64)                 # vtable and the table after it
    return off + rng.randrange(max(1, min(n, len(data) - off)))


def m_bitflip(rng, data, seeds):
    b = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        p = _pos_in_structure(rng, b, split_chunks(b))
        if p < len(b):
            b[p] ^= 1 << rng.randrange(8)
    return bytes(b)


def m_interesting(rng, data, seeds):
    b = bytearray(data)
    p = _pos_in_structure(rng, b, split_chunks(b))
    width = rng.choice((1, 2, 4, 4, 4, 8))
    if width == 1:
        v = rng.choice(INTERESTING8).to_bytes(1, "little")
    elif width == 2:
        v = rng.choice((0, 1, 2, 4, 0x7FFF, 0x8000, 0xFFFF, len(b) & 0xFFFF)).to_bytes(2, "little")
    elif width == 4:
        # (p may lie past the end of a short input: the distance is masked)
        v = (rng.choice(INTERESTING32 + (len(b), len(b) - p, len(b) + 1)) & 0xFFFFFFFF).to_bytes(4, "little")
    else:
        v = rng.choice((0, -1, -(1 << 63), (1 << 63) - 1, 1 << 32)).to_bytes(8, "little", signed=True)
    b[p:p + len(v)] = v[:max(0, len(b) - p)]
    return bytes(b[:len(data)])


def m_truncate(rng, data, seeds):
    chunks = split_chunks(data)
    if chunks and rng.random() < 0.5:
        off, n = rng.choice(chunks)
        cut = off + rng.choice((0, 1, 3, 4, 5, 8, 12, n // 2, n - 1, n, n + 1))
    else:
        cut = rng.randrange(len(data) + 1)
    return data[:max(0, min(cut, len(data)))]


def m_splice(rng, data, seeds):
    chunks = split_chunks(data)
    other = rng.choice(seeds)
    if not other.chunks:
        return data
    o_off, o_n = rng.choice(other.chunks)
    piece = other.data[o_off:o_off + o_n]
    at = rng.choice([c[0] for c in chunks] + [len(data)]) if chunks else len(data)
    if chunks and rng.random() < 0.5:        # replace a chunk instead of inserting
        off, n = rng.choice(chunks)
        return data[:off] + piece + data[off + n:]
    return data[:at] + piece + data[at:]


def m_chunk_shuffle(rng, data, seeds):
    chunks = split_chunks(data)
    if not chunks:
        return data
    parts = [data[o:o + n] for o, n in chunks]
    tail = data[chunks[-1][0] + chunks[-1][1]:]
    op = rng.random()
    i = rng.randrange(len(parts))
    if op < 0.4:
        parts.insert(i, parts[i])                # duplicate
    elif op < 0.7 and len(parts) > 1:
        del parts[i]                             # delete
    else:
        j = rng.randrange(len(parts))            # swap
        parts[i], parts[j] = parts[j], parts[i]
    return data[:HEADER] + b"".join(parts) + tail


def m_size_field(rng, data, seeds):
    chunks = split_chunks(data)
    if not chunks:
        return data
    off, n = rng.choice(chunks)
    size = n - 4
    new = rng.choice((0, 1, 4, 8, 12, 16, size - 8, size - 1, size + 1, size + 4, size + 8, size * 2,
                      0x7FFFFFFF, 0xFFFFFFFF, 1 << 30, (1 << 30) + 8, len(data)))
    b = bytearray(data)
    b[off:off + 4] = (new & 0xFFFFFFFF).to_bytes(4, "little")
    return bytes(b)


def m_insert_delete(rng, data, seeds):
    p = rng.randrange(len(data) + 1)
    if rng.random() < 0.5:
        n = rng.choice((1, 4, 8, rng.randrange(1, 64)))
        filler = rng.choice((b"\x00", b"\xff", bytes([rng.randrange(256)])))
        return data[:p] + filler * n + data[p:]
    n = rng.choice((1, 4, 8, rng.randrange(1, 256)))
    return data[:p] + data[p + n:]


def m_header(rng, data, seeds):
    b = bytearray(data)
    p = rng.randrange(min(HEADER, len(b))) if b else 0
    if p < len(b):
        b[p] = rng.randrange(256)
    return bytes(b)


def m_vector_element(rng, data, seeds):
    """Overwrite a field of one element of a chunk's vector (a value node's
    kind, length or type; a record's id, index or text offset) with a small
    or interesting number: the decoder's checks past the framing."""
    from ctgen_tracer import reader
    chunks = split_chunks(data)
    if not chunks:
        return data
    off, _ = rng.choice(chunks)
    base = chunk_at(data, off) + 4
    try:
        root = base + struct.unpack_from("<I", data, base)[0]
        vt = root - struct.unpack_from("<i", data, root)[0]
        vt_size = struct.unpack_from("<H", data, vt)[0]
        fields = [(i, f) for i, f in enumerate(reader.CHUNK_FIELDS) if f[2] > 1 and 4 + 2 * i < vt_size]
        if not fields:
            return data
        i, (name, fmt, size) = rng.choice(fields)
        foff = struct.unpack_from("<H", data, vt + 4 + 2 * i)[0]
        if not foff:
            return data
        vec = root + foff + struct.unpack_from("<I", data, root + foff)[0]
        count = struct.unpack_from("<I", data, vec)[0]
    except struct.error:
        return data
    if not count:
        return data
    elem = vec + 4 + size * rng.randrange(count)
    width = min(size, 4)   # a word of the element (format 10's 2-byte ShortLine: its one ushort)
    at = elem + width * rng.randrange(size // width)
    if at + width > len(data):
        return data
    v = rng.choice((0, 1, 2, 3, rng.randrange(40), 0xFF, 0xFFFF, 0xFFFFFFFF, 0x7FFFFFFF, count, count + 1))
    b = bytearray(data)
    if name == "values" and at - elem == 24 and rng.random() < 0.7:   # kind and flags bytes
        b[at] = rng.randrange(len(reader.VALUE_KINDS) + 2)
    else:
        b[at:at + width] = (v & ((1 << 8 * width) - 1)).to_bytes(width, "little")
    return bytes(b)


def _frame(inner, z, crc):
    """A compressed frame (size prefix included) for a chunk `inner` whose
    zlib stream is z; crc: bytes of CRC-32 after the size prefix (0 or 4),
    left 0 (the input is sealed later, or not)."""
    body = b"\0" * crc + struct.pack("<II", len(inner), len(z)) + z
    body += b"\0" * (-(4 + len(body)) % 8)
    return struct.pack("<I", len(body) | COMPRESSED) + body


def m_compressed(rng, data, seeds):
    """Damage a compressed chunk in a way its zlib check does not catch
    (or set or clear the compressed bit of any chunk)."""
    chunks = split_chunks(data)
    crc = crc_size(data)
    # (a compressed chunk too short for its frame header, sizes made small by
    # an earlier mutation, has no frame to damage here)
    packed = [(o, n) for o, n in chunks
              if struct.unpack_from("<I", data, o)[0] & COMPRESSED and n >= 12 + crc]
    op = rng.random()
    if not packed or op < 0.1:
        if not chunks:
            return data
        off, _ = rng.choice(chunks)            # toggle the bit: a plain chunk read as compressed, ...
        b = bytearray(data)
        b[off + 3] ^= 0x80
        return bytes(b)
    off, n = rng.choice(packed)
    head = off + 4 + crc                       # R, Z, then the stream
    raw, zlen = struct.unpack_from("<II", data, head)
    if op < 0.35:                              # the frame header: size before compression, zlib length
        b = bytearray(data)
        at = head + rng.choice((0, 4))
        v = rng.choice(INTERESTING32 + (raw - 8, raw + 8, raw * 2, zlen - 1, zlen + 1, n))
        b[at:at + 4] = (v & 0xFFFFFFFF).to_bytes(4, "little")
        return bytes(b)
    try:
        inner = zlib.decompress(data[head + 8:head + 8 + zlen])
    except zlib.error:
        return data
    if op < 0.5:                               # a bomb: far more data than the header says
        big = rng.choice((len(inner) + 8, 1 << 20, 16 << 20))
        frame = _frame(inner, zlib.compress(b"\0" * big, 9), crc)
        frame = frame[:4 + crc] + struct.pack("<I", raw) + frame[8 + crc:]
    elif op < 0.6:                             # data after the stream, a truncated stream
        z = zlib.compress(inner)
        frame = _frame(inner, rng.choice((z + z[:rng.randrange(1, 16)], z[:rng.randrange(len(z))])), crc)
    else:                                      # the chunk inside: mutated, compressed again
        fake = data[:8] + struct.pack("<II", 1, 0) + inner   # a format-1 file: the chunk is its frame
        mutated = rng.choice((m_bitflip, m_interesting, m_vector_element, m_vector_element))(rng, fake, seeds)
        inner = mutated[HEADER:]
        frame = _frame(inner, zlib.compress(inner, 1), crc)
    return data[:off] + frame + data[off + n:]


MUTATIONS = (
    (m_bitflip, 6), (m_interesting, 8), (m_truncate, 3), (m_splice, 2), (m_chunk_shuffle, 2),
    (m_size_field, 2), (m_insert_delete, 2), (m_header, 1), (m_vector_element, 8), (m_compressed, 6),
)
_M_FUNCS = [m for m, w in MUTATIONS for _ in range(w)]

META_GARBAGE = (
    b"", b"{", b"null", b"[]", b"3", b'"text"', b"\xff\xfe", b"[" * 100000 + b"]" * 100000,
    b'{"program": 3, "args": 4, "python": "x", "exit_status": []}',
    b'{"complete": "yes", "end_time": "x", "recording_error": 5}',
    b'{"args": [1, null, {}], "python": {"version": 3}}',
)


def mutate_meta(rng, meta):
    if meta is None or rng.random() < 0.5:
        return rng.choice(META_GARBAGE)
    try:
        obj = json.loads(meta)
    except ValueError:
        return meta
    if isinstance(obj, dict) and obj:
        key = rng.choice(sorted(obj))
        obj[key] = rng.choice((None, 0, -1, "", [], {}, [None], {"a": []}, 1e308, "\udcff"))
    return json.dumps(obj).encode("utf-8", "surrogatepass")


def flip_one(rng, data):
    """data with one bit flipped in its frames (after the file header)."""
    b = bytearray(data)
    bit = rng.randrange(HEADER * 8, len(b) * 8)
    b[bit // 8] ^= 1 << (bit % 8)
    return bytes(b)


def make_input(rng, seeds):
    """(seed, event file bytes, metadata bytes or None, whether the input is
    one bit flipped in a whole format-3 trace: verify must find it)."""
    seed = rng.choice(seeds)
    data = seed.data
    if crc_size(data) and len(data) > HEADER and rng.random() < 0.05:
        return seed, flip_one(rng, data), seed.meta, True
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4))):
        data = rng.choice(_M_FUNCS)(rng, data, seeds)
    if rng.random() < 0.5:
        data = seal(data)
    meta = seed.meta
    if rng.random() < 0.05:
        meta = mutate_meta(rng, meta)
    elif rng.random() < 0.02:
        meta = None
    return seed, data, meta, False


# ---- running one input -------------------------------------------------------

def exercise(reader, cli, trace_dir, command, flipped=False):
    """Everything a user of the reader and the commands can do with the trace
    in trace_dir. Returns a description of a failure, or None. flipped: the
    input is one bit flipped in a whole trace, which verify must find."""
    try:
        t = reader.Trace(trace_dir)
        for rec in t.records():
            for field in ("value", "exc", "callable"):
                if field in rec.fields:
                    v = rec.value(field)
                    if v is not None:
                        v.render()
        t = reader.Trace(trace_dir)
        for rec, snap in t.steps():
            for v in snap.values():
                if v is not None:
                    v.render()
                    v.to_python()
    except reader.TraceError:
        pass
    if command == "convert":
        # convert() itself: its command turns any exception into an error
        # line, which would hide a bug from the fuzzer.
        from ctgen_tracer import convert
        try:
            convert.convert(trace_dir, os.path.join(os.path.dirname(trace_dir), "converted"), True)
        except (convert.ConvertError, reader.TraceError):
            pass
        return None
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = cli.main([command, trace_dir])
    except SystemExit as e:
        status = e.code
    if status not in COMMAND_STATUSES[command]:
        return "%s exited with status %r\nstdout tail: %s\nstderr: %s" % (
            command, status, out.getvalue()[-500:], err.getvalue()[-2000:])
    if status == 2 and err.getvalue().count("\n") != 1:
        return "%s: the error is not one line: %r" % (command, err.getvalue()[-2000:])
    if flipped and (status != 1 or "problem: chunk " not in out.getvalue()):
        return "verify did not find a flipped bit (status %r):\n%s" % (status, out.getvalue()[-1000:])
    return None


def main(argv=None):
    p = argparse.ArgumentParser(prog="tools/fuzz_reader.py", description=__doc__.split("\n\n")[0])
    p.add_argument("traces", nargs="*", help="seed trace directories (default: record some)")
    p.add_argument("--seconds", type=float, default=60, help="time budget (default 60)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: from the clock)")
    p.add_argument("--timeout", type=float, default=10, help="per-input CPU time limit in seconds")
    p.add_argument("--crashes", default="fuzz-crashes", help="where failing inputs are saved")
    p.add_argument("--keep-going", action="store_true", help="do not stop at the first failure")
    a = p.parse_args(argv)
    from ctgen_tracer import cli, reader

    seed = a.seed if a.seed is not None else int(time.time())
    rng = random.Random(seed)
    work = tempfile.mkdtemp(prefix="ctgen-fuzz-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    try:
        seeds = [Seed(d) for d in (a.traces or record_seeds(work))]
        case_dir = os.path.join(work, "case")
        os.mkdir(case_dir)
        signal.signal(signal.SIGALRM, _alarm)   # wall clock: blocking (a FIFO, a lock)
        signal.signal(signal.SIGPROF, _alarm)   # CPU time: loops, whatever the machine's load
        n, failures, t0 = 0, 0, time.monotonic()
        commands = sorted(COMMAND_STATUSES)
        while time.monotonic() - t0 < a.seconds:
            src, data, meta, flipped = make_input(rng, seeds)
            with open(os.path.join(case_dir, tracedir.EVENTS_FILE), "wb") as f:
                f.write(data)
            meta_path = os.path.join(case_dir, tracedir.METADATA_FILE)
            if meta is None:
                if os.path.exists(meta_path):
                    os.remove(meta_path)
            else:
                with open(meta_path, "wb") as f:
                    f.write(meta)
            command = "verify" if flipped else commands[n % len(commands)]
            signal.setitimer(signal.ITIMER_PROF, a.timeout)
            signal.setitimer(signal.ITIMER_REAL, 10 * a.timeout)
            try:
                problem = exercise(reader, cli, case_dir, command, flipped)
            except Hang:
                problem = "took longer than %g s of CPU time or %g s in all (a hang?)" % (a.timeout, 10 * a.timeout)
            except RecursionError:
                problem = "RecursionError\n" + traceback.format_exc(limit=-8)
            except Exception:
                problem = traceback.format_exc()
            finally:
                signal.setitimer(signal.ITIMER_PROF, 0)
                signal.setitimer(signal.ITIMER_REAL, 0)
            n += 1
            if problem:
                failures += 1
                os.makedirs(a.crashes, exist_ok=True)
                name = "crash-%d-%d" % (seed, n)
                shutil.copy(os.path.join(case_dir, tracedir.EVENTS_FILE), os.path.join(a.crashes, name + ".ctgt"))
                if meta is not None and meta != src.meta:
                    shutil.copy(meta_path, os.path.join(a.crashes, name + ".json"))
                print("fuzz_reader: input %d (seed trace %s, %s) failed: %s\n  saved as %s"
                      % (n, src.name, command, problem.rstrip(), os.path.join(a.crashes, name + ".ctgt")),
                      flush=True)
                if not a.keep_going:
                    break
        elapsed = time.monotonic() - t0
        print("fuzz_reader: seed %d: %d inputs in %.1f s (%.0f inputs/s), %d failures"
              % (seed, n, elapsed, n / elapsed if elapsed else 0, failures), flush=True)
        return 1 if failures else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
