"""ctgen_build -- the in-tree PEP 517 build backend of ctgen-tracer.

pyproject.toml names it (backend-path = ["tools"]), so `pip install .` and
`python -m build` need nothing but the standard library, a C compiler and
ninja: the wheel is built by ./configure.py and ninja in a scratch copy of the
source tree (the user's tree gets no build/ directory), then zipped with its
dist-info by hand. Lua and re2c are never needed: generated/ is checked in.
"""

import base64
import hashlib
import io
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import zipfile

try:
    import tomllib
except ImportError:  # Python < 3.11: only the sdist can be asked for there
    tomllib = None

# What an sdist holds (and what a wheel build copies).
SDIST_PATHS = ["spec", "gen", "src", "generated", "tools", "tests", "docs", "examples",
               "configure.py", "pyproject.toml", "README.md"]
BUILD_PATHS = ["spec", "gen", "src", "generated", "tools", "configure.py", "pyproject.toml"]
SKIP_NAMES = {"__pycache__", ".pytest_cache", "build", ".venv", "dist"}
PACKAGE = "ctgen_tracer"


# ---- project metadata ------------------------------------------------------

def _project():
    """The [project] table of pyproject.toml."""
    if tomllib is None:
        raise RuntimeError("ctgen_build needs Python 3.11+ to read pyproject.toml")
    with open("pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]


def _dist_name(project):
    """The distribution name as file names spell it: ctgen_tracer."""
    return project["name"].replace("-", "_").replace(".", "_")


def _metadata(project):
    lines = ["Metadata-Version: 2.1",
             "Name: " + project["name"],
             "Version: " + project["version"]]
    if project.get("description"):
        lines.append("Summary: " + project["description"])
    if project.get("requires-python"):
        lines.append("Requires-Python: " + project["requires-python"])
    for classifier in project.get("classifiers", []):
        lines.append("Classifier: " + classifier)
    for dep in project.get("dependencies", []):
        lines.append("Requires-Dist: " + dep)
    body = ""
    if os.path.exists("README.md"):
        lines.append("Description-Content-Type: text/markdown")
        with open("README.md", encoding="utf-8") as f:
            body = f.read()
    return "\n".join(lines) + "\n\n" + body


def _entry_points(project):
    """entry_points.txt: [project.scripts] as console_scripts, then every
    group of [project.entry-points] (e.g. pytest11 for the pytest plugin)."""
    groups = {}
    if project.get("scripts"):
        groups["console_scripts"] = project["scripts"]
    for group, entries in sorted(project.get("entry-points", {}).items()):
        groups[group] = entries
    return "\n".join("[%s]\n%s" % (group, "".join("%s = %s\n" % (name, target)
                                                  for name, target in sorted(entries.items())))
                     for group, entries in groups.items())


def _wheel_tag():
    """cp312-cp312-linux_x86_64 for the running interpreter."""
    impl = {"cpython": "cp"}.get(sys.implementation.name, sys.implementation.name)
    ver = "%d%d" % sys.version_info[:2]
    abi = "%s%s%s" % (impl, ver, getattr(sys, "abiflags", ""))
    plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return "%s%s-%s-%s" % (impl, ver, abi, plat)


def _wheel_file(tag):
    return ("Wheel-Version: 1.0\nGenerator: ctgen_build\n"
            "Root-Is-Purelib: false\nTag: %s\n" % tag)


def _dist_info_files(project, tag):
    """{name: bytes} of the dist-info directory, RECORD excepted."""
    files = {"METADATA": _metadata(project), "WHEEL": _wheel_file(tag)}
    entry_points = _entry_points(project)
    if entry_points:
        files["entry_points.txt"] = entry_points
    return {name: text.encode("utf-8") for name, text in files.items()}


# ---- the wheel -------------------------------------------------------------

def _record_line(arcname, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "%s,sha256=%s,%d" % (arcname, digest.decode("ascii"), len(data))


def _package_files(package_dir):
    """(arcname, path) of every file of the built package, sorted.

    Extension modules built for another interpreter are left out.
    """
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    found = []
    for root, dirs, files in os.walk(package_dir):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_NAMES)
        for name in files:
            if name.endswith((".so", ".pyd")) and not name.endswith(suffix):
                continue
            if name.endswith((".pyc", ".d", ".o")):
                continue
            path = os.path.join(root, name)
            rel = os.path.relpath(path, os.path.dirname(package_dir))
            found.append((rel.replace(os.sep, "/"), path))
    return sorted(found)


def write_wheel(wheel_directory, package_dir, project):
    """Zip package_dir (build/ctgen_tracer) into a wheel; returns its file name."""
    tag = _wheel_tag()
    name = _dist_name(project)
    dist_info = "%s-%s.dist-info" % (name, project["version"])
    wheel_name = "%s-%s-%s.whl" % (name, project["version"], tag)
    record = []
    path = os.path.join(wheel_directory, wheel_name)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for arcname, src in _package_files(package_dir):
            with open(src, "rb") as f:
                data = f.read()
            _write_member(zf, arcname, data, os.stat(src).st_mode)
            record.append(_record_line(arcname, data))
        for fname, data in sorted(_dist_info_files(project, tag).items()):
            arcname = dist_info + "/" + fname
            _write_member(zf, arcname, data, 0o644)
            record.append(_record_line(arcname, data))
        record.append(dist_info + "/RECORD,,")
        _write_member(zf, dist_info + "/RECORD", ("\n".join(record) + "\n").encode(), 0o644)
    return wheel_name


def _write_member(zf, arcname, data, mode):
    info = zipfile.ZipInfo(arcname, date_time=(1980, 1, 1, 0, 0, 0))
    info.external_attr = ((mode & 0o777) | 0o100000) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)


