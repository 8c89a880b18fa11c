"""Objects of built-in types with no attributes (object(), weak references)
held in a list, and an instance holding a callback, while a loop runs
(shapes.py)."""
import sys
import weakref


class Key:
    pass


class Handler:
    def __init__(self, callback):
        self.callback = callback
        self.count = 0


def main(n):
    anchors = [Key() for _ in range(50)]
    refs = [weakref.ref(a) for a in anchors]
    plain = [object() for _ in range(50)]
    h = Handler(print)
    g = Handler(main)
    total = 0
    for i in range(n):
        total += i
    return total, len(refs), len(plain), h.count + g.count


print(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100000))
