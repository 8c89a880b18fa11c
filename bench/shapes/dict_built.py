"""A dict built in a loop past the item limit, as a counter is (shapes.py)."""
import sys


def build(n):
    counts = {}
    for i in range(n):
        counts[i % (n // 2)] = counts.get(i % (n // 2), 0) + 1
    return len(counts)


print(build(int(sys.argv[1]) if len(sys.argv) > 1 else 100000))
