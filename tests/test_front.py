"""Tests of ctgen-front, the re2c-built front end of the code generator.

The front end is built from the checked-in generated/ctgen_front.c (or taken
from $CTGEN_FRONT). Golden data lives in tests/gen/:

  ok/mini.spec, ok/mini.numbering.spec -> ok/mini.model.lua (the exact model)
  errors/NAME.spec -> errors/NAME.expected (the exact stderr, exit status 1);
      the numbering file is errors/NAME.numbering.spec if present, else
      errors/empty.numbering.spec; errors/NAME.args holds extra arguments
      (e.g. `--target 3.12 tests/gen/headers/fake312.h`).

Commands run from the repository root with relative paths, so diagnostics
name files exactly as the expected files do.
"""

import glob
import json
import os
import pathlib
import re
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
GEN = ROOT / "tests" / "gen"
ERRORS = GEN / "errors"
SOURCE_C = ROOT / "generated" / "ctgen_front.c"
SOURCE_RE = ROOT / "gen" / "ctgen_front.re"
VERSIONS = ("3.12", "3.13", "3.14", "3.15")


@pytest.fixture(scope="session")
def build(tmp_path_factory):
    """(path of the front end, compiler diagnostics or None if prebuilt)."""
    prebuilt = os.environ.get("CTGEN_FRONT")
    if prebuilt:
        return prebuilt, None
    exe = tmp_path_factory.mktemp("front") / "ctgen-front"
    cc = os.environ.get("CC", "cc")
    proc = subprocess.run(
        [cc, "-std=c11", "-O2", "-Wall", "-Wextra", "-o", str(exe), str(SOURCE_C)],
        capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.fail(f"building {SOURCE_C} failed:\n{proc.stderr}")
    return str(exe), proc.stderr


@pytest.fixture(scope="session")
def front(build):
    return build[0]


def run(front, *args):
    return subprocess.run([front, *map(str, args)], cwd=ROOT, capture_output=True, text=True)


def rel(path):
    return os.path.relpath(path, ROOT)


# ---- building

def test_builds_without_warnings(build):
    if build[1] is None:
        pytest.skip("CTGEN_FRONT is set; nothing was built")
    assert build[1] == ""


def test_generated_c_is_up_to_date(tmp_path):
    re2c = shutil.which("re2c")
    if not re2c:
        pytest.skip("re2c is not installed")
    out = tmp_path / "ctgen_front.c"
    subprocess.run([re2c, "-W", "-i", "--no-generation-date", "--no-version",
                    "-o", str(out), str(SOURCE_RE)], check=True, cwd=ROOT)
    assert out.read_bytes() == SOURCE_C.read_bytes(), \
        "generated/ctgen_front.c is stale: rerun re2c on gen/ctgen_front.re"


def test_generated_c_says_do_not_edit():
    head = SOURCE_C.read_text().splitlines()[:2]
    assert any("gen/ctgen_front.re" in line and "DO NOT EDIT" in line for line in head)


# ---- golden models and diagnostics

def error_cases():
    return sorted(p.stem for p in ERRORS.glob("*.spec") if not p.name.endswith(".numbering.spec"))


def error_case_args(name):
    spec = ERRORS / f"{name}.spec"
    numbering = ERRORS / f"{name}.numbering.spec"
    if not numbering.exists():
        numbering = ERRORS / "empty.numbering.spec"
    args = ERRORS / f"{name}.args"
    extra = args.read_text().split() if args.exists() else []
    return [rel(spec), rel(numbering), *extra]


def test_there_are_enough_error_cases():
    assert len(error_cases()) >= 12


@pytest.mark.parametrize("name", error_cases())
def test_error_golden(front, tmp_path, name):
    out = tmp_path / "model.lua"
    proc = run(front, "model", *error_case_args(name), "-o", out)
    assert proc.stderr == (ERRORS / f"{name}.expected").read_text()
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_mini_model_golden(front, tmp_path):
    out = tmp_path / "model.lua"
    proc = run(front, "model", "tests/gen/ok/mini.spec", "tests/gen/ok/mini.numbering.spec",
               "-o", out)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert out.read_bytes() == (GEN / "ok" / "mini.model.lua").read_bytes()


def test_unchanged_model_is_not_rewritten(front, tmp_path):
    out = tmp_path / "model.lua"
    args = ["model", "tests/gen/ok/mini.spec", "tests/gen/ok/mini.numbering.spec", "-o", out]
    assert run(front, *args).returncode == 0
    os.utime(out, ns=(1_000_000_000, 1_000_000_000))
    assert run(front, *args).returncode == 0
    assert out.stat().st_mtime_ns == 1_000_000_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.lua"]


def test_spec_error_touches_no_file(front, tmp_path):
    out = tmp_path / "model.lua"
    out.write_bytes(b"-- old model\n")
    os.utime(out, ns=(1_000_000_000, 1_000_000_000))
    proc = run(front, "model", *error_case_args("syntax"), "-o", out)
    assert proc.returncode == 1
    assert out.read_bytes() == b"-- old model\n"
    assert out.stat().st_mtime_ns == 1_000_000_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.lua"]


def test_real_spec_is_valid(front, tmp_path):
    out = tmp_path / "model.lua"
    proc = run(front, "model", "spec/events.spec", "spec/numbering.spec", "-o", out)
    assert (proc.returncode, proc.stderr) == (0, "")
    text = out.read_text()
    assert text.startswith("-- Generated by ctgen-front from spec/events.spec and "
                           "spec/numbering.spec. DO NOT EDIT.\nreturn {\n")
    assert 'spec = "spec/events.spec", numbering_spec = "spec/numbering.spec",' in text
    assert str(ROOT) not in text


def test_usage_errors_exit_2(front, tmp_path):
    for args in ([], ["model", "spec/events.spec"], ["scan", "3.x", "h.h"],
                 ["model", "spec/events.spec", "spec/numbering.spec", "--bogus", "-o", "x"],
                 ["model", "no/such.spec", "spec/numbering.spec", "-o", tmp_path / "m.lua"]):
        proc = run(front, *args)
        assert proc.returncode == 2, args
        assert proc.stderr.startswith("ctgen-front: ") and proc.stderr.count("\n") == 1, args
    assert list(tmp_path.iterdir()) == []


# ---- headers of installed interpreters

PROBE = """\
import json, sys, sysconfig
ev = sys.monitoring.events
bits = {n: getattr(ev, n) for n in dir(ev) if n.isupper()}
print(json.dumps({"include": sysconfig.get_paths()["include"],
                  "events": {n: b for n, b in bits.items() if b and not b & (b - 1)}}))
"""


def find_python(version):
    """Facts of an installed CPython `version` (include dir, event bits), or None."""
    candidates = [shutil.which(f"python{version}")]
    candidates += sorted(glob.glob(os.path.expanduser(
        f"~/.pyenv/versions/{version}*/bin/python{version}")))
    for exe in filter(None, candidates):
        try:
            proc = subprocess.run([exe, "-c", PROBE], capture_output=True, text=True, timeout=60)
        except OSError:
            continue
        if proc.returncode == 0:
            return json.loads(proc.stdout)
    return None


def header_of(version, include):
    if version == "3.12":
        return pathlib.Path(include) / "internal" / "pycore_instruments.h"
    return pathlib.Path(include) / "cpython" / "monitoring.h"


def numbering_blocks():
    """{version: block text} of spec/numbering.spec."""
    text = (ROOT / "spec" / "numbering.spec").read_text()
    return {m.group(1): m.group(0) + "\n"
            for m in re.finditer(r'^numbering (\S+) "[^"]*" \{\n.*?^\}', text, re.M | re.S)}


def block_numbers(block):
    return {n: int(v) for n, v in re.findall(r"^    (\w+) = (\d+);$", block, re.M)}


@pytest.fixture(scope="module", params=VERSIONS)
def installed(request):
    facts = find_python(request.param)
    if facts is None:
        pytest.skip(f"CPython {request.param} is not installed")
    header = header_of(request.param, facts["include"])
    if not header.exists():
        pytest.skip(f"CPython {request.param} has no {header.name} (no development headers)")
    return request.param, header, facts["events"]


def test_header_numbers_match_interpreter_and_spec(front, installed, tmp_path):
    version, header, bits = installed
    proc = run(front, "scan", version, header)
    assert (proc.returncode, proc.stderr) == (0, "")
    scanned = block_numbers(proc.stdout)
    assert {name: 1 << n for name, n in scanned.items()} == bits
    assert scanned == block_numbers(numbering_blocks()[version])
    proc = run(front, "model", "spec/events.spec", "spec/numbering.spec",
               "--target", version, header, "-o", tmp_path / "model.lua")
    assert (proc.returncode, proc.stderr) == (0, "")


@pytest.mark.parametrize("version", VERSIONS)
def test_scan_output_is_the_numbering_block(front, version):
    facts = find_python(version)
    if facts is None:
        pytest.skip(f"CPython {version} is not installed")
    proc = run(front, "scan", version, header_of(version, facts["include"]))
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout == numbering_blocks()[version]


def test_header_315_matches_spec(front, tmp_path):
    """3.15's numbers (tests/gen/headers/cpython315.h) are spec/numbering.spec's
    3.15 block, and the spec models 3.15: BRANCH, superseded from 3.14 on, is
    still in the header and superseded there too."""
    header = "tests/gen/headers/cpython315.h"
    proc = run(front, "scan", "3.15", header)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert block_numbers(proc.stdout) == block_numbers(numbering_blocks()["3.15"])
    proc = run(front, "model", "spec/events.spec", "spec/numbering.spec",
               "--target", "3.15", header, "-o", tmp_path / "model.lua")
    assert (proc.returncode, proc.stderr) == (0, "")
    assert 'superseded = { version = "3.14"' in (tmp_path / "model.lua").read_text()


def test_superseded_holds_for_later_versions(front, tmp_path):
    """A numbering block of a version after `superseded V` may keep the
    superseded event: 3.15's block (BRANCH = 18) is accepted as 3.14's is."""
    nums = tmp_path / "numbering.spec"
    nums.write_text(numbering_blocks()["3.15"].replace("numbering 3.15", "numbering 3.17"))
    proc = run(front, "model", "spec/events.spec", nums, "-o", tmp_path / "model.lua")
    assert (proc.returncode, proc.stderr) == (0, "")


def test_renamed_event_is_named(front, tmp_path):
    """A header of a version the spec does not cover, with RAISE renamed to
    RAISED: the unknown event is named, with the event it probably replaces."""
    header = "tests/gen/headers/renamed316.h"
    proc = run(front, "model", "spec/events.spec", "spec/numbering.spec",
               "--target", "3.16", header, "-o", tmp_path / "model.lua")
    assert proc.returncode == 1
    assert (f"{header}:20:9: error: event 'RAISED' of CPython 3.16 ({header}) "
            "is not described in the spec") in proc.stderr
    assert ("note: 'RAISE' had number 11 in numbering 3.15 and is not in "
            f"{header}: renamed to 'RAISED'?") in proc.stderr
    assert "error: CPython 3.16 is not covered by spec/numbering.spec" in proc.stderr
    assert not (tmp_path / "model.lua").exists()


def test_scan_fake_header(front):
    proc = run(front, "scan", "3.12", "tests/gen/headers/fake312.h")
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout == 'numbering 3.12 "fake312.h" {\n    PY_START = 0;\n    BRANCH = 8;\n}\n'
