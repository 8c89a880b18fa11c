"""fannkuch: maximum pancake flips over all permutations of 1..n.

Idea from the benchmarks-game fannkuch-redux problem (also in pyperformance),
written here from scratch: permutations are generated in place with the
counting (Heap-like rotation) scheme. argv[1]: how many times to solve n = 7 (linear in the work).
"""
import sys


def flips(perm):
    p = perm[:]
    count = 0
    first = p[0]
    while first:
        # reverse the first (first + 1) items
        lo, hi = 0, first
        while lo < hi:
            p[lo], p[hi] = p[hi], p[lo]
            lo += 1
            hi -= 1
        count += 1
        first = p[0]
    return count


def fannkuch(n):
    perm = list(range(n))
    counts = [0] * n
    max_flips = 0
    checksum = 0
    index = 0
    r = n
    while True:
        while r != 1:
            counts[r - 1] = r
            r -= 1
        f = flips(perm)
        if f > max_flips:
            max_flips = f
        checksum += f if index % 2 == 0 else -f
        index += 1
        # next permutation: rotate the first r+1 items left until a counter is left
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


if __name__ == "__main__":
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 80
    total = 0
    for _ in range(reps):
        m, c, k = fannkuch(7)
        total += m + c + k
    print("fannkuch", reps, m, c, k, total)
