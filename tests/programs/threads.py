"""Threads: workers run functions concurrently; one dies of an exception."""
import threading

results = {}


def work(k):
    total = 0
    for i in range(200):
        total += i * k
    results[k] = total


def die():
    raise RuntimeError("worker failed")


threads = [threading.Thread(target=work, args=(k,)) for k in range(3)]
threads.append(threading.Thread(target=die))
for t in threads:
    t.start()
for t in threads:
    t.join()
print(sorted(results.items()))
