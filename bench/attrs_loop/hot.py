"""The loop timed: float's normalize and maximize over points recorded
before (this module is excluded from the recording)."""
import math
import time


def loop(points, rounds):
    t0 = time.perf_counter()
    for _ in range(rounds):
        for p in points:
            x, y, z = p.x, p.y, p.z
            norm = math.sqrt(x * x + y * y + z * z) or 1.0
            p.x = x / norm
            p.y = y / norm
            p.z = z / norm
        best = points[0]
        for p in points[1:]:
            best.x = best.x if best.x > p.x else p.x
            best.y = best.y if best.y > p.y else p.y
            best.z = best.z if best.z > p.z else p.z
    return time.perf_counter() - t0
