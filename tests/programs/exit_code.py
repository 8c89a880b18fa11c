import sys


def finish(code):
    print("finishing with", code)
    sys.exit(code)


finish(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
