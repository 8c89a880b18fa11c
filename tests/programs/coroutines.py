"""Coroutines under asyncio: tasks, gather, async generators, async with,
and an exception crossing an await."""
import asyncio


class Resource:
    async def __aenter__(self):
        await asyncio.sleep(0)
        return self

    async def __aexit__(self, *exc):
        await asyncio.sleep(0)
        return False


async def ticker(n):
    for i in range(n):
        yield i
        await asyncio.sleep(0)


async def worker(name, delay):
    await asyncio.sleep(delay)
    return name.upper()


async def failing():
    await asyncio.sleep(0)
    raise LookupError("missing")


async def main():
    async with Resource() as r:
        got = [x async for x in ticker(3)]
    results = await asyncio.gather(worker("a", 0.001), worker("b", 0))
    try:
        await failing()
    except LookupError as e:
        err = str(e)
    print(got, results, err, type(r).__name__)


asyncio.run(main())
