"""Initializers handed down to sub-layers and weights."""

from __future__ import annotations

import keras


def fresh_initializer(initializer: keras.initializers.Initializer) -> keras.initializers.Initializer:
    """A new initializer of the same class and config, for one weight.

    Keras draws an unseeded initializer's seed once, when the object is made,
    so one object gives every weight it initializes the same values. A layer
    that hands its `kernel_initializer` to several projections therefore
    gives each its own copy, which draws its own seed. (A seeded initializer
    repeats its values either way, as in Keras.)

    Args:
        initializer: a Keras initializer object (from `keras.initializers.get`).

    Returns:
        A new initializer object with the same config.
    """
    return initializer.__class__.from_config(initializer.get_config())
