"""The source text of code that has no source file: code compiled from a
string (exec, eval, compile: `<string>`), IPython cells, doctests,
dataclasses' generated methods. A trace names such code by its pseudo file
name (`<string>`), which no tool can open; the recorder keeps the text it
can know in the trace directory's sources.jsonl, and `show` and `convert`
read it back.

Where the text comes from, without running any of the program's code:
linecache's entries for the name (IPython, doctest and others register
their sources there) and the `compile` audit event (PEP 578), which
exec(), eval() and compile() raise with the source and file name.

sources.jsonl holds one JSON object per line, appended as the recording
goes (a killed recording keeps what it wrote):
  {"text_id": 3, "path": "<string>", "text": "..."}
                                     a text compiled under that name, once
  {"path": "<string>", "text_id": 3} the next code object of that pseudo
                                     file recorded is (likely) from text 3,
                                     the latest compiled under the name
  {"path": "<string>"}               ... its text is not known
The n-th line of the second kind for a path stands for the n-th
FunctionDef of that path in the event file (both are written when a code
object is first recorded). The latest text is right for the code that exec
and eval run at once; a function defined by that code and first called
later may come from an earlier text, and threads racing to record one code
object may shift the lines: readers (Texts) check that the text defines
the function at its line, and otherwise take the one text compiled before
it that does, if there is exactly one."""

import json
import os
import re
import sys
import threading

from .tracedir import SOURCES_FILE as FILE

MAX_TEXT = 4 << 20       # a longer text is not kept
MAX_TOTAL = 64 << 20     # text a recording keeps at most

_keeper = None           # the Keeper of the current recording
_hooked = False          # the audit hook is installed (it cannot be removed)


class Keeper:
    """What one recording knows of pseudo-file sources, and its side file.
    Texts get their text_id when compiled and are written just before the
    first line that may refer to them (a code object's registration), all
    in one append: a program that compiles many strings it never runs under
    recording costs no file writes."""

    def __init__(self, trace_dir):
        self.path = os.path.join(trace_dir, FILE)
        self.fd = None
        self.pid = os.getpid()
        self.latest = {}     # name -> text_id of the latest text compiled under it
        self.text_ids = {}   # (name, text) -> text_id
        self.unwritten = []  # text lines not in the file yet
        self.size = 0        # characters of text kept
        self.lock = threading.RLock()   # threads compile and record at once

    def text_id(self, name, text):
        """The text_id of (name, text), new ones queued for the side file
        (None: over MAX_TOTAL)."""
        tid = self.text_ids.get((name, text))
        if tid is None and self.size + len(text) <= MAX_TOTAL:
            tid = self.text_ids[(name, text)] = len(self.text_ids)
            self.size += len(text)
            self.unwritten.append({"text_id": tid, "path": name, "text": text})
        return tid

    def compiled_text(self, name, text):
        with self.lock:
            tid = self.text_id(name, text)
            if tid is not None:
                self.latest[name] = tid

    def registered(self, name):
        """A code object named `name` is recorded: say which text it is from."""
        text = _linecache_text(name)
        with self.lock:
            tid = self.text_id(name, text) if text is not None else self.latest.get(name)
            lines, self.unwritten = self.unwritten, []
            lines.append({"path": name} if tid is None else {"path": name, "text_id": tid})
            data = "".join(json.dumps(x, ensure_ascii=True) + "\n" for x in lines).encode("ascii")
            try:
                if self.fd is None:
                    self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC,
                                      0o666)
                while data:      # one append; a short write (a full disk) continues or raises
                    data = data[os.write(self.fd, data):]
            except OSError:
                pass             # a full disk: the trace keeps no text for it

    def close(self):
        if self.fd is not None and self.pid == os.getpid():
            try:
                os.close(self.fd)
            except OSError:
                pass
        self.fd = None


def _linecache_text(name):
    """The text linecache holds for name, or None. Lazy entries (a loader's
    get_source to call) are left alone. linecache is not imported here:
    until something imports it, it holds no entries."""
    linecache = sys.modules.get("linecache")
    if linecache is None:
        return None
    entry = linecache.cache.get(name)
    if not isinstance(entry, tuple) or len(entry) != 4 or not isinstance(entry[2], list):
        return None
    lines = entry[2]
    if not all(type(x) is str for x in lines):
        return None
    text = "".join(lines)
    return text if len(text) <= MAX_TEXT else None


