"""Shared by the peer drivers: wall-clock milliseconds of repeated calls."""
import time


def timed(f, runs):
    """Calls f() `runs` times; returns the milliseconds of each call and the last call's result."""
    ms, out = [], None
    for _ in range(runs):
        start = time.perf_counter()
        out = f()
        ms.append((time.perf_counter() - start) * 1e3)
    return ms, out
