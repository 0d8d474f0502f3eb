"""One loss per member of a forecasters' seed ensemble (`MemberLosses`)."""

from __future__ import annotations

import keras
import tensorflow as tf

from attnflow._validation import fail


@keras.saving.register_keras_serializable(package="attnflow")
class MemberLosses(keras.losses.Loss):
    """One loss per member of a seed ensemble (`AttentionForecaster(members=N)`): member i
    trains on `losses[i % len(losses)]` (N-BEATS's ensembles mix their training losses).

    Called on one forecast (the ensemble's mean, in validation and evaluation), it is the
    mean of its losses.

    Args:
        losses: the losses, element by element (`PointLoss`, `PercentageLoss`), at least one.
        name: the loss's name (default: the losses' names joined by "_").

    Call arguments:
        y_true: [B, H, T].
        y_pred: [B, H, T].
        sample_weight: optional [B, H, T] (the target observation mask).

    Returns:
        The weighted mean loss (a scalar).
    """

    def __init__(self, losses, name: str | None = None, **kwargs):
        losses = [keras.saving.deserialize_keras_object(loss) if isinstance(loss, dict) else loss
                  for loss in losses]
        if not losses or not all(isinstance(loss, keras.losses.Loss) for loss in losses):
            fail("one or more keras Loss objects", losses=losses)
        super().__init__(name=name or "_".join(loss.name for loss in losses), **kwargs)
        self.member_losses = losses

    def member_loss(self, index: int) -> keras.losses.Loss:
        """The loss member `index` trains on."""
        return self.member_losses[index % len(self.member_losses)]

    def call(self, y_true, y_pred):
        return tf.add_n([loss.call(y_true, y_pred) for loss in self.member_losses]) / len(self.member_losses)

    def get_config(self):
        return {**super().get_config(),
                "losses": [keras.saving.serialize_keras_object(loss) for loss in self.member_losses]}
