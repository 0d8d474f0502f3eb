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


@pytest.mark.parametrize("lengths, max_len, received", [
    (np.array([1, 5]), 4, "lengths_or_ids[1]=5, max_len=4"),
    ([3, 2, -1], 4, "lengths_or_ids[2]=-1, max_len=4"),
    (tf.constant([4, 7]), np.int64(4), "lengths_or_ids[1]=7, max_len=4"),
    (np.array([2, 3], np.int32), tf.constant(2), "lengths_or_ids[1]=3, max_len=2"),
])
def test_padding_mask_rejects_known_lengths_outside_zero_to_max_len(lengths, max_len, received):
    with pytest.raises(ValueError) as error:
        ops.padding_mask(lengths, max_len=max_len)
    assert str(error.value) == f"expected lengths in [0, max_len]. Received: {received}"


def test_padding_mask_rejects_known_negative_lengths_without_max_len():
    with pytest.raises(ValueError) as error:
        ops.padding_mask(np.array([2, -3, 1]))
    assert str(error.value) == "expected lengths >= 0. Received: lengths_or_ids[1]=-3"


def test_padding_mask_rejects_constant_lengths_inside_tf_function():
    # Constant lengths have known values even while tracing.
    fn = tf.function(lambda: ops.padding_mask(tf.constant([1, 6]), max_len=4))
    with pytest.raises(ValueError, match=r"Received: lengths_or_ids\[1\]=6, max_len=4"):
        fn()


def test_padding_mask_accepts_lengths_at_the_bounds():
    np.testing.assert_array_equal(ops.padding_mask(np.array([0, 3]), max_len=3).numpy(),
                                  [[0, 0, 0], [1, 1, 1]])


@pytest.mark.parametrize("jit_compile", [False, True])
def test_padding_mask_leaves_symbolic_lengths_to_tensorflow(jit_compile):
    # No graph assert: out-of-range traced lengths behave as tf.sequence_mask
    # (negative = 0, above max_len = cut), and jit_compile still works.
    fn = tf.function(lambda lengths: ops.padding_mask(lengths, max_len=3), jit_compile=jit_compile)
    np.testing.assert_array_equal(fn(tf.constant([-1, 2, 5])).numpy(),
                                  [[0, 0, 0], [1, 1, 0], [1, 1, 1]])


@pytest.mark.parametrize("kwargs, received", [
    ({"q_len": 2.5}, "q_len=2.5"),
    ({"q_len": 3, "k_len": 4.0}, "k_len=4.0"),
    ({"q_len": "3"}, "q_len='3'"),
    ({"q_len": True}, "q_len=True"),
    ({"q_len": np.float32(2.0)}, "q_len="),
])
def test_causal_mask_rejects_non_integer_python_lengths(kwargs, received):
    with pytest.raises(ValueError, match="expected (q|k)_len to be a non-negative integer") as error:
        ops.causal_mask(**kwargs)
    assert f"Received: {received}" in str(error.value)


def test_causal_mask_accepts_numpy_integers():
    expected = ref.causal_mask(3, 4)
    np.testing.assert_array_equal(ops.causal_mask(np.int32(3), np.int64(4)).numpy(), expected)
    np.testing.assert_array_equal(ops.causal_mask(np.array(3), np.array(4)).numpy(), expected)


def test_causal_mask_with_tensor_lengths_under_jit_compile():
    fn = tf.function(lambda q: ops.causal_mask(tf.shape(q)[0], tf.shape(q)[1]), jit_compile=True)
    np.testing.assert_array_equal(fn(tf.zeros((3, 4))).numpy(), ref.causal_mask(3, 4))


def test_combine_masks_rejects_shapes_that_do_not_broadcast():
    with pytest.raises(ValueError) as error:
        ops.combine_masks(np.ones((2, 3), bool), np.ones((2, 4), bool))
    assert str(error.value) == ("expected masks whose shapes broadcast together. "
                                "Received: masks[0].shape=(2, 3), masks[1].shape=(2, 4)")


