"""TransformerClassifier: shapes, masks (padding changes nothing), NaN steps, saving, a tiny overfit."""

from __future__ import annotations

import inspect

import keras
import numpy as np
import pytest
import tensorflow as tf

from attnflow.models import TransformerClassifier
from tests.models.mixed_precision import assert_mixed_precision_matches_float32
from tests.models.round_trip import assert_round_trip

VOCAB, C, D, H = 12, 3, 8, 2
IDS = np.array([[3, 5, 7, 2, 0, 0], [4, 4, 9, 1, 6, 11]])  # lengths 4 and 6
SMALL = {"model_dim": D, "num_heads": H, "intermediate_dim": 6, "num_layers": 2}
BAG = {"num_layers": 0, "positional": "none", "pooling": "mean_attention"}  # bag of embeddings


def make_model(**kwargs):
    return TransformerClassifier(**{"num_classes": C, "vocabulary_size": VOCAB, **SMALL, **kwargs})


@pytest.mark.parametrize("pooling,norm_first,positional", [
    ("mean", True, "sinusoidal"), ("attention", False, "learned")])
def test_shapes_weights_and_padding_invariance(pooling, norm_first, positional):
    model = make_model(pooling=pooling, norm_first=norm_first, positional=positional, max_length=10)
    probabilities, attention = model(IDS, return_attention_scores=True)
    assert probabilities.shape == (2, C)
    np.testing.assert_allclose(probabilities.numpy().sum(-1), 1.0, rtol=1e-6)
    blocks = attention["blocks"].numpy()
    assert blocks.shape == (2, 2, H, 6, 6)  # [B, num_layers, H, T, T]
    assert np.all(blocks[0, ..., 4:] == 0.0)
    np.testing.assert_allclose(blocks[0, ..., :4, :].sum(-1), 1.0, rtol=1e-5)
    pooling_weights = attention["pooling"].numpy()
    assert pooling_weights.shape == (2, 6) and np.all(pooling_weights[0, 4:] == 0.0)
    np.testing.assert_allclose(pooling_weights.sum(-1), 1.0, rtol=1e-5)
    if pooling == "mean":
        np.testing.assert_allclose(pooling_weights[0, :4], 0.25, rtol=1e-6)
    padded_ids = np.concatenate([IDS, np.zeros((2, 3), int)], axis=1)
    np.testing.assert_allclose(model(padded_ids).numpy(), probabilities.numpy(), atol=1e-5)
    np.testing.assert_allclose(model(IDS[:1, :4]).numpy()[0], probabilities.numpy()[0], atol=1e-5)


def test_numeric_features_nan_steps_masked(rng):
    x = rng.normal(size=(2, 5, 3)).astype("float32")
    x[0, 3:] = np.nan
    model = TransformerClassifier(C, feature_mean=[0.0, 1.0, -1.0], feature_std=[1.0, 2.0, 0.5], **SMALL)
    probabilities, attention = model(x, return_attention_scores=True)
    assert np.all(np.isfinite(probabilities.numpy()))
    assert np.all(attention["blocks"].numpy()[0, ..., 3:] == 0.0)
    np.testing.assert_allclose(model(x[:1, :3]).numpy()[0], probabilities.numpy()[0], atol=1e-5)
    x[0, 1, 2] = np.nan  # a missing value inside the series masks its step
    assert np.all(model(x, return_attention_scores=True)[1]["pooling"].numpy()[0, [1, 3, 4]] == 0.0)


def test_keras_save_and_load(rng, tmp_path):
    x = rng.normal(size=(2, 5, 3)).astype("float32")
    x[1, 4] = np.nan
    for model, inputs in ((make_model(pooling="attention", positional="learned", max_length=8,
                                      dropout=0.2, l2=1e-3, seed=1), IDS),
                          (TransformerClassifier(C, norm_first=False, feature_mean=[0, 0, 0],
                                                 feature_std=[1, 1, 2], **SMALL), x),
                          (make_model(token_dropout=0.2, embedding_dropout=0.0, seed=1, **BAG), IDS)):
        assert_round_trip(model, inputs, tmp_path / "m.keras")


