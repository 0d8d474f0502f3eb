"""The argument checks of attnflow.layers.MultiHeadAttention's constructor."""

from __future__ import annotations

from attnflow._validation import check_choice, check_positive_int, check_rate, check_seed, fail
from attnflow.ops.attention import IMPLEMENTATIONS


def check_arguments(num_heads, key_dim, value_dim, dropout, seed, implementation, sliding_window,
                    flash_attention, use_gate, attention_axes, output_shape):
    """Raises ValueError on a bad constructor argument; returns `output_shape`
    as a tuple of positive ints (or None)."""
    check_positive_int("num_heads", num_heads)
    check_positive_int("key_dim", key_dim)
    check_positive_int("value_dim", value_dim, allow_none=True)
    check_rate("dropout", dropout)
    check_seed(seed)
    check_choice("implementation", implementation, IMPLEMENTATIONS)
    check_positive_int("sliding_window", sliding_window, allow_none=True)
    if flash_attention not in (None, False):
        fail("flash_attention=None or False (attnflow has no flash-attention kernel; "
             "implementation='chunked' bounds memory on long inputs)", flash_attention=flash_attention)
    if not isinstance(use_gate, bool):
        fail("use_gate to be a bool", use_gate=use_gate)
    if attention_axes not in (None, 1, (1,), [1], -2, (-2,), [-2]):
        fail("attention_axes=None (attention over axis 1 of [B, T, dim] inputs)",
             attention_axes=attention_axes)
    if isinstance(output_shape, int):
        output_shape = (output_shape,)
    if output_shape is not None:
        output_shape = tuple(output_shape)
        if not output_shape or not all(isinstance(d, int) and d > 0 for d in output_shape):
            fail("output_shape to be a positive int or a tuple of them", output_shape=output_shape)
    return output_shape
