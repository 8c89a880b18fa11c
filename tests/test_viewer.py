"""python -m ctgen_tracer view: the server (its token, what it serves and
refuses, Ctrl-C) and the page in a real browser (headless Chromium driven
by selenium): stepping, reverse-finish and a variable's previous change
show what the trace says. A screenshot of each browser test goes to
build/screenshots/. Chromium, chromedriver and selenium are installed by
tools/dev (apt and the test venv): their absence is a failure, not a skip."""

import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request

import pytest

from conftest import BUILD, ROOT, env, record, record_killed
from test_index import LONG_ACTIVATION
from ctgen_tracer import reader

DEMO = ROOT / "examples" / "demo.py"
SHOTS = BUILD / "screenshots"
WAIT = 30


@pytest.fixture(scope="module")
def trace(tmp_path_factory):
    d = tmp_path_factory.mktemp("view") / "demo"
    r = record(DEMO, d)
    assert r.returncode == 0, r.stderr
    return d


def reference(d):
    """[(function name, line, {name: rendering})] of every step."""
    t = reader.Trace(d)
    return [(t.functions[s["fn"]].name, s["line"], {k: v.render(160) for k, v in snap.items()})
            for s, snap in t.steps()]


class Server:
    def __init__(self, d, *args):
        # SIGINT as a terminal gives it, even when this run inherited it
        # ignored (a shell's background job): python then keeps it ignored
        self.p = subprocess.Popen([sys.executable, "-m", "ctgen_tracer", "view", str(d), "--no-browser", *args],
                                  env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        lines = []
        for line in self.p.stdout:
            lines.append(line)
            m = re.search(r"open (http://127\.0\.0\.1:(\d+)/([^/\s]+)/)", line)
            if m:
                self.url, self.port, self.token = m.group(1), int(m.group(2)), m.group(3)
                break
        else:
            raise AssertionError("view printed no URL: %s %s" % ("".join(lines), self.p.stderr.read()))

    def stop(self):
        self.p.send_signal(signal.SIGINT)
        out, err = self.p.communicate(timeout=30)
        return self.p.returncode, out, err


@pytest.fixture(scope="module")
def server(trace):
    s = Server(trace)
    yield s
    if s.p.poll() is None:
        s.stop()


def status_of(port, path):
    """The HTTP status of GET path, the path sent as is (no normalizing)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        c.putrequest("GET", path, skip_accept_encoding=True)
        c.endheaders()
        r = c.getresponse()
        r.read()
        return r.status
    finally:
        c.close()


def test_bad_token_gets_403_and_paths_outside_get_404(server, trace):
    t, port = server.token, server.port
    assert status_of(port, "/%s/" % t) == 200
    assert status_of(port, "/%s/api/info" % t) == 200
    for path in ("/", "/index.html", "/x%s/" % t, "/%s/" % t[:-1], "/%sx/api/info" % t, "/api/info",
                 "/static/app.js", "/%s" % t.upper()):
        assert status_of(port, path) == 403, path
    for path in ("/%s/static/../../../../etc/passwd", "/%s/../../etc/passwd", "/%s//etc/passwd",
                 "/%s/static//etc/passwd", "/%s/static/%%2e%%2e%%2fviewer.py", "/%s/static/viewer.py",
                 "/%s/static/..%%2f..%%2fetc%%2fpasswd", "/%s/api/source?id=/etc/passwd",
                 "/%s/api/source?id=../../etc/passwd", "/%s/api/source?id=99", "/%s/api/info?t=..",
                 "/%s/api/info?t=/etc", "/%s/etc/passwd", "/%s/%s" % ("%s", str(trace / "trace.ctgt").lstrip("/"))):
        assert status_of(port, path % t) == 404, path
    # the page's own files and the trace's sources are served
    body = urllib.request.urlopen(server.url + "api/source?id=0", timeout=30).read().decode()
    assert "def fib(n):" in body


def test_refuses_what_is_not_a_trace(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("hello\n")
    for d in (tmp_path / "empty", tmp_path / "other", tmp_path / "missing", tmp_path / "other" / "notes.txt"):
        r = subprocess.run([sys.executable, "-m", "ctgen_tracer", "view", str(d), "--no-browser"], env=env(),
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 2, (d, r.stdout, r.stderr)
        assert r.stderr.startswith("ctgen-tracer: error: %s: not a trace directory" % d), r.stderr
        assert r.stdout == ""


def test_ctrl_c_stops_cleanly(trace):
    s = Server(trace)
    assert status_of(s.port, "/%s/" % s.token) == 200
    code, out, err = s.stop()
    assert code == 0, err
    assert "stopped" in out
    assert "Traceback" not in err
    s = Server(trace)               # SIGTERM too
    s.p.terminate()
    out, err = s.p.communicate(timeout=30)
    assert s.p.returncode == 0 and "stopped" in out and "Traceback" not in err, err


# ---- in the browser ----

@pytest.fixture(scope="module")
def browser():
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail("selenium is not installed in the test venv (tools/dev installs it)")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver") or ("/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver")
                                               else None)
    if not chromium or not driver:
        pytest.fail("Chromium or chromedriver is missing (tools/dev installs Debian's chromium, chromium-driver)")
    o = Options()
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,900",
              "--no-first-run", "--disable-extensions"):
        o.add_argument(a)
    o.binary_location = chromium
    d = webdriver.Chrome(options=o, service=Service(driver))
    yield d
    d.quit()


@pytest.fixture
def page(browser, server, request):
    """The browser at the page of the demo's trace; a screenshot after the test."""
    yield browser
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / ("%s.png" % request.node.name)))


