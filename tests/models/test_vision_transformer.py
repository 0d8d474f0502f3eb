"""VisionTransformer: shapes, attention without masks, pixel statistics, saving, a tiny model learning."""

from __future__ import annotations

import inspect

import keras
import numpy as np
import pytest
import tensorflow as tf

from attnflow.models import VisionTransformer
from tests.models.round_trip import assert_round_trip

C, P, D, H, LAYERS = 3, 4, 8, 2, 2
SMALL = {"patch_size": P, "model_dim": D, "num_heads": H, "intermediate_dim": 12, "num_layers": LAYERS}


def make_model(**kwargs):
    return VisionTransformer(**{"num_classes": C, **SMALL, **kwargs})


def images(rng, shape=(2, 8, 12, 3)):
    return rng.uniform(0, 255, size=shape).astype("float32")


@pytest.mark.parametrize("pooling,tokens", [("class_token", 7), ("mean", 6)])
def test_shapes_and_attention_without_masks(rng, pooling, tokens):
    model = make_model(pooling=pooling)
    probabilities, attention = model(images(rng), return_attention_scores=True)
    assert probabilities.shape == (2, C) and model.patch_grid == (2, 3)
    assert model.image_shape == (8, 12, 3)
    np.testing.assert_allclose(probabilities.numpy().sum(-1), 1.0, rtol=1e-6)
    blocks = attention["blocks"].numpy()
    assert blocks.shape == (2, LAYERS, H, tokens, tokens)
    assert np.all(blocks > 0.0)  # no position is masked in an image
    np.testing.assert_allclose(blocks.sum(-1), 1.0, rtol=1e-5)
    pooling_weights = attention["pooling"].numpy()
    assert pooling_weights.shape == (2, tokens)
    expected = np.eye(tokens)[0] if pooling == "class_token" else np.full(tokens, 1 / tokens)
    np.testing.assert_allclose(pooling_weights, np.tile(expected, (2, 1)), rtol=1e-6)
    np.testing.assert_allclose(model(images(rng)).numpy().sum(-1), 1.0, rtol=1e-6)


def test_a_convolutional_stem_keeps_the_tokens(rng):
    model = make_model(stem_channels=[5])
    probabilities, attention = model(images(rng), return_attention_scores=True)
    assert probabilities.shape == (2, C) and attention["blocks"].shape == (2, LAYERS, H, 7, 7)
    assert model.stem[0].kernel.shape == (3, 3, 3, 5) and model.image_shape == (8, 12, 3)
    assert model.patch_embedding.projection.kernel.shape == (P * P * 5, D)
    pooled = make_model(stem_channels=[4, 6], patch_size=2)  # 2x2 patches of the pooled map
    _, attention = pooled(images(rng), return_attention_scores=True)
    assert pooled.pixel_patch_size == 4 and pooled.patch_grid == (2, 3)
    assert attention["blocks"].shape == (2, LAYERS, H, 7, 7) and pooled.image_shape == (8, 12, 3)
    with pytest.raises(ValueError, match=r"expected image height and width that are multiples of 4 "
                                         r"\(patch_size=2 after a stem that pools by 2\)"):
        make_model(stem_channels=[4, 6], patch_size=2)(images(rng, (2, 6, 8, 3)))


def test_without_blocks_the_weights_are_empty(rng):
    probabilities, attention = make_model(num_layers=0)(images(rng), return_attention_scores=True)
    assert probabilities.shape == (2, C) and attention["blocks"].shape == (2, 0, H, 7, 7)


def test_pixel_statistics_standardize_inside_the_model(rng):
    x = images(rng)
    mean, std = [100.0, 50.0, 20.0], [60.0, 30.0, 10.0]
    with_stats, plain = make_model(pixel_mean=mean, pixel_std=std), make_model()
    with_stats(x)
    plain(x)
    plain.set_weights(with_stats.get_weights())
    standardized = (x - np.array(mean, "float32")) / np.array(std, "float32")
    np.testing.assert_allclose(with_stats(x).numpy(), plain(standardized).numpy(), atol=1e-5)
    np.testing.assert_allclose(with_stats(x.astype("uint8")).numpy(),
                               with_stats(x.astype("uint8").astype("float32")).numpy(), atol=1e-6)
    with pytest.raises(ValueError, match="expected images with 3 channels, as in pixel_mean"):
        with_stats(x[..., :1])


