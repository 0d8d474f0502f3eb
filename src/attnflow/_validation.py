"""Argument checks shared across attnflow, with Keras-style messages.

Every message reads "expected <what>. Received: <name>=<value>" so a user can
see at once which argument is wrong and what they passed.
"""

from __future__ import annotations

import re
from typing import Any, Iterable


def fail(expected: str, **received: Any) -> None:
    """Raises ValueError("expected <expected>. Received: name=value, ..."); NumPy numbers
    are written as Python's (3.5, not np.float64(3.5))."""
    got = ", ".join(f"{name}={_plain(value)!r}" for name, value in received.items())
    raise ValueError(f"expected {expected}. Received: {got}")


def with_received_name(message: str, name: str, new_name: str) -> str:
    """An error message with a received argument renamed ("Received: data=..." ->
    "Received: test_data=..."), for a check run on what the caller named otherwise."""
    head, mark, received = message.partition("Received: ")
    return head + mark + re.sub(rf"(^|, ){re.escape(name)}=", rf"\g<1>{new_name}=", received)


def _plain(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(item) for item in value)
    if getattr(value, "ndim", None) == 0 and callable(getattr(value, "item", None)):  # a NumPy scalar
        return value.item()
    return value


def check_positive_int(name: str, value: Any, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        fail(f"{name} to be a positive integer", **{name: value})


def check_non_negative_int(name: str, value: Any, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        fail(f"{name} to be {'None or ' if allow_none else ''}a non-negative integer", **{name: value})


def check_rate(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        fail(f"{name} to be a float in [0, 1)", **{name: value})
    if not 0.0 <= float(value) < 1.0:
        fail(f"{name} in [0, 1)", **{name: value})


def check_choice(name: str, value: Any, choices: Iterable[str]) -> None:
    choices = tuple(choices)
    if value not in choices:
        fail(f"{name} to be one of {choices}", **{name: value})


def check_seed(value: Any) -> None:
    check_non_negative_int("seed", value, allow_none=True)