def wait(d, cond, what):
    from selenium.webdriver.support.ui import WebDriverWait
    try:
        return WebDriverWait(d, WAIT).until(lambda _: cond())
    except Exception:
        raise AssertionError("the page did not show %s; status: %r" % (what, d.find_element("id", "status").text))


def open_at(d, server, n):
    d.get(server.url + "#n=%d" % n)
    d.refresh()      # a new hash on the same URL does not reload
    wait(d, lambda: d.find_element("tag name", "body").get_attribute("data-ready") == "1", "the trace")
    at(d, n)


def at(d, n):
    wait(d, lambda: d.find_element("tag name", "body").get_attribute("data-step") == str(n), "step %d" % n)


def shown(d):
    """(current line, {variable: its rendering}) as the page shows them."""
    line = int(d.find_element("css selector", ".line.current").get_attribute("data-line"))
    vars = {e.get_attribute("data-name"): e.find_element("css selector", ".vval").text
            for e in d.find_elements("css selector", "#vars .var[data-name]")}
    return line, vars


def test_page_loads(page, server, trace):
    ref = reference(trace)
    open_at(page, server, 0)
    assert page.title.startswith("ctgen-tracer view")
    assert shown(page) == (ref[0][1], ref[0][2])
    assert page.find_element("css selector", ".tab.active").text == "demo.py"
    assert "def fib(n):" in page.find_element("id", "source").text
    assert page.find_element("id", "step-total").text == str(len(ref) - 1)


def test_stepping_forward_and_back(page, server, trace):
    ref = reference(trace)
    # a step in main whose next step changes a variable
    n = next(i for i in range(len(ref) - 1) if ref[i][0] == "main" and ref[i + 1][0] == "main"
             and ref[i + 1][2] != ref[i][2])
    open_at(page, server, n)
    assert shown(page) == (ref[n][1], ref[n][2])
    page.find_element("id", "btn-next").click()
    at(page, n + 1)
    assert shown(page) == (ref[n + 1][1], ref[n + 1][2])
    changed = {e.get_attribute("data-name") for e in page.find_elements("css selector", "#vars .var.changed")}
    assert changed == {k for k, v in ref[n + 1][2].items() if ref[n][2].get(k) != v}
    page.find_element("id", "btn-prev").click()
    at(page, n)
    assert shown(page) == (ref[n][1], ref[n][2])
    # the keyboard: Right and Left arrows step too
    from selenium.webdriver.common.keys import Keys
    page.find_element("tag name", "body").send_keys(Keys.ARROW_RIGHT)
    at(page, n + 1)
    page.find_element("tag name", "body").send_keys(Keys.ARROW_LEFT)
    at(page, n)