def test_keras_save_and_load(rng, tmp_path):
    x = images(rng)
    for model in (make_model(dropout=0.1, attention_dropout=0.1, seed=3, pixel_mean=[1, 2, 3],
                             pixel_std=[4, 5, 6]),
                  make_model(pooling="mean", norm_first=False, activation=None, stem_channels=[4])):
        assert_round_trip(model, x, tmp_path / "m.keras")


def test_config_holds_every_argument():
    model = make_model(dropout=0.2, attention_dropout=0.1, pooling="mean", norm_first=False,
                       pixel_mean=[0.5], pixel_std=[2.0], activation=None, stem_channels=[3, 2], seed=2)
    config = model.get_config()
    init_args = set(inspect.signature(VisionTransformer.__init__).parameters) - {"self", "kwargs"}
    assert init_args <= set(config)
    assert VisionTransformer.from_config(config).get_config() == config


def test_dropout_in_training_only(rng):
    model = make_model(dropout=0.5, seed=1)
    x = images(rng)
    np.testing.assert_array_equal(model(x).numpy(), model(x, training=False).numpy())
    assert np.abs(model(x, training=True).numpy() - model(x).numpy()).max() > 1e-4


def toy_images(count, rng):
    """Class 0: a bright bar in the top half; class 1: in the bottom half; on noise."""
    x = rng.uniform(0, 60, size=(count, 8, 8, 1)).astype("float32")
    labels = np.arange(count) % 2
    for n, label in enumerate(labels):
        row = rng.integers(0, 4) + 4 * label
        x[n, row, :, 0] = 255.0
    return x, labels


def test_a_tiny_model_learns_a_separable_toy_set(rng):
    x, y = toy_images(128, rng)
    model = VisionTransformer(2, patch_size=4, model_dim=16, num_heads=2, intermediate_dim=16,
                              num_layers=1, pixel_mean=[60.0], pixel_std=[70.0], seed=0)
    model.compile(keras.optimizers.Adam(3e-3), "sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=16, epochs=15, verbose=0)
    test_x, test_y = toy_images(64, np.random.default_rng(1))
    accuracy = float(np.mean(model.predict(test_x, verbose=0).argmax(-1) == test_y))
    assert accuracy >= 0.95


@pytest.mark.parametrize("kwargs,message", [
    ({"num_classes": 1}, "expected num_classes >= 2. Received: num_classes=1"),
    ({"patch_size": 0}, "expected patch_size to be a positive integer"),
    ({"model_dim": 10, "num_heads": 4}, "expected model_dim divisible by num_heads=4"),
    ({"num_layers": -1}, "expected num_layers to be a non-negative integer"),
    ({"stem_channels": [8, 0]}, r"expected stem_channels to be a list of positive integers"),
    ({"stem_channels": 8}, r"expected stem_channels to be a list of positive integers"),
    ({"pooling": "max"}, r"expected pooling to be one of \('class_token', 'mean'\)"),
    ({"dropout": 1.0}, r"expected dropout in \[0, 1\)"),
    ({"pixel_mean": [0.0]}, "expected pixel_mean and pixel_std both given or both None"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        VisionTransformer(**{"num_classes": C, **kwargs})


def test_bad_images(rng):
    with pytest.raises(ValueError, match=r"expected images of shape \[B, H, W, C\]"):
        make_model()(tf.zeros((2, 8, 8)))
    with pytest.raises(ValueError, match=r"expected images of at least one patch"):
        make_model(patch_size=8)(images(rng, (2, 4, 4, 1)))
