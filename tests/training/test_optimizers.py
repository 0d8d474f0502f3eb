"""The learning-rate schedule: cosine decay, with and without a linear warm-up."""

from __future__ import annotations

import numpy as np
import pytest

from attnflow.training.config import RunConfig
from attnflow.training.optimizers import learning_rate_schedule


def rates(schedule, steps):
    return np.array([float(schedule(step)) for step in steps])


def test_cosine_without_warmup_starts_at_the_rate_and_ends_at_five_percent():
    schedule = learning_rate_schedule(RunConfig(epochs=4, learning_rate=0.01), steps_per_epoch=10)
    np.testing.assert_allclose(rates(schedule, [0, 40]), [0.01, 0.0005], rtol=1e-5)


def test_warmup_rises_linearly_then_decays_by_cosine():
    config = RunConfig(epochs=4, learning_rate=0.01, warmup=1.5)
    schedule = learning_rate_schedule(config, steps_per_epoch=10)  # 15 warm-up steps of 40
    np.testing.assert_allclose(rates(schedule, [0, 5, 10, 15]), [0.0, 0.01 / 3, 0.02 / 3, 0.01],
                               rtol=1e-5, atol=1e-9)
    middle = 15 + 25 / 2  # half-way through the decay: 0.05 + 0.95 / 2 of the rate
    np.testing.assert_allclose(rates(schedule, [middle, 40]), [0.01 * 0.525, 0.0005], rtol=1e-4)


def test_warmup_longer_than_the_run_keeps_one_step_of_decay():
    schedule = learning_rate_schedule(RunConfig(epochs=1, learning_rate=0.01, warmup=3),
                                      steps_per_epoch=4)
    assert float(schedule(3)) == pytest.approx(0.01)


@pytest.mark.parametrize("values,message", [
    ({"warmup": -1}, "expected warmup to be a non-negative number. Received: warmup=-1"),
    ({"warmup": 2, "schedule": "constant"},
     "expected schedule='cosine' with a warm-up \\(warmup > 0\\). Received: schedule='constant'"),
])
def test_bad_warmup(values, message):
    with pytest.raises(ValueError, match=message):
        RunConfig(**values)


def test_warmup_is_read_from_a_string_as_yaml_may_give():
    assert RunConfig.from_dict({"warmup": "0.5"}).warmup == 0.5