def test_config_holds_every_argument():
    model = make_model(max_length=9, dropout=0.2, attention_dropout=0.1, norm_first=False,
                       positional="learned", pooling="attention", l2=0.01, activation=None, seed=2)
    config = model.get_config()
    init_args = set(inspect.signature(TransformerClassifier.__init__).parameters) - {"self", "kwargs"}
    assert init_args <= set(config)
    assert TransformerClassifier.from_config(config).get_config() == config


def test_tf_function_and_dropout():
    model = make_model(dropout=0.3, seed=5)
    expected = model(IDS).numpy()
    fn = tf.function(lambda ids: model(ids), input_signature=[tf.TensorSpec([None, None], tf.int32)])
    np.testing.assert_allclose(fn(tf.constant(IDS, tf.int32)).numpy(), expected, atol=1e-6)
    assert fn(tf.constant(IDS[:, :2], tf.int32)).shape == (2, C)
    assert np.abs(model(IDS, training=True).numpy() - expected).max() > 1e-4


@pytest.mark.parametrize("pooling", ["mean", "attention"])
def test_mixed_precision_matches_float32(mixed_policy, pooling):
    probabilities, blocks, pooled = assert_mixed_precision_matches_float32(
        lambda: make_model(pooling=pooling),
        lambda model: [(out := model(IDS, return_attention_scores=True))[0], out[1]["blocks"], out[1]["pooling"]],
        mixed_policy)
    assert probabilities.dtype == blocks.dtype == pooled.dtype == tf.float32


def test_tiny_model_overfits_tiny_problem(rng):
    """Numeric series of 2..6 steps; the class is the sign pattern of feature 0 at the first step."""
    x = np.full((24, 6, 2), np.nan, "float32")
    labels = np.arange(24) % 3
    for i, label in enumerate(labels):
        length = rng.integers(2, 7)
        x[i, :length] = rng.normal(size=(length, 2)) * 0.3
        x[i, 0, 0] = (-2.0, 0.0, 2.0)[label]
    model = TransformerClassifier(C, model_dim=16, num_heads=2, intermediate_dim=16, num_layers=1,
                                  dropout=0.0, seed=0)
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy")
    history = model.fit(x, labels, epochs=15, batch_size=24, verbose=0)
    assert history.history["loss"][-1] < 0.2 * history.history["loss"][0]
    assert (model.predict(x, verbose=0).argmax(-1) == labels).mean() == 1.0


