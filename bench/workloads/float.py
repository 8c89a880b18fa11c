"""float: many small objects doing float math (sin, cos, sqrt), normalised
and reduced to a maximum.

Idea from pyperformance's "float" benchmark, written here from scratch.
argv[1]: number of points.
"""
import math
import sys

DEFAULT_SIZE = 300000   # about 0.4 s untraced (CPython 3.12, 2-core EPYC)
CALLGRIND_SIZE = 4700   # bench/callgrind.py: a recording of a few seconds under valgrind


class Point:
    def __init__(self, i):
        self.x = x = math.sin(i)
        self.y = math.cos(i) * 3
        self.z = (x * x) / 2

    def normalize(self):
        x = self.x
        y = self.y
        z = self.z
        norm = math.sqrt(x * x + y * y + z * z)
        self.x = x / norm
        self.y = y / norm
        self.z = z / norm

    def maximize(self, other):
        self.x = self.x if self.x > other.x else other.x
        self.y = self.y if self.y > other.y else other.y
        self.z = self.z if self.z > other.z else other.z
        return self


def maximize(points):
    best = points[0]
    for p in points[1:]:
        best.maximize(p)
    return best


def run(n):
    points = [Point(i) for i in range(n)]
    for p in points:
        p.normalize()
    return maximize(points)


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SIZE
    best = run(n)
    print("float", n, "%.9f %.9f %.9f" % (best.x, best.y, best.z))
