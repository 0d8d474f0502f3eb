"""`precision`: runs train under a Keras mixed-precision policy, and "auto" follows the CPU."""

from __future__ import annotations

import math

import keras
import pytest

from attnflow.training import RunConfig
from attnflow.training import precision as precision_module
from attnflow.training.precision import precision_policy, resolve_precision
from attnflow.training.trainer import Trainer
from tests.training.toy_task import ToyTask


def config(**values):
    return RunConfig.from_dict({**ToyTask().defaults(), **values})


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
def test_a_run_trains_under_the_policy_and_restores_float32(tmp_path, policy):
    result = Trainer(ToyTask(), config(precision=policy), verbose=0).train(str(tmp_path / "run"))
    assert result.model.layers[-1].dtype_policy.name == policy
    assert math.isfinite(result.metrics["test"]["mae"])
    assert keras.mixed_precision.global_policy().name == "float32"
    loaded = keras.models.load_model(result.path / "model.keras")
    assert loaded.layers[-1].dtype_policy.name == policy
    if policy == "mixed_float16":  # Keras scales the loss itself
        assert isinstance(result.model.optimizer, keras.optimizers.LossScaleOptimizer)


def test_auto_follows_native_bfloat16(monkeypatch):
    monkeypatch.setattr(precision_module, "has_native_bfloat16", lambda: True)
    assert resolve_precision("auto") == "mixed_bfloat16"
    monkeypatch.setattr(precision_module, "has_native_bfloat16", lambda: False)
    assert resolve_precision("auto") == "float32"
    assert resolve_precision("mixed_float16") == "mixed_float16"


def test_policy_is_restored_after_an_error():
    with pytest.raises(RuntimeError), precision_policy("mixed_bfloat16"):
        assert keras.mixed_precision.global_policy().name == "mixed_bfloat16"
        raise RuntimeError("boom")
    assert keras.mixed_precision.global_policy().name == "float32"


def test_unknown_precision_is_a_clear_error():
    with pytest.raises(ValueError, match="precision.*Received: precision='bf16'"):
        config(precision="bf16")
