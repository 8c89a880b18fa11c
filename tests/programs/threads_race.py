"""Many threads meet the same, never-called functions at the same moment,
with a tiny switch interval: every call must be recorded."""
import sys
import threading

sys.setswitchinterval(1e-6)
N = 8
barrier = threading.Barrier(N)


def first_met(x):
    y = x * 2
    return y


def second_met(x):
    return [first_met(i) for i in range(x)]


def worker(i):
    barrier.wait()
    second_met(3)
    first_met(i)


threads = [threading.Thread(target=worker, args=(i,)) for i in range(N)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("done")
