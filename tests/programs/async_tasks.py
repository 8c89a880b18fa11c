"""asyncio: tasks created and awaited, a task cancelled, async generators
closed early (aclose) and thrown into (athrow), async comprehensions,
async with suppressing an exception, and asyncio.wait_for."""
import asyncio


class Gate:
    def __init__(self, name):
        self.name = name
        self.entered = False

    async def __aenter__(self):
        self.entered = True
        await asyncio.sleep(0)
        return self

    async def __aexit__(self, exc_type, exc, tb):
        await asyncio.sleep(0)
        return exc_type is KeyError   # swallow KeyError only


async def numbers(n):
    try:
        for i in range(n):
            yield i * 10
            await asyncio.sleep(0)
    finally:
        print("numbers closed at", n)


async def slow(label, steps):
    for i in range(steps):
        await asyncio.sleep(0)
    return label * steps


async def forever():
    try:
        while True:
            await asyncio.sleep(0)
    except asyncio.CancelledError:
        print("forever cancelled")
        raise


async def main():
    t1 = asyncio.create_task(slow("a", 2))
    t2 = asyncio.create_task(slow("b", 3))
    done = [await t1, await t2]
    evens = [x async for x in numbers(4) if x % 20 == 0]
    agen = numbers(10)
    first = await agen.__anext__()
    await agen.aclose()
    agen2 = numbers(10)
    await agen2.__anext__()
    try:
        await agen2.athrow(ValueError("stop"))
    except ValueError as e:
        thrown = str(e)
    async with Gate("g") as gate:
        raise KeyError("swallowed")
    f = asyncio.create_task(forever())
    await asyncio.sleep(0)
    f.cancel()
    try:
        await f
    except asyncio.CancelledError:
        cancelled = f.cancelled()
    r = await asyncio.wait_for(slow("c", 1), timeout=5)
    print(done, evens, first, thrown, gate.entered, cancelled, r)


asyncio.run(main())
