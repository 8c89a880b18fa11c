"""Ends by sys.exit with a message, from inside nested calls: finally
blocks run while SystemExit unwinds the frames."""
import sys


def inner(code):
    try:
        sys.exit(code)
    finally:
        print("inner finally")


def outer():
    try:
        inner("fatal: stopping")
    except ValueError:
        print("not reached")


print("start")
outer()
