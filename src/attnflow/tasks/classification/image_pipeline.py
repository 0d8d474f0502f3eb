"""What the "image" task feeds its networks: augmented batches, resized images, predictions.

Training batches are shuffled, cast to float32, augmented by Keras
preprocessing layers (random shifts with the edge pixels repeated, and
optionally horizontal flips) and carry one-hot labels, so that the loss can
smooth them. Validation and test images are never augmented.
"""

from __future__ import annotations

import math
import weakref

import numpy as np
import tensorflow as tf

from attnflow.explain.attention_rollout import patch_attention
from attnflow.training.progress import progress_bar

_ATTENDING_CALLS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # model -> tf.function


def augmentation(translate: float, flip: bool, seed: int | None = None):
    """The training-time augmentation as a `keras.Sequential`, or None when there is none.

    Args:
        translate: largest shift, as a fraction of the height and width
            (RandomTranslation, edges repeated); 0: no shifts.
        flip: random horizontal flips.
        seed: seed of the random layers.
    """
    import keras

    layers = []
    if translate:
        layers.append(keras.layers.RandomTranslation(translate, translate, fill_mode="nearest",
                                                     seed=seed))
    if flip:
        layers.append(keras.layers.RandomFlip("horizontal", seed=None if seed is None else seed + 1))
    return keras.Sequential(layers, name="augmentation") if layers else None


def image_batches(images, labels, num_classes: int, batch_size: int, seed: int | None = None,
                  augment=None, min_steps: int = 0):
    """(images [B, S, S, C] float32, one-hot labels [B, C]) batches for `fit`, and their number.

    Args:
        images: uint8 [N, S, S, C].
        labels: N class indices.
        num_classes: C.
        batch_size: examples per batch.
        seed: with a seed, the examples are reshuffled every epoch.
        augment: a layer applied to each training batch (see `augmentation`).
        min_steps: fewer batches than this make one pass over the images
            repeated (reshuffled, augmented anew) until there are at least
            as many (default 0: one pass).
    """
    labels = np.asarray(labels, dtype=np.int64)
    passes = max(1, math.ceil(min_steps * batch_size / max(len(labels), 1)))
    dataset = tf.data.Dataset.from_tensor_slices((images, labels))
    if seed is not None:
        dataset = dataset.shuffle(len(labels), seed=seed, reshuffle_each_iteration=True)
    if passes > 1:
        dataset = dataset.repeat(passes)

    def prepare(x, y):
        x = tf.cast(x, tf.float32)  # [B, S, S, C]
        if augment is not None:
            x = augment(x, training=True)
        return x, tf.one_hot(y, num_classes)  # [B, S, S, C], [B, C]

    dataset = dataset.batch(batch_size).map(prepare, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE), math.ceil(passes * len(labels) / batch_size)


def resize_images(images, size: int) -> np.ndarray:
    """uint8 images [N, H, W, C] resized to [N, size, size, C] (bilinear, antialiased)."""
    images = np.asarray(images)
    if images.shape[1:3] == (size, size):
        return images
    resized = [tf.image.resize(images[start:start + 4096], (size, size), antialias=True).numpy()
               for start in range(0, len(images), 4096)]
    return np.clip(np.round(np.concatenate(resized)), 0, 255).astype(np.uint8)


def predict_images(model, images, batch_size: int, label: str = "predicting"):
    """Probabilities [N, C] and attention rollout maps [N, rows, columns] of uint8 images."""
    call = _ATTENDING_CALLS.get(model)
    if call is None:  # one traced function per model, however often it predicts
        held = weakref.ref(model)  # the cache must not keep the model alive

        def attend(x):
            probabilities, attention = held()(x, return_attention_scores=True, training=False)
            return probabilities, patch_attention(attention, held().patch_grid)

        call = tf.function(attend, reduce_retracing=True)
        _ATTENDING_CALLS[model] = call
    probabilities, maps = [], []
    with progress_bar(len(images), label) as advance:
        for start in range(0, len(images), batch_size):
            batch = tf.constant(np.asarray(images[start:start + batch_size], np.float32))
            batch_probabilities, batch_maps = call(batch)
            probabilities.append(batch_probabilities.numpy())
            maps.append(batch_maps.numpy())
            advance(len(batch))
    return np.concatenate(probabilities), np.concatenate(maps)


def serving_outputs(model, images) -> dict:
    """The SavedModel's outputs: "probabilities" [B, C] and "attention" [B, rows, columns],
    the attention rollout of the pooled token over the patches."""
    probabilities, attention = model(images, return_attention_scores=True, training=False)
    return {"probabilities": probabilities, "attention": patch_attention(attention, model.patch_grid)}
