#!/usr/bin/env python3
"""Per-record-kind counts and bytes of a ctgen-tracer trace, cheaply.

    python bench/tracestats.py TRACE_DIR [--reader PATH/TO/reader.py]

Reads only each chunk's table (through mmap, so only those pages are read):
the length of every record vector (one vector per record kind, so its length
is that kind's count), of the `kinds` sequence, and of the `values` and
`data` pools. No record is decoded: a gigabyte trace takes milliseconds
(a compressed trace, --compress, is decompressed chunk by chunk: longer).
The chunk layout (field names and element sizes) comes from the build's
reader (ctgen_tracer/reader.py and the generated tables it imports), loaded
from its directory without the package's __init__: the native module is not
needed, so any Python 3.9+ can run this.
"""

import importlib
import json
import mmap
import os
import struct
import sys
import types
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_READER = os.path.join(ROOT, "build", "ctgen_tracer", "reader.py")

_u16 = struct.Struct("<H").unpack_from
_u32 = struct.Struct("<I").unpack_from
_i32 = struct.Struct("<i").unpack_from


def load_reader(path=DEFAULT_READER):
    """The reader module at path, imported as a submodule of a stand-in for
    its package (its relative imports then find the modules beside it)."""
    pkg = "_ctgen_bench_%d" % len([m for m in sys.modules if m.startswith("_ctgen_bench_")])
    mod = sys.modules[pkg] = types.ModuleType(pkg)
    mod.__path__ = [os.path.dirname(os.path.abspath(path))]
    return importlib.import_module(pkg + "." + os.path.splitext(os.path.basename(path))[0])


def metadata(trace_dir, reader=None):
    """The metadata of the trace in trace_dir as a dict: the file the build's
    tracedir.py names (ctgen_metadata.json; trace_metadata.json in a trace
    of format 1 or 2)."""
    reader = reader or load_reader()
    tracedir = importlib.import_module(reader.__name__.rsplit(".", 1)[0] + ".tracedir")
    find = getattr(tracedir, "find", None)   # a build from before format 3 has no find()
    path = find and find(trace_dir, tracedir.METADATA_FILE)
    with open(path or os.path.join(trace_dir, tracedir.METADATA_FILE)) as f:
        return json.load(f)


def scan(trace_dir, reader=None):
    """{'file_bytes', 'chunks', 'records', 'kinds': {name: {'count', 'bytes'}},
    'pools': {'values': {'count','bytes'}, 'data': {...}}, 'torn'}"""
    reader = reader or load_reader()
    fields = reader.CHUNK_FIELDS
    first_record = len(fields) - len(reader.RECORDS)
    record_of_field = {fields[first_record + i][0]: r[0] for i, r in enumerate(reader.RECORDS)}
    path = os.path.join(trace_dir, reader.EVENTS_FILE) if os.path.isdir(trace_dir) else trace_dir
    size_total = os.path.getsize(path)
    out = {"file_bytes": size_total, "chunks": 0, "records": 0, "torn": 0,
           "kinds": {r[0]: {"count": 0, "bytes": 0} for r in reader.RECORDS},
           "pools": {"values": {"count": 0, "bytes": 0}, "data": {"count": 0, "bytes": 0}}}
    if size_total < reader.HEADER_SIZE:
        raise ValueError("%s is not a ctgen-tracer event file" % path)
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        m = mapped
        # only the pages holding each chunk's tables and vector lengths are read
        if m[:8] != reader.MAGIC:
            raise ValueError("%s is not a ctgen-tracer event file" % path)
        version = _u32(m, 8)[0]
        crc = reader.CRC_SIZE if version >= reader.CHECKSUM_SINCE else 0   # after each size prefix
        at = reader.HEADER_SIZE
        while True:
            if at + 4 > size_total:
                out["torn"] += size_total - at
                break
            size = _u32(m, at)[0]
            packed = version >= reader.COMPRESSED_SINCE and size & reader.COMPRESSED
            if packed:
                size ^= reader.COMPRESSED
            if at + 4 + size > size_total:
                out["torn"] += size_total - at
                break
            frame_at = at
            if packed:   # a compressed chunk (--compress): its table is read after decompressing
                z = at + 4 + crc + 8
                m, at = zlib.decompress(m[z:z + _u32(m, z - 4)[0]]), 0
            elif crc:    # the chunk (its own size prefix) after the frame's size prefix and CRC-32
                at += 4 + crc
            root = at + 4 + _u32(m, at + 4)[0]
            vt = root - _i32(m, root)[0]
            nfields = (_u16(m, vt)[0] - 4) // 2
            out["chunks"] += 1
            for i, (name, fmt, esize) in enumerate(fields):
                if esize == 0 or i >= nfields:
                    continue
                off = _u16(m, vt + 4 + 2 * i)[0]
                if off == 0:
                    continue
                pos = root + off
                count = _u32(m, pos + _u32(m, pos)[0])[0]
                if name == "kinds":
                    out["records"] += count
                elif name in out["pools"]:
                    out["pools"][name]["count"] += count
                    out["pools"][name]["bytes"] += count * esize
                elif name in record_of_field:
                    k = out["kinds"][record_of_field[name]]
                    k["count"] += count
                    k["bytes"] += count * esize
            m, at = mapped, frame_at + 4 + size
    out["kinds"] = {k: v for k, v in out["kinds"].items() if v["count"]}
    return out


def main():
    args = sys.argv[1:]
    reader_path = DEFAULT_READER
    if "--reader" in args:
        i = args.index("--reader")
        reader_path = args[i + 1]
        del args[i:i + 2]
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    s = scan(args[0], load_reader(reader_path))
    print(json.dumps(s, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
