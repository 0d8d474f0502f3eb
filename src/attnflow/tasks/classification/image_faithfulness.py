"""Does the attention rollout explain a Vision Transformer's prediction? (metrics.json's "faithfulness")

The inputs are the patches of the rollout's grid (`VisionTransformer.patch_grid`,
each `pixel_patch_size` pixels square, whatever the stem). Removing a patch
sets its pixels to the training images' mean (`pixel_mean`, 0 once the model
standardizes them); the attention of a patch is its rollout weight, and its
gradient x input is sum over its pixels of d p(predicted) / d pixel *
(pixel - mean), the first-order effect of that removal.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from attnflow.explain.attention_rollout import patch_attention
from attnflow.explain.faithfulness import FaithfulnessProblem, measure
from attnflow.tasks.classification.attention_views import BATCH, FAITHFULNESS_EXAMPLES, pick


def faithfulness(model, data, config) -> dict:
    """`attnflow.explain.faithfulness.measure` on up to FAITHFULNESS_EXAMPLES test images."""
    part = pick(data.test, FAITHFULNESS_EXAMPLES)
    images = np.asarray(part.images, np.float32)  # [N, S, S, C]
    grid, side = tuple(model.patch_grid), model.pixel_patch_size
    mean = np.broadcast_to(np.asarray(model.pixel_mean if model.pixel_mean is not None else 0.0,
                                      np.float32), images.shape[-1:])  # [C]
    probabilities, rollout = _scores(model, images, grid)  # [N, C], [N, rows * columns]
    predicted = probabilities.argmax(axis=1)

    def outputs(removed):
        changed = without_patches(images, np.stack(removed), grid, side, mean)
        return _scores(model, changed, grid)[0][np.arange(len(changed)), predicted]

    attribution = patch_gradient_x_input(model, images, predicted, grid, side, mean)  # [N, patches]
    return measure(FaithfulnessProblem(list(rollout), outputs, list(attribution)), seed=config.seed)


def without_patches(images, removed, grid: tuple[int, int], side: int, fill) -> np.ndarray:
    """images [N, S, S, C] with the pixels of every removed patch set to `fill` [C].

    Args:
        removed: bool [N, rows * columns], True = removed (patches in row-major order).
        grid: (rows, columns) of patches; side: their side in pixels.
    """
    rows, columns = grid
    pixels = np.kron(np.asarray(removed).reshape(-1, rows, columns),
                     np.ones((side, side), bool)).astype(bool)  # [N, rows * side, columns * side]
    changed = np.array(images, np.float32, copy=True)
    changed[pixels] = fill
    return changed


def patch_sums(values, grid: tuple[int, int], side: int) -> np.ndarray:
    """values [N, S, S] summed over each patch: [N, rows * columns] (row-major)."""
    rows, columns = grid
    values = np.asarray(values)[:, :rows * side, :columns * side]
    return values.reshape(len(values), rows, side, columns, side).sum(axis=(2, 4)).reshape(len(values), -1)


def patch_gradient_x_input(model, images, predicted, grid, side: int, mean) -> np.ndarray:
    """|sum over a patch's pixels of gradient x (pixel - mean)| of the predicted class's
    probability: [N, rows * columns]."""
    results = []
    for start in range(0, len(images), BATCH):
        batch = tf.constant(images[start:start + BATCH])  # [B, S, S, C]
        with tf.GradientTape() as tape:
            tape.watch(batch)
            p = model(batch, training=False)  # [B, C]
            target = tf.reduce_sum(tf.gather(p, tf.constant(predicted[start:start + BATCH]), batch_dims=1))
        product = tf.reduce_sum(tape.gradient(target, batch) * (batch - mean), axis=-1)  # [B, S, S]
        results.append(np.abs(patch_sums(product.numpy(), grid, side)))
    return np.concatenate(results)


def _scores(model, images, grid) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities [N, C] and rollout weights [N, rows * columns], in batches."""
    probabilities, rollout = [], []
    for start in range(0, len(images), BATCH):
        p, attention = model(tf.constant(images[start:start + BATCH]), return_attention_scores=True,
                             training=False)
        probabilities.append(p.numpy())
        rollout.append(patch_attention(attention, grid).numpy().reshape(len(p), -1))
    return np.concatenate(probabilities), np.concatenate(rollout)
