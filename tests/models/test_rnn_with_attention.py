"""RNNWithAttention: shapes, masks (padding changes nothing), NaN steps, saving, a tiny overfit."""

from __future__ import annotations

import inspect

import keras
import numpy as np
import pytest
import tensorflow as tf

from attnflow.models import RNNWithAttention
from tests.models.mixed_precision import assert_mixed_precision_matches_float32
from tests.models.round_trip import assert_round_trip

VOCAB, C = 12, 3
IDS = np.array([[3, 5, 7, 2, 0, 0], [4, 4, 9, 1, 6, 11]])  # lengths 4 and 6
LENGTHS = (4, 6)
SMALL = {"embedding_dim": 5, "units": 6, "num_heads": 2}


def make_model(**kwargs):
    return RNNWithAttention(**{"num_classes": C, "vocabulary_size": VOCAB, **SMALL, **kwargs})


def numeric_inputs(rng, batch=2, steps=5, features=3):
    x = rng.normal(size=(batch, steps, features)).astype("float32")
    x[0, 3:] = np.nan  # element 0 has 3 real steps
    return x


@pytest.mark.parametrize("attention,rnn_type,bidirectional,weights_shape", [
    ("bahdanau", "gru", False, (2, 6)),
    ("luong", "lstm", True, (2, 6)),
    ("multihead", "simple", False, (2, 2, 6)),
    ("none", "lstm", False, None),
])
def test_shapes_and_attention_weights(attention, rnn_type, bidirectional, weights_shape):
    model = make_model(attention=attention, rnn_type=rnn_type, bidirectional=bidirectional)
    probabilities, weights = model(IDS, return_attention_scores=True)
    assert probabilities.shape == (2, C) and probabilities.dtype == tf.float32
    np.testing.assert_allclose(probabilities.numpy().sum(-1), 1.0, rtol=1e-6)
    if weights_shape is None:
        assert weights is None
        return
    weights = weights.numpy()
    assert weights.shape == weights_shape
    assert np.all(weights[0, ..., 4:] == 0.0)  # padding never attended
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("attention,bidirectional", [
    ("bahdanau", True), ("luong", False), ("multihead", False), ("none", True)])
def test_padding_changes_nothing(attention, bidirectional):
    model = make_model(attention=attention, bidirectional=bidirectional, rnn_type="gru")
    probabilities, weights = model(IDS, return_attention_scores=True)
    padded_ids = np.concatenate([IDS, np.zeros((2, 3), int)], axis=1)
    padded, padded_weights = model(padded_ids, return_attention_scores=True)
    np.testing.assert_allclose(padded.numpy(), probabilities.numpy(), atol=1e-6)
    alone = model(IDS[:1, :4]).numpy()  # element 0 without any padding
    np.testing.assert_allclose(alone[0], probabilities.numpy()[0], atol=1e-6)
    if weights is not None:
        np.testing.assert_allclose(padded_weights.numpy()[..., :6], weights.numpy(), atol=1e-6)


def test_nan_steps_are_masked_and_stats_standardize(rng):
    x = numeric_inputs(rng)
    mean, std = [0.5, -1.0, 2.0], [2.0, 0.5, 1.0]
    model = RNNWithAttention(C, units=6, attention="bahdanau", feature_mean=mean, feature_std=std)
    probabilities, weights = model(x, return_attention_scores=True)
    assert np.all(np.isfinite(probabilities.numpy()))
    assert np.all(weights.numpy()[0, 3:] == 0.0)
    alone = model(x[:1, :3]).numpy()
    np.testing.assert_allclose(alone[0], probabilities.numpy()[0], atol=1e-6)
    plain = RNNWithAttention(C, units=6, attention="bahdanau")
    plain(x)
    plain.set_weights(model.get_weights())
    standardized = (x - np.array(mean, "float32")) / np.array(std, "float32")
    np.testing.assert_allclose(plain(standardized).numpy(), probabilities.numpy(), atol=1e-6)


def test_keras_save_and_load_token_and_numeric(rng, tmp_path):
    x = numeric_inputs(rng)
    for model, inputs in ((make_model(attention="luong", rnn_type="lstm", dropout=0.2, l2=1e-3, seed=3), IDS),
                          (RNNWithAttention(C, units=4, attention="multihead", num_heads=2,
                                            feature_mean=[0, 0, 0], feature_std=[1, 2, 3]), x)):
        loaded = assert_round_trip(model, inputs, tmp_path / "m.keras")
        np.testing.assert_allclose(loaded.predict(inputs, verbose=0), model(inputs).numpy(), atol=1e-6)


