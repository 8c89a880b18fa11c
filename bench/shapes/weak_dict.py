"""A weakref.WeakKeyDictionary filled in a loop and copied, with the
standard library recorded (shapes.py: run with --include STDLIB)."""
import sys
import weakref


class Key:
    def __init__(self, n):
        self.n = n


def main(n):
    d = weakref.WeakKeyDictionary()
    keys = []
    for i in range(n):
        k = Key(i)
        keys.append(k)
        d[k] = i
    c = d.copy()
    return len(c)


print(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000))