def test_combine_masks_error_names_masks_by_their_position():
    keys = np.ones((2, 1, 1, 4), bool)  # [B, 1, 1, Tk]
    with pytest.raises(ValueError, match=r"masks\[0\].shape=\(2, 1, 1, 4\), masks\[2\].shape=\(3, 3\)"):
        ops.combine_masks(keys, None, ops.causal_mask(3))


def test_combine_masks_with_unknown_sizes_in_tf_function():
    fn = tf.function(lambda keys: ops.combine_masks(keys[:, None, None, :], ops.causal_mask(3, 4)),
                     input_signature=[tf.TensorSpec([None, None], tf.bool)])
    keys = np.array([[1, 1, 0, 0], [1, 1, 1, 1]], bool)
    combined = fn(keys)
    assert combined.shape == (2, 1, 3, 4)
    np.testing.assert_array_equal(combined.numpy(), keys[:, None, None, :] & ref.causal_mask(3, 4))


@pytest.mark.parametrize("function, sections", [
    (ops.as_bool_mask, ("Args:", "Returns:")),
    (ops.padding_mask, ("Args:", "Returns:")),
    (ops.causal_mask, ("Args:", "Returns:")),
    (ops.sliding_window_mask, ("Args:", "Returns:")),
    (ops.combine_masks, ("Args:", "Returns:")),
    (ops.from_additive_mask, ("Args:", "Returns:")),
    (ops.from_key_padding_mask, ("Args:", "Returns:")),
])
def test_public_mask_functions_document_args_and_returns(function, sections):
    for section in sections:
        assert f"\n    {section}\n" in function.__doc__, f"{function.__name__} lacks {section}"


def test_causal_mask_mixes_a_tensor_length_with_a_numpy_one():
    fn = tf.function(lambda q: ops.causal_mask(tf.shape(q)[0], np.int64(4)))
    np.testing.assert_array_equal(fn(tf.zeros((3, 1))).numpy(), ref.causal_mask(3, 4))


@pytest.mark.parametrize("q_len, k_len, window", [(4, 4, 2), (3, 4, 2), (2, 5, 3), (4, 3, 1), (3, 3, 9), (1, 4, 2)])
def test_sliding_window_mask_matches_reference(q_len, k_len, window):
    mask = ops.sliding_window_mask(q_len, k_len, window)
    assert mask.dtype == tf.bool and mask.shape == (q_len, k_len)
    np.testing.assert_array_equal(mask.numpy(), ref.sliding_window_mask(q_len, k_len, window))


def test_sliding_window_mask_is_a_band_around_the_bottom_right_diagonal():
    np.testing.assert_array_equal(ops.sliding_window_mask(3, 3, 2).numpy(),
                                  [[1, 1, 0], [1, 1, 1], [0, 1, 1]])
    # Two queries against four keys sit at key positions 2 and 3, as in causal_mask.
    np.testing.assert_array_equal(ops.sliding_window_mask(2, 4, 2).numpy(),
                                  [[0, 1, 1, 1], [0, 0, 1, 1]])
    causal_band = ops.combine_masks(ops.sliding_window_mask(2, 4, 2), ops.causal_mask(2, 4))
    np.testing.assert_array_equal(causal_band.numpy(), [[0, 1, 1, 0], [0, 0, 1, 1]])


@pytest.mark.parametrize("jit_compile", [False, True])
def test_sliding_window_mask_with_tensor_lengths(jit_compile):
    fn = tf.function(lambda q, k: ops.sliding_window_mask(tf.shape(q)[0], tf.shape(k)[0], 2),
                     jit_compile=jit_compile)
    np.testing.assert_array_equal(fn(tf.zeros((3, 1)), tf.zeros((5, 1))).numpy(), ref.sliding_window_mask(3, 5, 2))


@pytest.mark.parametrize("args, received", [
    ((3, 3, 0), "window=0"), ((3, 3, 1.5), "window=1.5"), ((3, 3, True), "window=True"),
    ((-1, 3, 2), "q_len=-1"), ((3, 2.5, 2), "k_len=2.5"),
])
def test_sliding_window_mask_rejects_bad_arguments(args, received):
    with pytest.raises(ValueError, match=f"Received: {received}"):
        ops.sliding_window_mask(*args)
