"""`pip install .` works offline with nothing but a C compiler and ninja.

A copy of the source tree is installed into a fresh virtual environment of the
interpreter running the tests, with pip's index and configuration switched off
and PATH reduced to a directory holding only cc, as, ld, ninja and cp: no
re2c, no Lua, no flatc (generated/ is checked in, and the in-tree backend
declares no build requirements). The installed package must then record
examples/demo.py, verify its trace, and provide the ctgen-tracer script.
"""

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from conftest import ROOT

# What a build may run through PATH: the compiler driver, the assembler and
# linker it calls, ninja, and cp (build.ninja copies the Python files with it).
BUILD_TOOLS = ("cc", "as", "ld", "cp")
TIMEOUT = 300


def base_interpreter():
    """The interpreter running the tests, outside any virtual environment: the
    first candidate that reports this very interpreter (version and prefix).
    A venv whose interpreter is copied, not linked, may name another one as
    its base (sys._base_executable is /usr/bin/python3 on Debian, whatever
    python3.X made the venv), so every candidate is asked."""
    if sys.prefix == sys.base_prefix:
        return sys.executable
    names = ["python%d.%d" % sys.version_info[:2], "python%d" % sys.version_info[0], "python"]
    candidates = [getattr(sys, "_base_executable", None), os.path.realpath(sys.executable)]
    for bindir in (sysconfig.get_config_var("BINDIR"), os.path.join(sys.base_prefix, "bin")):
        if bindir:
            candidates += [os.path.join(bindir, n) for n in names]
    want = repr((sys.version, sys.base_prefix))
    tried = []
    for c in dict.fromkeys(c for c in candidates if c):
        if not (os.path.isfile(c) and os.access(c, os.X_OK)):
            continue
        r = subprocess.run([c, "-I", "-c", "import sys; print(repr((sys.version, sys.prefix)))"],
                           capture_output=True, text=True, timeout=60)
        if r.returncode == 0 and r.stdout.strip() == want:
            return c
        tried.append("%s: %s" % (c, (r.stdout or r.stderr).strip()))
    pytest.fail("cannot find the base interpreter of the virtual environment %s (%s); tried:\n%s"
                % (sys.prefix, want, "\n".join(tried)))


def clean_env(path):
    """os.environ without PYTHONPATH, pip settings or $CC, with PATH = path."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PIP_", "PYTHON")) and k not in ("CC", "VIRTUAL_ENV")}
    env["PATH"] = path
    env["PIP_CONFIG_FILE"] = os.devnull          # no index or find-links from any pip.conf
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    return env


def run(cmd, env, cwd):
    return subprocess.run([str(c) for c in cmd], env=env, cwd=str(cwd),
                          capture_output=True, text=True, timeout=TIMEOUT)


def copy_source(dst):
    """Copy the working tree's source files (git's list: tracked files and
    untracked ones that are not ignored) into dst."""
    r = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others",
                        "--exclude-standard"], capture_output=True)
    if r.returncode != 0:
        pytest.skip("not a git checkout: cannot list the source files")
    names = [n for n in r.stdout.decode("utf-8").split("\0") if n]
    assert "generated/trace.fbs" in names and "pyproject.toml" in names
    for name in names:
        src = ROOT / name
        if not src.is_file():      # deleted in the working tree
            continue
        (dst / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst / name)


def working_ninja(bindir):
    """Link bindir/ninja to the first ninja that runs with PATH=bindir (a
    pyenv shim on PATH may not)."""
    seen = []
    for d in os.environ.get("PATH", "").split(os.pathsep) + ["/usr/bin", "/usr/local/bin"]:
        cand = os.path.join(d or ".", "ninja")
        if not (os.path.isfile(cand) and os.access(cand, os.X_OK)) or cand in seen:
            continue
        seen.append(cand)
        link = bindir / "ninja"
        if link.is_symlink():
            link.unlink()
        link.symlink_to(os.path.realpath(cand))
        r = subprocess.run([str(link), "--version"], env={"PATH": str(bindir)},
                           capture_output=True)
        if r.returncode == 0:
            return
    pytest.skip("no working ninja found (apt-get install ninja-build)")


def tool_dir(bindir):
    """bindir with links to the build tools, and nothing else."""
    bindir.mkdir()
    for name in BUILD_TOOLS:
        found = shutil.which(name)
        if not found:
            pytest.skip("%s is not installed: cannot build the package" % name)
        (bindir / name).symlink_to(found)
    working_ninja(bindir)
    for absent in ("re2c", "lua5.4", "lua", "flatc", "python3", "python"):
        assert shutil.which(absent, path=str(bindir)) is None
    return bindir


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A virtual environment with the package installed by pip from a copy of
    the source tree: (venv dir, env for running it, work dir, source copy)."""
    work = tmp_path_factory.mktemp("pip")
    source = work / "source"
    copy_source(source)
    bindir = tool_dir(work / "tools")
    env = clean_env(str(bindir))
    venv = work / "venv"
    base = base_interpreter()
    r = run([base, "-m", "venv", venv], env, work)
    assert r.returncode == 0, r.stdout + r.stderr
    python = venv / "bin" / "python"
    r = run([python, "-c", "import sys; print(sys.version)"], env, work)
    assert r.stdout.strip() == sys.version, "the venv runs another interpreter than the tests"
    r = run([python, "-m", "pip", "install", "--no-index", "."], env, source)
    assert r.returncode == 0, "pip install failed:\n" + r.stdout + r.stderr
    return venv, env, work, source


