"""HeadProjection: EinsumDense's results and weights, computed as one 2-D MatMul."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from attnflow.layers._head_projection import HeadProjection, contracted_axes
from tests.reference import B, D, H, TQ, f64

# (equation, output_shape, bias_axes, input shape): MultiHeadAttention's
# query/key/value projections, its output projection (one and two output
# axes), and equations that cannot be flattened (EinsumDense's own call).
CASES = [
    ("abc,cde->abde", (None, H, 4), "de", (B, TQ, D)),
    ("abcd,cde->abe", (None, 6), "e", (B, TQ, H, 4)),
    ("abcd,cdef->abef", (None, 6, 7), "ef", (B, TQ, H, 4)),
    ("abc,cde->abde", (None, H, 4), None, (B, TQ, D)),
    ("abc,dce->abde", (None, H, 4), "de", (B, TQ, D)),  # kernel not in input order
    ("abc,cd->abd", (None, 6), "d", (B, TQ, D)),
]


def numpy_einsum(equation, inputs, kernel, bias):
    out = np.einsum(equation, f64(inputs), f64(kernel))
    return out if bias is None else out + f64(bias)


@pytest.mark.parametrize("equation, output_shape, bias_axes, input_shape", CASES)
def test_matches_the_float64_einsum_and_keras_einsum_dense(rng, equation, output_shape,
                                                           bias_axes, input_shape):
    inputs = rng.normal(size=input_shape).astype(np.float32)
    ours = HeadProjection(equation, output_shape, bias_axes=bias_axes, bias_initializer="normal")
    theirs = keras.layers.EinsumDense(equation, output_shape, bias_axes=bias_axes)
    ours.build(input_shape)
    theirs.build(input_shape)
    theirs.set_weights(ours.get_weights())
    got = ours(inputs).numpy()
    bias = ours.bias.numpy() if ours.bias is not None else None
    np.testing.assert_allclose(got, numpy_einsum(equation, inputs, ours.kernel.numpy(), bias),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got, theirs(inputs).numpy(), rtol=1e-6, atol=1e-6)
    assert [w.shape for w in ours.weights] == [w.shape for w in theirs.weights]


@pytest.mark.parametrize("equation, count", [
    ("abc,cde->abde", 1), ("abcd,cde->abe", 2), ("abcd,cdef->abef", 2), ("abc,cd->abd", 1),
    ("abc,dce->abde", None), ("abc,cde->adbe", None), ("abc,de->abde", None),
    ("...b,bc->...c", None), ("abc", None),
])
def test_contracted_axes(equation, count):
    assert contracted_axes(equation) == count


def test_a_decoding_step_runs_as_matmul_not_batch_matmul():
    layer = HeadProjection("abc,cde->abde", (None, H, 4), bias_axes="de")
    layer.build((1, 1, D))
    graph = tf.function(layer).get_concrete_function(tf.TensorSpec((1, 1, D))).graph
    ops = {node.type for node in graph.get_operations()}
    assert "MatMul" in ops and not ops & {"BatchMatMulV2", "Einsum"}


def test_unknown_batch_and_length_under_tf_function(rng):
    layer = HeadProjection("abc,cde->abde", (None, H, 4), bias_axes="de", bias_initializer="normal")
    layer.build((None, None, D))
    traced = tf.function(layer, input_signature=[tf.TensorSpec((None, None, D))])
    for shape in ((1, 1, D), (B, TQ, D)):
        inputs = rng.normal(size=shape).astype(np.float32)
        want = numpy_einsum("abc,cde->abde", inputs, layer.kernel.numpy(), layer.bias.numpy())
        got = traced(inputs)
        assert got.shape == (*shape[:2], H, 4)
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-5)


def test_activation_is_applied_after_the_bias(rng):
    inputs = rng.normal(size=(B, TQ, D)).astype(np.float32)
    layer = HeadProjection("abc,cde->abde", (None, H, 4), bias_axes="de", activation="sigmoid",
                           bias_initializer="normal")
    layer.build((B, TQ, D))
    linear = numpy_einsum("abc,cde->abde", inputs, layer.kernel.numpy(), layer.bias.numpy())
    np.testing.assert_allclose(layer(inputs).numpy(), 1 / (1 + np.exp(-linear)), rtol=1e-5, atol=1e-6)


def test_lora_updates_the_kernel_it_multiplies_by(rng):
    inputs = rng.normal(size=(B, TQ, D)).astype(np.float32)
    layer = HeadProjection("abc,cde->abde", (None, H, 4), bias_axes="de")
    layer.build((B, TQ, D))
    plain = layer(inputs).numpy()
    layer.enable_lora(2)
    layer.lora_kernel_b.assign(rng.normal(size=layer.lora_kernel_b.shape).astype(np.float32))
    got = layer(inputs).numpy()
    want = numpy_einsum("abc,cde->abde", inputs, layer.kernel.numpy(), layer.bias.numpy())
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    assert np.abs(got - plain).max() > 1e-3  # the LoRA term is in the output


def test_mixed_precision_computes_in_the_compute_dtype(rng, mixed_policy):
    inputs = rng.normal(size=(B, TQ, D)).astype(np.float32)
    layer = HeadProjection("abc,cde->abde", (None, H, 4), bias_axes="de")
    layer.build((B, TQ, D))
    got = layer(inputs)
    assert layer.kernel.dtype == "float32" and got.dtype == layer.compute_dtype != "float32"
    want = numpy_einsum("abc,cde->abde", inputs, layer.kernel.numpy(), layer.bias.numpy())
    np.testing.assert_allclose(np.asarray(got, np.float64), want, rtol=3e-2, atol=3e-2)


def test_config_round_trip_and_keras_file(tmp_path, rng):
    inputs = rng.normal(size=(B, TQ, D)).astype(np.float32)
    layer = HeadProjection("abc,cde->abde", (None, H, 4), bias_axes="de")
    model = keras.Sequential([keras.Input((TQ, D)), layer])
    path = tmp_path / "projection.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded.layers[0], HeadProjection)
    assert loaded.layers[0].get_config() == layer.get_config()
    np.testing.assert_array_equal(loaded(inputs).numpy(), model(inputs).numpy())


def test_inputs_of_another_depth_name_the_shape():
    layer = HeadProjection("abc,cde->abde", (None, H, 4), bias_axes="de")
    layer.build((B, TQ, D))
    with pytest.raises(ValueError, match=r"expected inputs of shape \[\.\.\., 5\], as the layer was built\. "
                                         r"Received: inputs.shape=\(2, 3, 10\)"):
        layer(np.ones((B, TQ, 2 * D), np.float32))
