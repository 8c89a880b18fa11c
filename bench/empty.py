"""The empty workload: run.py times each contender on it to measure startup
(interpreter, recorder import, trace set-up and finish), which it subtracts."""
import sys

print("empty", sys.argv[1] if len(sys.argv) > 1 else 0, 0)