def test_pip_installs_the_native_package(installed):
    venv, env, work, source = installed
    python = venv / "bin" / "python"
    r = run([python, "-c", "import ctgen_tracer, ctgen_tracer._native as n, sysconfig; "
             "print(ctgen_tracer.__file__); print(n.__file__); "
             "print(sysconfig.get_paths()['platlib'])"], env, work)
    assert r.returncode == 0, r.stderr
    init, native, platlib = r.stdout.splitlines()
    assert Path(init).parent == Path(platlib) / "ctgen_tracer"
    assert native.endswith(sysconfig.get_config_var("EXT_SUFFIX"))
    for name in ("reader.py", "trace_tables.py", "cli.py", "selection.py", "__main__.py", "pytest_plugin.py",
                 "_boot/sitecustomize.py", "index.py", "viewer.py", "_viewer/index.html", "_viewer/app.js",
                 "_viewer/app.css"):
        assert (Path(platlib) / "ctgen_tracer" / name).is_file()
    # The backend builds in a scratch copy: the source tree gets no build/.
    assert not (source / "build").exists()


def test_installed_package_records_the_demo(installed):
    venv, env, work, source = installed
    python = venv / "bin" / "python"
    demo = source / "examples" / "demo.py"
    plain = run([python, demo], env, work)
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout
    traced = run([python, "-m", "ctgen_tracer", "-q", "-o", work / "T", demo], env, work)
    assert traced.returncode == 0, traced.stderr
    assert traced.stdout == plain.stdout
    assert traced.stderr == ""
    events = work / "T" / "trace.ctgt"
    assert events.is_file()
    assert events.read_bytes()[:8] == b"CTGTRACE"
    assert events.stat().st_size > 16
    r = run([python, "-m", "ctgen_tracer", "verify", work / "T"], env, work)
    assert r.returncode == 0, r.stdout + r.stderr


def test_console_script(installed):
    venv, env, work, _ = installed
    script = venv / "bin" / "ctgen-tracer"
    assert script.is_file()
    r = run([script, "--help"], env, work)
    assert r.returncode == 0, r.stderr
    assert "usage:" in r.stdout
    assert "app.py" in r.stdout


def test_pytest_plugin_entry_point(installed, tmp_path):
    """The wheel registers the plugin under pytest11: the real pytest (from
    the test interpreter, put on PYTHONPATH) loads it from the installed
    package with no -p option, and -p ctgen_tracer.pytest_plugin as well."""
    venv, env, work, _ = installed
    python = venv / "bin" / "python"
    r = run([python, "-c", "from importlib.metadata import entry_points; "
             "print([(e.name, e.value) for e in entry_points(group='pytest11')])"], env, work)
    assert r.returncode == 0, r.stderr
    assert "('ctgen_tracer.pytest_plugin', 'ctgen_tracer.pytest_plugin')" in r.stdout
    (tmp_path / "test_one.py").write_text("def test_fails():\n    x = 41\n    assert x == 42\n\n"
                                          "def test_passes():\n    assert True\n")
    env = dict(env, PYTHONPATH=str(Path(pytest.__file__).resolve().parent.parent))
    for extra in ([], ["-p", "ctgen_tracer.pytest_plugin"]):
        out = tmp_path / ("T%d" % len(extra))
        r = run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra,
                 "--ctgen-record-failed", "--ctgen-record=%s" % out, "test_one.py"], env, tmp_path)
        assert r.returncode == 1, r.stdout + r.stderr
        assert "1 failed, 1 passed" in r.stdout
        assert sorted(p.name for p in out.iterdir()) == ["test_one.py__test_fails"]
        r = run([python, "-m", "ctgen_tracer", "verify", out / "test_one.py__test_fails"], env, tmp_path)
        assert r.returncode == 0, r.stdout + r.stderr