def test_config_holds_every_argument():
    model = make_model(rnn_type="lstm", bidirectional=True, attention="multihead", attention_units=7,
                       concat_state=False, dropout=0.3, l2=0.01, activation=None, seed=9)
    config = model.get_config()
    init_args = set(inspect.signature(RNNWithAttention.__init__).parameters) - {"self", "kwargs"}
    assert init_args <= set(config)
    assert RNNWithAttention.from_config(config).get_config() == config


def test_tf_function_with_dynamic_shapes():
    model = make_model()
    expected = model(IDS, return_attention_scores=True)
    fn = tf.function(lambda ids: model(ids, return_attention_scores=True),
                     input_signature=[tf.TensorSpec([None, None], tf.int32)])
    for got, want in zip(fn(tf.constant(IDS, tf.int32)), expected):
        np.testing.assert_allclose(got.numpy(), want.numpy(), atol=1e-6)
    assert fn(tf.constant(IDS[:, :3], tf.int32))[1].shape == (2, 3)


def test_l2_and_logits():
    assert make_model().losses == []
    model = make_model(l2=0.1, activation=None)
    logits = model(IDS).numpy()
    assert len(model.losses) == 1 and float(model.losses[0]) > 0
    assert not np.allclose(logits.sum(-1), 1.0)


@pytest.mark.parametrize("attention,rnn_type", [("bahdanau", "gru"), ("luong", "lstm"), ("multihead", "gru")])
def test_mixed_precision_matches_float32(mixed_policy, attention, rnn_type):
    probabilities, weights = assert_mixed_precision_matches_float32(
        lambda: make_model(attention=attention, rnn_type=rnn_type),
        lambda model: list(model(IDS, return_attention_scores=True)), mixed_policy)
    assert probabilities.dtype == tf.float32 and weights.dtype == tf.float32
    assert np.all(weights.numpy()[0, ..., 4:] == 0.0)