def test_reverse_finish_lands_on_the_caller(page, server, trace):
    ref = reference(trace)
    n = next(i for i, r in enumerate(ref) if r[0] == "Account.deposit" and ref[i - 1][0] == "Account.deposit")
    caller = max(i for i in range(n) if ref[i][0] == "main")
    open_at(page, server, n)
    page.find_element("id", "btn-back_out").click()
    at(page, caller)
    assert shown(page) == (ref[caller][1], ref[caller][2])
    assert page.find_element("css selector", "#stack .frame.selected .fname").text == "main"
    # and forward: step out of the callee lands on main's next step
    open_at(page, server, n)
    page.find_element("id", "btn-out").click()
    after = next(i for i in range(n, len(ref)) if ref[i][0] == "main")
    at(page, after)


def test_previous_change_of_a_variable(page, server, trace):
    ref = reference(trace)
    mains = [i for i, r in enumerate(ref) if r[0] == "main"]
    last = mains[-1]
    # where `numbers` last changed before main's last step
    changes = [i for j, i in enumerate(mains) if "numbers" in ref[i][2]
               and (j == 0 or ref[mains[j - 1]][2].get("numbers") != ref[i][2]["numbers"])]
    open_at(page, server, last)
    var = page.find_element("css selector", '#vars .var[data-name="numbers"]')
    var.find_element("css selector", ".prev-change").click()
    want = [i for i in changes if i < last][-1]
    at(page, want)
    assert shown(page) == (ref[want][1], ref[want][2])
    assert "numbers" in {e.get_attribute("data-name") for e in page.find_elements("css selector", "#vars .var.changed")}


def test_each_move_shows_every_pane_as_the_step_says(page, server, trace):
    """A move redraws only the panes whose data changed: stepping on and
    back over the steps around the program's output, every pane (the line,
    the variables, the stack, the output, the threads) shows what the step
    says, the panes kept from the step before included."""
    ref = reference(trace)

    def screen(n):
        return json.loads(urllib.request.urlopen(server.url + "api/step?n=%d" % n, timeout=30).read())

    def panes():
        return ([e.text for e in page.find_elements("css selector", "#stack .frame .fname")],
                page.find_element("id", "output").text, page.find_element("id", "threads").text)

    first = len(ref) - 14
    open_at(page, server, first)
    for n, how in [(k, "next") for k in range(first + 1, len(ref))] + [(k, "prev") for k in range(len(ref) - 2, first - 1, -1)]:
        page.find_element("id", "btn-" + how).click()
        at(page, n)
        wait(page, lambda: page.find_element("tag name", "body").get_attribute("data-full-ms") is not None,
             "step %d filled in" % n)
        want = screen(n)
        assert shown(page) == (ref[n][1], ref[n][2])
        output = "".join(text for _, text in want["output"]) or "no output up to this step"
        threads = "\n".join("thread %s: %s:%s (step %s)" % (t["id"], t["name"], t["line"], t["step"])
                            for t in want["threads"])
        assert panes() == ([f["name"] for f in want["frames"]], output.strip(), threads)


def test_bad_token_in_the_browser(page, server):
    page.get("http://127.0.0.1:%d/not-the-token/" % server.port)
    assert "forbidden" in page.find_element("tag name", "body").text


FORKING = '''\
import os

def child(k):
    total = k * 2
    return total

pid = os.fork()
if pid == 0:
    child(21)
    os._exit(0)
os.waitpid(pid, 0)
print("parent done")
'''


