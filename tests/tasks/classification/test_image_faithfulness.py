"""The image task's faithfulness pieces: removing patches, gradient x input per patch, the figures."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from attnflow.data.images import ImageData
from attnflow.models import VisionTransformer
from attnflow.tasks.classification.image_faithfulness import (
    faithfulness, patch_gradient_x_input, patch_sums, without_patches)


def test_removed_patches_take_the_fill_and_the_others_stay():
    images = np.arange(2 * 4 * 6 * 3, dtype=np.float32).reshape(2, 4, 6, 3)  # grid 2 x 3 of 2x2 patches
    removed = np.zeros((2, 6), bool)
    removed[0, 4] = True  # row 1, column 1 of the first image
    removed[1, [0, 5]] = True
    changed = without_patches(images, removed, (2, 3), 2, np.array([7.0, 8.0, 9.0]))
    expected = images.copy()
    expected[0, 2:4, 2:4] = [7.0, 8.0, 9.0]
    expected[1, 0:2, 0:2] = [7.0, 8.0, 9.0]
    expected[1, 2:4, 4:6] = [7.0, 8.0, 9.0]
    np.testing.assert_array_equal(changed, expected)
    assert images[0, 2, 2, 0] != 7.0  # the input is not changed in place


def test_patch_sums_add_each_patch_in_row_major_order():
    values = np.zeros((1, 4, 6))
    values[0, 3, 5] = 2.0  # last patch
    values[0, 0, 2] = values[0, 1, 3] = 1.5  # row 0, column 1
    np.testing.assert_array_equal(patch_sums(values, (2, 3), 2), [[0, 3.0, 0, 0, 0, 2.0]])


def tiny_model(seed=0):
    model = VisionTransformer(3, patch_size=2, model_dim=8, num_heads=2, intermediate_dim=8, num_layers=2,
                              stem_channels=[], pixel_mean=[100.0], pixel_std=[50.0], seed=seed)
    model(np.zeros((1, 8, 8, 1), np.float32))
    return model


def test_gradient_x_input_per_patch_is_the_first_order_effect_of_removing_it(rng):
    model = tiny_model()
    images = rng.uniform(0, 255, (3, 8, 8, 1)).astype(np.float32)
    predicted = model(images).numpy().argmax(axis=1)
    attribution = patch_gradient_x_input(model, images, predicted, (4, 4), 2, np.array([100.0], np.float32))
    assert attribution.shape == (3, 16)
    # Moving one patch a small step towards the mean changes the probability by step * attribution
    # (a central difference, so that the curvature cancels).
    step = 0.01
    chosen = lambda x: model(x).numpy()[np.arange(3), predicted].astype(np.float64)  # noqa: E731
    for patch in (0, 5, 15):
        removed = np.zeros((3, 16), bool)
        removed[:, patch] = True
        direction = without_patches(images, removed, (4, 4), 2, np.array([100.0])) - images
        change = (chosen(images + step * direction) - chosen(images - step * direction)) / (2 * step)
        np.testing.assert_allclose(np.abs(change), attribution[:, patch], rtol=0.03, atol=1e-5)


def test_the_figures_of_a_model_on_test_images(rng):
    images = rng.uniform(0, 255, (12, 8, 8, 1)).astype(np.uint8)
    test = ImageData(images, np.arange(12) % 3, ["a", "b", "c"], [f"{i}.png" for i in range(12)])
    figures = faithfulness(tiny_model(), SimpleNamespace(test=test), SimpleNamespace(seed=0))
    assert figures["examples"] == 12 and figures["k_fraction"] == 0.1
    # k = 2 of 16 patches, removed from every image: a change of probability, within (-1, 1)
    assert -1.0 < figures["top_k_change"] < 1.0 and -1.0 < figures["random_k_change"] < 1.0
    assert figures["top_k_change"] != 0.0 and figures["random_k_change"] != 0.0
    assert -1.0 < figures["rank_correlation_grad_x_input"] < 1.0
    assert figures["change"] == "mean drop of the predicted output's probability"
