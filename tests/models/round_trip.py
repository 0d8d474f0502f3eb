"""The .keras round trip every model test makes: save, load without custom_objects,
the same config, the same outputs and attention."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf


def assert_round_trip(model, inputs, path, atol: float = 1e-6):
    """Saves `model` to `path`, loads it back and checks type, config, outputs and
    every attention tensor (`return_attention_scores=True`); returns the loaded model."""
    expected, attention = model(inputs, return_attention_scores=True)
    model.save(path)
    loaded = keras.models.load_model(path)  # no custom_objects
    assert type(loaded) is type(model) and loaded.get_config() == model.get_config()
    got, got_attention = loaded(inputs, return_attention_scores=True)
    np.testing.assert_allclose(got.numpy(), expected.numpy(), atol=atol)
    for ours, theirs in zip(tf.nest.flatten(got_attention), tf.nest.flatten(attention)):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), atol=atol)
    return loaded
