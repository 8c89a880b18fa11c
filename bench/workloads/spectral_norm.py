"""spectral_norm: the spectral norm of the infinite matrix A with
a(i, j) = 1 / ((i + j)(i + j + 1) / 2 + i + 1), by power iteration.

Idea from the benchmarks-game / pyperformance spectral-norm problem, written
here from scratch. argv[1]: number of power iterations on a 50 x 50
section (linear in the work).
"""
import sys

DEFAULT_SIZE = 300   # about 0.4 s untraced (CPython 3.12, 2-core EPYC)
CALLGRIND_SIZE = 5   # bench/callgrind.py: a recording of a few seconds under valgrind


def a(i, j):
    s = i + j
    return 1.0 / (s * (s + 1) // 2 + i + 1)


def times(v):
    n = len(v)
    out = []
    for i in range(n):
        acc = 0.0
        for j in range(n):
            acc += a(i, j) * v[j]
        out.append(acc)
    return out


def times_transposed(v):
    n = len(v)
    out = []
    for i in range(n):
        acc = 0.0
        for j in range(n):
            acc += a(j, i) * v[j]
        out.append(acc)
    return out


def ata_times(v):
    return times_transposed(times(v))


def spectral_norm(n, iterations=10):
    u = [1.0] * n
    v = u
    for _ in range(iterations):
        v = ata_times(u)
        u = ata_times(v)
    vbv = vv = 0.0
    for ue, ve in zip(u, v):
        vbv += ue * ve
        vv += ve * ve
    return (vbv / vv) ** 0.5


if __name__ == "__main__":
    iterations = int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SIZE
    print("spectral_norm", iterations, "%.9f" % spectral_norm(50, iterations))
