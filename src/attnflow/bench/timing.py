"""Interleaved timing: every step runs once per round, rounds repeat, medians win.

On a shared, noisy machine a slow spell hits every implementation of a round
alike instead of one implementation's whole series; the order inside a round
rotates so that no step always runs first (after a cold cache) or last.
"""

from __future__ import annotations

import statistics
import time
from typing import Callable


def time_interleaved(steps: dict[str, Callable], repeats: int, warmup: int,
                     progress: Callable[[str], None] | None = None,
                     min_seconds: float = 0.0) -> dict[str, list[float]]:
    """Times each step at least `repeats` times, interleaved, after `warmup` untimed calls.

    Args:
        steps: name -> step (a callable returning a tensor).
        repeats: timed calls per step, at least.
        warmup: untimed calls per step first (tracing, first-touch memory).
        progress: optional callback given one line per finished round.
        min_seconds: keep adding rounds (up to 6 x `repeats`) until the
            timed rounds took this long, so that cheap steps, which a busy
            spell of a shared machine distorts most, get more samples.

    Returns:
        name -> list of seconds, one per round.
    """
    names = list(steps)
    for name in names:
        for _ in range(warmup):
            _run(steps[name])
    times: dict[str, list[float]] = {name: [] for name in names}
    started, round_index = time.perf_counter(), 0
    while round_index < repeats or (time.perf_counter() - started < min_seconds
                                    and round_index < 6 * repeats):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            times[name].append(_run(steps[name]))
        round_index += 1
        if progress:
            progress(f"round {round_index} ({time.perf_counter() - started:.0f} s)")
    return times


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _run(step: Callable) -> float:
    started = time.perf_counter()
    result = step()
    if hasattr(result, "numpy"):
        result.numpy()
    return time.perf_counter() - started
