"""exceptions: raising, catching, re-raising and cleaning up in loops
(try/except/finally, with blocks, exception chaining, custom exception types).

Not a pyperformance benchmark: it exercises the exception events (RAISE,
RERAISE, EXCEPTION_HANDLED, PY_UNWIND) that the other workloads rarely hit.
Written here from scratch. argv[1]: number of rounds.
"""
import sys

DEFAULT_SIZE = 10000   # about 0.4 s untraced (CPython 3.12, 2-core EPYC)
CALLGRIND_SIZE = 156   # bench/callgrind.py: a recording of a few seconds under valgrind


class ParseError(Exception):
    def __init__(self, position, text):
        super().__init__("bad input at %d" % position)
        self.position = position
        self.text = text


class Guard:
    def __init__(self, log):
        self.log = log

    def __enter__(self):
        self.log.append(1)
        return self

    def __exit__(self, kind, value, tb):
        self.log.append(2 if kind is None else 3)
        return False


def parse_number(text, position):
    if not text or not text.isdigit():
        raise ParseError(position, text)
    return int(text)


def parse_all(fields, log):
    total = 0
    for i, f in enumerate(fields):
        try:
            with Guard(log):
                total += parse_number(f, i)
        except ParseError as e:
            total -= e.position
    return total


def deep(n):
    if n == 0:
        raise KeyError(n)
    try:
        return deep(n - 1)
    finally:
        pass


def chained(n):
    try:
        deep(n)
    except KeyError as e:
        raise ValueError("wrapped") from e


def one_round(k):
    log = []
    fields = [str(i) if (i + k) % 3 else "x%d" % i for i in range(30)]
    total = parse_all(fields, log)
    for depth in range(1, 8):
        try:
            chained(depth)
        except ValueError as e:
            total += depth + (1 if isinstance(e.__cause__, KeyError) else 0)
    try:
        try:
            {}["missing"]
        except KeyError:
            raise
    except LookupError:
        total += 1
    return total + len(log)


if __name__ == "__main__":
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SIZE
    check = 0
    for k in range(rounds):
        check += one_round(k)
    print("exceptions", rounds, check)
