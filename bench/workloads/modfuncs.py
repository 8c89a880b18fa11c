"""modfuncs: a script's shape: a module that defines functions, constants and a
class, then loops at module level calling one of them.

Every line of the loop is a Step of the module's activation, whose namespace
holds 42 names, most of them functions (a non-atom each: its qualified name
is its value). argv[1]: iterations.
"""
import sys

DEFAULT_SIZE = 500_000   # about 0.4 s untraced (CPython 3.12, 2-core EPYC)
CALLGRIND_SIZE = 7800   # bench/callgrind.py: a recording of a few seconds under valgrind


def f0(x):
    return x + 0


def f1(x):
    return x + 1


def f2(x):
    return x + 2


def f3(x):
    return x + 3


def f4(x):
    return x + 4


def f5(x):
    return x + 5


def f6(x):
    return x + 6


def f7(x):
    return x + 7


def f8(x):
    return x + 8


def f9(x):
    return x + 9


def f10(x):
    return x + 10


def f11(x):
    return x + 11


def f12(x):
    return x + 12


def f13(x):
    return x + 13


def f14(x):
    return x + 14


def f15(x):
    return x + 15


def f16(x):
    return x + 16


def f17(x):
    return x + 17


def f18(x):
    return x + 18


def f19(x):
    return x + 19


def f20(x):
    return x + 20


def f21(x):
    return x + 21


def f22(x):
    return x + 22


def f23(x):
    return x + 23


def f24(x):
    return x + 24


def f25(x):
    return x + 25


def f26(x):
    return x + 26


def f27(x):
    return x + 27


def f28(x):
    return x + 28


def f29(x):
    return x + 29


C0 = 0
C1 = 1
C2 = 2
C3 = 3
C4 = 4
C5 = 5
C6 = 6
C7 = 7
C8 = 8
C9 = 9


class Counter:
    hits = 0


n = int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SIZE
total = 0
for i in range(n):
    total += f3(i) - C3
Counter.hits = n
print("modfuncs", n, total, Counter.hits)
