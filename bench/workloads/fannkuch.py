"""fannkuch: pancake flips over the permutations of 0..n-1.

Idea from the benchmarks-game fannkuch-redux problem (also in pyperformance),
written here from scratch: permutations are generated in place with the
counting rotation scheme; for each one the first element says how many
leading items to reverse, until it is 0. argv[1]: number of permutations of
9 items to process (linear in the work; 362880 is all of them, and a larger
count starts over).
"""
import sys

DEFAULT_SIZE = 300000   # about 0.4 s untraced (CPython 3.12, 2-core EPYC)
CALLGRIND_SIZE = 4700   # bench/callgrind.py: a recording of a few seconds under valgrind


def flips(perm):
    p = perm[:]
    count = 0
    first = p[0]
    while first:
        lo, hi = 0, first
        while lo < hi:
            p[lo], p[hi] = p[hi], p[lo]
            lo += 1
            hi -= 1
        count += 1
        first = p[0]
    return count


def fannkuch(n, limit):
    """(max flips, alternating checksum, permutations done) over at most
    `limit` permutations of range(n), in the generation order."""
    perm = list(range(n))
    counts = [0] * n
    max_flips = 0
    checksum = 0
    index = 0
    r = n
    while index < limit:
        while r != 1:
            counts[r - 1] = r
            r -= 1
        f = flips(perm)
        if f > max_flips:
            max_flips = f
        checksum += f if index % 2 == 0 else -f
        index += 1
        while True:
            if r == n:
                return max_flips, checksum, index
            head = perm[0]
            for i in range(r):
                perm[i] = perm[i + 1]
            perm[r] = head
            counts[r] -= 1
            if counts[r] > 0:
                break
            r += 1
    return max_flips, checksum, index


if __name__ == "__main__":
    size = todo = int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SIZE
    total = 0
    while todo > 0:
        m, c, k = fannkuch(9, todo)
        todo -= k
        total += m * 1000003 + c
    print("fannkuch", size, total)