def _copy_tree(dst):
    """Copy what the build needs from the source tree into dst."""
    for rel in BUILD_PATHS:
        if os.path.isdir(rel):
            shutil.copytree(rel, os.path.join(dst, rel),
                            ignore=shutil.ignore_patterns(*SKIP_NAMES, "*.pyc"))
        elif os.path.isfile(rel):
            shutil.copy2(rel, os.path.join(dst, rel))


def _run(cmd, cwd):
    """Run a build step, its output going to stderr (pip shows it with -v)."""
    print("ctgen_build: " + " ".join(cmd), file=sys.stderr, flush=True)
    r = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True)
    sys.stderr.write(r.stdout)
    if r.returncode != 0:
        raise RuntimeError("ctgen_build: %s failed (exit %d):\n%s"
                           % (" ".join(cmd), r.returncode, r.stdout))


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    project = _project()
    ninja = shutil.which("ninja")
    if not ninja:
        raise RuntimeError("ninja is required: apt-get install ninja-build or pip install ninja")
    with tempfile.TemporaryDirectory(prefix="ctgen-build-") as tmp:
        _copy_tree(tmp)
        _run([sys.executable, "configure.py", "--python", sys.executable], tmp)
        _run([ninja, "package"], tmp)
        return write_wheel(wheel_directory, os.path.join(tmp, "build", PACKAGE), project)


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    project = _project()
    dist_info = "%s-%s.dist-info" % (_dist_name(project), project["version"])
    os.makedirs(os.path.join(metadata_directory, dist_info), exist_ok=True)
    for name, data in _dist_info_files(project, _wheel_tag()).items():
        with open(os.path.join(metadata_directory, dist_info, name), "wb") as f:
            f.write(data)
    return dist_info


def get_requires_for_build_wheel(config_settings=None):
    return []


# ---- the sdist -------------------------------------------------------------

def _sdist_files():
    """Relative paths of the source files, sorted: git's list in a checkout."""
    if os.path.isdir(".git") or os.path.isfile(".git"):
        r = subprocess.run(["git", "ls-files", "-z", "--"] + SDIST_PATHS,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        if r.returncode == 0:
            names = [n for n in r.stdout.decode("utf-8").split("\0") if n]
            return sorted(n for n in names if os.path.isfile(n) and not _skipped(n))
    found = []
    for rel in SDIST_PATHS:
        if os.path.isfile(rel):
            found.append(rel)
        for root, dirs, files in os.walk(rel):
            dirs[:] = [d for d in dirs if d not in SKIP_NAMES]
            found.extend(os.path.join(root, f) for f in files)
    return sorted(p.replace(os.sep, "/") for p in found if not _skipped(p))


def _skipped(path):
    parts = path.replace(os.sep, "/").split("/")
    return path.endswith(".pyc") or any(p in SKIP_NAMES for p in parts[:-1])


def build_sdist(sdist_directory, config_settings=None):
    project = _project()
    base = "%s-%s" % (_dist_name(project), project["version"])
    name = base + ".tar.gz"
    epoch = os.environ.get("SOURCE_DATE_EPOCH")

    def add(tf, arcname, data, mode, mtime):
        info = tarfile.TarInfo(arcname)
        info.size, info.mode = len(data), mode
        info.mtime = int(epoch) if epoch else int(mtime)
        tf.addfile(info, io.BytesIO(data))

    with tarfile.open(os.path.join(sdist_directory, name), "w:gz", format=tarfile.PAX_FORMAT) as tf:
        for rel in _sdist_files():
            with open(rel, "rb") as f:
                data = f.read()
            st = os.stat(rel)
            mode = 0o755 if st.st_mode & 0o100 else 0o644
            add(tf, base + "/" + rel, data, mode, st.st_mtime)
        add(tf, base + "/PKG-INFO", _metadata(project).encode("utf-8"), 0o644,
            os.stat("pyproject.toml").st_mtime)
    return name


def get_requires_for_build_sdist(config_settings=None):
    return []

