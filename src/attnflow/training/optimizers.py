"""The optimizer and learning-rate schedule of a run, built before `fit`."""

from __future__ import annotations

import keras

from attnflow.training.config import RunConfig


def learning_rate_schedule(config: RunConfig, steps_per_epoch: int):
    """config.schedule as a Keras schedule over the whole run.

    "constant": config.learning_rate throughout; "cosine": cosine decay to 5%
    of it by the last step, after `config.warmup` epochs rising linearly from
    0 to it; "exponential": times 0.7 every epoch.
    """
    total_steps = max(1, config.epochs * steps_per_epoch)
    if config.schedule == "cosine":
        warmup_steps = min(int(round(config.warmup * steps_per_epoch)), total_steps - 1)
        if warmup_steps > 0:
            return keras.optimizers.schedules.CosineDecay(
                0.0, total_steps - warmup_steps, alpha=0.05, warmup_target=config.learning_rate,
                warmup_steps=warmup_steps)
        return keras.optimizers.schedules.CosineDecay(config.learning_rate, total_steps, alpha=0.05)
    if config.schedule == "exponential":
        return keras.optimizers.schedules.ExponentialDecay(
            config.learning_rate, decay_steps=max(1, steps_per_epoch), decay_rate=0.7)
    return config.learning_rate


def build_optimizer(config: RunConfig, steps_per_epoch: int) -> keras.optimizers.Optimizer:
    """Adam, AdamW or SGD (Nesterov momentum) with the run's schedule and clipping."""
    schedule = learning_rate_schedule(config, steps_per_epoch)
    clipping = {"clipnorm": config.clipnorm} if config.clipnorm else {}
    if config.optimizer == "adamw":
        return keras.optimizers.AdamW(schedule, weight_decay=config.weight_decay, **clipping)
    if config.optimizer == "sgd":
        return keras.optimizers.SGD(schedule, momentum=config.momentum, nesterov=True, **clipping)
    return keras.optimizers.Adam(schedule, **clipping)


def build_before_fit(model: keras.Model, batches) -> None:
    """Builds a compiled `model`, its loss, metrics and optimizer for `batches` (a
    tf.data.Dataset) before `fit`, as Keras does itself under a distribution strategy.

    Otherwise the optimizer's and the metrics' variables are made inside the
    first trace of the training step, and TensorFlow then traces that step a
    second time (a function that created variables is traced again without
    creating them): 2-4 s more per `fit` of a small model on this 2-core CPU.
    """
    build = getattr(model, "_symbolic_build", None)  # Keras 3's own; without it, fit builds them
    if build is not None:  # an unbuilt model is built symbolically, as fit would
        # from the batches' shapes and dtypes: drawing a batch would make an iterator,
        # which moves the seeded shuffling of every epoch after it
        build(data_batch=batches.element_spec)  # (x, y) or (x, y, sample_weight)
