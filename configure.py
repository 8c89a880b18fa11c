#!/usr/bin/env python3
"""Write build.ninja for ctgen-tracer, for one target CPython.

    ./configure.py --python 3.12|3.13|3.14|3.15|/path/to/python [--cc CC] [--debug]
    ./configure.py --print-python 3.12      (print the interpreter found, exit)

Finds the interpreter and its headers, checks the tools, builds the spec front
end and checks that spec/numbering.spec covers the interpreter's monitoring
header (scanning and regenerating when it does not and re2c and Lua are
present), then writes build.ninja at the top of the tree. Outputs go to build/,
except the regenerated files, which go to generated/ (they are checked in).
Runs under any Python >= 3.9, standard library only.
"""

import argparse
import glob
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

SUPPORTED = ["3.12", "3.13", "3.14", "3.15"]
OLDEST = (3, 12)

# The spec front end: checked-in re2c output, and its source.
FRONT_RE = "gen/ctgen_front.re"
FRONT_C = "generated/ctgen_front.c"
FRONT = "build/ctgen-front"
MODEL = "build/model.lua"
SPECS = ["spec/events.spec", "spec/numbering.spec"]
NUMBERING_SPEC = "spec/numbering.spec"

# Regenerated files and the Lua generator that writes each one.
GEN_LIB = "gen/lib.lua"
# Inputs a generator reads besides itself, gen/lib.lua and the model (none today).
GEN_EXTRA = {}
GENERATED = [
    ("generated/events.h", "gen/gen_events_h.lua"),
    ("generated/events.c", "gen/gen_events_c.lua"),
    ("generated/numbering.h", "gen/gen_numbering_h.lua"),
    ("generated/records.h", "gen/gen_records_h.lua"),
    ("generated/records.c", "gen/gen_records_c.lua"),
    ("generated/value_kinds.h", "gen/gen_value_kinds_h.lua"),
    ("generated/trace.fbs", "gen/gen_trace_fbs.lua"),
    ("generated/trace_tables.py", "gen/gen_trace_tables_py.lua"),
    ("generated/decoder.h", "gen/gen_decoder_h.lua"),
]

# The native module's C sources.
C_SOURCES = [
    "src/module.c",
    "src/recorder.c",
    "src/code.c",
    "src/frame.c",
    "src/inline.c",
    "src/thread.c",
    "src/values.c",
    "src/deaths.c",
    "src/unseen.c",
    "src/intern.c",
    "src/chunk.c",
    "src/redact.c",
    "src/writer.c",
    "src/sigterm.c",
    "src/derive.c",
    "src/nswatch.c",
    "src/io.c",
    "src/vec.c",
    "src/decode.c",
    "src/decode_py.c",
    "src/windex.c",
    "src/value_obj.c",
    "src/convert_json.c",
    "src/convert_rows.c",
    "src/walk.c",
    "src/crc.c",
    "generated/events.c",
    "generated/records.c",
]

# The Python package: copied as is into build/ctgen_tracer/.
PY_SOURCES = [
    "src/ctgen_tracer/__init__.py",       # the API
    "src/ctgen_tracer/_supported.py",      # which interpreters the native module serves
    "src/ctgen_tracer/__main__.py",
    "src/ctgen_tracer/session.py",        # start, stop, the trace's metadata
    "src/ctgen_tracer/tracedir.py",       # the trace directory's files
    "src/ctgen_tracer/errors.py",
    "src/ctgen_tracer/children.py",       # forked and python child processes
    "src/ctgen_tracer/signals.py",        # SIGTERM
    "src/ctgen_tracer/selection.py",      # which code is recorded
    "src/ctgen_tracer/runner.py",         # python -m ctgen_tracer app.py
    "src/ctgen_tracer/cli.py",            # the commands
    "src/ctgen_tracer/reader.py",
    "src/ctgen_tracer/index.py",           # random access: the trace's index
    "src/ctgen_tracer/viewer.py",          # python -m ctgen_tracer view
    "src/ctgen_tracer/_viewer/index.html", # the viewer's page (package data: no build step)
    "src/ctgen_tracer/_viewer/app.js",
    "src/ctgen_tracer/_viewer/app.css",
    "src/ctgen_tracer/convert.py",
    "src/ctgen_tracer/sources.py",         # the text of code compiled from strings
    "src/ctgen_tracer/progress.py",        # the commands' progress line
    "src/ctgen_tracer/pytest_plugin.py",
    "src/ctgen_tracer/_boot/sitecustomize.py",
]
PY_GENERATED = [("generated/trace_tables.py", "trace_tables.py"), ("generated/trace.fbs", "trace.fbs")]

