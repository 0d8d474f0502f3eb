"""A tiny task (linear regression) that exercises the Trainer without any real data."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from attnflow.tasks.base import Task, TrainingData


class ToyTask(Task):
    name = "toy"
    summary = "y = x . w, for tests"

    def __init__(self, fail_in_evaluate: bool = False):
        self.fail_in_evaluate = fail_in_evaluate

    def defaults(self):
        return {"task": "toy", "epochs": 3, "batch_size": 16, "learning_rate": 0.05}

    def load_data(self, config, data_path=None):
        rng = np.random.default_rng(config.seed)
        x = rng.normal(size=(64, 3)).astype("float32")
        return {"x": x, "y": x @ np.array([1.0, -2.0, 0.5], "float32")}

    def build_model(self, config, data):
        return keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])

    def training_data(self, model, data, config):
        dataset = tf.data.Dataset.from_tensor_slices((data["x"], data["y"])).batch(config.batch_size)
        return TrainingData(dataset, dataset, int(dataset.cardinality()))

    def compile_arguments(self, config):
        return {"loss": "mse"}

    def evaluate(self, model, data, config):
        if self.fail_in_evaluate:
            raise ValueError("expected a test split. Received: test=None")
        error = model.predict(data["x"], verbose=0)[:, 0] - data["y"]
        return {"test": {"mae": float(np.abs(error).mean())}}

    def serving_endpoint(self, model):
        return (lambda x: model(x)), [tf.TensorSpec([None, 3], tf.float32)]

    def predict(self, load_model, inputs, args, config):
        print(load_model().predict(np.array([[float(v) for v in inputs]]), verbose=0))
