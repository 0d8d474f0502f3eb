"""ImageClassifier: the image task from arrays of pixels or lists of image files."""

from __future__ import annotations

import numpy as np
import pytest

import attnflow
from tests.image_files import picture, write_folder

TINY = dict(epochs=6, batch_size=16, learning_rate=0.003, image_size=8, baselines=[],
            model={"stem_channels": [4], "patch_size": 4, "model_dim": 16, "num_heads": 2,
                   "intermediate_dim": 16, "num_layers": 1},
            options={"min_steps_per_epoch": 8, "samples": 2}, verbose=0)


def pixels(count=40, seed=0, size=12):
    """uint8 [count, size, size] "top" and "bottom" pictures, labels "up" and "down"."""
    rng = np.random.default_rng(seed)
    kinds = ["top" if number % 2 == 0 else "bottom" for number in range(count)]
    return np.stack([picture(kind, size, rng) for kind in kinds]), ["up" if k == "top" else "down" for k in kinds]


def test_fit_on_pixels_predicts_saves_and_loads(tmp_path):
    images, labels = pixels()
    model = attnflow.ImageClassifier(**TINY).fit(images, labels)
    assert sorted(model.classes_) == ["down", "up"]
    test_images, test_labels = pixels(12, seed=5, size=20)  # another size: resized as files are
    probabilities = model.predict_proba(test_images / 255.0)  # floats in [0, 1] read as such
    assert probabilities.shape == (12, 2)
    np.testing.assert_allclose(probabilities, model.predict_proba(test_images), atol=1e-5)
    np.testing.assert_array_equal(model.predict(test_images), model.classes_[probabilities.argmax(axis=1)])
    assert model.score(test_images, test_labels) >= 0.75  # bands at the top or the bottom
    maps = model.attention(test_images[:2])
    assert len(maps) == 2 and np.all(np.isfinite(maps[0])) and np.asarray(maps[0]).size > 1
    loaded = attnflow.load(model.save(tmp_path / "run"))  # the pictures travel with the run
    assert isinstance(loaded, attnflow.ImageClassifier)
    np.testing.assert_allclose(loaded.predict_proba(test_images), probabilities, atol=1e-5)
    assert (tmp_path / "run" / "files" / "train_0.png").is_file()
    assert loaded.evaluate()["test"]["accuracy"] == model.evaluate()["test"]["accuracy"]


def test_fit_on_files_with_a_test_set_of_its_own(tmp_path):
    root = write_folder(tmp_path / "pictures", per_class=12)
    files = sorted(root.rglob("*.png"))
    labels = [file.parent.name for file in files]
    test_images, test_labels = pixels(8, seed=2)
    test_labels = ["top" if label == "up" else "bottom" for label in test_labels]
    model = attnflow.ImageClassifier(**{**TINY, "epochs": 1}).fit(files, labels,
                                                                  test_data=(test_images, test_labels))
    assert sum(model.evaluate()["test"]["per_class"][name]["support"] for name in ("top", "bottom")) == 8
    assert model.predict([str(files[0]), files[1]]).shape == (2,)


@pytest.mark.parametrize("images, labels, message", [
    (np.zeros((4, 8)), [0, 1, 0, 1], r"images as an array \[N, height, width\].* Received: images='shape \(4, 8\)'"),
    (np.full((4, 8, 8), 300), [0, 1, 0, 1], r"pixel values in \[0, 255\].*Received: images='values 300 .. 300'"),
    (np.zeros((4, 8, 8)), [0, 1], r"labels of the same length as the images \(4\)"),
    (["no/such.png"], [0], r"expected image files that exist\. Received: images='no/such\.png'"),
    ("one.png", [0], r"a list of image paths or an array of images, not one path"),
])
def test_bad_input_is_one_value_error_and_leaves_no_run(images, labels, message, scratch_root):
    with pytest.raises(ValueError, match=message):
        attnflow.ImageClassifier(**TINY).fit(images, labels)
    assert list(scratch_root.iterdir()) == []
