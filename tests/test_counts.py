"""One trace is counted one way everywhere: the recording's summary line,
the metadata's stats, `verify`, `stats` and `convert` give the same number
of records (and of steps) for the same trace."""

import json
import re

from conftest import PROGRAMS, run

from ctgen_tracer.tracedir import METADATA_FILE


def test_records_and_steps_are_counted_alike(tmp_path):
    tdir = tmp_path / "t"
    p = run(["-m", "ctgen_tracer", "-o", tdir, "--chunk-bytes", "16384", PROGRAMS / "threads.py"])
    assert p.returncode == 0, p.stderr
    summary = re.search(r"ctgen-tracer: (\d+) records \((\d+) steps\), (\d+) bytes in ", p.stderr)
    assert summary, p.stderr
    records, steps = int(summary.group(1)), int(summary.group(2))
    meta = json.loads((tdir / METADATA_FILE).read_text())
    assert (meta["stats"]["records"], meta["stats"]["steps"]) == (records, steps)
    assert meta["stats"]["bytes"] == int(summary.group(3)) and meta["stats"]["chunks"] > 1

    v = run(["-m", "ctgen_tracer", "verify", tdir])
    assert v.returncode == 0 and v.stdout.splitlines()[-1].startswith("%s: %d records in " % (tdir, records)), v.stdout
    s = run(["-m", "ctgen_tracer", "stats", tdir])
    assert ", %d records, " % records in s.stdout, s.stdout
    # count, bytes: a Line is a Step without its fn (format 7), a ShortLine one of a line below 2^16
    # (format 10); this program's lines all are
    rows = {k: re.search(r"\n  %s +(\d+) +\d+\n" % k, s.stdout) for k in ("Step", "Line", "ShortLine")}
    assert rows["Line"] is None and rows["Step"] and rows["ShortLine"], s.stdout
    assert int(rows["Step"].group(1)) + int(rows["ShortLine"].group(1)) == steps, s.stdout
    sh = run(["-m", "ctgen_tracer", "show", tdir])
    numbers = [int(x[:6]) for x in sh.stdout.splitlines() if x[:6].strip().isdigit()]
    assert numbers == list(range(steps))
    c = run(["-m", "ctgen_tracer", "convert", tdir, "--to", "codetracer", "-o", tmp_path / "ct"])
    assert c.returncode == 0, c.stderr
    assert c.stderr.startswith("ctgen-tracer: %d steps, " % steps), c.stderr
    assert c.stderr.rstrip("\n").endswith(", from %d records" % records), c.stderr
