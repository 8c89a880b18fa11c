"""Threads: workers run functions concurrently; one dies of an exception.
The results go into a deque, whose items are not recorded (a C type without
attributes): the main thread's variables do not depend on scheduling."""
import collections
import threading

results = collections.deque()


def work(k):
    total = 0
    for i in range(200):
        total += i * k
    results.append((k, total))


def die():
    raise RuntimeError("worker failed")


threads = [threading.Thread(target=work, args=(k,)) for k in range(3)]
threads.append(threading.Thread(target=die))
for t in threads:
    t.start()
for t in threads:
    t.join()
print(sorted(results))
