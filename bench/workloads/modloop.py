"""modloop: a loop at module level that appends to a list.

Issue 13's example of a module body's cost: every line of it is a Step of the
module's activation, whose namespace holds the loop's variables, the growing
list and whatever else the module defined. argv[1]: how many items to append.
"""
import sys

DEFAULT_SIZE = 1_000_000   # about 0.4 s untraced (CPython 3.12, 2-core EPYC)
CALLGRIND_SIZE = 100_000   # bench/callgrind.py: a recording of a few seconds under valgrind

n = int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SIZE
items = []
total = 0
for i in range(n):
    items.append(i % 7)
    total += i
print("modloop", n, len(items), sum(items), total)