PACKAGE_DIR = "build/ctgen_tracer"

CFLAGS = ("-std=c11 -fPIC -fvisibility=hidden -Wall -Wextra"
          " -Wno-unused-parameter -Werror=implicit-function-declaration")
OPT_RELEASE = "-O2 -g -DNDEBUG"   # (as CPython builds extensions: its headers' asserts off; ours has none)
OPT_DEBUG = "-O0 -g"

# Run by each candidate interpreter; must work on any Python, even 2.7.
PROBE = r"""
import json, sys, sysconfig
impl = getattr(sys, "implementation", None)
print(json.dumps({
    "executable": sys.executable,
    "implementation": impl.name if impl else "cpython",
    "version": list(sys.version_info[:3]),
    "include": sysconfig.get_paths()["include"],
    "ext_suffix": sysconfig.get_config_var("EXT_SUFFIX"),
    "abiflags": getattr(sys, "abiflags", ""),
    "gil_disabled": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
    "trace_refs": bool(sysconfig.get_config_var("Py_TRACE_REFS")),
}))
"""

TOP = os.path.dirname(os.path.abspath(__file__))


# ---- small helpers ---------------------------------------------------------

class ConfigureError(Exception):
    pass


def note(msg):
    print("configure: " + msg)


def warn(msg):
    print("configure: warning: " + msg, file=sys.stderr)


def obj_path(src, objdir):
    """build/obj-3.12/src/module.o for src/module.c."""
    return os.path.join(objdir, os.path.splitext(src)[0] + ".o")


def ninja_escape(path):
    """Escape a path for a build line (ninja's '$', ' ' and ':')."""
    return path.replace("$", "$$").replace(" ", "$ ").replace(":", "$:")


def ninja_value(text):
    """Escape a variable value (only '$' is special there)."""
    return text.replace("$", "$$")


def newer(path, than):
    """True when path exists and is at least as new as than."""
    return os.path.exists(path) and os.path.getmtime(path) >= os.path.getmtime(than)


def shell_join(words):
    return " ".join(shlex.quote(w) for w in words)


def run(cmd, **kw):
    """Run cmd, capturing text output; never raises for a non-zero exit."""
    try:
        return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, **kw)
    except OSError as e:
        return subprocess.CompletedProcess(cmd, 127, "", str(e))


def first_line(text):
    lines = text.strip().splitlines()
    return lines[0] if lines else ""


# ---- the interpreter -------------------------------------------------------

def probe(python):
    """Ask an interpreter about itself; (info dict, None) or (None, why not)."""
    try:
        r = run([python, "-c", PROBE], timeout=60)
    except subprocess.TimeoutExpired:
        return None, "timed out"
    if r.returncode != 0:
        return None, "does not run: " + (first_line(r.stderr) or "exit %d" % r.returncode)
    try:
        return json.loads(r.stdout.strip().splitlines()[-1]), None
    except (ValueError, IndexError):
        return None, "printed no usable answer"


def version_key(dirname):
    """Sort key for pyenv version dirs: final releases first, then patch."""
    m = re.match(r"^(\d+)\.(\d+)\.(\d+)(.*)$", dirname)
    if not m:
        return (False, -1)
    return (m.group(4) == "", int(m.group(3)))


def candidates(version):
    """(path, where) pairs to try for 'pythonX.Y', in search order."""
    name = "python" + version
    for d in os.environ.get("PATH", "").split(os.pathsep):
        if d:
            yield os.path.join(d, name), "PATH"
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    dirs = glob.glob(os.path.join(root, "versions", version + ".*"))
    for d in sorted(dirs, key=lambda d: version_key(os.path.basename(d)), reverse=True):
        yield os.path.join(d, "bin", name), "pyenv"
    for d in ["/usr/bin", "/usr/local/bin"]:
        yield os.path.join(d, name), "system"


