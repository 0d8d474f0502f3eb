"""TransformerEncoderBlock: float64 reference (pre- and post-norm), masks, dropout, saving."""

from __future__ import annotations

import inspect

import keras
import numpy as np
import pytest
import tensorflow as tf

from attnflow.layers import TransformerEncoderBlock
from tests import reference as ref

B, T, D, H, FF = 2, 4, 6, 2, 5
LENGTHS = np.array([4, 2])
MASK = np.arange(T)[None, :] < LENGTHS[:, None]  # [B, T]


def layer_norm(x, gamma, beta, epsilon=1e-5):
    mean = x.mean(-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + epsilon) * gamma + beta


def block_reference(block, x, mask=None, attention_mask=None):
    """The encoder block from its definition, in float64, given the block's weights."""
    x = ref.f64(x)
    attention_weights = block.self_attention.get_weights()
    w1, b1 = block.intermediate_dense.get_weights()
    w2, b2 = block.output_dense.get_weights()

    def attend(h):
        return ref.multi_head_attention(h, h, weights=attention_weights, query_mask=mask,
                                        value_mask=mask, attention_mask=attention_mask)

    def feedforward(h):
        return np.maximum(h @ w1 + b1, 0.0) @ w2 + b2

    norm1 = lambda h: layer_norm(h, *block.attention_norm.get_weights())  # noqa: E731
    norm2 = lambda h: layer_norm(h, *block.feedforward_norm.get_weights())  # noqa: E731
    if block.norm_first:
        attended, weights = attend(norm1(x))
        x = x + attended
        return x + feedforward(norm2(x)), weights
    attended, weights = attend(x)
    x = norm1(x + attended)
    return norm2(x + feedforward(x)), weights


def make_block(**kwargs):
    return TransformerEncoderBlock(**{"num_heads": H, "intermediate_dim": FF, **kwargs})


@pytest.fixture
def inputs(rng):
    return rng.normal(size=(B, T, D)).astype("float32")


@pytest.mark.parametrize("norm_first", [False, True])
def test_matches_float64_reference(inputs, norm_first):
    block = make_block(norm_first=norm_first)
    block(inputs)
    rng = np.random.default_rng(3)  # non-trivial LayerNorm weights
    block.attention_norm.set_weights([rng.normal(size=D), rng.normal(size=D)])
    attention_mask = np.ones((B, T, T), bool)
    attention_mask[0, 0, 2] = False
    out, weights = block(inputs, mask=MASK, attention_mask=attention_mask, return_attention_scores=True)
    want, want_weights = block_reference(block, inputs, MASK, attention_mask)
    assert out.shape == (B, T, D) and weights.shape == (B, H, T, T)
    np.testing.assert_allclose(out.numpy(), want, atol=1e-5)
    np.testing.assert_allclose(weights.numpy(), want_weights, atol=1e-6)
    assert np.all(weights.numpy()[1, :, :, 2:] == 0.0)  # padded keys
    assert np.all(weights.numpy()[0, :, 0, 2] == 0.0)  # attention_mask


@pytest.mark.parametrize("norm_first", [False, True])
def test_padding_changes_nothing_in_real_positions(inputs, rng, norm_first):
    block = make_block(norm_first=norm_first)
    out = block(inputs, mask=MASK).numpy()
    garbage = rng.normal(size=(B, 3, D)).astype("float32") * 100
    padded = np.concatenate([inputs, garbage], axis=1)
    padded_mask = np.concatenate([MASK, np.zeros((B, 3), bool)], axis=1)
    padded_out = block(padded, mask=padded_mask).numpy()
    alone = block(inputs[1:, :2]).numpy()  # element 1 unpadded, no mask at all
    for b, length in enumerate(LENGTHS):
        np.testing.assert_allclose(padded_out[b, :length], out[b, :length], atol=1e-5)
    np.testing.assert_allclose(out[1, :2], alone[0], atol=1e-5)


def test_keras_mask_from_embedding_equals_explicit_mask():
    ids = np.array([[3, 1, 4, 2], [5, 8, 0, 0]])
    embed = keras.layers.Embedding(9, D, mask_zero=True)
    block = make_block()
    token_ids = keras.Input((None,), dtype="int32")
    outputs, weights = block(embed(token_ids), return_attention_scores=True)
    model = keras.Model(token_ids, [outputs, weights])
    got, got_weights = model.predict(ids, verbose=0)
    assert model.outputs[0]._keras_mask is not None
    want, want_weights = block(embed(ids).numpy(), mask=ids != 0, return_attention_scores=True)
    np.testing.assert_allclose(got, want.numpy(), atol=1e-6)
    np.testing.assert_allclose(got_weights, want_weights.numpy(), atol=1e-6)
    # Keras fills `mask` only when inputs is the one tensor argument; with an
    # attention_mask the block reads the Keras mask off the tensor itself.
    embedded = embed(tf.constant(ids))
    with_attention_mask = block(embedded, attention_mask=np.ones((B, T, T), bool),
                                return_attention_scores=True)[1].numpy()
    np.testing.assert_allclose(with_attention_mask, want_weights.numpy(), atol=1e-6)


