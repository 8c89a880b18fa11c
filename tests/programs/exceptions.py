"""Exceptions: handled, re-raised, chained, from finally, unwinding frames."""


def fail(n):
    if n == 0:
        raise KeyError("zero")
    return fail(n - 1)


def handle():
    try:
        fail(3)
    except KeyError as e:
        return str(e)
    finally:
        print("finally ran")


def chain():
    try:
        try:
            1 / 0
        except ZeroDivisionError as e:
            raise ValueError("wrapped") from e
    except ValueError as e:
        return type(e.__cause__).__name__


print(handle(), chain())
try:
    try:
        fail(1)
    finally:
        print("cleanup")
except KeyError:
    print("caught at top")
