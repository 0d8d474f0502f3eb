"""The shared argument checks: what passes, what fails, and the message."""

from __future__ import annotations

import numpy as np
import pytest

from attnflow._validation import check_non_negative_int, check_positive_int, check_seed, fail


@pytest.mark.parametrize("value", [0, 1, 7])
def test_non_negative_ints_pass(value):
    check_non_negative_int("count", value)


@pytest.mark.parametrize("value", [-1, True, 1.0, "3", None, np.float32(2)])
def test_anything_else_is_a_value_error_naming_the_argument(value):
    with pytest.raises(ValueError, match=r"^expected count to be a non-negative integer\. Received: count="):
        check_non_negative_int("count", value)


def test_none_passes_only_when_allowed_and_the_message_says_so():
    check_non_negative_int("count", None, allow_none=True)
    with pytest.raises(ValueError, match=r"count to be None or a non-negative integer\. Received: count=-2"):
        check_non_negative_int("count", -2, allow_none=True)


def test_zero_is_not_positive_and_seed_may_be_none():
    with pytest.raises(ValueError, match="Received: units=0"):
        check_positive_int("units", 0)
    check_seed(None)
    with pytest.raises(ValueError, match="Received: seed=-1"):
        check_seed(-1)


def test_numpy_numbers_are_written_as_pythons():
    with pytest.raises(ValueError, match=r"^expected a value\. Received: first=3\.5, rows=\[1, 2\], "
                                         r"flag=True, name='x'$"):
        fail("a value", first=np.float64(3.5), rows=[np.int64(1), np.int32(2)], flag=np.bool_(True), name="x")