def _audit(event, args):
    """sys.addaudithook hook: the source of `compile` events for pseudo
    files. Never raises (an exception would fail the program's compile)."""
    if event != "compile" or _keeper is None:
        return
    try:
        source, name = args
        if type(name) is not str or not name.startswith("<") or name.startswith("<frozen "):
            return
        if type(source) is bytes:
            source = source.decode("utf-8", "replace")
        if type(source) is not str or len(source) > MAX_TEXT:
            return
        _keeper.compiled_text(name, source)
    except Exception:
        pass


def begin(trace_dir):
    """Keep sources for the recording into trace_dir."""
    global _keeper, _hooked
    if _keeper is not None and _keeper.pid != os.getpid():   # a forked child: the parent's file
        try:
            os.close(_keeper.fd) if _keeper.fd is not None else None
        except OSError:
            pass
    _keeper = Keeper(trace_dir)
    if not _hooked:
        try:
            sys.addaudithook(_audit)
            _hooked = True
        except Exception:    # another audit hook refuses new hooks: linecache only
            pass


def end():
    global _keeper
    if _keeper is not None:
        _keeper.close()
    _keeper = None


def registered(name):
    """The selector's news: a code object of pseudo file `name` is recorded."""
    k = _keeper
    if k is not None:
        try:
            k.registered(name)
        except Exception:
            pass


def read(trace_dir, limit=64 << 20):
    """({text_id: (path, text)}, {path: [(text_id or None, texts before it)]}):
    the texts compiled under pseudo names, and for the code objects of each
    pseudo file, in the order of their FunctionDefs, the text it was
    registered with and how many texts had been written then (({}, {})
    without a sources.jsonl). Lines that make no sense are skipped."""
    texts, codes = {}, {}
    try:
        with open(os.path.join(trace_dir, FILE), "rb") as f:
            data = f.read(limit)
    except OSError:
        return texts, codes
    for raw in data.splitlines():
        try:
            d = json.loads(raw.decode("utf-8", "surrogatepass"))
        except (ValueError, RecursionError):
            continue
        if not isinstance(d, dict) or not isinstance(d.get("path"), str) or not d["path"].startswith("<"):
            continue
        tid = d.get("text_id")
        if type(tid) is not int:
            tid = None
        if "text" in d:
            if isinstance(d["text"], str) and tid is not None:
                texts[tid] = (d["path"], d["text"])
        else:
            codes.setdefault(d["path"], []).append((tid, len(texts)))
    return texts, codes


_DEF = re.compile(r"\s*(?:async\s+def|def|class)\s+([A-Za-z_][\w]*)", re.A)


def defines(text, line, name):
    """True when `text` plausibly holds the code object `name` (a qualified
    name) starting at `line`: a module at line 1, a def or class of that
    name at the line or after its decorators, a lambda or comprehension on
    the line."""
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return False
    last = name.rpartition(".")[2]
    if last == "<module>":
        return line == 1
    if last.startswith("<"):
        return last != "<lambda>" or "lambda" in lines[line - 1]
    for i in range(line - 1, min(len(lines), line + 20)):
        src = lines[i].strip()
        if src.startswith("@") or not src:
            continue
        m = _DEF.match(lines[i])
        return m is not None and m.group(1) == last
    return False


class Texts:
    """Which text, if any, each function of a pseudo file comes from: fed
    the trace's functions in FunctionDef order (see read())."""

    def __init__(self, trace_dir):
        self.texts, self.codes = read(trace_dir)
        self.seen = {}       # path -> FunctionDefs of it so far

    def of(self, path, line, name):
        """The text of the next function of pseudo file `path` (at `line`,
        qualified name `name`), or None when it is not known for sure."""
        n = self.seen.get(path, 0)
        self.seen[path] = n + 1
        known = self.codes.get(path)
        if known is None or n >= len(known):
            return None
        tid, before = known[n]
        if tid in self.texts and self.texts[tid][0] == path and defines(self.texts[tid][1], line, name):
            return self.texts[tid][1]
        found = {t for i, (p, t) in self.texts.items() if i < before and p == path and defines(t, line, name)}
        return found.pop() if len(found) == 1 else None