def find_python(spec):
    """Resolve --python: a version (3.12) is searched for, a path is used as is."""
    if re.match(r"^\d+\.\d+$", spec):
        want = version_tuple(spec)
        if want < OLDEST:
            raise ConfigureError("ctgen-tracer needs CPython %d.%d or newer (asked for %s); "
                                 "supported: %s" % (OLDEST + (spec, ", ".join(SUPPORTED))))
        return search_python(spec, want)
    path = spec
    if os.sep not in path and not os.path.exists(path):
        path = shutil.which(path) or path
    if not os.path.exists(path):
        raise ConfigureError("--python %s: no such file" % spec)
    path = os.path.abspath(path)
    info, why = probe(path)
    if info is None:
        raise ConfigureError("--python %s: %s" % (spec, why))
    info["path"] = path
    check_version(info)
    return info


def search_python(spec, want):
    tried = []
    seen = set()
    for path, where in candidates(spec):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            continue
        real = os.path.realpath(path)
        if real in seen:
            continue
        seen.add(real)
        info, why = probe(path)
        if info is not None and tuple(info["version"][:2]) != want:
            why = "reports %d.%d" % tuple(info["version"][:2])
            info = None
        if info is None:
            tried.append("    %s (%s): %s" % (path, where, why))
            continue
        # A pyenv shim that works resolves to the real interpreter here.
        info["path"] = info["executable"] or path
        check_version(info)
        return info
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    lines = ["CPython %s not found. Searched:" % spec,
             "    python%s on PATH" % spec,
             "    %s/versions/%s.*/bin/python%s (pyenv)" % (root, spec, spec),
             "    /usr/bin/python%s, /usr/local/bin/python%s" % (spec, spec)]
    if tried:
        lines.append("  rejected:")
        lines.extend(tried)
    lines.append("Install it (e.g. 'pyenv install %s') or pass --python /path/to/python%s."
                 % (spec, spec))
    raise ConfigureError("\n".join(lines))


def supported_module():
    """src/ctgen_tracer/_supported.py: the rules `import ctgen_tracer` applies too."""
    import types
    path = os.path.join(TOP, "src", "ctgen_tracer", "_supported.py")
    mod = types.ModuleType("_ctgen_supported")
    with open(path) as f:   # compiled here: no __pycache__ in the source tree
        exec(compile(f.read(), path, "exec"), mod.__dict__)
    return mod


def check_version(info):
    why = supported_module().unsupported(info["version"], info["implementation"],
                                         info.get("abiflags", ""), info.get("gil_disabled"),
                                         info.get("trace_refs"))
    if why:
        raise ConfigureError("%s (Python %s) cannot be served: %s (supported: CPython %s)"
                             % (info["path"], dotted(info["version"]), why, ", ".join(SUPPORTED)))


def dotted(version):
    return ".".join(str(v) for v in version)


def find_headers(info):
    """Python.h and the header that numbers the PEP 669 events."""
    minor = "%d.%d" % tuple(info["version"][:2])
    inc = info["include"]
    if tuple(info["version"][:2]) == (3, 12):
        header = os.path.join(inc, "internal", "pycore_instruments.h")
    else:
        header = os.path.join(inc, "cpython", "monitoring.h")
    for path in [os.path.join(inc, "Python.h"), header]:
        if not os.path.isfile(path):
            raise ConfigureError("%s not found: the CPython %s headers are missing "
                                 "(install python%s-dev, or use a pyenv/source build)"
                                 % (path, minor, minor))
    return header


# ---- tools -----------------------------------------------------------------

