"""What recording costs the program's own code afterwards: points are made
and each is seen by the recorder (a local bound to it at a Step), then
hot.loop, not recorded, times float's normalize-and-maximize loop over
them by itself (bench/README.md, "Issue 13, session 14: dict14"):

    PY bench/attrs_loop/drive.py N
    PY -m ctgen_tracer -q --exclude hot -o DIR bench/attrs_loop/drive.py N

Before session 14 recording made each point's __dict__ (the loop then
reads and writes through it); the loop's time untraced and recorded is
the same when the recorder leaves the instances as they were."""
import math
import sys

import hot


class Point:
    def __init__(self, i):
        self.x = math.sin(i)
        self.y = math.cos(i) * 3
        self.z = self.x * self.x / 2


def make(n):
    points = []
    for i in range(n):
        p = Point(i)
        points.append(p)
    return points


points = make(int(sys.argv[1]))
times = sorted(hot.loop(points, 1) for _ in range(5))
print("loop %.4f s (median of 5)" % times[2])
