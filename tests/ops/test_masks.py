"""Masks: padding, causal (bottom-right), combining, and the explicit converters."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from attnflow import ops
from tests import reference as ref


def test_padding_mask_from_lengths():
    mask = ops.padding_mask(tf.constant([1, 3]), max_len=4)
    np.testing.assert_array_equal(mask.numpy(), [[1, 0, 0, 0], [1, 1, 1, 0]])
    assert mask.dtype == tf.bool


def test_padding_mask_from_lengths_defaults_to_the_longest():
    np.testing.assert_array_equal(ops.padding_mask([2, 3, 0]).numpy(),
                                  [[1, 1, 0], [1, 1, 1], [0, 0, 0]])


def test_padding_mask_from_ids():
    ids = tf.constant([[5, 3, 0, 0], [7, 0, 2, 0]])
    np.testing.assert_array_equal(ops.padding_mask(ids).numpy(), [[1, 1, 0, 0], [1, 0, 1, 0]])


def test_padding_mask_from_ids_with_pad_id():
    ids = np.array([[4, -1, -1], [0, 2, -1]], np.int64)
    np.testing.assert_array_equal(ops.padding_mask(ids, pad_id=-1).numpy(), [[1, 0, 0], [1, 1, 0]])


def test_padding_mask_takes_numpy_and_tensor_max_len():
    lengths = np.array([1, 3])
    expected = [[1, 0, 0, 0], [1, 1, 1, 0]]
    np.testing.assert_array_equal(ops.padding_mask(lengths, max_len=np.int64(4)).numpy(), expected)
    # Inside a model the length comes from the data: tf.shape(ids)[1].
    fn = tf.function(lambda lengths, ids: ops.padding_mask(lengths, max_len=tf.shape(ids)[1]))
    np.testing.assert_array_equal(fn(tf.constant(lengths), tf.zeros((2, 4))).numpy(), expected)


@pytest.mark.parametrize("args, kwargs, name", [
    ((np.array([1.0, 2.0]),), {}, "lengths_or_ids"),
    ((np.zeros((2, 3, 4), np.int32),), {}, "lengths_or_ids"),
    ((np.zeros((2, 3), np.int32),), {"max_len": 3}, "max_len"),
    ((np.array([1, 2]),), {"max_len": -1}, "max_len"),
    ((np.array([1, 2]),), {"max_len": 2.5}, "max_len"),
    ((np.array([1, 2]),), {"max_len": True}, "max_len"),
])
def test_padding_mask_rejects_bad_arguments(args, kwargs, name):
    with pytest.raises(ValueError, match=f"Received: {name}="):
        ops.padding_mask(*args, **kwargs)


def test_causal_mask_square_is_lower_triangular():
    np.testing.assert_array_equal(ops.causal_mask(4).numpy(), np.tril(np.ones((4, 4), bool)))


def test_causal_mask_is_bottom_right_aligned_for_fewer_queries():
    # Decoding the last 2 of 4 tokens: query 0 is token 2, query 1 is token 3.
    np.testing.assert_array_equal(ops.causal_mask(2, 4).numpy(), [[1, 1, 1, 0], [1, 1, 1, 1]])
    np.testing.assert_array_equal(ops.causal_mask(1, 4).numpy(), [[1, 1, 1, 1]])


@pytest.mark.parametrize("q_len, k_len", [(3, 4), (4, 3), (1, 1), (3, 7)])
def test_causal_mask_matches_reference(q_len, k_len):
    np.testing.assert_array_equal(ops.causal_mask(q_len, k_len).numpy(), ref.causal_mask(q_len, k_len))


def test_causal_mask_with_tensor_lengths_in_tf_function():
    fn = tf.function(lambda q, k: ops.causal_mask(q, k))
    np.testing.assert_array_equal(fn(tf.constant(3), tf.constant(4)).numpy(), ref.causal_mask(3, 4))


@pytest.mark.parametrize("kwargs, name", [({"q_len": -1}, "q_len"), ({"q_len": 2, "k_len": -3}, "k_len"),
                                          ({"q_len": np.int64(-2)}, "q_len")])
def test_causal_mask_rejects_negative_lengths(kwargs, name):
    with pytest.raises(ValueError, match=f"Received: {name}="):
        ops.causal_mask(**kwargs)


@pytest.mark.parametrize("value, expected", [
    (np.array([1, 0, 3]), [True, False, True]),
    (np.array([0.5, 0.0, -1.0], np.float32), [True, False, True]),
    (np.array([True, False, False]), [True, False, False]),
])
def test_as_bool_mask_is_nonzero(value, expected):
    mask = ops.as_bool_mask(value)
    assert mask.dtype == tf.bool
    np.testing.assert_array_equal(mask.numpy(), expected)


def test_combine_masks_is_a_broadcasting_and():
    keys = np.array([[1, 1, 0], [1, 0, 0]], np.int32)[:, None, :]  # [B, 1, Tk]
    causal = ops.causal_mask(3)  # [Tq, Tk]
    combined = ops.combine_masks(keys, None, causal)
    assert combined.shape == (2, 3, 3)
    np.testing.assert_array_equal(combined.numpy(), (keys != 0) & ref.causal_mask(3, 3))


def test_combine_masks_of_nothing_is_none():
    assert ops.combine_masks() is None
    assert ops.combine_masks(None, None) is None


def test_from_additive_mask_turns_ones_into_false():
    # The old tutorials' look-ahead mask: 1 above the diagonal = hidden.
    look_ahead = 1.0 - np.tril(np.ones((3, 3), np.float32))
    np.testing.assert_array_equal(ops.from_additive_mask(look_ahead).numpy(), np.tril(np.ones((3, 3), bool)))


def test_from_additive_mask_accepts_scaled_and_infinite_entries():
    additive = np.array([[0.0, -1e9, -np.inf, 0.0]], np.float32)
    np.testing.assert_array_equal(ops.from_additive_mask(additive).numpy(), [[True, False, False, True]])


def test_from_additive_mask_rejects_bool():
    with pytest.raises(ValueError, match="Received: mask="):
        ops.from_additive_mask(np.array([True, False]))


@pytest.mark.parametrize("dtype", [bool, np.int32, np.float32])
def test_from_key_padding_mask(dtype):
    key_padding = np.array([[0, 0, 1, 1], [0, 1, 1, 1]], dtype)  # True / 1 = padding
    mask = ops.from_key_padding_mask(key_padding)
    assert mask.shape == (2, 1, 1, 4) and mask.dtype == tf.bool
    np.testing.assert_array_equal(mask.numpy()[:, 0, 0], [[1, 1, 0, 0], [1, 0, 0, 0]])


def test_from_key_padding_mask_drives_the_kernel_like_an_explicit_mask(rng):
    q, k, v = (rng.normal(size=(ref.B, ref.H, t, ref.D)) for t in (ref.TQ, ref.TK, ref.TK))
    key_padding = np.array([[False, False, True, True], [False, True, False, True]])
    out = ops.dot_product_attention(q, k, v, mask=ops.from_key_padding_mask(key_padding))
    expected, _ = ref.attention(q, k, v, mask=~key_padding[:, None, None, :])
    np.testing.assert_allclose(out.numpy(), expected, atol=1e-12)


def test_from_key_padding_mask_rejects_wrong_rank():
    with pytest.raises(ValueError, match="Received: key_padding_mask="):
        ops.from_key_padding_mask(np.zeros((2, 1, 4), bool))
