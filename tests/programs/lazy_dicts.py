"""Objects whose instance dict is created on first use: recording a
functools.partial must not create its __dict__ (the C partial flattens a
partial of a partial only when the inner one has none: test_functools'
test_nested_optimization failed traced). Instances of Python classes
without attributes yet are recorded too."""
import functools


def target(*args, **kwargs):
    return args, kwargs


class Empty:
    pass


inner = functools.partial(target, 1)
e = Empty()
nested = functools.partial(inner, 2, key=3)
flat = nested.func is target
print(flat, nested.args, sorted(nested.keywords), nested())
