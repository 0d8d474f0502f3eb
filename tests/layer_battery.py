"""The battery of checks that every attnflow attention layer passes.

Subclass `LayerBattery` in a layer's test file as `class TestBattery(LayerBattery)`
and set `layer_class`, `init_kwargs`, `config_kwargs` and `input_shapes`. pytest
then runs every `test_*` method below for that layer: config round trip,
`.keras` save/load with outputs compared, mixed precision, tf.function and
jit_compile, dropout in training vs inference, fully masked rows, float64
gradients, and Keras masks from `Embedding(mask_zero=True)`.
"""

from __future__ import annotations

import inspect

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.reference import B, TK, TQ

MIXED_ATOL = {"mixed_float16": 1e-2, "mixed_bfloat16": 6e-2}


def error_message(excinfo) -> str:
    """The layer's own message, without the call arguments Keras appends to it."""
    return str(excinfo.value).split("Arguments received by")[0]


class LayerBattery:
    layer_class: type[keras.layers.Layer]
    init_kwargs: dict = {}
    # Non-default constructor arguments for the config round trip.
    config_kwargs: dict = {}
    # Shapes of the call's tensors; "key" is optional. A query of rank 2 is
    # one decoder state per batch element.
    input_shapes: dict = {}

    # Hooks ---------------------------------------------------------------

    def make_layer(self, **kwargs) -> keras.layers.Layer:
        return self.layer_class(**{**self.init_kwargs, **kwargs})

    def make_inputs(self, rng, dtype="float32") -> dict:
        return {name: rng.normal(size=shape).astype(dtype) for name, shape in self.input_shapes.items()}

    def attend(self, layer, inputs, **kwargs):
        """Calls the layer; returns (output, weights)."""
        return layer(inputs["query"], inputs["value"], key=inputs.get("key"),
                     return_attention_scores=True, **kwargs)

    @property
    def single_query(self) -> bool:
        return len(self.input_shapes["query"]) == 2

    def masks(self) -> dict:
        """Batch element 1 fully padded; with a query sequence, also query row 1 of element 0."""
        value_mask = np.ones((B, TK), bool)
        value_mask[1] = False
        masks = {"value_mask": value_mask}
        if not self.single_query:
            attention_mask = np.ones((B, TQ, TK), bool)
            attention_mask[0, 1] = False
            masks["attention_mask"] = attention_mask
        return masks

    def built(self, rng, **kwargs):
        layer = self.make_layer(**kwargs)
        inputs = self.make_inputs(rng)
        return layer, inputs, self.attend(layer, inputs)

    # The battery ---------------------------------------------------------

    def test_config_round_trip(self, rng):
        layer = self.make_layer(**self.config_kwargs)
        inputs = self.make_inputs(rng)
        expected, _ = self.attend(layer, inputs)
        config = layer.get_config()
        init_args = set(inspect.signature(self.layer_class.__init__).parameters) - {"self", "kwargs"}
        assert init_args <= set(config), f"missing from get_config: {init_args - set(config)}"
        for name, value in self.config_kwargs.items():
            assert config[name] == value
        clone = self.layer_class.from_config(config)
        assert clone.get_config() == config
        self.attend(clone, inputs)
        clone.set_weights(layer.get_weights())
        np.testing.assert_allclose(self.attend(clone, inputs)[0].numpy(), expected.numpy(), atol=1e-6)

    def test_keras_save_and_load(self, rng, tmp_path):
        inputs = self.make_inputs(rng)
        symbolic = {name: keras.Input(shape=x.shape[1:], name=name) for name, x in inputs.items()}
        layer = self.make_layer(**self.config_kwargs)
        output, weights = self.attend(layer, symbolic)
        model = keras.Model(symbolic, [output, weights])
        expected = model.predict(inputs, verbose=0)
        assert expected[0].shape[:-1] == inputs["query"].shape[:-1]
        path = tmp_path / "m.keras"
        model.save(path)
        loaded = keras.models.load_model(path)  # no custom_objects
        assert any(type(inner) is self.layer_class for inner in loaded.layers)
        for got, want in zip(loaded.predict(inputs, verbose=0), expected):
            np.testing.assert_allclose(got, want, atol=1e-6)

    def test_mixed_precision(self, rng, mixed_policy):
        keras.mixed_precision.set_global_policy("float32")
        reference_layer, inputs, (expected, expected_weights) = self.built(rng)
        keras.mixed_precision.set_global_policy(mixed_policy)
        layer = self.make_layer()
        masks = self.masks()
        self.attend(layer, inputs, **masks)
        layer.set_weights(reference_layer.get_weights())
        output, weights = self.attend(layer, inputs, **masks)
        assert output.dtype == layer.compute_dtype
        assert weights.dtype == tf.float32
        output = tf.cast(output, tf.float32).numpy()
        assert np.all(np.isfinite(output)) and np.all(np.isfinite(weights.numpy()))
        expected, expected_weights = self.attend(reference_layer, inputs, **masks)
        np.testing.assert_allclose(output, expected.numpy(), atol=MIXED_ATOL[mixed_policy])
        np.testing.assert_allclose(weights.numpy(), expected_weights.numpy(), atol=MIXED_ATOL[mixed_policy])

    @pytest.mark.parametrize("jit_compile", [False, True])
    def test_tf_function(self, rng, jit_compile):
        layer, inputs, _ = self.built(rng)
        masks = self.masks()
        expected, expected_weights = self.attend(layer, inputs, **masks)
        fn = tf.function(lambda tensors: self.attend(layer, tensors, **masks), jit_compile=jit_compile)
        output, weights = fn({name: tf.constant(x) for name, x in inputs.items()})
        np.testing.assert_allclose(output.numpy(), expected.numpy(), atol=1e-5)
        np.testing.assert_allclose(weights.numpy(), expected_weights.numpy(), atol=1e-6)

    def test_dropout_in_training_only(self, rng):
        layer, inputs, _ = self.built(rng, dropout=0.5, seed=11)
        plain = self.make_layer()
        self.attend(plain, inputs)
        plain.set_weights(layer.get_weights())
        expected = self.attend(plain, inputs)[0].numpy()
        first = self.attend(layer, inputs, training=False)[0].numpy()
        second = self.attend(layer, inputs, training=False)[0].numpy()
        np.testing.assert_array_equal(first, second)
        np.testing.assert_allclose(first, expected, atol=1e-6)
        trained = self.attend(layer, inputs, training=True)[0].numpy()
        assert np.abs(trained - expected).max() > 1e-3

    def test_seed_survives_get_config(self, rng):
        layer = self.make_layer(dropout=0.5, seed=11)
        inputs = self.make_inputs(rng)
        first = self.attend(layer, inputs, training=True)[0].numpy()
        clone = self.layer_class.from_config(layer.get_config())
        assert clone.seed == 11
        self.attend(clone, inputs)  # builds; inference draws no random numbers
        clone.set_weights(layer.get_weights())
        np.testing.assert_allclose(self.attend(clone, inputs, training=True)[0].numpy(), first, atol=1e-6)

    def test_fully_masked_rows_are_zero_with_finite_gradients(self, rng):
        layer, inputs, _ = self.built(rng)
        tensors = {name: tf.constant(x) for name, x in inputs.items()}
        with tf.GradientTape() as tape:
            tape.watch(list(tensors.values()))
            output, weights = self.attend(layer, tensors, **self.masks())
            loss = tf.reduce_sum(output ** 2) + tf.reduce_sum(weights)
        sources = [*tensors.values(), *layer.trainable_variables]
        for grad in tape.gradient(loss, sources):
            assert grad is None or np.all(np.isfinite(tf.convert_to_tensor(grad).numpy()))
        output, weights = output.numpy(), weights.numpy()
        assert np.all(np.isfinite(output))
        assert np.all(output[1] == 0.0) and np.all(weights[1] == 0.0)
        if not self.single_query:
            assert np.all(output[0, 1] == 0.0) and np.all(weights[0, ..., 1, :] == 0.0)
            np.testing.assert_allclose(weights[0, ..., 0, :].sum(-1), 1.0, rtol=1e-6)

    def test_gradient_matches_numeric_float64(self, rng):
        layer = self.make_layer(dtype="float64")
        inputs = {name: tf.constant(x) for name, x in self.make_inputs(rng, "float64").items()}
        masks = self.masks()
        self.attend(layer, inputs, **masks)
        names = list(inputs)

        @tf.function  # one trace; the numeric Jacobian calls it hundreds of times
        def output(*tensors):
            return self.attend(layer, dict(zip(names, tensors)), **masks)[0]

        theoretical, numerical = tf.test.compute_gradient(output, list(inputs.values()))
        for name, analytic, numeric in zip(names, theoretical, numerical):
            assert np.abs(analytic).max() > 1e-3, name
            np.testing.assert_allclose(analytic, numeric, atol=1e-6, err_msg=name)

    def test_keras_masks_from_embedding(self, rng):
        """Embedding(mask_zero=True) masks equal explicit query_mask / value_mask."""
        vocab, depth = 9, self.input_shapes["query"][-1]
        value_ids = np.array([[3, 1, 4, 0], [5, 8, 0, 0]])
        query_ids = np.array([[2, 6, 0], [7, 1, 8]])[:, : 1 if self.single_query else TQ]
        embed = keras.layers.Embedding(vocab, depth, mask_zero=True)
        query_in, value_in = keras.Input((query_ids.shape[1],), dtype="int32"), keras.Input((TK,), dtype="int32")
        layer = self.make_layer()
        query = embed(query_in)
        if self.single_query:
            query = query[:, 0]  # [B, D], no Keras mask
        output, weights = layer(query, embed(value_in), return_attention_scores=True)
        model = keras.Model([query_in, value_in], [output, weights])
        got_output, got_weights = model.predict([query_ids, value_ids], verbose=0)

        embedded_query = embed(query_ids).numpy()
        explicit = {"value_mask": value_ids != 0}
        if self.single_query:
            embedded_query = embedded_query[:, 0]
        else:
            explicit["query_mask"] = query_ids != 0
        want_output, want_weights = layer(embedded_query, embed(value_ids).numpy(),
                                          return_attention_scores=True, **explicit)
        np.testing.assert_allclose(got_output, want_output.numpy(), atol=1e-6)
        np.testing.assert_allclose(got_weights, want_weights.numpy(), atol=1e-6)
        assert np.all(got_weights[0, ..., 3] == 0.0) and np.all(got_weights[1, ..., 2:] == 0.0)
