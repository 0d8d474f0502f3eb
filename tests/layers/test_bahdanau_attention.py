"""BahdanauAttention: additive attention against the float64 reference."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from attnflow import ops
from attnflow.layers import BahdanauAttention
from tests import reference as ref
from tests.layer_battery import LayerBattery, error_message
from tests.reference import B, D, TK, TQ

DV, DK, UNITS = 6, 7, 8


class TestBattery(LayerBattery):
    layer_class = BahdanauAttention
    init_kwargs = {"units": UNITS}
    config_kwargs = {"units": UNITS, "dropout": 0.25, "use_bias": False, "seed": 5}
    input_shapes = {"query": (B, TQ, D), "value": (B, TK, DV), "key": (B, TK, DK)}


class TestDecoderStateBattery(LayerBattery):
    """A query [B, Dq]: one decoder state per batch element."""

    layer_class = BahdanauAttention
    init_kwargs = {"units": UNITS}
    config_kwargs = {"units": UNITS, "dropout": 0.25, "seed": 5}
    input_shapes = {"query": (B, D), "value": (B, TK, DV)}
    keras_mask_arguments = {"value": "value_mask"}
    output_mask_from = None
    test_mixed_precision = None  # the sequence battery above covers it


def reference_call(layer, query, value, key=None, **masks):
    return ref.bahdanau_attention(
        query, value, key, w1=layer.key_dense.kernel.numpy(), b1=layer.key_dense.bias.numpy(),
        w2=layer.query_dense.kernel.numpy(), b2=layer.query_dense.bias.numpy(),
        v=layer.attention_vector.numpy(), **masks)


@pytest.fixture
def inputs(rng):
    return rng.normal(size=(B, TQ, D)), rng.normal(size=(B, TK, DV)), rng.normal(size=(B, TK, DK))


def test_weights_have_the_documented_shapes(inputs):
    query, value, key = inputs
    layer = BahdanauAttention(UNITS)
    layer(query, value, key=key)
    assert tuple(layer.key_dense.kernel.shape) == (DK, UNITS)  # W1
    assert tuple(layer.query_dense.kernel.shape) == (D, UNITS)  # W2
    assert tuple(layer.attention_vector.shape) == (UNITS,)  # v
    assert len(layer.trainable_weights) == 5


def test_without_bias_has_no_biases(inputs):
    query, value, key = inputs
    layer = BahdanauAttention(UNITS, use_bias=False, dtype="float64")
    output, weights = layer(query, value, key=key, return_attention_scores=True)
    assert len(layer.trainable_weights) == 3
    want_output, want_weights = ref.bahdanau_attention(
        query, value, key, w1=layer.key_dense.kernel.numpy(), w2=layer.query_dense.kernel.numpy(),
        v=layer.attention_vector.numpy())
    np.testing.assert_allclose(weights.numpy(), want_weights, rtol=1e-12)
    np.testing.assert_allclose(output.numpy(), want_output, rtol=1e-12)


@pytest.mark.parametrize("with_key", [False, True])
def test_sequence_query_matches_float64_reference(inputs, rng, with_key):
    query, value, key = inputs
    key = key if with_key else None
    layer = BahdanauAttention(UNITS, dtype="float64", bias_initializer="random_normal")
    output, weights = layer(query, value, key=key, return_attention_scores=True)
    want_output, want_weights = reference_call(layer, query, value, key)
    assert output.shape == (B, TQ, DV) and weights.shape == (B, TQ, TK)
    assert np.abs(layer.key_dense.bias.numpy()).max() > 0  # biases enter the check
    np.testing.assert_allclose(weights.numpy(), want_weights, rtol=1e-12)
    np.testing.assert_allclose(output.numpy(), want_output, rtol=1e-12)


def test_decoder_state_query_matches_float64_reference(inputs):
    query, value, key = inputs
    state = query[:, 0]  # [B, Dq]
    layer = BahdanauAttention(UNITS, dtype="float64", bias_initializer="random_normal")
    output, weights = layer(state, value, key=key, return_attention_scores=True)
    want_output, want_weights = reference_call(layer, state, value, key)
    assert output.shape == (B, DV) and weights.shape == (B, TK)
    np.testing.assert_allclose(weights.numpy(), want_weights, rtol=1e-12)
    np.testing.assert_allclose(output.numpy(), want_output, rtol=1e-12)
    # The same as the first row of a sequence query.
    seq_output, seq_weights = layer(query, value, key=key, return_attention_scores=True)
    np.testing.assert_allclose(output.numpy(), seq_output.numpy()[:, 0], rtol=1e-12)


def test_dropout_is_the_kernels_positional_dropout(inputs):
    query, value, key = inputs
    layer = BahdanauAttention(UNITS, dropout=0.5, seed=5, dtype="float64")
    _, weights = layer(query, value, key=key, return_attention_scores=True)  # inference draws no seed
    trained = layer(query, value, key=key, training=True).numpy()
    dropped = ops.weights_dropout(weights, 0.5, keras.random.SeedGenerator(5)).numpy()  # [B, Tq, Tk]
    assert 0.0 < (dropped == 0.0).mean() < 1.0
    np.testing.assert_allclose(trained, dropped @ value, rtol=1e-12)


def masks(rng):
    attention_mask = rng.random((B, TQ, TK)) > 0.3
    attention_mask[..., 1] = True
    return {"query_mask": np.array([[1, 0, 1], [1, 1, 1]], bool),
            "value_mask": np.array([[1, 1, 1, 0], [0, 1, 1, 1]], bool),
            "attention_mask": attention_mask}


@pytest.mark.parametrize("dtype", [bool, np.int32, np.float32])
@pytest.mark.parametrize("names", [("query_mask",), ("value_mask",), ("attention_mask",),
                                   ("query_mask", "value_mask", "attention_mask")])
def test_masks_equal_explicit_mask_reference(inputs, rng, dtype, names):
    query, value, key = inputs
    given = {name: mask for name, mask in masks(rng).items() if name in names}
    layer = BahdanauAttention(UNITS, dtype="float64")
    output, weights = layer(query, value, key=key, return_attention_scores=True,
                            **{name: mask.astype(dtype) for name, mask in given.items()})
    want_output, want_weights = reference_call(layer, query, value, key, **given)
    np.testing.assert_allclose(weights.numpy(), want_weights, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(output.numpy(), want_output, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("form", ["value_mask [B, Tk]", "attention_mask [B, Tk]", "attention_mask [B, 1, Tk]"])
def test_decoder_state_masks(inputs, form):
    query, value, _ = inputs
    state = query[:, 0]
    keys = np.array([[1, 1, 0, 0], [1, 0, 1, 1]], bool)
    name, mask = form.split()[0], keys if "[B, Tk]" in form else keys[:, None]
    layer = BahdanauAttention(UNITS, dtype="float64")
    output, weights = layer(state, value, return_attention_scores=True, **{name: mask})
    want_output, want_weights = reference_call(layer, state, value, value_mask=keys)
    np.testing.assert_allclose(weights.numpy(), want_weights, rtol=1e-12)
    np.testing.assert_allclose(output.numpy(), want_output, rtol=1e-12)
    np.testing.assert_array_equal(weights.numpy()[~keys], 0.0)


def test_causal_mask_is_bottom_right_aligned(inputs):
    query, value, key = inputs  # Tq=3 < Tk=4
    layer = BahdanauAttention(UNITS, dtype="float64")
    output, weights = layer(query, value, key=key, use_causal_mask=True, return_attention_scores=True)
    want_output, want_weights = reference_call(layer, query, value, key, use_causal_mask=True)
    np.testing.assert_allclose(weights.numpy(), want_weights, rtol=1e-12)
    np.testing.assert_allclose(output.numpy(), want_output, rtol=1e-12)
    np.testing.assert_array_equal(weights.numpy()[:, 0, 2:], 0.0)
    assert np.all(weights.numpy()[:, 2] > 0)


@pytest.mark.parametrize("kwargs, received", [
    ({"units": 0}, "units=0"),
    ({"units": -3}, "units=-3"),
    ({"units": 2.5}, "units=2.5"),
    ({"units": 4, "dropout": 1.5}, "dropout=1.5"),
    ({"units": 4, "seed": -1}, "seed=-1"),
])
def test_bad_constructor_arguments(kwargs, received):
    with pytest.raises(ValueError, match="Received: ") as error:
        BahdanauAttention(**kwargs)
    assert received in str(error.value)


@pytest.mark.parametrize("case, name", [
    ("query of rank 4", "query_shape"),
    ("value of rank 2", "value_shape"),
    ("value_mask too long", "value_mask"),
    ("query_mask too long", "query_mask"),
    ("attention_mask swapped", "attention_mask"),
    ("query and value batch sizes differ", "value_shape=(3, "),
    ("decoder state and value batch sizes differ", "value_shape=(3, "),
    ("key shorter than value", "key_shape=(2, 3, "),
    ("batch sizes differ on a built layer", "value_shape=(3, "),
])
def test_bad_call_arguments(inputs, case, name):
    query, value, key = (x.astype(np.float32) for x in inputs)
    built = BahdanauAttention(UNITS)
    built(query, value)
    other_batch = np.concatenate([value, value[:1]])  # [B + 1, Tk, Dv]
    calls = {
        "query and value batch sizes differ": lambda: BahdanauAttention(UNITS)(query, other_batch),
        "decoder state and value batch sizes differ": lambda: BahdanauAttention(UNITS)(query[:, 0],
                                                                                       other_batch),
        "key shorter than value": lambda: BahdanauAttention(UNITS)(query, value, key=key[:, :-1]),
        "batch sizes differ on a built layer": lambda: built(query, other_batch),
        "query of rank 4": lambda: BahdanauAttention(UNITS)(query[None], value),
        "value of rank 2": lambda: BahdanauAttention(UNITS)(query, value[:, 0]),
        "value_mask too long": lambda: BahdanauAttention(UNITS)(query, value, value_mask=np.ones((B, TK + 1))),
        "query_mask too long": lambda: BahdanauAttention(UNITS)(query, value, query_mask=np.ones((B, TQ + 1))),
        "attention_mask swapped": lambda: BahdanauAttention(UNITS)(query, value,
                                                                   attention_mask=np.ones((B, TK, TQ))),
    }
    with pytest.raises(ValueError, match="Received: ") as error:
        calls[case]()
    assert "Received: " in error_message(error) and name in error_message(error)


def test_mismatched_inputs_are_named_in_the_message(inputs):
    query, value, _ = (x.astype(np.float32) for x in inputs)
    with pytest.raises(ValueError) as error:
        BahdanauAttention(UNITS)(query, np.concatenate([value, value[:1]]))
    assert error_message(error).strip() == (
        f"expected query, value and key of the same batch size B. Received: query_shape=({B}, {TQ}, {D}), "
        f"value_shape=({B + 1}, {TK}, {DV}), key_shape=({B + 1}, {TK}, {DV})")
    with pytest.raises(ValueError) as error:
        BahdanauAttention(UNITS)(query, value, key=value[:, :-1])
    assert error_message(error).strip() == (
        f"expected key and value of the same length Tk. Received: key_shape=({B}, {TK - 1}, {DV}), "
        f"value_shape=({B}, {TK}, {DV})")


def test_unknown_batch_and_lengths_pass_the_checks(inputs):
    query, value, _ = (x.astype(np.float32) for x in inputs)
    query_in, value_in = keras.Input((None, D)), keras.Input((None, DV))
    model = keras.Model([query_in, value_in], BahdanauAttention(UNITS)(query_in, value_in))
    assert model.predict([query, value], verbose=0).shape == (B, TQ, DV)