def test_child_processes_open_as_their_own_traces(page, tmp_path):
    prog = tmp_path / "forking.py"
    prog.write_text(FORKING)
    d = tmp_path / "t"
    r = record(prog, d)
    assert r.returncode == 0, r.stderr
    kids = sorted((d / "children").iterdir())
    assert len(kids) == 1
    s = Server(d)
    try:
        info = json.loads(urllib.request.urlopen(s.url + "api/info", timeout=30).read())
        assert [c["dir"] for c in info["children"]] == ["children/" + kids[0].name]
        child = info["children"][0]["dir"]
        cinfo = json.loads(urllib.request.urlopen(s.url + "api/info?t=" + child, timeout=30).read())
        assert cinfo["trace"] == child and cinfo["steps"] == len(reference(kids[0]))
        # the page lists the child; its link opens the child's trace
        page.get(s.url)
        wait(page, lambda: page.find_element("tag name", "body").get_attribute("data-ready") == "1", "the trace")
        link = page.find_element("css selector", "#children a")
        assert child in link.text
        main = page.current_window_handle
        link.click()
        wait(page, lambda: len(page.window_handles) == 2, "a new window")
        page.switch_to.window([h for h in page.window_handles if h != main][0])
        wait(page, lambda: page.find_element("tag name", "body").get_attribute("data-ready") == "1", "the child")
        assert child in page.find_element("id", "title").text
        ref = reference(kids[0])
        assert shown(page) == (ref[0][1], ref[0][2])
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.save_screenshot(str(SHOTS / "test_child_window.png"))
        page.close()
        page.switch_to.window(main)
    finally:
        s.stop()


VALUES = '''\
def f():
    a = [1, 2]
    a.append(a)
    deep = [[[[[[1]]]]]]
    big = list(range(300))
    s = "x" * 5000
    return len(a)

f()
'''


def test_value_trees_show_refs_elided_and_truncated(tmp_path):
    from ctgen_tracer import viewer
    prog = tmp_path / "values.py"
    prog.write_text(VALUES)
    d = tmp_path / "t"
    assert record(prog, d).returncode == 0
    v = viewer.TraceView(str(d), "")
    trees = {x["name"]: x["tree"] for x in v.step(v.index.steps - 1)["vars"]}
    a = trees["a"]
    assert a["k"] == "List" and a["c"][2][1]["ref"] == 0          # the cycle: a Ref to the root
    node = trees["deep"]
    while "c" in node:
        node = node["c"][0][1]
    assert node.get("el") is True and node["k"] == "Elided"
    assert trees["big"]["tr"] is True and trees["big"]["n"] == 300 and len(trees["big"]["c"]) == 100
    assert trees["s"]["tr"] is True and trees["s"]["n"] == 5000 and trees["s"]["x"] == repr("x" * 1000)


def test_search_go_to_step_and_run_to_line(page, server, trace):
    ref = reference(trace)
    deposits = [i for i, r in enumerate(ref) if r[0] == "Account.deposit" and (i == 0 or ref[i - 1][0] != r[0])]
    open_at(page, server, 0)
    box = page.find_element("id", "search")
    box.send_keys("deposit")
    wait(page, lambda: page.find_element("id", "results").is_displayed(), "search results")
    hit = page.find_element("css selector", "#results .hit")
    assert hit.text.startswith("Account.deposit") and "3 calls" in hit.text
    hit.click()
    wait(page, lambda: len(page.find_elements("css selector", "#results .kids .hit")) == 3, "the calls")
    page.find_elements("css selector", "#results .kids .hit")[1].click()       # the second call
    at(page, deposits[1])
    assert shown(page)[0] == ref[deposits[1]][1]
    # go to step N by its number
    from selenium.webdriver.common.keys import Keys
    step = page.find_element("id", "step-input")
    step.clear()
    step.send_keys(str(len(ref) - 2), Keys.ENTER)
    at(page, len(ref) - 2)
    # run back to a line: the last step before this one at line 12 (self.balance += amount)
    page.find_element("css selector", "#line-12 .no").click()
    page.find_element("id", "btn-line-back").click()
    want = max(i for i in range(len(ref) - 2) if ref[i][0] == "Account.deposit" and ref[i][1] == 12)
    at(page, want)
    # and forward: line 12 runs earlier, not later
    first = min(i for i in range(len(ref)) if ref[i][0] == "Account.deposit" and ref[i][1] == 12)
    assert first < want
    page.find_element("id", "btn-line-fwd").click()
    wait(page, lambda: "does not run after" in page.find_element("id", "status").text, "no later hit")
    open_at(page, server, 0)
    page.find_element("css selector", "#line-12 .no").click()
    page.find_element("id", "btn-line-fwd").click()
    at(page, first)


