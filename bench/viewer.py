"""Random access and the viewer on a big trace: how long opening takes
(building the index by a scan, then loading it), and seeks and the viewer's
moves (through its JSON API, in process, as the server answers a request:
App.answer, the JSON text included).

    python bench/viewer.py TRACE_DIR [--moves N]

Run with the built package on PYTHONPATH (PYTHONPATH=build). The index file
is removed first, so that the scan is timed; the figures go to stdout as a
Markdown table (bench/README.md, "Random access and the viewer").
"""

import argparse
import json
import os
import random
import statistics
import sys
import time

from ctgen_tracer import index, reader, viewer
from ctgen_tracer.index import Index, build
from ctgen_tracer.tracedir import INDEX_FILE


def timed(fn, *args, **kw):
    t0 = time.perf_counter()
    r = fn(*args, **kw)
    return time.perf_counter() - t0, r


def row(name, secs):
    secs = sorted(secs)
    med = statistics.median(secs)
    p95 = secs[min(len(secs) - 1, int(len(secs) * 0.95))]
    print("| %s | %d | %.1f | %.1f | %.1f |" % (name, len(secs), med * 1000, p95 * 1000, secs[-1] * 1000),
          flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("dir")
    p.add_argument("--moves", type=int, default=30)
    p.add_argument("--keep-index", action="store_true", help="do not time the scan")
    p.add_argument("--browser", action="store_true", help="also end to end in headless Chromium (selenium)")
    p.add_argument("--browser-only", action="store_true",
                   help="only the moves in Chromium (the same steps), not the first screens nor the server's")
    p.add_argument("--pause", type=float, default=0,
                   help="in Chromium, also moves made this many seconds after the one before (as a person reads)")
    a = p.parse_args()
    if a.browser_only:
        idx = Index.open(reader.Trace(a.dir))
        rnd = random.Random(1)
        in_browser(a.dir, [rnd.randrange(idx.steps) for _ in range(a.moves)], first=False, pause=a.pause)
        return
    size = os.path.getsize(os.path.join(a.dir, "trace.ctgt"))
    if not a.keep_index and os.path.exists(os.path.join(a.dir, INDEX_FILE)):
        os.remove(os.path.join(a.dir, INDEX_FILE))
    t_scan = t_py = None
    if not a.keep_index:
        t_py = timed(lambda: build(reader.Trace(a.dir), native=False))[0]
        t_scan, idx = timed(lambda: Index.open(reader.Trace(a.dir)))
    t_open, idx = timed(lambda: Index.open(reader.Trace(a.dir)))
    print("trace: %s, %.2f GB, %d chunks, %d records, %d steps" % (a.dir, size / 1e9, len(idx.chunks),
                                                                   idx.data["records"], idx.steps))
    if t_scan is not None:
        print("index built by the pure-Python scan (the fallback): %.2f s (%.1f M records/s)"
              % (t_py, idx.data["records"] / t_py / 1e6))
        print("first open, the index built by the C decoder and saved: %.2f s (%.1f M records/s); index file %.1f MB"
              % (t_scan, idx.data["records"] / t_scan / 1e6, os.path.getsize(os.path.join(a.dir, INDEX_FILE)) / 1e6))
    print("open with the index: %.3f s" % t_open)
    if not a.keep_index:
        for scan in ("the pure-Python scan", "the C decoder"):
            os.remove(os.path.join(a.dir, INDEX_FILE))
            native = index._native_indexer
            if scan == "the pure-Python scan":
                index._native_indexer = lambda: None      # the fallback: the scan before the C one
            try:
                t0 = time.perf_counter()
                t_first, (server, app) = timed(viewer.serve, a.dir)
                server.server_close()
                view = app.view("")
                t_screen = timed(view.info)[0] + timed(view.step, 0)[0]
                if hasattr(view, "catch_up"):     # the index built while the first screen is shown
                    view.catch_up(wait=True)
                t_all = time.perf_counter() - t0
            finally:
                index._native_indexer = native
            print("viewer on a trace never opened, the index built by %s: trace opened %.3f s, first screen "
                  "(info + step 0) %.3f s more; the whole index %.3f s from the start"
                  % (scan, t_first, t_screen, t_all))
    rnd = random.Random(1)
    t_first, (server, app) = timed(viewer.serve, a.dir)
    server.server_close()
    view = app.view("")
    t_screen = timed(view.info)[0] + timed(view.step, 0)[0]
    print("viewer: trace opened %.3f s, first screen (info + step 0) %.3f s more" % (t_first, t_screen))
    print()
    print("| operation | n | median ms | p95 ms | max ms |")
    print("|---|---|---|---|---|")
    steps = [rnd.randrange(idx.steps) for _ in range(a.moves)]
    fresh = lambda: Index.open(reader.Trace(a.dir))  # noqa: E731  (no decoded chunk cached)
    cold = fresh()
    row("index.step(N), N random (one chunk decoded)", [timed(cold.step, n)[0] for n in steps])
    fns = [f for f in cold.functions if cold.calls(f)]
    picks = [(f, rnd.randrange(cold.calls(f))) for f in (rnd.choice(fns) for _ in range(a.moves))]
    cold = fresh()
    row("index.seek_call(fn, k), random", [timed(cold.seek_call, f, k)[0] for f, k in picks])
    sizes = []
    for how in ("next", "into", "over", "out", "back_into", "back_over", "back_out"):
        app = fresh_app(a.dir)
        secs, after = [], []
        for n in steps:
            screen(app, n)    # the page shows step n (and what comes after it), then moves
            t, target = timed(ask, app, "move", n=n, how=how)
            if target["n"] is not None:
                dt, st, extra = screen(app, target["n"])
                t += dt
                sizes.append(st["_bytes"])
                after.append(t + extra)
            secs.append(t)
        row("viewer: %s from a random step, and its screen" % how, secs)
        row("... and then what comes after the screen (`extra`)", after)
        app = fresh_app(a.dir)
        paged, pending = [], 0
        for n in steps:
            screen(app, n, BUDGET)
            t, st = timed(ask, app, "step", n=n, how=how, lazy=1, budget=BUDGET)
            if st.get("pending"):
                pending += 1
                t += timed(ask, app, "extra", n=st["n"])[0]
            paged.append(t)
        row("... as the page asks (one request: the move and its screen, `budget=%d`; then `extra` if left "
            "pending: %d of %d)" % (BUDGET, pending, len(steps)), paged)
    app = fresh_app(a.dir)
    secs, after = [], []
    for n in steps:
        t, st, extra = screen(app, n)
        secs.append(t)
        after.append(t + extra)
        sizes.append(st["_bytes"])
    row("viewer: go to step N (a cold chunk), its screen", secs)
    row("... and then what comes after the screen (`extra`)", after)
    secs = []
    for n in steps:
        st = ask(app, "step", n=n)
        for var in st["vars"][:1]:
            secs.append(timed(ask, app, "var", n=n, name=var["name"], dir="back")[0])
    if secs:
        row("viewer: a variable's previous change", secs)
    sizes.sort()
    print("\nscreens (a step's JSON): median %.1f KB, largest %.1f KB" % (statistics.median(sizes) / 1e3,
                                                                           sizes[-1] / 1e3))
    sys.stdout.flush()
    if a.browser:
        in_browser(a.dir, steps, pause=a.pause)


def fresh_app(trace_dir):
    """The server's state for trace_dir, nothing decoded yet."""
    app = viewer.App(os.path.abspath(trace_dir))
    app.view("")
    if hasattr(viewer, "server_gc"):     # the collector's policy of the `view` process (a build before: none)
        viewer.server_gc()
    return app


def ask(app, call, **q):
    """API call `call` as the server answers it (App.answer: its garbage
    collector policy, the JSON text), decoded; `_bytes`: the JSON's size."""
    q = {k: str(v) for k, v in q.items()}
    if hasattr(app, "answer"):
        status, body = app.answer(call, q)
    else:       # a build before App.answer (for a before/after comparison): as its server did
        status, obj = app.api(call, q)
        body = json.dumps(obj, separators=(",", ":"))
    out = json.loads(body)
    out["_bytes"] = len(body)
    return out


BUDGET = 40        # ms: what the page asks the server to spend on filling in a lazy screen (app.js)


def screen(app, n, budget=None):
    """(seconds, the JSON) of step n's screen as the page asks for it (lazy:
    no chunk decoded for the lines run earlier or the selected frame's
    arguments; with budget, those within it), and the seconds of the
    `extra` call that the page makes for what is left out (0: none needed)."""
    t, st = timed(ask, app, "step", n=n, lazy=1, **({} if budget is None else {"budget": budget}))
    extra = timed(ask, app, "extra", n=n)[0] if st.get("pending") else 0.0
    return t, st, extra


def first_screen(d, trace_dir):
    """Start `view` on trace_dir, open its URL in WebDriver d and wait for the
    first screen drawn: (the `view` process, its URL, the seconds taken)."""
    import re
    import subprocess
    d.get("about:blank")
    t0 = time.perf_counter()
    p = subprocess.Popen([sys.executable, "-m", "ctgen_tracer", "view", trace_dir, "--no-browser"],
                         stdout=subprocess.PIPE, text=True)
    m = None
    for line in p.stdout:
        m = re.search(r"open (http://\S+)", line)
        if m:
            break
    if m is None:
        p.wait(30)
        sys.exit("view printed no URL")
    d.get(m.group(1))
    body = d.find_element("tag name", "body")
    while body.get_attribute("data-ready") != "1":
        time.sleep(0.005)
    return p, m.group(1), time.perf_counter() - t0


# One move in the page, in one WebDriver call (no polling, which ran WebDriver's scripts in the page
# while it drew): click the move's button, wait for the page to say it is done (data-full-ms set
# again), then for the frame after it; resolves with the page's clocks, the click to that frame, and
# the move's request's time to its answer's headers (Resource Timing)
MOVE_JS = """
const how = arguments[0], done = arguments[arguments.length - 1];
const b = document.body, before = b.dataset.step;
performance.clearResourceTimings();
const timer = setTimeout(() => { seen.disconnect(); done(null); }, 30000);
const seen = new MutationObserver(() => {
  if (b.dataset.fullMs === undefined) return;
  seen.disconnect(); clearTimeout(timer);
  requestAnimationFrame(() => setTimeout(() => {
    const req = performance.getEntriesByType("resource").filter((e) => e.name.includes("/api/step"))[0];
    done({ before: before, step: b.dataset.step, ms: b.dataset.ms, full: b.dataset.fullMs, phases: b.dataset.phases || null,
           paint: performance.now() - t0, server: req ? req.responseStart - req.requestStart : null });
  }));
});
seen.observe(b, { attributes: true });
const t0 = performance.now();
document.getElementById("btn-" + how).click();
"""


def open_at(d, url, n):
    """The page at `url` in WebDriver d, loaded anew at step n, its screen filled in."""
    d.get(url + "#n=%d" % n)
    d.refresh()      # a new hash on the same URL does not reload
    body = d.find_element("tag name", "body")
    while body.get_attribute("data-step") != str(n) or body.get_attribute("data-full-ms") is None:
        time.sleep(0.005)


def in_browser_first(d, trace_dir):
    """The first screen of a trace never opened, in WebDriver d: from
    starting `view` to it drawn (the index built meanwhile)."""
    os.remove(os.path.join(trace_dir, INDEX_FILE))    # the first screen from a cold start: no index yet
    t0 = time.perf_counter()
    p, url, secs = first_screen(d, trace_dir)
    while not os.path.exists(os.path.join(trace_dir, INDEX_FILE)) and time.perf_counter() - t0 < 600:
        time.sleep(0.01)      # (a viewer that shows the first screen before its index is built saves it after)
    saved = time.perf_counter() - t0
    p.terminate()
    p.wait(30)
    print("\nin Chromium, a trace never opened (the index built): from starting `view` to the first screen drawn: "
          "%.2f s (the index saved after %.2f s)" % (secs, saved))


def in_browser(trace_dir, steps, first=True, pause=0):
    """End to end in headless Chromium (selenium): from starting `view` to
    the first screen drawn, and each move from the click to the page
    showing the new step."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    o = Options()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,900"):
        o.add_argument(arg)
    o.binary_location = "/usr/bin/chromium"
    d = webdriver.Chrome(options=o, service=Service("/usr/bin/chromedriver"))
    d.set_script_timeout(60)
    if first:
        in_browser_first(d, trace_dir)
    p, url, secs = first_screen(d, trace_dir)
    try:
        print("in Chromium, with the index: from starting `view` to the first screen drawn: %.2f s" % secs)
        print()
        secs, full, paint, phases, server = {}, {}, {}, {}, {}
        for n in steps:
            open_at(d, url, n)
            for how in ("next", "prev", "into", "back_over", "back_out", "over"):
                got = d.execute_async_script(MOVE_JS, how)
                if got is None or got["step"] == got["before"]:
                    continue      # no step there, or no answer within 30 s
                # measured by the page: from the click's handler to the new screen drawn, filled in,
                # and (by MOVE_JS) to the frame after it
                secs.setdefault(how, []).append(float(got["ms"]) / 1000)
                full.setdefault(how, []).append(float(got["full"]) / 1000)
                paint.setdefault(how, []).append(got["paint"] / 1000)
                if got["server"] is not None:
                    server.setdefault(how, []).append(got["server"] / 1000)
                if got["phases"]:
                    phases.setdefault(how, []).append([float(x) / 1000 for x in got["phases"].split(",")])
        for title, table in (("a click's handler to the new step drawn (the page's clock, `data-ms`)", secs),
                             ("... to the screen filled in (`data-full-ms`: with `extra` when left pending)", full),
                             ("... the click to the next frame painted after the screen filled in", paint),
                             ("the move's request, from sent to its answer's headers (Resource Timing)", server)):
            print()
            print("| in Chromium: %s | n | median ms | p95 ms | max ms |" % title)
            print("|---|---|---|---|---|")
            for how, v in table.items():
                row(how, v)
        if pause:
            paused = []
            for n in steps[:10]:
                open_at(d, url, n)
                for how in ("next", "next", "prev"):
                    time.sleep(pause)
                    got = d.execute_async_script(MOVE_JS, how)
                    if got is not None and got["step"] != got["before"]:
                        paused.append(float(got["full"]) / 1000)
            print()
            print("| in Chromium: a move %.1f s after the one before, to the screen filled in | n | median ms | p95 ms "
                  "| max ms |" % pause)
            print("|---|---|---|---|---|")
            row("next, next, prev", paused)
        if phases:
            print()
            print("| in Chromium, the page's phases (`data-phases`), median / p95 ms | to the request | to the "
                  "headers | JSON read | to the drawing | drawing |")
            print("|---|---|---|---|---|---|")
            for how, v in phases.items():
                cols = [sorted(c) for c in zip(*v)]
                print("| %s | %s |" % (how, " | ".join("%.1f / %.1f" % (statistics.median(c) * 1000,
                                                                        c[min(len(c) - 1, int(len(c) * 0.95))] * 1000)
                                                       for c in cols)))
    finally:
        d.quit()
        p.terminate()       # SIGTERM: (Ctrl-C, SIGINT, may be ignored in a background job)
        p.wait(30)


if __name__ == "__main__":
    main()
