"""The image task's own parts: defaults, settings checks, batches, the grid's examples, baselines."""

from __future__ import annotations

import re

import numpy as np
import pytest

from attnflow.tasks import get_task
from attnflow.tasks.classification.image_baselines import flat_pixels, pixel_logistic_regression, small_cnn
from attnflow.tasks.classification.image_output import grid_examples
from attnflow.tasks.classification.image_pipeline import augmentation, image_batches, resize_images
from attnflow.training import resolve_config
from tests.image_files import picture


def config_for(chosen=None, **overrides):
    task = get_task("image")
    return task, resolve_config(task.defaults(chosen or {}), {}, [overrides] if overrides else [])


def test_defaults_for_fashion_mnist_and_for_a_users_images():
    task, config = config_for()
    assert config.options["dataset"] == "fashion_mnist" and config.options["image_size"] == 28
    assert config.options["flip"] is True and config.optimizer == "adamw" and config.warmup > 0
    assert config.options["translate"] == 0.0  # Fashion-MNIST's items are centred, as in its test set
    task.check_config(config)
    _, config = config_for({"data": "pictures/"})
    assert config.options["dataset"] is None and config.options["image_size"] == 32
    assert config.options["flip"] is False  # digits and letters change meaning in a mirror
    assert config.options["translate"] == 0.1  # a small folder needs the variety of shifts


@pytest.mark.parametrize("overrides,message", [
    ({"model": {"patch_size": 8}, "options": {"image_size": 28}},
     "expected image_size a multiple of 16 (model.patch_size=8 times 2 for the stem's pooling)"),
    ({"model": {"patch_size": 7, "stem_channels": []}, "options": {"image_size": 6}},
     "expected image_size of at least one patch (model.patch_size=7)"),
    ({"model": {"pooling": "max"}}, "expected pooling to be one of"),
    ({"model": {"num_classes": 3}}, "expected model settings of VisionTransformer among"),
    ({"options": {"channels": 2}}, "expected channels to be 1, 3 or None"),
    ({"options": {"translate": 1.5}}, "expected translate in [0, 1)"),
    ({"options": {"flip": "yes"}}, "expected flip to be true or false"),
    ({"options": {"dataset": "mnist"}}, "expected dataset to be None (with --data) or 'fashion_mnist'"),
    ({"options": {"min_steps_per_epoch": -1}}, "expected min_steps_per_epoch to be a non-negative integer"),
])
def test_bad_settings(overrides, message):
    task, config = config_for(**overrides)
    with pytest.raises(ValueError, match=re.escape(message)):
        task.check_config(config)


def test_batches_are_one_hot_augmented_and_repeated_for_small_sets(rng):
    images = np.stack([picture("top", 8, rng)[..., None] for _ in range(10)])
    labels = np.arange(10) % 2
    dataset, steps = image_batches(images, labels, 2, batch_size=4, seed=0, min_steps=6)
    batches = list(dataset)
    assert steps == len(batches) == 8  # 10 images repeated 3 times: 30 in batches of 4
    x, y = batches[0]
    assert x.dtype == "float32" and x.shape == (4, 8, 8, 1) and y.shape == (4, 2)
    np.testing.assert_array_equal(np.sort(np.concatenate([b[1].numpy().argmax(1) for b in batches])),
                                  np.sort(np.tile(labels, 3)))
    plain, steps = image_batches(images, labels, 2, batch_size=4)
    assert steps == 3 and len(list(plain)) == 3
    shifted, _ = image_batches(images, labels, 2, batch_size=10, augment=augmentation(0.25, True, 0))
    x = next(iter(shifted))[0].numpy()
    assert np.abs(x - images).max() > 0 and x.min() >= 0 and x.max() <= 255
    assert augmentation(0.0, False) is None


def test_resize_keeps_uint8_and_the_picture():
    images = np.stack([picture("left", 16, np.random.default_rng(0))[..., None]])
    small = resize_images(images, 8)
    assert small.dtype == np.uint8 and small.shape == (1, 8, 8, 1)
    assert small[0, :, :4].mean() > small[0, :, 4:].mean()
    assert resize_images(images, 16) is images


def test_grid_examples_take_misclassified_first_then_right_ones():
    labels = np.array([0, 1, 0, 1, 0, 1, 0, 1])
    predicted = np.array([1, 1, 0, 0, 0, 1, 0, 1])  # wrong at 0 and 3
    chosen = grid_examples(labels, predicted, 4)
    assert chosen[:2].tolist() == [0, 3] and set(chosen[2:]) <= {1, 2, 4, 5, 6, 7}
    assert len(grid_examples(labels, labels, 4)) == 4
    all_wrong = grid_examples(labels, 1 - labels, 3)
    assert len(all_wrong) == 3 and len(set(all_wrong)) == 3  # none right: all three are wrong ones
    assert len(grid_examples(labels, predicted, 0)) == 0


def test_baselines_fit_what_tells_the_classes_apart(rng):
    kinds = ("top", "bottom")
    x = np.stack([picture(kinds[n % 2], 8, rng)[..., None] for n in range(40)])
    y = np.arange(40) % 2
    logreg = pixel_logistic_regression(x[:30], y[:30], x[30:], y[30:])
    assert (logreg.predict(flat_pixels(x[30:])) == y[30:]).mean() >= 0.9
    assert flat_pixels(x).shape == (40, 64) and flat_pixels(x).max() <= 1.0
    cnn = small_cnn((8, 8, 1), 2, [60.0], [80.0], seed=0)
    assert cnn(x[:3].astype("float32")).shape == (3, 2)
    with pytest.raises(ValueError, match=r"expected image_shape \(H, W, C\)"):
        small_cnn((8, 8), 2)
