"""Shared fixtures: the built package (CTGEN_BUILD, default build/), and
helpers that run programs untraced and traced under the test interpreter."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUILD = Path(os.environ.get("CTGEN_BUILD", ROOT / "build")).resolve()
PROGRAMS = Path(__file__).resolve().parent / "programs"
# The programs under test run with buffered output, as users run them: an
# environment with PYTHONUNBUFFERED=1 would hide output-order bugs.
os.environ.pop("PYTHONUNBUFFERED", None)
if str(BUILD) not in sys.path:
    sys.path.insert(0, str(BUILD))


def fuzz_seed(limit=None):
    """The seed of a fuzzer the tests run (tests/test_robustness.py,
    tests/test_decoder.py): CTGEN_FUZZ_SEED when set (.ci/run fixes it, so
    that a landing check is repeatable and what it finds is found again),
    otherwise the time, so that each local run explores new inputs (a
    failure prints its seed; a long random campaign: tools/dev fuzz)."""
    import time
    seed = int(os.environ.get("CTGEN_FUZZ_SEED") or time.time())
    return seed % limit + 1 if limit else seed


def env(**extra):
    e = dict(os.environ)
    e["PYTHONPATH"] = str(BUILD)
    e.pop("PYTHONDONTWRITEBYTECODE", None)
    e.update(extra)
    return e


def run(args, cwd=None, input=None, timeout=120, **extra):
    """Run the test interpreter with args; returns CompletedProcess (text)."""
    return subprocess.run([sys.executable] + [str(a) for a in args], cwd=cwd, env=env(**extra),
                          capture_output=True, text=True, input=input, timeout=timeout)


def record(program, trace_dir, *args, options=(), cwd=None):
    """Record program into trace_dir with the CLI; returns CompletedProcess."""
    return run(["-m", "ctgen_tracer", "-q", "-o", trace_dir, *options, program, *args], cwd=cwd)


def record_killed(program, trace_dir, delay, *args, options=(), cwd=None, min_bytes=0):
    """Record program into trace_dir with the CLI and SIGKILL the recording
    `delay` seconds after its event file appears, and not before the file
    holds min_bytes (a loaded machine may write nothing in `delay`: a test
    that needs whole chunks asks for their bytes); returns its stdout (what
    the program printed before it died)."""
    import signal
    import time
    p = subprocess.Popen([sys.executable, "-m", "ctgen_tracer", "-q", *options, "-o", str(trace_dir),
                          str(program), *[str(a) for a in args]], cwd=cwd, env=env(),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    t0 = time.monotonic()
    while not (Path(trace_dir) / "trace.ctgt").exists() and time.monotonic() - t0 < 30:
        time.sleep(0.001)
    time.sleep(delay)
    events = Path(trace_dir) / "trace.ctgt"
    while p.poll() is None and events.stat().st_size < min_bytes and time.monotonic() - t0 < 120:
        time.sleep(0.01)
    p.send_signal(signal.SIGKILL)
    stdout, _ = p.communicate(timeout=30)
    assert p.returncode == -signal.SIGKILL
    return stdout


def reseal(data):
    """Event file bytes (format 3) with every complete frame's CRC-32
    recomputed as docs/trace-format.md defines it (zlib.crc32 of the size
    prefix and of the bytes after the CRC): damage the checksum does not
    catch, to test the decoder's own checks behind it."""
    import struct
    import zlib
    from ctgen_tracer import reader
    data = bytearray(data)
    pos = reader.HEADER_SIZE
    while pos + 4 + reader.CRC_SIZE <= len(data):
        end = pos + 4 + (struct.unpack_from("<I", data, pos)[0] & ~reader.COMPRESSED)
        if end > len(data):
            break
        body = pos + 4 + reader.CRC_SIZE
        struct.pack_into("<I", data, pos + 4, zlib.crc32(data[body:end], zlib.crc32(data[pos:pos + 4])))
        pos = end
    return bytes(data)


@pytest.fixture
def write_program(tmp_path):
    """write_program(source, name='app.py') -> path of a program in tmp_path."""
    def write(source, name="app.py"):
        p = tmp_path / name
        p.write_text(source)
        return p
    return write
