"""Baselines of the "image" task, fitted on the Vision Transformer's training split.

"cnn": a small convolutional network, two conv + max-pool blocks and a
dense layer (32 and 64 3x3 filters, 128 units: ~0.4M weights at 28x28,
the order of the default ViT's), the classic 2-conv network of the
Fashion-MNIST benchmarks; trained on the same augmented batches, with the
same loss, optimizer and schedule as the ViT, for its own number of epochs.
"pixel_logreg": multinomial logistic regression on the raw pixels scaled to
[0, 1] (scikit-learn), C chosen on the validation split.
"""

from __future__ import annotations

import sys
import warnings

import keras
import numpy as np

from attnflow._validation import fail

LOGREG_CS = (0.1, 1.0)  # inverse regularization strengths tried on the validation split
LOGREG_ITERATIONS = 100  # L-BFGS steps: 0.843 on Fashion-MNIST at 100, 0.844 at 300 (3x the time)


def small_cnn(image_shape, num_classes: int, pixel_mean=None, pixel_std=None,
              seed: int | None = None) -> keras.Sequential:
    """The "cnn" baseline, untrained.

    Args:
        image_shape: (H, W, C) of the images (uint8 pixels or floats).
        num_classes: C.
        pixel_mean, pixel_std: per-channel statistics standardizing the
            pixels inside the network (default None: as given).
        seed: seed of the dropout.

    Returns:
        A `keras.Sequential`: images [B, H, W, C] -> probabilities [B, C].
    """
    if len(tuple(image_shape)) != 3:
        fail("image_shape (H, W, C)", image_shape=tuple(image_shape))
    layers = [keras.Input(tuple(image_shape))]
    if pixel_mean is not None:
        layers.append(keras.layers.Normalization(mean=pixel_mean,
                                                 variance=np.square(pixel_std).tolist()))
    layers += [
        keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(64, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dropout(0.3, seed=seed),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dropout(0.3, seed=None if seed is None else seed + 1),
        keras.layers.Dense(num_classes, activation="softmax"),
    ]
    return keras.Sequential(layers, name="small_cnn")


def pixel_logistic_regression(train_images, train_labels, validation_images=None,
                              validation_labels=None, cs=LOGREG_CS, seed: int = 0):
    """The "pixel_logreg" baseline: logistic regression on pixels / 255.

    Args:
        train_images: uint8 [N, H, W, C].
        train_labels: N class indices.
        validation_images, validation_labels: where C is chosen (None: the
            first of `cs`).
        cs: candidate inverse regularization strengths.
        seed: of the solver.

    Returns:
        A fitted scikit-learn `LogisticRegression`; its `predict` takes
        `flat_pixels(images)`.
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    if not cs or any(c <= 0 for c in cs):
        fail("cs to be positive floats", cs=tuple(cs))
    candidates = cs if validation_images is not None and len(validation_images) else cs[:1]
    best, best_accuracy = None, -1.0
    with threadpool_limits(limits=1), warnings.catch_warnings():
        # One BLAS thread (OpenBLAS threads spinning on a busy 2-core machine are slower);
        # stopping at LOGREG_ITERATIONS is a choice, not a failure worth a warning.
        warnings.simplefilter("ignore", ConvergenceWarning)
        for c in candidates:
            model = LogisticRegression(C=float(c), max_iter=LOGREG_ITERATIONS, random_state=seed)
            model.fit(flat_pixels(train_images), np.asarray(train_labels))
            if len(candidates) == 1:
                return model
            accuracy = float(np.mean(model.predict(flat_pixels(validation_images))
                                     == np.asarray(validation_labels)))
            if accuracy > best_accuracy:
                best, best_accuracy = model, accuracy
    return best


def flat_pixels(images) -> np.ndarray:
    """float32 [N, H*W*C] of uint8 images, scaled to [0, 1]."""
    images = np.asarray(images)
    return images.reshape(len(images), -1).astype(np.float32) / 255.0


def train_cnn(task, data, config):
    """The "cnn" baseline trained as the task trains its ViT: the same augmented
    batches, loss, optimizer, warm-up and cosine schedule, for options.cnn_epochs.

    Args:
        task: the ImageTask (its `training_data` and `compile_arguments`).
        data: the run's ClassificationSplits.
        config: the run's RunConfig.

    Returns:
        The trained `keras.Sequential`.
    """
    from attnflow.training.config import RunConfig, merge
    from attnflow.training.optimizers import build_before_fit, build_optimizer

    epochs = task.options(config).cnn_epochs
    cnn_config = RunConfig.from_dict(merge(config.to_dict(), {"epochs": epochs}))
    keras.utils.set_random_seed(config.seed)
    mean, std = data.train.pixel_stats()
    model = small_cnn(data.train.images.shape[1:], len(data.classes), mean, std, seed=config.seed)
    fit_data = task.training_data(model, data, cnn_config)
    model.compile(optimizer=build_optimizer(cnn_config, fit_data.steps_per_epoch),
                  **task.compile_arguments(cnn_config))
    build_before_fit(model, fit_data.train)
    print(f"baseline cnn: training for {epochs} epochs", file=sys.stderr, flush=True)
    model.fit(fit_data.train, validation_data=fit_data.validation, epochs=epochs, verbose=0,
              shuffle=False)  # the batches are shuffled already
    return model
