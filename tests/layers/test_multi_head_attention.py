"""MultiHeadAttention: reference, masks, drop-in parity with keras.layers.MultiHeadAttention."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from attnflow.layers import MultiHeadAttention
from tests import reference as ref
from tests.layer_battery import LayerBattery, error_message
from tests.reference import B, D, H, TK, TQ

DV, DK, KEY_DIM, VALUE_DIM = 6, 7, 3, 4


class TestBattery(LayerBattery):
    layer_class = MultiHeadAttention
    init_kwargs = {"num_heads": H, "key_dim": KEY_DIM, "value_dim": VALUE_DIM}
    config_kwargs = {"num_heads": H, "key_dim": KEY_DIM, "value_dim": VALUE_DIM, "dropout": 0.25,
                     "output_shape": (8,), "seed": 5, "implementation": "full",
                     "use_gate": True, "sliding_window": 2, "flash_attention": False}
    input_shapes = {"query": (B, TQ, D), "value": (B, TK, DV), "key": (B, TK, DK)}


@pytest.fixture
def inputs(rng):
    return rng.normal(size=(B, TQ, D)), rng.normal(size=(B, TK, DV)), rng.normal(size=(B, TK, DK))


def float64_layer(query, value, key=None, **kwargs):
    layer = MultiHeadAttention(H, KEY_DIM, dtype="float64", bias_initializer="random_normal", **kwargs)
    layer(query, value, key=key)
    return layer


@pytest.mark.parametrize("case", ["self", "cross", "cross with key", "value_dim and output_shape",
                                  "no bias"])
def test_matches_float64_reference(inputs, case):
    query, value, key = inputs
    kwargs = {}
    if case == "self":
        value = query
    if case != "cross with key":
        key = None
    if case == "value_dim and output_shape":
        kwargs = {"value_dim": VALUE_DIM, "output_shape": (2, 4)}
    if case == "no bias":
        kwargs = {"use_bias": False}
    layer = float64_layer(query, value, key, **kwargs)
    output, weights = layer(query, value, key=key, return_attention_scores=True)
    want_output, want_weights = ref.multi_head_attention(query, value, key, weights=layer.get_weights(),
                                                         use_bias=kwargs.get("use_bias", True))
    assert weights.shape == (B, H, TQ, value.shape[1])
    assert output.shape == want_output.shape == (B, TQ, *kwargs.get("output_shape", (D,)))
    np.testing.assert_allclose(weights.numpy(), want_weights, rtol=1e-12)
    np.testing.assert_allclose(output.numpy(), want_output, rtol=1e-10, atol=1e-12)


def test_attention_bias_is_added_to_the_scaled_scores(inputs, rng):
    query, value, _ = inputs
    bias = rng.normal(size=(1, H, TQ, TK)) * 3.0  # broadcast over the batch
    value_mask = np.array([[1, 1, 1, 0], [1, 0, 1, 1]], bool)
    layer = float64_layer(query, value)
    output, weights = layer(query, value, value_mask=value_mask, attention_bias=bias, return_attention_scores=True)
    want_output, want_weights = ref.multi_head_attention(query, value, weights=layer.get_weights(),
                                                         value_mask=value_mask, attention_bias=bias)
    np.testing.assert_allclose(weights.numpy(), want_weights, rtol=1e-12)
    np.testing.assert_allclose(output.numpy(), want_output, rtol=1e-10, atol=1e-12)
    _, unbiased = layer(query, value, value_mask=value_mask, return_attention_scores=True)
    assert np.abs(weights.numpy() - unbiased.numpy()).max() > 0.05  # the bias moved the weights
    assert np.all(weights.numpy()[0, ..., 3] == 0.0)  # and a masked key stays masked


def random_masks(rng):
    attention_mask = rng.random((B, H, TQ, TK)) > 0.3
    attention_mask[..., 2] = True
    return {"query_mask": np.array([[1, 1, 0], [1, 1, 1]], bool),
            "value_mask": np.array([[1, 1, 1, 0], [1, 0, 1, 1]], bool),
            "key_mask": np.array([[0, 1, 1, 1], [1, 1, 1, 1]], bool),
            "attention_mask": attention_mask[:, 0],
            "attention_mask_4d": attention_mask}


@pytest.mark.parametrize("dtype", [bool, np.int32, np.float32])
@pytest.mark.parametrize("names", [("query_mask",), ("value_mask",), ("key_mask",), ("attention_mask",),
                                   ("attention_mask_4d",), ("query_mask", "value_mask", "attention_mask_4d")])
def test_masks_equal_explicit_mask_reference(inputs, rng, dtype, names):
    query, value, key = inputs
    masks = {name.replace("_4d", ""): mask for name, mask in random_masks(rng).items() if name in names}
    layer = float64_layer(query, value, key)
    output, weights = layer(query, value, key=key, return_attention_scores=True,
                            **{name: mask.astype(dtype) for name, mask in masks.items()})
    key_mask = masks.pop("key_mask", None)
    if key_mask is not None:
        masks["value_mask"] = key_mask
    want_output, want_weights = ref.multi_head_attention(query, value, key, weights=layer.get_weights(), **masks)
    np.testing.assert_allclose(weights.numpy(), want_weights, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(output.numpy(), want_output, rtol=1e-10, atol=1e-12)


def test_padded_query_rows_attend_to_nothing(inputs):
    query, value, key = inputs
    layer = float64_layer(query, value, key)
    query_mask = np.array([[1, 1, 0], [1, 1, 1]], bool)
    output, weights = layer(query, value, key=key, query_mask=query_mask, return_attention_scores=True)
    np.testing.assert_array_equal(weights.numpy()[0, :, 2], 0.0)
    # No attention: the output projection sees zeros and gives its bias.
    np.testing.assert_allclose(output.numpy()[0, 2], layer.output_dense.bias.numpy(), rtol=1e-12)


def test_causal_mask_is_bottom_right_aligned(inputs):
    query, value, key = inputs  # Tq=3 < Tk=4: query i sees keys 0 .. i + 1
    layer = float64_layer(query, value, key)
    output, weights = layer(query, value, key=key, use_causal_mask=True, return_attention_scores=True)
    want_output, want_weights = ref.multi_head_attention(query, value, key, weights=layer.get_weights(),
                                                         use_causal_mask=True)
    np.testing.assert_allclose(weights.numpy(), want_weights, rtol=1e-12)
    np.testing.assert_allclose(output.numpy(), want_output, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(weights.numpy()[:, :, 0, 2:], 0.0)
    assert np.all(weights.numpy()[:, :, 2] > 0)


# Drop-in parity with keras.layers.MultiHeadAttention --------------------------------------

def twin_layers(query, value, key=None, **kwargs):
    """A Keras layer and ours holding the same weights."""
    theirs = keras.layers.MultiHeadAttention(**kwargs)
    theirs(query, value, key=key)
    ours = MultiHeadAttention(**kwargs)
    ours(query, value, key=key)
    assert [w.shape for w in ours.weights] == [w.shape for w in theirs.weights]
    ours.set_weights(theirs.get_weights())
    return theirs, ours


PARITY_CASES = {
    "self": dict(kwargs={}, self_attention=True),
    "cross": dict(kwargs={}),
    "cross with key, value_dim, output_shape": dict(
        kwargs={"value_dim": VALUE_DIM, "output_shape": (8,)}, with_key=True),
    "no bias": dict(kwargs={"use_bias": False}, with_key=True),
    "value_mask": dict(kwargs={}, masks=("value_mask",)),
    "key_mask": dict(kwargs={}, masks=("key_mask",), with_key=True),
    "attention_mask": dict(kwargs={}, masks=("attention_mask",)),
    "value and attention masks": dict(kwargs={}, masks=("value_mask", "attention_mask"), with_key=True),
    "causal": dict(kwargs={}, self_attention=True, causal=True),
    "causal with value_mask": dict(kwargs={}, self_attention=True, causal=True, masks=("value_mask",)),
    "use_gate": dict(kwargs={"use_gate": True, "value_dim": VALUE_DIM}, with_key=True),
    "use_gate without bias": dict(kwargs={"use_gate": True, "use_bias": False}),
    "sliding_window": dict(kwargs={"sliding_window": 2}, self_attention=True),
    "causal sliding_window with value_mask": dict(kwargs={"sliding_window": 2}, self_attention=True,
                                                  causal=True, masks=("value_mask",)),
}


@pytest.mark.parametrize("return_scores", [False, True])
@pytest.mark.parametrize("case", list(PARITY_CASES))
def test_keras_parity_with_copied_weights(inputs, rng, case, return_scores):
    spec = PARITY_CASES[case]
    query, value, key = (x.astype(np.float32) for x in inputs)
    if spec.get("self_attention"):
        value = query  # Tq == Tk, where the two causal alignments agree
    key = key[:, : value.shape[1]] if spec.get("with_key") else None
    masks = random_masks(rng)
    masks = {name: masks[name][:, : value.shape[1]] if name != "attention_mask"
             else masks[name][:, :, : value.shape[1]] for name in spec.get("masks", ())}
    theirs, ours = twin_layers(query, value, key, num_heads=H, key_dim=KEY_DIM, **spec["kwargs"])
    call = dict(key=key, use_causal_mask=spec.get("causal", False), return_attention_scores=return_scores,
                **masks)
    want, got = theirs(query, value, **call), ours(query, value, **call)
    if return_scores:
        np.testing.assert_allclose(got[1].numpy(), want[1].numpy(), atol=1e-5)
        want, got = want[0], got[0]
    assert got.shape == want.shape
    np.testing.assert_allclose(got.numpy(), want.numpy(), atol=1e-5)


@pytest.mark.parametrize("self_attention", [True, False])
def test_keras_parity_with_embedding_masks(self_attention):
    query_ids = np.array([[2, 6, 0], [7, 1, 8]])
    value_ids = query_ids if self_attention else np.array([[3, 1, 4, 0], [5, 8, 0, 0]])
    query_in = keras.Input((TQ,), dtype="int32")
    value_in = query_in if self_attention else keras.Input((TK,), dtype="int32")
    embed = keras.layers.Embedding(9, D, mask_zero=True)
    query, value = embed(query_in), embed(value_in)
    theirs, ours = keras.layers.MultiHeadAttention(H, KEY_DIM), MultiHeadAttention(H, KEY_DIM)
    outputs = [theirs(query, value, use_causal_mask=self_attention, return_attention_scores=True),
               ours(query, value, use_causal_mask=self_attention, return_attention_scores=True)]
    ours.set_weights(theirs.get_weights())
    model_inputs = [query_in] if self_attention else [query_in, value_in]
    model = keras.Model(model_inputs, [*outputs[0], *outputs[1]])
    data = [query_ids] if self_attention else [query_ids, value_ids]
    their_output, their_weights, our_output, our_weights = model.predict(data, verbose=0)
    np.testing.assert_allclose(our_weights, their_weights, atol=1e-5)
    np.testing.assert_allclose(our_output, their_output, atol=1e-5)
    np.testing.assert_array_equal(our_weights[0, :, 2], 0.0)  # padded query
    # Padded keys get weight 0: [B, H, Tq, Tk] -> [B, Tk, H, Tq], picked by the [B, Tk] padding.
    np.testing.assert_array_equal(our_weights.transpose(0, 3, 1, 2)[value_ids == 0], 0.0)


def test_keras_parity_without_scores_on_unpadded_queries():
    """Without scores Keras runs a fused kernel whose padded query rows differ; real rows agree."""
    query_ids = np.array([[2, 6, 0], [7, 1, 8]])
    query_in = keras.Input((TQ,), dtype="int32")
    query = keras.layers.Embedding(9, D, mask_zero=True)(query_in)
    theirs, ours = keras.layers.MultiHeadAttention(H, KEY_DIM), MultiHeadAttention(H, KEY_DIM)
    outputs = [theirs(query, query), ours(query, query)]
    ours.set_weights(theirs.get_weights())
    their_output, our_output = keras.Model(query_in, outputs).predict(query_ids, verbose=0)
    real = query_ids != 0
    np.testing.assert_allclose(our_output[real], their_output[real], atol=1e-5)


def test_output_keeps_the_query_keras_mask():
    query_in = keras.Input((TQ,), dtype="int32")
    query = keras.layers.Embedding(9, D, mask_zero=True)(query_in)
    output = MultiHeadAttention(H, KEY_DIM)(query, query)
    pooled = keras.layers.GlobalAveragePooling1D()(output)  # averages the real positions only
    model = keras.Model(query_in, [output, pooled])
    ids = np.array([[2, 6, 0], [7, 1, 8]])
    output, pooled = model.predict(ids, verbose=0)
    np.testing.assert_allclose(pooled[0], output[0, :2].mean(0), atol=1e-6)


# Bad arguments ---------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, received", [
    ({"num_heads": -1, "key_dim": 2}, "num_heads=-1"),
    ({"num_heads": 0, "key_dim": 2}, "num_heads=0"),
    ({"num_heads": 2, "key_dim": 0}, "key_dim=0"),
    ({"num_heads": 2, "key_dim": 2.5}, "key_dim=2.5"),
    ({"num_heads": 2, "key_dim": 2, "value_dim": 0}, "value_dim=0"),
    ({"num_heads": 2, "key_dim": 2, "dropout": 1.5}, "dropout=1.5"),
    ({"num_heads": 2, "key_dim": 2, "seed": -1}, "seed=-1"),
    ({"num_heads": 2, "key_dim": 2, "output_shape": 0}, "output_shape=(0,)"),
    ({"num_heads": 2, "key_dim": 2, "attention_axes": (2,)}, "attention_axes=(2,)"),
    ({"num_heads": 2, "key_dim": 2, "implementation": "x"}, "implementation='x'"),
    ({"num_heads": 2, "key_dim": 2, "flash_attention": True}, "flash_attention=True"),
    ({"num_heads": 2, "key_dim": 2, "sliding_window": 0}, "sliding_window=0"),
    ({"num_heads": 2, "key_dim": 2, "sliding_window": 1.5}, "sliding_window=1.5"),
    ({"num_heads": 2, "key_dim": 2, "use_gate": "yes"}, "use_gate='yes'"),
])
def test_bad_constructor_arguments(kwargs, received):
    with pytest.raises(ValueError, match="Received: ") as error:
        MultiHeadAttention(**kwargs)
    assert received in str(error.value)


@pytest.mark.parametrize("case, name", [
    ("query of rank 2", "query_shape"),
    ("key and value lengths differ", "key_shape"),
    ("value_mask too long", "value_mask"),
    ("query_mask too long", "query_mask"),
    ("attention_mask of rank 2", "attention_mask"),
    ("attention_mask swapped", "attention_mask"),
    ("attention_mask with too many heads", "attention_mask"),
])
def test_bad_call_arguments(inputs, case, name):
    query, value, key = (x.astype(np.float32) for x in inputs)
    layer = MultiHeadAttention(H, KEY_DIM)
    calls = {
        "query of rank 2": lambda: layer(query[:, 0], value),
        "key and value lengths differ": lambda: layer(query, value, key=key[:, :-1]),
        "value_mask too long": lambda: layer(query, value, value_mask=np.ones((B, TK + 1), bool)),
        "query_mask too long": lambda: layer(query, value, query_mask=np.ones((B, TQ + 1), bool)),
        "attention_mask of rank 2": lambda: layer(query, value, attention_mask=np.ones((TQ, TK), bool)),
        "attention_mask swapped": lambda: layer(query, value, attention_mask=np.ones((B, TK, TQ), bool)),
        "attention_mask with too many heads": lambda: layer(
            query, value, attention_mask=np.ones((B, H + 1, TQ, TK), bool)),
    }
    with pytest.raises(ValueError, match="Received: ") as error:
        calls[case]()
    assert "Received: " in error_message(error) and name in error_message(error)