def find_cc(option):
    """The C compiler as a word list: --cc, else $CC, else cc/gcc/clang."""
    if option:
        choices = [option]
    elif os.environ.get("CC"):
        choices = [os.environ["CC"]]
    else:
        choices = ["cc", "gcc", "clang"]
    for choice in choices:
        words = shlex.split(choice)
        if words and shutil.which(words[0]):
            ver = run(words + ["--version"])
            if ver.returncode == 0:
                return words, first_line(ver.stdout)
    raise ConfigureError("no working C compiler (tried: %s); install one "
                         "(apt-get install build-essential) or pass --cc" % ", ".join(choices))


def check_zlib(cc):
    """zlib (zlib.h and libz) for the writer thread's compression (--compress)."""
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "z.c")
        with open(src, "w") as f:
            f.write("#include <zlib.h>\nint main(void) { return zlibVersion()[0] == 0; }\n")
        r = run(cc + ["-o", os.path.join(d, "z"), src, "-lz"])
    if r.returncode != 0:
        raise ConfigureError("zlib not found (zlib.h and libz; apt-get install zlib1g-dev):\n"
                             + r.stderr.rstrip())


def on_path(name):
    """Every executable called name on PATH, in order (a broken shim may come first)."""
    for d in os.environ.get("PATH", "").split(os.pathsep):
        path = os.path.join(d or ".", name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            yield path


def find_tool(names, version_args, accept=None):
    """First of names on PATH that runs; (path, version line) or (None, None)."""
    for name in names:
        for path in on_path(name):
            r = run([path] + version_args)
            text = first_line(r.stdout or r.stderr)
            if r.returncode == 0 and (accept is None or accept(text)):
                return path, text
    return None, None


def find_ninja():
    return find_tool(["ninja"], ["--version"])


def find_regen_tools():
    """re2c and Lua 5.4, each (path, version) or (None, None)."""
    re2c = find_tool(["re2c"], ["--version"])
    lua = find_tool(["lua5.4", "lua"], ["-v"], accept=lambda t: t.startswith("Lua 5.4"))
    return re2c, lua


# ---- the spec front end and the numbering check ----------------------------

def model_cmd(front, minor, header, specs=SPECS):
    return [front, "model"] + list(specs) + ["--target", minor, header, "-o", MODEL]


# The front end's complaints that a new numbering block (scanned from the
# header) answers; any other error is a spec or header problem to report.
NUMBERING_ERRORS = [
    r"CPython \S+ is not covered by ",
    r"event '\w+' is -?\d+ in .* but -?\d+ in numbering ",
    r"event '\w+' of CPython \S+ \(.*\) is missing from numbering ",
    r"event '\w+' of numbering \S+ is not defined in ",
]


def numbering_problem(stderr):
    """True when the front end failed only because of spec/numbering.spec."""
    errors = [line for line in stderr.splitlines() if ": error: " in line]
    return bool(errors) and all(any(re.search(p, line) for p in NUMBERING_ERRORS)
                                for line in errors)


def replace_block(text, minor, block):
    """numbering.spec text with the block for minor replaced or appended."""
    pat = re.compile(r'^numbering\s+%s\s+"[^"]*"\s*\{.*?^\}[ \t]*\n?' % re.escape(minor),
                     re.M | re.S)
    block = block.strip() + "\n"
    if pat.search(text):
        return pat.sub(lambda m: block, text, count=1)
    key = version_tuple(minor)
    for m in re.finditer(r"^numbering\s+(\d+\.\d+)\s", text, re.M):
        if version_tuple(m.group(1)) > key:
            return text[:m.start()] + block + "\n" + text[m.start():]
    return text.rstrip("\n") + "\n\n" + block


def version_tuple(minor):
    return tuple(int(p) for p in minor.split("."))


def check_numbering(cc, minor, header, regen_ok):
    """Build the front end and check the spec against the header.

    Returns True when spec/numbering.spec was updated and generated/ must be
    regenerated; raises ConfigureError when that is needed but impossible.
    """
    if not os.path.exists(FRONT_C):
        warn("%s does not exist yet: skipping the numbering check" % FRONT_C)
        return False
    os.makedirs("build", exist_ok=True)
    if not newer(FRONT, FRONT_C):
        r = run(cc + ["-std=c11", "-O2", "-o", FRONT, FRONT_C])
        if r.returncode != 0:
            raise ConfigureError("building the spec front end failed:\n" + r.stdout + r.stderr)
    r = run(model_cmd(FRONT, minor, header))
    if r.returncode == 0:
        return False
    if not numbering_problem(r.stderr):
        raise ConfigureError("the spec front end failed:\n" + r.stderr.rstrip())
    if not regen_ok:
        raise ConfigureError(r.stderr.rstrip() + "\nregenerating needs: re2c, lua5.4 "
                             "(apt-get install re2c lua5.4)")
    scan = run([FRONT, "scan", minor, header])
    if scan.returncode != 0 or not scan.stdout.strip():
        raise ConfigureError("scanning %s failed:\n%s" % (header, scan.stderr.rstrip()))
    with open(NUMBERING_SPEC) as f:
        old = f.read()
    # Tried on a copy first: spec/numbering.spec changes only when the new block fits.
    candidate = os.path.join("build", "numbering.spec.new")
    with open(candidate, "w") as f:
        f.write(replace_block(old, minor, scan.stdout))
    r = run(model_cmd(FRONT, minor, header, [SPECS[0], candidate]))
    if r.returncode != 0:
        raise ConfigureError("the numbering block scanned from %s does not fit the spec "
                             "(tried in %s; %s is unchanged):\n%s"
                             % (header, candidate, NUMBERING_SPEC, r.stderr.rstrip()))
    with open(candidate) as f, open(NUMBERING_SPEC, "w") as out:
        out.write(f.read())
    os.remove(candidate)
    note("%s did not match CPython %s: wrote its numbering block from %s"
         % (NUMBERING_SPEC, minor, header))
    return True


# ---- build.ninja -----------------------------------------------------------

class Writer:
    """The few ninja statements this script needs."""

    def __init__(self):
        self.lines = []

    def comment(self, text):
        self.lines.append("# " + text)

    def newline(self):
        self.lines.append("")

    def variable(self, name, value, indent=0):
        self.lines.append("  " * indent + "%s = %s" % (name, value))

    def rule(self, name, command, description, **extra):
        self.lines.append("rule " + name)
        self.variable("command", command, 1)
        self.variable("description", description, 1)
        for key, value in extra.items():
            self.variable(key, value, 1)
        self.newline()

    def build(self, outputs, rule, inputs=(), implicit=(), order_only=(), variables=()):
        line = "build %s: %s" % (" ".join(map(ninja_escape, as_list(outputs))), rule)
        if as_list(inputs):
            line += " " + " ".join(map(ninja_escape, as_list(inputs)))
        if as_list(implicit):
            line += " | " + " ".join(map(ninja_escape, as_list(implicit)))
        if as_list(order_only):
            line += " || " + " ".join(map(ninja_escape, as_list(order_only)))
        self.lines.append(line)
        for key, value in variables:
            self.variable(key, value, 1)

    def text(self):
        return "\n".join(self.lines) + "\n"


def as_list(x):
    return [x] if isinstance(x, str) else list(x)


def write_ninja(cfg, argv):
    minor = cfg["python_minor"]
    objdir = "build/obj-" + minor
    so = os.path.join(PACKAGE_DIR, "_native" + cfg["ext_suffix"])
    regen = cfg["regen"]
    n = Writer()
    n.comment("build.ninja for ctgen-tracer, CPython %s -- written by configure.py, "
              "do not edit." % cfg["python_version"])
    n.comment("configured with: " + shell_join(["./configure.py"] + argv))
    n.newline()
    n.variable("ninja_required_version", "1.10")
    n.variable("builddir", "build")
    n.variable("python", ninja_value(shlex.quote(cfg["python"])))
    n.variable("cc", ninja_value(shell_join(cfg["cc"])))
    n.variable("cflags", ninja_value("%s %s -I src -I generated -I %s" % (
        CFLAGS, OPT_DEBUG if cfg["debug"] else OPT_RELEASE, shlex.quote(cfg["include"]))))
    if regen:
        n.variable("re2c", ninja_value(shlex.quote(cfg["re2c"])))
        n.variable("lua", ninja_value(shlex.quote(cfg["lua"])))
    n.newline()

    n.rule("configure", ninja_value(shell_join([sys.executable, "configure.py"] + argv)),
           "CONFIGURE", generator="1")
    n.rule("front", "$cc -std=c11 -O2 -MMD -MF $out.d -o $out $in", "FRONT $out",
           depfile="$out.d", deps="gcc")
    n.rule("model", "%s model $in --target %s %s -o $out" % (
        FRONT, minor, ninja_value(shlex.quote(cfg["header"]))), "MODEL $out", restat="1")
    if regen:
        n.rule("re2c", "$re2c -W -i --no-generation-date --no-version -o $out $in",
               "RE2C $out", restat="1")
        n.rule("lua_gen", "$lua $gen %s $out" % MODEL,
               "GEN $out", restat="1")
    n.rule("cc", "$cc $cflags -MMD -MF $out.d -c $in -o $out", "CC $out",
           depfile="$out.d", deps="gcc")
    n.rule("link", "$cc -shared -o $out $in -lz -lpthread", "LINK $out")
    n.rule("copy", "cp $in $out", "COPY $out")
    n.rule("run_tests", "env CTGEN_BUILD=%s CTGEN_FRONT=%s PYTHONPATH=%s $python tools/run_tests.py"
           % tuple(ninja_value(shlex.quote(os.path.join(TOP, p)))
                   for p in ["build", FRONT, "build"]),
           "TEST CPython %s" % minor, pool="console")

    n.comment("The spec front end and the model.")
    if regen:
        n.build(FRONT_C, "re2c", FRONT_RE)
    n.build(FRONT, "front", FRONT_C)
    n.build(MODEL, "model", SPECS, implicit=[FRONT, cfg["header"]])
    n.newline()

    headers = [out for out, _ in GENERATED if out.endswith(".h")]
    if regen:
        n.comment("Regeneration of generated/ (checked in; needs re2c and Lua).")
        for out, gen in GENERATED:
            n.build(out, "lua_gen", implicit=[gen, GEN_LIB, MODEL] + GEN_EXTRA.get(out, []),
                    variables=[("gen", gen)])
        n.build("regen", "phony", [out for out, _ in GENERATED] + [FRONT_C])
        n.newline()

    n.comment("The native module.")
    objs = []
    for src in C_SOURCES:
        obj = obj_path(src, objdir)
        n.build(obj, "cc", src, order_only=headers if regen else ())
        objs.append(obj)
    n.build(so, "link", objs)
    n.newline()

    n.comment("The Python package.")
    copied = []
    for src in PY_SOURCES:
        out = os.path.join(PACKAGE_DIR, os.path.relpath(src, "src/ctgen_tracer"))
        n.build(out, "copy", src)
        copied.append(out)
    for src, name in PY_GENERATED:
        out = os.path.join(PACKAGE_DIR, name)
        n.build(out, "copy", src)
        copied.append(out)
    n.build("package", "phony", [so] + copied)
    n.newline()

    n.build("test", "run_tests", implicit=["package", FRONT])
    n.build("build.ninja", "configure", implicit=["configure.py"])
    n.newline()
    n.lines.append("default package")

    with open("build.ninja", "w") as f:
        f.write(n.text())


# ---- main ------------------------------------------------------------------

def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="configure.py",
        description="Write build.ninja for ctgen-tracer for one CPython (%s)." % ", ".join(SUPPORTED))
    p.add_argument("--python", metavar="X",
                   help="target interpreter: a version (%s) or a path" % ", ".join(SUPPORTED))
    p.add_argument("--cc", help="C compiler (default: $CC, else cc, gcc or clang)")
    p.add_argument("--debug", action="store_true", help="build the module with -O0 -g")
    p.add_argument("--print-python", metavar="X",
                   help="print the interpreter found for X and exit")
    args = p.parse_args(argv)
    if not args.python and not args.print_python:
        p.error("--python is required (e.g. --python 3.12)")
    return args


