"""Ends with an uncaught KeyboardInterrupt."""


def spin(n):
    if n == 3:
        raise KeyboardInterrupt
    return spin(n + 1)


print("spinning")
spin(0)
