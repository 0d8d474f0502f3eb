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
