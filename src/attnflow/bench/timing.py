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
                     progress: Callable[[str], None] | None = None) -> dict[str, list[float]]:
    """Times each step `repeats` times, interleaved, after `warmup` untimed calls.

    Args:
        steps: name -> step (a callable returning a tensor).
        repeats: timed calls per step.
        warmup: untimed calls per step first (tracing, first-touch memory).
        progress: optional callback given one line per finished round.

    Returns:
        name -> list of seconds, one per round.
    """
    names = list(steps)
    for name in names:
        for _ in range(warmup):
            _run(steps[name])
    times: dict[str, list[float]] = {name: [] for name in names}
    for round_index in range(repeats):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            times[name].append(_run(steps[name]))
        if progress:
            progress(f"round {round_index + 1}/{repeats}")
    return times


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _run(step: Callable) -> float:
    started = time.perf_counter()
    result = step()
    if hasattr(result, "numpy"):
        result.numpy()
    return time.perf_counter() - started
