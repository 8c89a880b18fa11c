"""Exceptions: chained (raise from, implicit context, from None), raised in
finally, re-raised bare, inside generators and comprehensions, custom
exception classes with arguments, exception groups with except*, and
try/else/finally on every path."""


class AppError(Exception):
    def __init__(self, code, detail):
        super().__init__(code, detail)
        self.code = code


def parse(text):
    try:
        return int(text)
    except ValueError as e:
        raise AppError(400, "not a number: " + text) from e


def implicit():
    try:
        {}["missing"]
    except KeyError:
        return 1 / 0


def suppressed():
    try:
        [][1]
    except IndexError:
        raise RuntimeError("context hidden") from None


def in_finally():
    try:
        raise ValueError("first")
    finally:
        raise TypeError("from finally")


def reraise():
    try:
        parse("x")
    except AppError:
        raise


def ladder(x):
    try:
        if x < 0:
            raise ValueError(x)
    except ValueError:
        result = "negative"
    else:
        result = "ok"
    finally:
        x = abs(x)
    return result, x


def gen_raises():
    yield 1
    raise LookupError("inside generator")


results = []
for fn in (lambda: parse("12"), lambda: parse("x"), implicit, suppressed, in_finally, reraise):
    try:
        results.append(fn())
    except Exception as e:
        cause = type(e.__cause__).__name__ if e.__cause__ else None
        context = type(e.__context__).__name__ if e.__context__ else None
        results.append((type(e).__name__, cause, context, e.__suppress_context__))
print(results)
print(ladder(-3), ladder(4))

try:
    for v in gen_raises():
        print("got", v)
except LookupError as e:
    print("generator raised", e)

try:
    values = [10 // x for x in (5, 2, 0, 1)]
except ZeroDivisionError as e:
    print("comprehension raised", e)

try:
    squares = {x: x * x for x in range(3) if x / (x - 2) >= 0}
except ZeroDivisionError:
    print("dict comprehension raised")

try:
    raise ExceptionGroup("several", [ValueError("v"), TypeError("t"), KeyError("k")])
except* ValueError as eg:
    print("value errors", len(eg.exceptions))
except* (TypeError, KeyError) as eg:
    print("other errors", sorted(type(e).__name__ for e in eg.exceptions))
