"""Masked loss and accuracy for padded sequence targets (0 = padding)."""

from __future__ import annotations

import keras
from keras import ops


def masked_loss(pad_id: int = 0) -> keras.losses.Loss:
    """Cross-entropy over logits averaged over the tokens that are not padding."""
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=pad_id)


@keras.saving.register_keras_serializable(package="attnflow")
class MaskedAccuracy(keras.metrics.Metric):
    """Share of non-padding target tokens predicted right (argmax of the logits).

    Args:
        pad_id: the target id that marks padding (default 0).
        name: metric name (default "masked_accuracy").

    Call arguments (update_state):
        y_true: [B, T] int ids.
        y_pred: [B, T, V] logits or probabilities.
    """

    def __init__(self, pad_id: int = 0, name: str = "masked_accuracy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.pad_id = pad_id
        self.correct = self.add_variable(shape=(), initializer="zeros", name="correct")
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.cast(y_true, "int32")
        predicted = ops.cast(ops.argmax(y_pred, axis=-1), "int32")  # [B, T]
        keep = ops.cast(ops.not_equal(y_true, self.pad_id), "float32")  # [B, T]
        if sample_weight is not None:
            keep = keep * ops.cast(sample_weight, "float32")
        hits = ops.cast(ops.equal(y_true, predicted), "float32") * keep
        self.correct.assign_add(ops.sum(hits))
        self.total.assign_add(ops.sum(keep))

    def result(self):
        return ops.divide_no_nan(self.correct, self.total)

    def reset_state(self):
        self.correct.assign(0.0)
        self.total.assign(0.0)

    def get_config(self):
        return {**super().get_config(), "pad_id": self.pad_id}
