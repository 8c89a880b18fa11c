"""Calls: positional-only, keyword-only, defaults, *args and **kwargs,
unpacking at the call site, lambdas (also immediately called and sorted
keys), decorators with and without arguments, stacked decorators,
functools.wraps, recursion through a decorator, and the walrus operator."""
import functools


def trace_calls(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        wrapper.calls += 1
        return fn(*args, **kwargs)
    wrapper.calls = 0
    return wrapper


def repeat(times):
    def deco(fn):
        def run(*a):
            return [fn(*a) for _ in range(times)]
        return run
    return deco


def everything(a, b=2, /, c=3, *rest, d, e=5, **extra):
    return a + b + c + sum(rest) + d + e + sum(extra.values())


def only_kw(*, key, flag=False):
    return key if not flag else key.upper()


@trace_calls
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


@repeat(2)
@trace_calls
def hello(name):
    return "hi " + name


def walrus(data):
    found = [y for x in data if (y := x * 2) > 4]
    if (n := len(found)) > 1:
        return n, found, y
    return 0, found, None


args = (1, 10, 100, 1000)
kwargs = {"d": 4, "z": 9}
print(everything(*args, **kwargs), everything(1, d=0), only_kw(key="k", flag=True))
print(fib(6), fib.calls, fib.__name__, hello("bob"))
print(sorted(["bb", "a", "ccc"], key=lambda s: -len(s)), (lambda x, *ys: x + len(ys))(1, 2, 3))
print(walrus([1, 2, 3, 4]))
while (chunk := args[:2]) and len(chunk) < 2:
    pass
print(chunk)
