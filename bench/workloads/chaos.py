"""chaos: a chaos game drawn towards cubic B-spline curves.

In the spirit of pyperformance's "chaos" benchmark (a chaos game with spline
transformations), written here from scratch: each iteration picks one of
three B-spline curves with a small deterministic random generator, evaluates
it with de Boor's algorithm and moves the point half-way towards it.
argv[1]: number of iterations.
"""
import itertools
import operator
import sys

DEFAULT_SIZE = 80000   # about 0.4 s untraced (CPython 3.12, 2-core EPYC)
CALLGRIND_SIZE = 1250   # bench/callgrind.py: a recording of a few seconds under valgrind


class Random:
    """A 31-bit linear congruential generator: deterministic everywhere."""

    def __init__(self, seed):
        self.state = seed

    def next(self):
        self.state = (self.state * 1103515245 + 12345) & 0x7FFFFFFF
        return self.state

    def uniform(self):
        return self.next() / 2147483648.0


class GVector:
    def __init__(self, x=0.0, y=0.0, z=0.0):
        self.x = x
        self.y = y
        self.z = z

    def __add__(self, o):
        return GVector(self.x + o.x, self.y + o.y, self.z + o.z)

    def __sub__(self, o):
        return GVector(self.x - o.x, self.y - o.y, self.z - o.z)

    def __mul__(self, k):
        return GVector(self.x * k, self.y * k, self.z * k)

    def mix(self, other, t):
        """(1 - t) * self + t * other."""
        return GVector(self.x + (other.x - self.x) * t,
                       self.y + (other.y - self.y) * t,
                       self.z + (other.z - self.z) * t)


class Spline:
    """A clamped uniform cubic B-spline over control points, u in [0, 1]."""

    def __init__(self, points, degree=3):
        self.points = points
        self.degree = degree
        n = len(points)
        inner = n - degree
        self.knots = ([0.0] * degree + [i / inner for i in range(inner + 1)] + [1.0] * degree)

    def span(self, u):
        k = self.degree
        n = len(self.points)
        if u >= 1.0:
            return n - 1
        lo, hi = k, n
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self.knots[mid] <= u:
                lo = mid
            else:
                hi = mid
        return lo

    def __call__(self, u):
        k = self.degree
        s = self.span(u)
        d = [self.points[j + s - k] for j in range(k + 1)]
        knots = self.knots
        for r in range(1, k + 1):
            for j in range(k, r - 1, -1):
                i = j + s - k
                denom = knots[i + k - r + 1] - knots[i]
                alpha = 0.0 if denom == 0 else (u - knots[i]) / denom
                d[j] = d[j - 1].mix(d[j], alpha)
        return d[k]


def make_splines():
    return [
        Spline([GVector(1.6, 0.9), GVector(1.1, 0.8), GVector(0.9, 1.4), GVector(1.3, 1.9),
                GVector(1.8, 2.0), GVector(2.3, 1.6)]),
        Spline([GVector(0.3, 0.2), GVector(0.6, 0.9), GVector(0.4, 1.5), GVector(0.8, 1.8),
                GVector(1.0, 1.2)]),
        Spline([GVector(2.4, 0.1), GVector(2.0, 0.6), GVector(2.6, 1.0), GVector(2.1, 1.5),
                GVector(2.5, 1.9), GVector(2.9, 2.2), GVector(2.7, 0.4)]),
    ]


def play(iterations, width=64, height=64):
    rng = Random(20240229)
    splines = make_splines()
    grid = [[0] * width for _ in range(height)]
    point = GVector(1.0, 1.0)
    for _ in range(iterations):
        curve = splines[rng.next() % len(splines)]
        target = curve(rng.uniform())
        point = point.mix(target, 0.5)
        col = int(point.x / 3.0 * width) % width
        row = int(point.y / 2.5 * height) % height
        grid[row][col] += 1
    # a checksum computed in C: a fixed Python loop over the 4096 cells would
    # dominate small sizes for recorders that record every step
    cells = list(itertools.chain.from_iterable(grid))
    return sum(map(operator.mul, cells, range(1, len(cells) + 1))) % 1000000007


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SIZE
    print("chaos", n, play(n))