def test_lines_run_in_an_activation_across_chunks(tmp_path):
    from ctgen_tracer import viewer
    prog = tmp_path / "long.py"
    prog.write_text(LONG_ACTIVATION)
    d = tmp_path / "t"
    assert record(prog, d, options=("--chunk-bytes", "4096")).returncode == 0
    ref = reference(d)
    mains = [i for i, r in enumerate(ref) if r[0] == "main"]
    v = viewer.TraceView(str(d), "")
    assert len(v.index.chunks) > 10
    early = mains[5]
    st = v.step(early)
    assert st["lines_run"] == sorted({ref[i][1] for i in mains if i <= early}) and not st["lines_partial"]
    st = v.step(mains[-1])     # main's steps span more chunks than the viewer decodes for this
    assert st["lines_partial"]
    assert set(st["lines_run"]) <= {ref[i][1] for i in mains} and ref[mains[-1]][1] in st["lines_run"]
    assert viewer.TraceView._lines_run(v, v.index.step(mains[-1]), chunks=10 ** 6) == (
        sorted({ref[i][1] for i in mains}), False)


def test_a_lazy_screen_and_what_comes_after_it(tmp_path):
    """The page asks for a step's screen without the chunks of the lines run
    earlier and of the selected frame's Call (lazy), then for them (extra):
    together they say what the whole screen says."""
    from ctgen_tracer import viewer
    prog = tmp_path / "long.py"
    prog.write_text(LONG_ACTIVATION)
    d = tmp_path / "t"
    assert record(prog, d, options=("--chunk-bytes", "4096")).returncode == 0
    ref = reference(d)
    full = viewer.TraceView(str(d), "")
    # a step of work() in a chunk after the one holding its Call (its argument k is there)
    n = next(i for i, r in enumerate(ref) if r[0] == "work" and full.index.step(i).act.chunk < full.index.chunk_of(i))
    whole = full.step(n)
    assert whole["frames"][0]["args"] == [["k", ref[n][2]["k"]]]
    for frame in (0, 1):
        v = viewer.TraceView(str(d), "")     # nothing decoded yet
        lazy = v.step(n, frame, lazy=True)
        want = full.step(n, frame)
        assert lazy["n"] == n and lazy["vars"] == want["vars"] and lazy["frame"] == want["frame"]
        if frame == 0:
            assert lazy["frames"][0]["args"] is None and lazy["pending"]
        extra = v.extra(n, frame)
        assert extra["args"] == want["frames"][frame]["args"]
        assert (extra["lines_run"], extra["lines_partial"]) == (want["lines_run"], want["lines_partial"])
        assert set(lazy["lines_run"]) <= set(want["lines_run"])


def test_what_comes_after_a_screen_gives_way_to_a_waiting_request(tmp_path):
    """`extra` may decode several chunks: while another request waits for
    the server (the next move), it stops before decoding one more and says
    so (interrupted); asked again, it gives what it gives undisturbed."""
    from ctgen_tracer import viewer
    prog = tmp_path / "long.py"
    prog.write_text(LONG_ACTIVATION)
    d = tmp_path / "t"
    assert record(prog, d, options=("--chunk-bytes", "4096")).returncode == 0
    ref = reference(d)
    idx = viewer.App(str(d)).view("").index
    interrupted = None
    # steps of main far from its Call: their extra (the lines main ran, its Call's chunk) decodes chunks
    for n in [i for i, r in enumerate(ref) if r[0] == "main" and idx.step(i).act.chunk + 2 < idx.chunk_of(i)]:
        app = viewer.App(str(d))
        assert json.loads(app.answer("step", {"n": str(n), "lazy": "1"})[1])["pending"]
        app.waiting.append(None)        # a request waits for the lock
        interrupted = json.loads(app.answer("extra", {"n": str(n)})[1])
        if interrupted == {"interrupted": True}:
            break
    assert interrupted == {"interrupted": True}
    full = json.loads(viewer.App(str(d)).answer("extra", {"n": str(n)})[1])
    assert json.loads(app.answer("step", {"n": str(n + 1)})[1])["n"] == n + 1   # others are answered
    app.waiting.pop()
    assert json.loads(app.answer("extra", {"n": str(n)})[1]) == full


