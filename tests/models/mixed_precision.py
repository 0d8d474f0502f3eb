"""Whole models under mixed precision against float32: the same weights, outputs within a stated tolerance."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

# The largest |mixed - float32| allowed on a model's outputs (probabilities, forecasts in scaled
# units, attention weights: all of order 1) given the same weights. Measured on the models of
# tests/models: at most 1.4e-4 under float16, and under bfloat16 (8 bits of mantissa) 2.7e-3 on an
# Intel CPU with AVX512-BF16 and 1.03e-2 on an AMD EPYC without it (the transformer forecaster's
# attention weights: TensorFlow rounds the bfloat16 matmuls' partial results differently there).
MODEL_MIXED_ATOL = {"mixed_float16": 1e-3, "mixed_bfloat16": 2e-2}


def assert_mixed_precision_matches_float32(make_model, call, policy: str) -> list:
    """Builds `make_model()` under float32 and under `policy`, with the same weights, and compares.

    The float32 model's initial weights are perturbed first (by N(0, 0.1) noise), so that
    zero-initialized layers (a forecaster's head) do not make the comparison trivial.

    Args:
        make_model: returns a new model (under the global policy of the moment).
        call: call(model) -> a list of its outputs (tensors).
        policy: "mixed_float16" or "mixed_bfloat16"; the global policy is left at it.

    Returns:
        The outputs under `policy`, for further checks of their dtypes.
    """
    keras.mixed_precision.set_global_policy("float32")
    reference = make_model()
    call(reference)
    rng = np.random.default_rng(2)
    reference.set_weights([w + rng.normal(size=w.shape).astype(w.dtype) * 0.1 for w in reference.get_weights()])
    expected = call(reference)
    keras.mixed_precision.set_global_policy(policy)
    model = make_model()
    call(model)
    model.set_weights(reference.get_weights())
    outputs = call(model)
    assert len(outputs) == len(expected)
    for index, (got, want) in enumerate(zip(outputs, expected)):
        got = tf.cast(got, tf.float32).numpy()
        assert np.all(np.isfinite(got)), f"output {index}"
        np.testing.assert_allclose(got, want.numpy(), atol=MODEL_MIXED_ATOL[policy], err_msg=f"output {index}")
    return outputs
