"""DotProductAttention: reference, masks, parity with keras.layers.Attention, bad arguments."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from attnflow.layers import DotProductAttention
from tests import reference as ref
from tests.layer_battery import LayerBattery, error_message
from tests.reference import B, D, TK, TQ

DV = 6


class TestBattery(LayerBattery):
    layer_class = DotProductAttention
    init_kwargs = {"score": "general"}
    config_kwargs = {"score": "general", "dropout": 0.25, "seed": 5, "implementation": "full"}
    input_shapes = {"query": (B, TQ, D), "value": (B, TK, DV), "key": (B, TK, D + 2)}


class TestScaledDotBattery(LayerBattery):
    layer_class = DotProductAttention
    init_kwargs = {"score": "scaled_dot"}
    input_shapes = {"query": (B, TQ, D), "value": (B, TK, DV), "key": (B, TK, D)}
    # Kept short: the general-score battery above covers saving and mixed precision.
    test_keras_save_and_load = test_mixed_precision = None


@pytest.fixture
def qvk(rng):
    return rng.normal(size=(B, TQ, D)), rng.normal(size=(B, TK, DV)), rng.normal(size=(B, TK, D))


@pytest.mark.parametrize("score", ["dot", "scaled_dot", "general"])
def test_matches_float64_reference(qvk, score):
    query, value, key = qvk
    layer = DotProductAttention(score=score, dtype="float64")
    output, weights = layer(query, value, key=key, return_attention_scores=True)
    kernel = layer.kernel.numpy() if score == "general" else None
    want_output, want_weights = ref.dot_product_attention_layer(query, value, key, score=score, kernel=kernel)
    assert output.shape == (B, TQ, DV) and weights.shape == (B, TQ, TK)
    np.testing.assert_allclose(weights.numpy(), want_weights, rtol=1e-12)
    np.testing.assert_allclose(output.numpy(), want_output, rtol=1e-12)


def test_general_kernel_has_query_by_key_shape(rng):
    layer = DotProductAttention(score="general")
    layer(rng.normal(size=(B, TQ, D)), rng.normal(size=(B, TK, DV)), key=rng.normal(size=(B, TK, D + 2)))
    assert tuple(layer.kernel.shape) == (D, D + 2)


@pytest.mark.parametrize("training", [False, True])
def test_general_scores_from_ops_equal_the_kernel_on_the_projected_query(qvk, training):
    """score="general" (ops.general_scores) gives what score="dot" gives for q W_a, dropout included."""
    query, value, key = qvk
    general = DotProductAttention(score="general", dropout=0.5, seed=3, dtype="float64")
    masks = {"value_mask": np.array([[1, 1, 1, 0], [1, 0, 1, 1]], bool)}
    general(query, value, key=key)
    dot = DotProductAttention(score="dot", dropout=0.5, seed=3, dtype="float64")
    projected = query @ general.kernel.numpy()  # [B, Tq, Dk]
    for use_causal_mask in (False, True):
        got = general(query, value, key=key, training=training, use_causal_mask=use_causal_mask,
                      return_attention_scores=True, **masks)
        want = dot(projected, value, key=key, training=training, use_causal_mask=use_causal_mask,
                   return_attention_scores=True, **masks)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-12)


def random_masks(rng):
    query_mask = np.array([[1, 1, 0], [1, 1, 1]], bool)
    value_mask = np.array([[1, 1, 1, 0], [1, 0, 1, 1]], bool)
    attention_mask = rng.random((B, TQ, TK)) > 0.3
    attention_mask[..., 0] = True
    return {"query_mask": query_mask, "value_mask": value_mask, "attention_mask": attention_mask}


@pytest.mark.parametrize("dtype", [bool, np.int32, np.float32])
@pytest.mark.parametrize("names", [("query_mask",), ("value_mask",), ("attention_mask",),
                                   ("query_mask", "value_mask", "attention_mask")])
def test_masks_equal_explicit_mask_reference(qvk, rng, dtype, names):
    query, value, key = qvk
    masks = {name: mask for name, mask in random_masks(rng).items() if name in names}
    layer = DotProductAttention(score="dot", dtype="float64")
    output, weights = layer(query, value, key=key, return_attention_scores=True,
                            **{name: mask.astype(dtype) for name, mask in masks.items()})
    want_output, want_weights = ref.dot_product_attention_layer(query, value, key, **masks)
    np.testing.assert_allclose(weights.numpy(), want_weights, rtol=1e-12)
    np.testing.assert_allclose(output.numpy(), want_output, rtol=1e-12)


def test_causal_mask_is_bottom_right_aligned(qvk):
    query, value, key = qvk  # Tq=3 < Tk=4
    _, weights = DotProductAttention(dtype="float64")(query, value, key=key, use_causal_mask=True,
                                                      return_attention_scores=True)
    _, want = ref.dot_product_attention_layer(query, value, key, use_causal_mask=True)
    np.testing.assert_allclose(weights.numpy(), want, rtol=1e-12)
    np.testing.assert_array_equal(weights.numpy()[:, 0, 2:], 0.0)


# Parity with keras.layers.Attention (score="dot") -------------------------------------------

def keras_and_ours(inputs, **kwargs):
    theirs = keras.layers.Attention()(inputs, return_attention_scores=True, **kwargs)
    ours = DotProductAttention(score="dot")(inputs, return_attention_scores=True, **kwargs)
    return theirs, ours


def assert_parity(theirs, ours):
    for got, want in zip(ours, theirs):
        assert got.shape == want.shape
        np.testing.assert_allclose(got.numpy(), want.numpy(), atol=1e-5)


@pytest.fixture
def qvk32(qvk):
    return [x.astype(np.float32) for x in qvk]


def test_keras_parity_list_call(qvk32):
    query, value, key = qvk32
    assert_parity(*keras_and_ours([query, key]))
    assert_parity(*keras_and_ours([query, value, key]))


def test_keras_parity_with_mask_list(qvk32):
    query, _, value = qvk32
    masks = [np.array([[1, 1, 0], [1, 1, 1]], bool), np.array([[1, 1, 1, 0], [1, 0, 0, 1]], bool)]
    theirs, ours = keras_and_ours([query, value], mask=masks)
    assert_parity(theirs, ours)
    np.testing.assert_array_equal(ours[0].numpy()[0, 2], 0.0)


def test_keras_parity_with_causal_mask(rng):
    query, value = rng.normal(size=(B, TK, D)).astype("float32"), rng.normal(size=(B, TK, D)).astype("float32")
    mask = [None, np.array([[1, 1, 1, 0], [1, 1, 1, 1]], bool)]
    assert_parity(*keras_and_ours([query, value], use_causal_mask=True))
    assert_parity(*keras_and_ours([query, value], use_causal_mask=True, mask=mask))


def test_keras_parity_with_embedding_masks():
    query_ids = np.array([[2, 6, 0], [7, 1, 8]])
    value_ids = np.array([[3, 1, 4, 0], [5, 8, 0, 0]])
    query_in, value_in = keras.Input((TQ,), dtype="int32"), keras.Input((TK,), dtype="int32")
    embed = keras.layers.Embedding(9, D, mask_zero=True)
    query, value = embed(query_in), embed(value_in)
    outputs = [layer([query, value], return_attention_scores=True)
               for layer in (keras.layers.Attention(), DotProductAttention())]
    model = keras.Model([query_in, value_in], [*outputs[0], *outputs[1]])
    their_output, their_weights, our_output, our_weights = model.predict([query_ids, value_ids], verbose=0)
    np.testing.assert_allclose(our_output, their_output, atol=1e-5)
    np.testing.assert_allclose(our_weights, their_weights, atol=1e-5)
    np.testing.assert_array_equal(our_output[0, 2], 0.0)
    np.testing.assert_array_equal(our_weights[1, :, 2:], 0.0)


# Bad arguments -------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, received", [
    ({"score": "bogus"}, "score='bogus'"),
    ({"dropout": 1.5}, "dropout=1.5"),
    ({"dropout": -0.1}, "dropout=-0.1"),
    ({"seed": -1}, "seed=-1"),
    ({"seed": 1.5}, "seed=1.5"),
    ({"implementation": "x"}, "implementation='x'"),
    ({"score": "general", "implementation": "chunked"}, "implementation='chunked'"),
])
def test_bad_constructor_arguments(kwargs, received):
    with pytest.raises(ValueError, match="Received: ") as error:
        DotProductAttention(**kwargs)
    assert received in str(error.value)


@pytest.mark.parametrize("case, name", [
    ("depth mismatch", "key_shape"),
    ("query_mask too long", "query_mask"),
    ("value_mask too long", "value_mask"),
    ("value_mask of rank 3", "value_mask"),
    ("attention_mask swapped", "attention_mask"),
    ("attention_mask of rank 2", "attention_mask"),
    ("query of rank 2", "query_shape=(2, 5)"),
    ("query of rank 2 in a list", "query_shape=(2, 5)"),
    ("value of rank 4", "value_shape=(2, 4, 6, 1)"),
    ("key and value lengths differ", "key_shape=(2, 3, 5)"),
    ("batch sizes differ", "value_shape=(3, 4, 6)"),
    ("batch sizes differ on a built layer", "value_shape=(3, 4, 6)"),
])
def test_bad_call_arguments(qvk32, case, name):
    query, value, key = qvk32
    built = DotProductAttention()
    built(query, value, key=key)
    calls = {
        "query of rank 2": lambda: DotProductAttention()(query[:, 0], value, key=key),
        "query of rank 2 in a list": lambda: DotProductAttention()([query[:, 0], value]),
        "value of rank 4": lambda: DotProductAttention()(query, value[..., None], key=key),
        "key and value lengths differ": lambda: DotProductAttention()(query, value, key=key[:, :-1]),
        "batch sizes differ": lambda: DotProductAttention()(query, np.concatenate([value, value[:1]])),
        "batch sizes differ on a built layer": lambda: built(query, np.concatenate([value, value[:1]])),
        "depth mismatch": lambda: DotProductAttention("dot")(query, value, key=key[..., :-1]),
        "query_mask too long": lambda: DotProductAttention()(query, value, key=key,
                                                             query_mask=np.ones((B, TQ + 1), bool)),
        "value_mask too long": lambda: DotProductAttention()(query, value, key=key,
                                                             value_mask=np.ones((B, TK + 1), bool)),
        "value_mask of rank 3": lambda: DotProductAttention()(query, value, key=key,
                                                              value_mask=np.ones((B, TK, 1), bool)),
        "attention_mask swapped": lambda: DotProductAttention()(query, value, key=key,
                                                                attention_mask=np.ones((B, TK, TQ), bool)),
        "attention_mask of rank 2": lambda: DotProductAttention()(query, value, key=key,
                                                                  attention_mask=np.ones((TQ, TK), bool)),
    }
    with pytest.raises(ValueError, match="Received: ") as error:
        calls[case]()
    assert "Received: " in error_message(error) and name in error_message(error)


def test_rank_2_query_is_named_as_the_user_passed_it(rng):
    query, value = rng.normal(size=(2, 8)).astype("float32"), rng.normal(size=(2, 4, 8)).astype("float32")
    with pytest.raises(ValueError) as error:
        DotProductAttention()(query, value)
    assert error_message(error).strip() == "expected query of rank 3 [B, Tq, Dq]. Received: query_shape=(2, 8)"


def test_unknown_batch_and_lengths_pass_the_checks(qvk32):
    query, value, key = qvk32
    inputs = [keras.Input((None, D)), keras.Input((None, DV)), keras.Input((None, D))]
    model = keras.Model(inputs, DotProductAttention("scaled_dot")(inputs[0], inputs[1], key=inputs[2]))
    assert model.predict([query, value, key], verbose=0).shape == (B, TQ, DV)