@pytest.mark.parametrize("program", ["long activation", "threads printing"])
def test_a_lazy_screen_within_its_budget_is_filled_in(tmp_path, program):
    """api/step with lazy=1 and budget=MS: what a lazy screen leaves out
    (the lines run earlier, the selected frame's arguments, the output, the
    other threads' places) is filled in when it takes no chunk decoded past
    the budget: the answer is the lazy screen with extra() applied, as the
    page fills it in, and says what the whole screen says; while another
    request waits, it stays the lazy screen (pending)."""
    from ctgen_tracer import viewer
    prog = tmp_path / "prog.py"
    prog.write_text(LONG_ACTIVATION if program == "long activation" else THREADS_PRINTING)
    d = tmp_path / "t"
    assert record(prog, d, options=("--chunk-bytes", "4096")).returncode == 0
    full = viewer.TraceView(str(d), "")
    steps = full.index.steps
    assert len(full.index.chunks) > 5
    ask = lambda app, **q: json.loads(app.answer("step", {k: str(v) for k, v in q.items()})[1])  # noqa: E731
    pending = 0
    for n in range(0, steps, max(1, steps // 30)):
        for frame in (0, 1):
            want = full.step(n, frame)
            lazy = ask(viewer.App(str(d)), n=n, frame=frame, lazy=1)      # nothing decoded yet
            pending += lazy["pending"]
            app = viewer.App(str(d))
            got = ask(app, n=n, frame=frame, lazy=1, budget=600000)
            assert not got["pending"]
            if lazy["pending"]:
                extra = json.loads(viewer.App(str(d)).answer("extra", {"n": str(n), "frame": str(frame)})[1])
                for key in ("lines_run", "lines_partial", "output", "output_earlier", "threads"):
                    lazy[key] = extra[key]
                lazy["frames"][lazy["frame"]]["args"] = extra["args"]
                lazy["pending"] = False
            assert got == lazy
            for key in ("n", "frame", "vars", "lines_run", "lines_partial", "output", "output_earlier", "threads",
                        "events"):
                assert got[key] == want[key], (n, frame, key)
            assert got["frames"][got["frame"]] == want["frames"][want["frame"]]
            waited = viewer.App(str(d))
            waited.waiting.append(None)     # a request waits: no chunk decoded for what comes after
            assert ask(waited, n=n, frame=frame, lazy=1, budget=600000) == ask(viewer.App(str(d)), n=n,
                                                                                frame=frame, lazy=1)
    assert pending > 5


def test_a_move_and_its_screen_in_one_request(trace):
    """api/step with `how`: the move from step n and the screen where it
    lands, as api/move then api/step say; none there: n null; an unknown
    move: an error."""
    from ctgen_tracer import viewer
    app = viewer.App(str(trace))
    ask = lambda call, **q: json.loads(app.answer(call, {k: str(v) for k, v in q.items()})[1])  # noqa: E731
    steps = ask("info")["steps"]
    for n in range(0, steps, max(1, steps // 12)):
        for how in viewer.MOVES:
            to = ask("move", n=n, how=how)["n"]
            both = ask("step", n=n, how=how, lazy=1)
            assert both == ({"n": None} if to is None else ask("step", n=to, lazy=1))
    assert ask("step", n=steps - 1, how="into") == {"n": None}
    assert "no such move" in ask("step", n=0, how="sideways")["error"]
    assert "no such move" in ask("move", n=0, how="sideways")["error"]


THREADS_PRINTING = """
import threading

def say(i):
    text = "line %d" % i
    print(text)
    return text

def worker():
    for i in range(150):
        say(-i)

t = threading.Thread(target=worker)
t.start()
t.join()
for i in range(300):
    say(i)
"""


def test_a_lazy_screen_leaves_output_and_other_threads_places_for_after(tmp_path):
    """The program output up to a step and where each thread was may take
    chunks other than the step's: a lazy screen has them only from chunks
    decoded already (else None, and pending), extra() gives them as the
    whole screen does."""
    from ctgen_tracer import viewer
    prog = tmp_path / "threads.py"
    prog.write_text(THREADS_PRINTING)
    d = tmp_path / "t"
    assert record(prog, d, options=("--chunk-bytes", "4096")).returncode == 0
    full = viewer.TraceView(str(d), "")
    steps = full.index.steps
    assert len(full.index.chunks) > 10 and len(full.step(steps - 1)["threads"]) == 2
    left_out = set()
    for n in range(0, steps, max(1, steps // 25)):
        want = full.step(n)
        v = viewer.TraceView(str(d), "")     # nothing decoded yet
        lazy = v.step(n, lazy=True)
        for key in ("output", "threads"):
            if lazy[key] is None:
                left_out.add(key)
                assert lazy["pending"]
            else:
                assert lazy[key] == want[key]
        assert lazy["output"] is None or lazy["output_earlier"] == want["output_earlier"]
        extra = v.extra(n)
        assert (extra["output"], extra["output_earlier"], extra["threads"]) == (
            want["output"], want["output_earlier"], want["threads"])
    assert left_out == {"output", "threads"}


def test_go_to_a_time(browser, tmp_path):
    """A trace of a program that sleeps between phases: the page shows the
    time of each step (when its chunk began) and goes to the first step at
    or after a time typed in (index.seek_time); a format-4 trace (no clock)
    shows no time box, and the API says why it cannot seek."""
    from selenium.webdriver.common.keys import Keys
    from ctgen_tracer.index import Trace as IndexedTrace
    from test_index import SLEEPER
    prog = tmp_path / "prog.py"
    prog.write_text(SLEEPER)
    d = tmp_path / "t"
    assert record(prog, d, tmp_path / "marks.json", options=("--chunk-bytes", "4096")).returncode == 0
    t = IndexedTrace(d)
    clocks = [e["clock"] / 1e9 for e in t.index.chunks]
    gap = max(range(1, len(clocks)), key=lambda i: clocks[i] - clocks[i - 1])    # a sleep is the longest gap
    when = (clocks[gap - 1] + clocks[gap]) / 2
    want = t.seek_time(when)
    assert want is not None and want > 0
    s = Server(d)
    try:
        open_at(browser, s, 0)
        box = browser.find_element("id", "time-input")
        assert box.is_displayed() and float(box.get_attribute("value")) == round(t.index.time_of(0), 3)
        box.clear()
        box.send_keys("%.6f" % when, Keys.ENTER)
        at(browser, want)
        assert float(browser.find_element("id", "time-input").get_attribute("value")) == round(
            t.index.time_of(want), 3)
        assert t.index.time_of(want) >= when
        SHOTS.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(SHOTS / "test_go_to_a_time.png"))
    finally:
        s.stop()
    old = tmp_path / "format4"
    shutil.copytree(ROOT / "tests" / "old_traces" / "format4", old)
    s = Server(old)
    try:
        open_at(browser, s, 0)
        assert not browser.find_element("id", "time-input").is_displayed()
        with urllib.request.urlopen(s.url + "api/time?s=0.5", timeout=30) as r:
            body = r.read().decode()
        assert "this trace has no clock: it was recorded at format 4" in body, body
    finally:
        s.stop()


def test_a_trace_never_indexed_is_shown_while_its_index_is_built(tmp_path, monkeypatch):
    """A trace without an index (a recording cut short): the viewer answers
    from the chunks its scan has read so far (index.Building) as soon as a
    step can be shown, info saying how far it is; a request those chunks
    cannot answer waits for the scan and is answered as with the whole
    index; then info is the whole trace's, and the index file is saved. The
    scan is held after a few chunks here (the real scan, paused)."""
    from ctgen_tracer import index, viewer
    from ctgen_tracer.tracedir import INDEX_FILE
    prog = tmp_path / "threads.py"
    prog.write_text(THREADS_PRINTING)
    d = tmp_path / "t"
    assert record(prog, d, options=("--chunk-bytes", "4096")).returncode == 0
    os.remove(d / INDEX_FILE)
    shutil.copytree(d, tmp_path / "indexed")
    assert index.Trace(tmp_path / "indexed").index.complete     # (saves its index)
    full = viewer.App(str(tmp_path / "indexed"))
    ask = lambda app, call, **q: json.loads(app.answer(call, {k: str(v) for k, v in q.items()})[1])  # noqa: E731
    whole = ask(full, "info")
    total, k = full.view("").index.chunks, 2       # the scan is held where a step can first be shown
    assert whole["indexing"] is None and len(total) > 10 and total[0]["steps"]
    real, go = index.build, threading.Event()

    def held(trace, native=None, progress=None):
        def at_chunk(chunks):
            progress(chunks)
            if len(chunks) == k:
                go.wait(120)
        return real(trace, native, at_chunk)
    monkeypatch.setattr(index, "build", held)
    app = viewer.App(str(d))
    info = ask(app, "info")
    assert info["indexing"] == {"chunks": k, "of": len(total)} and info["steps"] == total[k]["step0"]
    assert info["timeline"] == [] and 0 < info["steps"] < whole["steps"]
    shown = [n for n in range(info["steps"]) if full.view("").index.chunk_of(n) + 1 < k]
    assert shown
    for n in shown[::max(1, len(shown) // 20)]:
        assert ask(app, "step", n=n, lazy=1, budget=60000) == ask(full, "step", n=n, lazy=1, budget=60000)
        assert ask(app, "step", n=n, how="back_into", lazy=1) == ask(full, "step", n=n, how="back_into", lazy=1)
    last = whole["steps"] - 1
    got = {}
    waiting = threading.Thread(target=lambda: got.setdefault("last", ask(app, "step", n=last, lazy=1)))
    waiting.start()
    waiting.join(0.5)
    assert waiting.is_alive(), "a step not scanned yet is answered only once the scan is done"
    go.set()
    waiting.join(120)
    # (a lazy screen gives the arguments of the frames whose chunks are decoded already: none in either)
    assert got["last"] == ask(viewer.App(str(tmp_path / "indexed")), "step", n=last, lazy=1)
    assert got["last"]["n"] == last
    info = ask(app, "info")
    assert {k: v for k, v in info.items() if k != "dir"} == {k: v for k, v in whole.items() if k != "dir"}
    assert ask(app, "search", q="say") == ask(full, "search", q="say")
    assert json.loads((d / INDEX_FILE).read_text()) == json.loads((tmp_path / "indexed" / INDEX_FILE).read_text())


def test_a_killed_recording_opens_in_the_browser(browser, tmp_path):
    """A recording killed (SIGKILL) before it could write its index: the
    page shows its first step as the trace says while the index is built,
    then the whole trace (its last step)."""
    from test_signals import LOOP
    prog = tmp_path / "prog.py"
    prog.write_text(LOOP)
    d = tmp_path / "t"
    record_killed(prog, d, 0.5, options=("--chunk-bytes", "4096"), min_bytes=16 * 4096)
    assert not (d / "ctgen_index.json").exists()
    s = Server(d)
    try:
        ref = reference(d)
        assert len(ref) > 100
        open_at(browser, s, 0)
        assert shown(browser) == (ref[0][1], ref[0][2])
        wait(browser, lambda: browser.find_element("id", "step-total").text == str(len(ref) - 1), "every step")
        assert not browser.find_element("id", "indexing").is_displayed()
        open_at(browser, s, len(ref) - 1)
        assert shown(browser) == (ref[-1][1], ref[-1][2])
        SHOTS.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(SHOTS / "test_a_killed_recording_opens_in_the_browser.png"))
    finally:
        s.stop()
    assert (d / "ctgen_index.json").exists()
