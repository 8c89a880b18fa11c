"""coroutines: asyncio tasks, queues and plain awaited coroutine chains.

In the spirit of pyperformance's "coroutines" (recursive awaited coroutines)
and async benchmarks, written here from scratch. The asyncio machinery is
standard library code (not recorded by ctgen-tracer by default).
argv[1]: number of rounds.
"""
import asyncio
import sys

DEFAULT_SIZE = 400   # about 0.4 s untraced (CPython 3.12, 2-core EPYC)
CALLGRIND_SIZE = 6   # bench/callgrind.py: a recording of a few seconds under valgrind


async def fib(n):
    if n < 2:
        return n
    return await fib(n - 1) + await fib(n - 2)


async def producer(queue, n):
    for i in range(n):
        await queue.put(i)
    await queue.put(None)


async def consumer(queue):
    total = 0
    while True:
        item = await queue.get()
        if item is None:
            return total
        total += item * item


async def worker(k):
    await asyncio.sleep(0)
    return await fib(k % 8 + 4)


async def one_round():
    queue = asyncio.Queue(maxsize=16)
    prod = asyncio.ensure_future(producer(queue, 200))
    total = await consumer(queue)
    await prod
    results = await asyncio.gather(*(worker(k) for k in range(20)))
    return total + sum(results) + await fib(12)


async def main(rounds):
    check = 0
    for _ in range(rounds):
        check += await one_round()
    return check


if __name__ == "__main__":
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SIZE
    print("coroutines", rounds, asyncio.run(main(rounds)))