def test_fully_padded_sequence_gives_finite_outputs_and_gradients(inputs):
    block = make_block(norm_first=True)
    mask = MASK.copy()
    mask[1] = False
    x = tf.constant(inputs)
    with tf.GradientTape() as tape:
        tape.watch(x)
        out, weights = block(x, mask=mask, return_attention_scores=True)
        loss = tf.reduce_sum(out ** 2)
    grads = tape.gradient(loss, [x, *block.trainable_variables])
    assert np.all(np.isfinite(out.numpy())) and np.all(weights.numpy()[1] == 0.0)
    assert all(np.all(np.isfinite(g.numpy())) for g in grads)


def test_dropout_only_in_training(inputs):
    block = make_block(dropout=0.5, attention_dropout=0.5, seed=3)
    plain = make_block()
    plain(inputs)
    block(inputs)
    plain.set_weights(block.get_weights())
    inference = block(inputs, training=False).numpy()
    np.testing.assert_allclose(inference, plain(inputs).numpy(), atol=1e-6)
    np.testing.assert_array_equal(inference, block(inputs, training=False).numpy())
    assert np.abs(block(inputs, training=True).numpy() - inference).max() > 1e-3


def test_tf_function_with_dynamic_shapes(inputs):
    block = make_block()
    expected = block(inputs, mask=MASK, return_attention_scores=True)
    fn = tf.function(lambda x, m: block(x, mask=m, return_attention_scores=True),
                     input_signature=[tf.TensorSpec([None, None, D]), tf.TensorSpec([None, None], tf.bool)])
    for got, want in zip(fn(inputs, MASK), expected):
        np.testing.assert_allclose(got.numpy(), want.numpy(), atol=1e-5)
    assert fn(inputs[:1, :3], MASK[:1, :3])[0].shape == (1, 3, D)


def test_mixed_precision_matches_float32(inputs, mixed_policy):
    block = make_block()
    out, weights = block(inputs, mask=MASK, return_attention_scores=True)
    reference = make_block(dtype="float32")
    reference(inputs)
    reference.set_weights(block.get_weights())
    want = reference(inputs, mask=MASK).numpy()
    assert out.dtype == block.compute_dtype and weights.dtype == tf.float32
    np.testing.assert_allclose(tf.cast(out, tf.float32).numpy(), want, atol=0.1)


def test_config_round_trip_and_keras_save(inputs, tmp_path):
    block = make_block(key_dim=4, dropout=0.1, attention_dropout=0.2, activation="gelu",
                       norm_first=True, layer_norm_epsilon=1e-6, seed=7, implementation="full")
    config = block.get_config()
    init_args = set(inspect.signature(TransformerEncoderBlock.__init__).parameters) - {"self", "kwargs"}
    assert init_args <= set(config)
    assert TransformerEncoderBlock.from_config(config).get_config() == config
    x = keras.Input((None, D))
    outputs, weights = block(x, return_attention_scores=True)
    model = keras.Model(x, [outputs, weights])
    expected = model.predict(inputs, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    for got, want in zip(loaded.predict(inputs, verbose=0), expected):
        np.testing.assert_allclose(got, want, atol=1e-6)


@pytest.mark.parametrize("kwargs,message", [
    ({"num_heads": 0}, "Received: num_heads=0"),
    ({"intermediate_dim": -2}, "Received: intermediate_dim=-2"),
    ({"dropout": 1.0}, "Received: dropout=1.0"),
    ({"attention_dropout": -0.1}, "Received: attention_dropout=-0.1"),
    ({"layer_norm_epsilon": 0}, "Received: layer_norm_epsilon=0"),
    ({"implementation": "flash"}, "Received: implementation='flash'"),
    ({"key_dim": 0}, "Received: key_dim=0"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_block(**kwargs)


def test_model_dim_not_divisible_by_heads_needs_key_dim(rng):
    with pytest.raises(ValueError, match="divisible by num_heads=4.*Received: model_dim=6"):
        make_block(num_heads=4)(rng.normal(size=(B, T, D)).astype("float32"))
    assert make_block(num_heads=4, key_dim=3)(rng.normal(size=(B, T, D)).astype("float32")).shape == (B, T, D)
