"""Values at and beyond the recording limits (depth 4, 100 items, 1000
bytes): big ints (also beyond 1000 bytes), inf, nan, -0.0, complex, long
lists, dicts, sets and tuples, long ASCII and non-ASCII strings, long bytes
and bytearrays, nesting deeper than the limit, self-referencing and shared
containers, subclasses of built-in types, instances with many attributes,
ranges and slices, and secret-looking names (redacted)."""
import math


class Bag:
    pass


class Name(str):
    pass


class Count(int):
    pass


class Table(dict):
    pass


def values():
    big = 2 ** 100
    neg = -(3 ** 200)
    huge = 7 ** 5000
    edge = [2 ** 63 - 1, -2 ** 63, 2 ** 63, -2 ** 63 - 1]
    floats = [math.inf, -math.inf, math.nan, -0.0, 1e308, 5e-324]
    z = complex(1.5, -math.inf)
    long_list = list(range(250))
    long_tuple = tuple(range(101))
    long_dict = {i: str(i) for i in range(150)}
    long_set = set(range(120))
    frozen = frozenset({1, 2, 3})
    text = "abc" * 500
    accents = "é" * 700 + "z"
    emoji = "😀" * 300
    data = bytes(range(256)) * 5
    buf = bytearray(b"xyz" * 400)
    deep = [[[[[["bottom"]]]]]]
    deep_dict = {"a": {"b": {"c": {"d": {"e": 1}}}}}
    loop = [1, 2]
    loop.append(loop)
    d = {"self": None}
    d["self"] = d
    shared = [0]
    pair = [shared, shared, (shared,)]
    name, count, table = Name("sub"), Count(42), Table(k=[1])
    bag = Bag()
    for i in range(130):
        setattr(bag, "attr%d" % i, i)
    bag.me = bag
    r, sl = range(2, 50, 3), slice(1, None, [2])
    password = "hunter2"
    api_key = {"k": "v"}
    return len(long_list) + len(text) + huge % 10


print(values())
