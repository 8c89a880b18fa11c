"""A progress line on stderr for the commands that read a whole trace.

    bar = Progress("verify", total_bytes)
    ... bar.update(bytes_done) ...
    bar.close()

Shown only when the stream is a terminal, and only once the work has taken
more than `delay` seconds (a short command prints nothing; default 1, or
$CTGEN_PROGRESS_DELAY); redrawn at most
ten times a second, in place (carriage return), and erased by close()."""

import os
import sys
import time

WIDTH = 24   # characters of the bar


def _size(n):
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return ("%d %s" if unit == "B" else "%.1f %s") % (n, unit)
        n /= 1000.0


class Progress:
    def __init__(self, what, total, stream=None, delay=None):
        if delay is None:   # CTGEN_PROGRESS_DELAY: seconds before the line shows (tests: 0)
            try:
                delay = float(os.environ.get("CTGEN_PROGRESS_DELAY", "1"))
            except ValueError:
                delay = 1.0
        self.what, self.total = what, max(1, total)
        self.stream = sys.stderr if stream is None else stream
        try:
            self.on = self.stream.isatty()
        except (AttributeError, ValueError):
            self.on = False
        self.start = time.monotonic()
        self.delay, self.next, self.shown = delay, self.start + delay, False

    def update(self, done):
        if not self.on:
            return
        now = time.monotonic()
        if now < self.next:
            return
        self.next = now + 0.1
        frac = min(1.0, done / self.total)
        fill = int(frac * WIDTH)
        spent = now - self.start
        left = spent * (1 - frac) / frac if frac > 0 else 0
        line = "%s [%s%s] %3d%% %s of %s, %d s left" % (
            self.what, "#" * fill, "-" * (WIDTH - fill), int(frac * 100), _size(done), _size(self.total), left)
        try:
            self.stream.write("\r" + line + "\x1b[K")
            self.stream.flush()
        except (OSError, ValueError):
            self.on = False
            return
        self.shown = True

    def close(self):
        if self.shown:
            try:
                self.stream.write("\r\x1b[K")
                self.stream.flush()
            except (OSError, ValueError):
                pass
            self.shown = False