def rerun_argv(args):
    """The arguments the configure rule re-runs with (paths made absolute)."""
    python = args.python
    if not re.match(r"^\d+\.\d+$", python):
        python = os.path.abspath(python) if os.path.exists(python) else python
    argv = ["--python", python]
    if args.cc:
        argv += ["--cc", args.cc]
    if args.debug:
        argv.append("--debug")
    return argv


def configure(args):
    if args.print_python:
        print(find_python(args.print_python)["path"])
        return 0
    argv = rerun_argv(args)
    info = find_python(args.python)
    os.chdir(TOP)
    minor = "%d.%d" % tuple(info["version"][:2])
    if minor not in SUPPORTED:
        warn("CPython %s is not one of the supported targets (%s): trying anyway"
             % (minor, ", ".join(SUPPORTED)))
    header = find_headers(info)
    cc, cc_version = find_cc(args.cc)
    check_zlib(cc)
    ninja, ninja_version = find_ninja()
    if not ninja:
        warn("ninja not found: building needs it (apt-get install ninja-build "
             "or pip install ninja); writing build.ninja anyway")
    (re2c, re2c_version), (lua, lua_version) = find_regen_tools()
    missing = [name for name, path in [("re2c", re2c), ("lua5.4", lua)] if not path]
    regen = not missing
    if regen:
        regen_status = "enabled (%s, %s)" % (re2c_version, " ".join(lua_version.split()[:2]))
    else:
        regen_status = "disabled (missing: %s)" % ", ".join(missing)

    # A configure that fails leaves the tree as it was: what it may write is
    # put back (spec/numbering.spec, generated/, build.ninja, build/config.json).
    saved = snapshot([NUMBERING_SPEC, FRONT_C, "build.ninja", "build/config.json"]
                     + [out for out, _ in GENERATED])
    try:
        configure_target(args, argv, info, minor, header, cc, cc_version, ninja, ninja_version,
                         regen, regen_status, re2c, lua)
    except BaseException:
        restore(saved)
        raise
    return 0