@pytest.mark.parametrize("kwargs,message", [
    ({"num_classes": 0}, "Received: num_classes=0"),
    ({"model_dim": 10, "num_heads": 4}, "divisible by num_heads=4. Received: model_dim=10"),
    ({"num_layers": -1}, "Received: num_layers=-1"),
    ({"token_dropout": 1.0}, "Received: token_dropout=1.0"),
    ({"embedding_dropout": -0.1}, "Received: embedding_dropout=-0.1"),
    ({"positional": "rotary"}, "Received: positional='rotary'"),
    ({"positional": "learned"}, "Received: max_length=None"),
    ({"pooling": "cls"}, "Received: pooling='cls'"),
    ({"attention_dropout": 1.0}, "Received: attention_dropout=1.0"),
    ({"l2": "big"}, "Received: l2='big'"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_model(**kwargs)


def test_saved_model_endpoint_with_attention(rng, tmp_path):
    x = rng.normal(size=(2, 5, 3)).astype("float32")
    x[0, 4] = np.nan
    model = TransformerClassifier(C, **SMALL)
    expected, attention = model(x, return_attention_scores=True)
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serve", lambda t: {"probabilities": model(t), **model(t, return_attention_scores=True)[1]},
                         input_signature=[tf.TensorSpec([None, None, 3], tf.float32)])
    archive.write_out(str(tmp_path / "saved"), verbose=False)
    loaded = tf.saved_model.load(str(tmp_path / "saved"))  # held: its variables live with it
    got = loaded.serve(tf.constant(x))
    np.testing.assert_allclose(got["probabilities"].numpy(), expected.numpy(), atol=1e-6)
    np.testing.assert_allclose(got["pooling"].numpy(), attention["pooling"].numpy(), atol=1e-6)



def test_bag_of_embeddings_pools_mean_and_attention_without_blocks():
    model = make_model(**BAG)
    probabilities, attention = model(IDS, return_attention_scores=True)
    assert probabilities.shape == (2, C)
    assert attention["blocks"].shape == (2, 0, H, 6, 6)  # no encoder block
    weights = attention["pooling"].numpy()
    assert np.all(weights[0, 4:] == 0.0)
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-5)
    assert not np.allclose(weights[1], 1 / 6)  # the attention's weights, not the mean's
    assert model.head.kernel.shape == (2 * D, C)  # [mean; attention]
    assert not hasattr(model, "final_norm") and not hasattr(model, "positional_embedding")
    # no positions: the same tokens in another order and with padding give the same answer
    shuffled = np.array([[2, 7, 0, 5, 3, 0], [11, 6, 1, 9, 4, 4]])
    np.testing.assert_allclose(model(shuffled).numpy(), probabilities.numpy(), atol=1e-5)
    np.testing.assert_allclose(model(IDS[:1, :4]).numpy()[0], probabilities.numpy()[0], atol=1e-5)


def test_bag_of_embeddings_on_numeric_steps(rng):
    x = rng.normal(size=(2, 5, 3)).astype("float32")
    x[0, 3:] = np.nan
    model = TransformerClassifier(C, num_layers=0, positional="none", pooling="attention",
                                  model_dim=D, num_heads=H)
    probabilities, attention = model(x, return_attention_scores=True)
    assert np.all(attention["pooling"].numpy()[0, 3:] == 0.0)
    np.testing.assert_allclose(model(x[:1, :3]).numpy()[0], probabilities.numpy()[0], atol=1e-5)


def test_token_dropout_zeroes_whole_tokens_in_training_only():
    model = make_model(token_dropout=0.5, dropout=0.0, seed=3, **BAG)
    np.testing.assert_allclose(model(IDS).numpy(), model(IDS, training=False).numpy())
    assert np.abs(model(IDS, training=True).numpy() - model(IDS).numpy()).max() > 1e-4
    dropped = model.token_dropout_layer(tf.ones((4, 50, D)), training=True).numpy()  # [B, T, D]
    per_token = dropped[..., 0]
    assert np.all(dropped == per_token[..., None])  # a token is kept or dropped whole
    assert set(np.unique(per_token)) == {0.0, 2.0} and 0.3 < (per_token == 0).mean() < 0.7
    still = make_model(dropout=0.3, embedding_dropout=0.0, **BAG)
    assert still.embedding_dropout.rate == 0.0 and still.head_dropout.rate == 0.3


def test_bag_of_embeddings_learns_which_token_decides():
    """The class is whether token 3 occurs; the attention learns to look at it."""
    rng = np.random.default_rng(0)
    ids = rng.integers(4, VOCAB, size=(64, 8))
    ids[:, 6:] = 0
    labels = np.arange(64) % 2
    where = rng.integers(0, 6, size=64)
    ids[labels == 1, where[labels == 1]] = 3
    model = TransformerClassifier(2, vocabulary_size=VOCAB, model_dim=D, num_heads=H, dropout=0.0,
                                  seed=0, **BAG)
    model.compile(keras.optimizers.Adam(0.03), "sparse_categorical_crossentropy")
    model.fit(ids, labels, epochs=30, batch_size=32, verbose=0)
    probabilities, attention = model(ids, return_attention_scores=True)
    assert (probabilities.numpy().argmax(-1) == labels).mean() == 1.0
    weights = attention["pooling"].numpy()[labels == 1]  # [N, T]
    assert np.mean(weights.argmax(-1) == where[labels == 1]) > 0.9
