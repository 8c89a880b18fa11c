"""printing: a print-heavy program -- a report generator whose every other
line writes to sys.stdout (print with several arguments, print with sep and
end, sys.stdout.write of a formatted line) and now and then to sys.stderr.
Measures what recording program output (--capture-io) costs. argv[1]: rows
(linear in the work). Prints a checksum of its own output last.
"""
import sys

DEFAULT_SIZE = 60000   # about 0.4 s untraced (CPython 3.12, 2-core EPYC), output to a file
CALLGRIND_SIZE = 940   # bench/callgrind.py: a recording of a few seconds under valgrind


def row(i):
    name = "item%05d" % i
    qty = i % 17
    price = (i * 7919) % 1000 / 10.0
    return name, qty, price


def report(n):
    total = 0.0
    chars = 0
    out = sys.stdout
    for i in range(n):
        name, qty, price = row(i)
        amount = qty * price
        total += amount
        print(name, qty, price, sep="\t", end="\t")
        line = "%.2f\n" % amount
        out.write(line)
        chars += len(line)
        if i % 1000 == 0:
            print("progress:", i, "rows", file=sys.stderr)
    print("total", round(total, 2))
    return chars, total


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SIZE
    chars, total = report(n)
    print("checksum", chars, round(total, 2))