def snapshot(paths):
    saved = {}
    for path in paths:
        try:
            with open(path, "rb") as f:
                saved[path] = f.read()
        except FileNotFoundError:
            saved[path] = None
    return saved


def restore(saved):
    for path, data in saved.items():
        try:
            with open(path, "rb") as f:
                now = f.read()
        except FileNotFoundError:
            now = None
        if now == data:
            continue
        if data is None:
            os.remove(path)
        else:
            with open(path, "wb") as f:
                f.write(data)
        warn("configure failed: put %s back as it was" % path)


def configure_target(args, argv, info, minor, header, cc, cc_version, ninja, ninja_version,
                     regen, regen_status, re2c, lua):
    must_regen = check_numbering(cc, minor, header, regen)

    cfg = {
        "python": info["path"],
        "python_version": dotted(info["version"]),
        "python_minor": minor,
        "include": info["include"],
        "ext_suffix": info["ext_suffix"],
        "header": header,
        "cc": cc,
        "cc_version": cc_version,
        "ninja": ninja,
        "regen": regen,
        "re2c": re2c,
        "lua": lua,
        "debug": args.debug,
    }
    os.makedirs("build", exist_ok=True)
    write_ninja(cfg, argv)
    with open("build/config.json", "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
        f.write("\n")

    if must_regen:
        if not ninja:
            raise ConfigureError("regenerating generated/ needs ninja "
                                 "(apt-get install ninja-build or pip install ninja)")
        note("regenerating generated/ for CPython %s: ninja regen" % minor)
        if subprocess.call([ninja, "regen"]) != 0:
            raise ConfigureError("'ninja regen' failed")
        note("generated/ and %s changed: review and commit them" % NUMBERING_SPEC)

    print("python:       %s (CPython %s)" % (info["path"], cfg["python_version"]))
    print("headers:      %s" % info["include"])
    print("monitoring:   %s" % header)
    print("compiler:     %s -- %s" % (shell_join(cc), cc_version))
    print("ninja:        %s" % (ninja_version or "NOT FOUND"))
    print("regeneration: %s" % regen_status)
    print("wrote build.ninja and build/config.json; now run: ninja")


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return configure(args)
    except ConfigureError as e:
        print("configure.py: error: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
