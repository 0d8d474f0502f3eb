"""What the seed ensembles (`members=N`) of attnflow's models share."""

from __future__ import annotations

import tensorflow as tf


def members_mean_loss(losses):
    """The members' mean loss, with the gradient of their sum.

    Each member then gets exactly the gradient of its own training, as if it
    trained alone on the same batches (Adam's epsilon would otherwise see
    gradients divided by N).

    Args:
        losses: one scalar loss per member (N of them).

    Returns:
        a scalar whose value is mean(losses) and whose gradient is that of sum(losses).
    """
    total = tf.add_n(list(losses))
    return total - tf.stop_gradient(total * (1.0 - 1.0 / len(losses)))


class SeedEnsemble:
    """Mixin of a `keras.Model` whose `member_models` (N > 0 of them, or an
    empty list for one network) form a seed ensemble: the model's output is
    the members' mean, and in training each member gets the gradient of its
    own loss on its own output (`_member_loss`), not of the mean's loss.

    The model's `call` returns `self._call_members(...)` when it has members,
    and sets `self._member_outputs = None` in its constructor.
    """

    def _call_members(self, inputs, training, return_attention_scores):
        """The members' mean output (and mean attention weights, or None without attention)."""
        results = [member(inputs, training=training, return_attention_scores=return_attention_scores)
                   for member in self.member_models]
        outputs = tf.stack([r[0] if return_attention_scores else r for r in results], axis=-1)  # [B, ..., N]
        mean = tf.reduce_mean(outputs, axis=-1)  # [B, ...]
        # compute_loss gives each member its own loss when it receives this very output.
        self._member_outputs = (mean, outputs) if training else None
        if not return_attention_scores:
            return mean
        weights = [r[1] for r in results]
        if weights[0] is None:  # attention "none"
            return mean, None
        return mean, tf.reduce_mean(tf.stack(weights), axis=0)  # the weights' shape

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The mean of the members' own losses in training; the loss of `y_pred` otherwise."""
        stored, self._member_outputs = self._member_outputs, None
        if not training or stored is None or stored[0] is not y_pred:
            return super().compute_loss(x, y, y_pred, sample_weight, training)
        # The regularization losses once: member i's gradient is then that of its own ones.
        regularization = tf.add_n(self.losses) if self.losses else 0.0
        data_losses = [self._member_loss(number, x, y, stored[1][..., number], sample_weight, training)
                       for number in range(len(self.member_models))]
        return members_mean_loss(data_losses) + regularization

    def _member_loss(self, number, x, y, y_pred, sample_weight, training):
        """Member `number`'s loss on its output `y_pred`, without the regularization losses:
        its own one when the model's loss gives each member its own
        (`attnflow.training.losses.MemberLosses`)."""
        member_loss = getattr(self.loss, "member_loss", None)
        if member_loss is not None:
            return member_loss(number)(y, y_pred, sample_weight)
        regularization = tf.add_n(self.losses) if self.losses else 0.0
        return super().compute_loss(x, y, y_pred, sample_weight, training) - regularization
