"""PatchEmbedding: patches and projection against a float64 NumPy reference, shapes, saving, errors."""

from __future__ import annotations

import inspect

import keras
import numpy as np
import pytest
import tensorflow as tf

from attnflow.layers import PatchEmbedding

# distinct sizes: B=2, H=8, W=12, C=3, p=4 -> a 2 x 3 grid, D=5
B, HEIGHT, WIDTH, CHANNELS, P, D = 2, 8, 12, 3, 4, 5


def reference_tokens(images, kernel, bias, positions, class_embedding=None):
    """float64 from the definition: patch (i, j) is pixels [i*p:(i+1)*p, j*p:(j+1)*p],
    flattened row, column, channel; token = patch @ kernel + bias, patches row by row,
    the class token first; then the positions added."""
    images = np.asarray(images, np.float64)
    batch, height, width, channels = images.shape
    tokens = []
    for b in range(batch):
        row = []
        for i in range(height // P):
            for j in range(width // P):
                patch = images[b, i * P:(i + 1) * P, j * P:(j + 1) * P, :].reshape(-1)
                row.append(patch @ np.asarray(kernel, np.float64) + np.asarray(bias, np.float64))
        if class_embedding is not None:
            row.insert(0, np.asarray(class_embedding, np.float64).reshape(-1))
        tokens.append(row)
    return np.asarray(tokens) + np.asarray(positions, np.float64)[None]


def images(rng, shape=(B, HEIGHT, WIDTH, CHANNELS)):
    return rng.normal(size=shape).astype("float32")


@pytest.mark.parametrize("class_token", [True, False])
def test_matches_the_float64_reference(rng, class_token):
    layer = PatchEmbedding(P, D, class_token=class_token)
    x = images(rng)
    out = layer(x).numpy()
    assert out.shape == (B, 6 + class_token, D) and layer.grid == (2, 3)
    kernel, bias = layer.projection.get_weights()
    assert kernel.shape == (P * P * CHANNELS, D)
    cls = layer.class_embedding.numpy() if class_token else None
    expected = reference_tokens(x, kernel, bias, layer.position_embeddings.numpy(), cls)
    np.testing.assert_allclose(out, expected, atol=1e-5)


def test_float64_layer_is_exact(rng):
    layer = PatchEmbedding(P, D, dtype="float64")
    x = rng.normal(size=(B, HEIGHT, WIDTH, CHANNELS))
    out = layer(x).numpy()
    kernel, bias = layer.projection.get_weights()
    expected = reference_tokens(x, kernel, bias, layer.position_embeddings.numpy(),
                                layer.class_embedding.numpy())
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


def test_patches_are_read_row_by_row():
    x = np.arange(HEIGHT * WIDTH, dtype="float32").reshape(1, HEIGHT, WIDTH, 1)
    layer = PatchEmbedding(P, D)
    layer.build(x.shape)
    got = layer.extract_patches(x).numpy()  # [1, 6, 16]
    assert got.shape == (1, 6, P * P)
    np.testing.assert_array_equal(got[0, 1], x[0, 0:4, 4:8, 0].reshape(-1))  # row 0, column 1
    np.testing.assert_array_equal(got[0, 3], x[0, 4:8, 0:4, 0].reshape(-1))  # row 1, column 0


def test_no_mask_in_or_out(rng):
    layer = PatchEmbedding(P, D)
    out = layer(images(rng))
    assert getattr(out, "_keras_mask", None) is None
    assert layer.compute_mask(images(rng)) is None
    assert layer.compute_output_shape((None, HEIGHT, WIDTH, CHANNELS)) == (None, 7, D)


def test_tf_function_with_an_unknown_batch_and_mixed_precision(rng, mixed_policy):
    keras.mixed_precision.set_global_policy("float32")
    reference = PatchEmbedding(P, D)
    x = images(rng)
    expected = reference(x).numpy()
    keras.mixed_precision.set_global_policy(mixed_policy)
    layer = PatchEmbedding(P, D)
    layer.build(x.shape)
    layer.set_weights(reference.get_weights())
    call = tf.function(layer, input_signature=[tf.TensorSpec([None, HEIGHT, WIDTH, CHANNELS])])
    out = call(tf.constant(x))
    assert out.dtype == layer.compute_dtype
    np.testing.assert_allclose(tf.cast(out, tf.float32).numpy(), expected, atol=0.1)


def test_config_and_keras_round_trip(rng, tmp_path):
    layer = PatchEmbedding(P, D, class_token=False, kernel_initializer="he_normal",
                           position_initializer="zeros")
    config = layer.get_config()
    init_args = set(inspect.signature(PatchEmbedding.__init__).parameters) - {"self", "kwargs"}
    assert init_args <= set(config)
    assert PatchEmbedding.from_config(config).get_config() == config
    inputs = keras.Input((HEIGHT, WIDTH, CHANNELS))
    model = keras.Model(inputs, PatchEmbedding(P, D)(inputs))
    x = images(rng)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")  # no custom_objects
    assert any(type(inner) is PatchEmbedding for inner in loaded.layers)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


@pytest.mark.parametrize("kwargs,message", [
    ({"patch_size": 0, "output_dim": D}, "expected patch_size to be a positive integer. Received: patch_size=0"),
    ({"patch_size": P, "output_dim": -1}, "expected output_dim to be a positive integer"),
    ({"patch_size": P, "output_dim": D, "class_token": "yes"}, "expected class_token to be True or False"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        PatchEmbedding(**kwargs)


@pytest.mark.parametrize("shape,message", [
    ((B, 3, 3, 1), r"expected images of at least one patch \(4x4 pixels\). Received: input_shape=\(2, 3, 3, 1\)"),
    ((B, 8, 10, 1), "expected image height and width that are multiples of patch_size=4"),
    ((B, 8, 8), r"expected images of shape \[B, H, W, C\]"),
])
def test_images_that_cannot_be_cut_into_patches(rng, shape, message):
    with pytest.raises(ValueError, match=message):
        PatchEmbedding(P, D)(rng.normal(size=shape).astype("float32"))


def test_images_of_another_size_than_built(rng):
    layer = PatchEmbedding(P, D)
    layer(images(rng))
    with pytest.raises(ValueError, match=r"expected images of 8x12 pixels, as the layer was built"):
        layer(images(rng, (B, 12, 8, CHANNELS)))
