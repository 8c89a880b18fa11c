"""Deep recursion up to a RecursionError, then normal recursion."""
import sys


def down(n):
    return down(n + 1)


def fact(n):
    return 1 if n <= 1 else n * fact(n - 1)


sys.setrecursionlimit(300)
try:
    down(0)
except RecursionError:
    print("recursion error caught")
print(fact(20))
