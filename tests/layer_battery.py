"""The battery of checks that every attnflow layer passes.

Subclass `LayerBattery` in a layer's test file as `class TestBattery(LayerBattery)`
and set `layer_class`, `init_kwargs`, `config_kwargs` and `input_shapes`. pytest
then runs every `test_*` method below for that layer: config round trip,
`.keras` save/load with outputs compared, mixed precision against float32,
tf.function and jit_compile, dropout in training vs inference, fully masked
rows, float64 gradients, and Keras masks from `Embedding(mask_zero=True)`.

The defaults fit an attention layer, called `layer(query, value, key=...,
return_attention_scores=True)`; a layer called otherwise overrides the hooks
(`call_layer`, `masks`, `check_fully_masked`, and the class attributes below).
"""

from __future__ import annotations

import inspect

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.reference import B, TK, TQ

# Mixed precision against float32, on outputs and weights of order 1.
MIXED_ATOL = {"mixed_float16": 1e-2, "mixed_bfloat16": 6e-2}
VOCABULARY = 9  # of the token ids that feed Embedding(mask_zero=True) in the Keras-mask check


def error_message(excinfo) -> str:
    """The layer's own message, without the call arguments Keras appends to it."""
    return str(excinfo.value).split("Arguments received by")[0]


class LayerBattery:
    layer_class: type[keras.layers.Layer]
    init_kwargs: dict = {}
    # Non-default constructor arguments for the config round trip.
    config_kwargs: dict = {}
    # Shapes of the call's tensors, by name; for an attention layer "query",
    # "value" and optionally "key" (a query of rank 2 is one decoder state
    # per batch element).
    input_shapes: dict = {}
    # Inputs that are token ids, with their vocabulary size (the rest are floats).
    token_inputs: dict = {}
    # Constructor arguments that turn dropout on (None: the layer has none).
    dropout_kwargs: dict | None = {"dropout": 0.5, "seed": 11}
    # Inputs whose Keras mask the layer honours -> the explicit mask argument it equals.
    keras_mask_arguments: dict = {"query": "query_mask", "value": "value_mask"}
    # Outputs (by index) holding weights over an input's positions -> that input:
    # a padded position of the input gets weight 0.
    weights_over: dict = {1: "value"}
    # The input whose Keras mask the output carries (None: the output carries none).
    output_mask_from: str | None = "query"
    mixed_atol: dict = MIXED_ATOL
    # Step of the numeric Jacobian (None: TensorFlow's default); a layer that curves more
    # (LayerNormalization) takes a smaller one, keeping the central difference within 1e-6.
    gradient_delta: float | None = None

    # Hooks ---------------------------------------------------------------

    def make_layer(self, **kwargs) -> keras.layers.Layer:
        return self.layer_class(**{**self.init_kwargs, **kwargs})

    def make_inputs(self, rng, dtype="float32") -> dict:
        inputs = {}
        for name, shape in self.input_shapes.items():
            if name in self.token_inputs:
                inputs[name] = rng.integers(1, self.token_inputs[name], size=shape).astype("int32")
            else:
                inputs[name] = rng.normal(size=shape).astype(dtype)
        return inputs

    def call_layer(self, layer, inputs, **kwargs) -> tuple:
        """Calls the layer; returns (output, *attention weights)."""
        return tuple(layer(inputs["query"], inputs["value"], key=inputs.get("key"),
                           return_attention_scores=True, **kwargs))

    @property
    def single_query(self) -> bool:
        return len(self.input_shapes.get("query", ())) == 2

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

    def check_fully_masked(self, outputs) -> None:
        """What `masks()` implies: rows with nothing to attend to give 0, the others sum to 1."""
        output, weights = (o.numpy() for o in outputs)
        assert np.all(output[1] == 0.0) and np.all(weights[1] == 0.0)
        if not self.single_query:
            assert np.all(output[0, 1] == 0.0) and np.all(weights[0, ..., 1, :] == 0.0)
            np.testing.assert_allclose(weights[0, ..., 0, :].sum(-1), 1.0, rtol=1e-6)

    def built(self, rng, **kwargs):
        layer = self.make_layer(**kwargs)
        inputs = self.make_inputs(rng)
        return layer, inputs, self.call_layer(layer, inputs)

    def float_inputs(self, inputs: dict) -> dict:
        return {name: x for name, x in inputs.items() if name not in self.token_inputs}

    # The battery ---------------------------------------------------------

    def test_config_round_trip(self, rng):
        layer = self.make_layer(**self.config_kwargs)
        inputs = self.make_inputs(rng)
        expected = self.call_layer(layer, inputs)[0]
        config = layer.get_config()
        init_args = set(inspect.signature(self.layer_class.__init__).parameters) - {"self", "kwargs"}
        assert init_args <= set(config), f"missing from get_config: {init_args - set(config)}"
        for name, value in self.config_kwargs.items():
            assert config[name] == value
        clone = self.layer_class.from_config(config)
        assert clone.get_config() == config
        self.call_layer(clone, inputs)
        clone.set_weights(layer.get_weights())
        np.testing.assert_allclose(self.call_layer(clone, inputs)[0].numpy(), expected.numpy(), atol=1e-6)

    def test_keras_save_and_load(self, rng, tmp_path):
        inputs = self.make_inputs(rng)
        symbolic = {name: keras.Input(shape=x.shape[1:], dtype=x.dtype, name=name) for name, x in inputs.items()}
        layer = self.make_layer(**self.config_kwargs)
        model = keras.Model(symbolic, list(self.call_layer(layer, symbolic)))
        expected = model.predict(inputs, verbose=0)
        path = tmp_path / "m.keras"
        model.save(path)
        loaded = keras.models.load_model(path)  # no custom_objects
        assert any(type(inner) is self.layer_class for inner in loaded.layers)
        for got, want in zip(loaded.predict(inputs, verbose=0), expected):
            np.testing.assert_allclose(got, want, atol=1e-6)

    def test_mixed_precision(self, rng, mixed_policy):
        """Outputs within `mixed_atol` of float32 with the same weights; weights in float32."""
        keras.mixed_precision.set_global_policy("float32")
        reference_layer, inputs, _ = self.built(rng)
        masks = self.masks()
        expected = self.call_layer(reference_layer, inputs, **masks)
        keras.mixed_precision.set_global_policy(mixed_policy)
        layer = self.make_layer()
        self.call_layer(layer, inputs, **masks)
        layer.set_weights(reference_layer.get_weights())
        outputs = self.call_layer(layer, inputs, **masks)
        assert outputs[0].dtype == layer.compute_dtype
        assert all(weights.dtype == tf.float32 for weights in outputs[1:])
        for got, want in zip(outputs, expected):
            got = tf.cast(got, tf.float32).numpy()
            assert np.all(np.isfinite(got))
            np.testing.assert_allclose(got, want.numpy(), atol=self.mixed_atol[mixed_policy])
        # The symbolic outputs (compute_output_spec) have the dtypes the eager ones have.
        symbolic = {name: keras.Input(shape=x.shape[1:], dtype=x.dtype) for name, x in inputs.items()}
        specs = self.call_layer(self.make_layer(), symbolic)
        assert [spec.dtype for spec in specs] == [output.dtype.name for output in outputs]

    @pytest.mark.parametrize("jit_compile", [False, True])
    def test_tf_function(self, rng, jit_compile):
        layer, inputs, _ = self.built(rng)
        masks = self.masks()
        expected = self.call_layer(layer, inputs, **masks)
        fn = tf.function(lambda tensors: self.call_layer(layer, tensors, **masks), jit_compile=jit_compile)
        outputs = fn({name: tf.constant(x) for name, x in inputs.items()})
        np.testing.assert_allclose(outputs[0].numpy(), expected[0].numpy(), atol=1e-5)
        for got, want in zip(outputs[1:], expected[1:]):
            np.testing.assert_allclose(got.numpy(), want.numpy(), atol=1e-6)

    def test_dropout_in_training_only(self, rng):
        if self.dropout_kwargs is None:
            pytest.skip(f"{self.layer_class.__name__} has no dropout")
        layer, inputs, _ = self.built(rng, **self.dropout_kwargs)
        plain = self.make_layer()
        self.call_layer(plain, inputs)
        plain.set_weights(layer.get_weights())
        expected = self.call_layer(plain, inputs)[0].numpy()
        first = self.call_layer(layer, inputs, training=False)[0].numpy()
        second = self.call_layer(layer, inputs, training=False)[0].numpy()
        np.testing.assert_array_equal(first, second)
        np.testing.assert_allclose(first, expected, atol=1e-6)
        trained = self.call_layer(layer, inputs, training=True)[0].numpy()
        assert np.abs(trained - expected).max() > 1e-3

    def test_seed_survives_get_config(self, rng):
        if self.dropout_kwargs is None:
            pytest.skip(f"{self.layer_class.__name__} has no dropout")
        layer = self.make_layer(**self.dropout_kwargs)
        inputs = self.make_inputs(rng)
        first = self.call_layer(layer, inputs, training=True)[0].numpy()
        clone = self.layer_class.from_config(layer.get_config())
        assert clone.seed == self.dropout_kwargs["seed"]
        self.call_layer(clone, inputs)  # builds; inference draws no random numbers
        clone.set_weights(layer.get_weights())
        np.testing.assert_allclose(self.call_layer(clone, inputs, training=True)[0].numpy(), first, atol=1e-6)

    def test_fully_masked_rows_with_finite_gradients(self, rng):
        masks = self.masks()
        if not masks:
            pytest.skip(f"{self.layer_class.__name__} takes no mask")
        layer, inputs, _ = self.built(rng)
        tensors = {name: tf.constant(x) for name, x in inputs.items()}
        with tf.GradientTape() as tape:
            tape.watch(list(self.float_inputs(tensors).values()))
            outputs = self.call_layer(layer, tensors, **masks)
            loss = tf.reduce_sum(outputs[0] ** 2) + sum(tf.reduce_sum(w) for w in outputs[1:])
        sources = [*self.float_inputs(tensors).values(), *layer.trainable_variables]
        for grad in tape.gradient(loss, sources):
            assert grad is None or np.all(np.isfinite(tf.convert_to_tensor(grad).numpy()))
        assert all(np.all(np.isfinite(output.numpy())) for output in outputs)
        self.check_fully_masked(outputs)

    def test_gradient_matches_numeric_float64(self, rng):
        layer = self.make_layer(dtype="float64")
        inputs = {name: tf.constant(x) for name, x in self.make_inputs(rng, "float64").items()}
        names = list(self.float_inputs(inputs))
        if not names:
            pytest.skip(f"{self.layer_class.__name__} takes no float inputs")
        masks = self.masks()
        self.call_layer(layer, inputs, **masks)

        @tf.function  # one trace; the numeric Jacobian calls it hundreds of times
        def output(*tensors):
            return self.call_layer(layer, {**inputs, **dict(zip(names, tensors))}, **masks)[0]

        theoretical, numerical = tf.test.compute_gradient(output, [inputs[name] for name in names],
                                                          delta=self.gradient_delta)
        for name, analytic, numeric in zip(names, theoretical, numerical):
            assert np.abs(analytic).max() > 1e-3, name
            np.testing.assert_allclose(analytic, numeric, atol=1e-6, err_msg=name)

    def test_keras_masks_from_embedding(self, rng):
        """Embedding(mask_zero=True) masks equal the explicit masks, and the output carries its mask."""
        if not self.keras_mask_arguments:
            pytest.skip(f"{self.layer_class.__name__} reads no Keras mask")
        inputs = self.make_inputs(rng)
        symbolic, tensors, eager, explicit, ids = {}, {}, {}, {}, {}
        for name, x in inputs.items():
            if name not in self.keras_mask_arguments:  # passed as it is, without a mask
                symbolic[name] = tensors[name] = keras.Input(shape=x.shape[1:], dtype=x.dtype, name=name)
                eager[name] = x
                continue
            ids[name] = rng.integers(1, VOCABULARY, size=x.shape[:2])
            ids[name][0, -1] = 0  # element 0 ends with one padded position, element 1 with two
            ids[name][1, -2:] = 0
            embed = keras.layers.Embedding(VOCABULARY, x.shape[-1], mask_zero=True)
            symbolic[name] = keras.Input(shape=(x.shape[1],), dtype="int32", name=name)
            tensors[name] = embed(symbolic[name])
            eager[name] = embed(ids[name]).numpy()
            explicit[self.keras_mask_arguments[name]] = ids[name] != 0
        layer = self.make_layer()
        outputs = self.call_layer(layer, tensors)
        assert (self.output_mask_from is None) == (getattr(outputs[0], "_keras_mask", None) is None)
        model = keras.Model(symbolic, list(outputs))
        got = model.predict({name: ids.get(name, x) for name, x in inputs.items()}, verbose=0)
        want = self.call_layer(layer, eager, **explicit)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w.numpy(), atol=1e-6)
        for index, name in self.weights_over.items():
            padded = ids[name] == 0  # [B, T]
            weights = np.moveaxis(got[index], -1, 1)  # [B, T, ...]
            assert np.all(weights[padded] == 0.0), f"output {index} attends to padded {name}"
        unmasked = self.call_layer(layer, eager)[0].numpy()
        assert np.abs(got[0] - unmasked).max() > 1e-6  # the masks changed something