def test_tiny_model_overfits_tiny_problem():
    """Which of the tokens 1, 2, 3 occurs, among filler tokens 4..11, in sequences of length 2..6."""
    rng = np.random.default_rng(0)
    ids = np.zeros((24, 6), int)
    labels = np.arange(24) % 3
    for i, label in enumerate(labels):
        length = rng.integers(2, 7)
        ids[i, :length] = rng.integers(4, VOCAB, size=length)
        ids[i, rng.integers(0, length)] = label + 1
    model = make_model(embedding_dim=8, units=16, attention="bahdanau", seed=0)
    model.compile(keras.optimizers.Adam(0.03), "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(ids, labels, epochs=15, batch_size=24, verbose=0)
    assert history.history["loss"][-1] < 0.1 * history.history["loss"][0]
    assert (model.predict(ids, verbose=0).argmax(-1) == labels).mean() == 1.0


@pytest.mark.parametrize("kwargs,message", [
    ({"num_classes": 1}, "Received: num_classes=1"),
    ({"rnn_type": "transformer"}, "Received: rnn_type='transformer'"),
    ({"attention": "luong-dot"}, "Received: attention='luong-dot'"),
    ({"units": 0}, "Received: units=0"),
    ({"dropout": 1.5}, "Received: dropout=1.5"),
    ({"l2": -0.1}, "Received: l2=-0.1"),
    ({"activation": "sigmoid"}, "Received: activation='sigmoid'"),
    ({"feature_mean": [0.0]}, "Received: feature_mean=\\[0.0\\], feature_std=None"),
    ({"vocabulary_size": None, "feature_mean": [0.0], "feature_std": [0.0]}, "Received: feature_std=\\[0.0\\]"),
    ({"feature_mean": [0.0], "feature_std": [1.0]}, "Received: vocabulary_size=12"),
    ({"conv_filters": [4, 0]}, "Received: conv_filters=\\[4, 0\\]"),
    ({"conv_filters": 8}, "Received: conv_filters=8"),
    ({"conv_filters": [4, 4], "conv_kernel_sizes": [3]}, "Received: conv_kernel_sizes=\\[3\\]"),
    ({"rnn_type": "none"}, "Received: rnn_type='none', conv_filters=\\[\\]"),
    ({"attention_dropout": 1.0}, "Received: attention_dropout=1.0"),
    ({"context_dropout": -0.1}, "Received: context_dropout=-0.1"),
    ({"context_dropout": 0.5, "concat_state": False}, "Received: context_dropout=0.5, concat_state=False"),
    ({"members": 0}, "Received: members=0"),
    ({"members": 3}, "Received: members=3, vocabulary_size=12"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_model(**kwargs)


def test_wrong_inputs_are_errors(rng):
    with pytest.raises(ValueError, match="token ids \\[B, T\\]"):
        make_model()(rng.normal(size=(2, 3, 4)).astype("float32"))
    with pytest.raises(ValueError, match="inputs with 2 features"):
        RNNWithAttention(C, feature_mean=[0, 0], feature_std=[1, 1])(rng.normal(size=(2, 3, 4)).astype("float32"))



def test_head_reads_context_and_final_state():
    for kwargs, inputs in (({}, 12), ({"concat_state": False}, 6), ({"attention": "none"}, 6),
                           ({"bidirectional": True}, 24)):
        model = make_model(**kwargs)
        model(IDS)
        assert model.head.kernel.shape == (inputs, C), kwargs


CONV = {"conv_filters": [4, 5], "conv_kernel_sizes": [3, 2]}


def conv_reference(model, x):
    """The convolutional front end and the masked mean of its outputs, in float64 NumPy:
    standardize, zero the masked steps, then per layer a "same" convolution (Keras pads
    (k - 1) // 2 steps before), inference batch normalization, ReLU, masked steps zeroed."""
    mask = np.all(np.isfinite(x), axis=-1)  # [B, T]
    values = (x - np.array(model.feature_mean)) / np.array(model.feature_std)
    values = np.where(mask[..., None], values, 0.0).astype(np.float64)  # [B, T, F]
    for convolution, norm in model.convolutions:
        kernel, bias = (w.astype(np.float64) for w in convolution.get_weights())  # [k, F, C], [C]
        size = kernel.shape[0]
        before = (size - 1) // 2
        padded = np.pad(values, ((0, 0), (before, size - 1 - before), (0, 0)))
        values = sum(padded[:, i:i + x.shape[1]] @ kernel[i] for i in range(size)) + bias  # [B, T, C]
        gamma, beta, mean, variance = (w.astype(np.float64) for w in norm.get_weights())
        values = gamma * (values - mean) / np.sqrt(variance + norm.epsilon) + beta
        values = np.maximum(values, 0.0) * mask[..., None]
    return values, values.sum(axis=1) / mask.sum(axis=1, keepdims=True)  # [B, T, C], [B, C]


@pytest.mark.parametrize("attention", ["multihead", "bahdanau", "none"])
def test_convolutions_without_rnn_match_reference(rng, attention):
    x = numeric_inputs(rng, steps=7)
    model = RNNWithAttention(C, rnn_type="none", attention=attention, num_heads=2, feature_mean=[0.5, 0, -1],
                             feature_std=[1, 2, 0.5], **CONV)
    model(x)
    for _, norm in model.convolutions:  # moving statistics other than 0 and 1
        norm.set_weights([rng.uniform(0.5, 2, size=w.shape) for w in norm.get_weights()])
    outputs, state = conv_reference(model, x)
    probabilities, weights = model(x, return_attention_scores=True)
    if attention == "none":  # the head reads the mean over the real steps
        logits = state @ model.head.get_weights()[0] + model.head.get_weights()[1]
        expected = np.exp(logits - logits.max(-1, keepdims=True))
        np.testing.assert_allclose(probabilities.numpy(), expected / expected.sum(-1, keepdims=True),
                                   rtol=1e-5, atol=1e-6)
        return
    assert np.all(weights.numpy()[0, ..., 3:] == 0.0)  # padded steps never attended
    encoded, got_state = model._encode(*model._embed(x), training=False)
    np.testing.assert_allclose(encoded.numpy(), outputs, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got_state.numpy(), state, rtol=1e-4, atol=1e-5)


def test_convolutions_padding_changes_nothing_and_round_trip(rng, tmp_path):
    x = numeric_inputs(rng, steps=6)
    model = RNNWithAttention(C, units=4, attention="multihead", num_heads=2, **CONV)
    probabilities, weights = model(x, return_attention_scores=True)
    padded = np.concatenate([x, np.full((2, 4, 3), np.nan, np.float32)], axis=1)
    np.testing.assert_allclose(model(padded).numpy(), probabilities.numpy(), atol=1e-6)
    np.testing.assert_allclose(model(x[:1, :3]).numpy()[0], probabilities.numpy()[0], atol=1e-6)
    assert [layer.kernel.shape[0] for layer, _ in model.convolutions] == [3, 2]
    assert RNNWithAttention(C, conv_filters=[4, 4]).conv_kernel_sizes == [5, 5]
    loaded = assert_round_trip(model, x, tmp_path / "conv.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), probabilities.numpy(), atol=1e-6)


@pytest.mark.parametrize("attention", ["bahdanau", "luong", "multihead"])
def test_attention_dropout_acts_while_training_only(attention):
    """The weights returned are those before dropout (as Keras's); the context is what changes."""
    for rate in (0.0, 0.5):
        model = make_model(attention=attention, attention_dropout=rate, seed=1)
        inference, weights = (t.numpy() for t in model(IDS, return_attention_scores=True))
        trained, trained_weights = (t.numpy() for t in model(IDS, return_attention_scores=True, training=True))
        np.testing.assert_allclose(trained_weights, weights, rtol=1e-6)
        assert np.allclose(trained, inference, atol=1e-7) == (rate == 0.0)
        np.testing.assert_allclose(model(IDS).numpy(), inference, rtol=1e-6)


def test_context_dropout_drops_whole_contexts_while_training_only(rng):
    """While training, each example's head reads [context / (1 - rate); state] or [0; state],
    never a mix; at inference [context; state]. Without attention there is nothing to drop."""
    x = numeric_inputs(rng, batch=64, steps=5)
    model = RNNWithAttention(C, units=4, attention="multihead", num_heads=2, context_dropout=0.5, seed=3,
                             feature_mean=[0, 0, 0], feature_std=[1, 1, 1])
    inference = model(x).numpy()
    outputs, state = model._encode(*model._embed(x))
    context, _ = model._attend(outputs, state, model._embed(x)[1])

    def head(read):
        return model.head(tf.concat([read, state], axis=-1)).numpy()

    np.testing.assert_allclose(inference, head(context), rtol=1e-5, atol=1e-6)
    trained = model(x, training=True).numpy()
    kept = np.all(np.isclose(trained, head(context * 2.0), rtol=1e-5, atol=1e-6), axis=1)
    dropped = np.all(np.isclose(trained, head(tf.zeros_like(context)), rtol=1e-5, atol=1e-6), axis=1)
    assert np.all(kept ^ dropped) and 12 < dropped.sum() < 52  # Binomial(64, 0.5): 32 +- 4
    twin = RNNWithAttention(C, units=4, attention="none", context_dropout=0.5, seed=3,
                            feature_mean=[0, 0, 0], feature_std=[1, 1, 1])
    np.testing.assert_allclose(twin(x, training=True).numpy(), twin(x).numpy(), rtol=1e-6)


def series_members(members, seed, **kwargs):
    settings = {"units": 4, "rnn_type": "gru", "attention": "multihead", "num_heads": 2, "l2": 0.05,
                "feature_mean": [0, 0, 0], "feature_std": [1, 1, 1], **kwargs}
    return RNNWithAttention(C, members=members, seed=seed, **settings)


def test_members_average_and_each_trains_like_a_lone_network(rng, tmp_path):
    x = numeric_inputs(rng, batch=24, steps=6)
    labels = rng.integers(0, C, 24)
    ensemble = series_members(3, seed=4)
    probabilities, weights = ensemble(x, return_attention_scores=True)
    assert [member.seed for member in ensemble.member_models] == [4, 5, 6]
    each = [member(x, return_attention_scores=True) for member in ensemble.member_models]
    np.testing.assert_allclose(probabilities, np.mean([p for p, _ in each], axis=0), atol=1e-6)
    np.testing.assert_allclose(weights, np.mean([w for _, w in each], axis=0), atol=1e-6)
    assert weights.shape == (24, 2, 6) and len(ensemble.losses) == 3  # one L2 per member's head
    # Member 2 and a lone network from the same weights, fitted on the same batches, end identical
    # (its own loss and its own L2, nothing of the other members).
    alone = series_members(1, seed=6)
    alone(x)
    alone.set_weights(ensemble.member_models[2].get_weights())
    for model in (ensemble, alone):
        model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
        model.fit(x, labels, epochs=3, batch_size=8, shuffle=False, verbose=0)
    np.testing.assert_allclose(ensemble.member_models[2](x).numpy(), alone(x).numpy(), atol=1e-5)
    assert np.abs(ensemble.member_models[0](x).numpy() - alone(x).numpy()).max() > 1e-3  # members differ
    loaded = assert_round_trip(ensemble, x, tmp_path / "ensemble.keras")
    assert loaded.members == 3 and len(loaded.member_models) == 3
    assert series_members(2, seed=None, attention="none")(x, return_attention_scores=True)[1] is None
