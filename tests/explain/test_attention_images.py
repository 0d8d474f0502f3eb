"""TensorBoard attention images: every task's run logs, each epoch, the attention of a few
fixed validation examples as images (read back here from the event files)."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.util import event_pb2

from attnflow.explain.attention_images import MIN_HEIGHT, example_images, matrix_image


def image_tags(log_dir) -> dict[str, set[int]]:
    """{tag: epochs} of the image summaries under `log_dir` (every event file)."""
    found: dict[str, set[int]] = {}
    for path in tf.io.gfile.glob(str(log_dir / "*" / "events.out.tfevents.*")):
        for record in tf.data.TFRecordDataset(path):
            event = event_pb2.Event.FromString(record.numpy())
            for value in event.summary.value:
                if value.metadata.plugin_data.plugin_name == "images":
                    found.setdefault(value.tag, set()).add(event.step)
    return found


@pytest.mark.parametrize("name", ["dates", "text_rnn", "text_transformer", "sequence", "forecast", "image"])
def test_every_task_logs_attention_images_each_epoch(task_runs, name):
    tags = image_tags(task_runs[name] / "logs")
    assert "attention/example_1" in tags, sorted(tags)
    assert all(tag.startswith("attention/example_") for tag in tags)
    assert tags["attention/example_1"] == {0, 1}  # both epochs of the tiny run


def test_matrix_image_is_white_to_red_with_cells_and_a_minimum_height():
    image = matrix_image([[0.0, 0.5, 1.0]], cell=4)
    assert image.dtype == np.uint8 and image.shape == (MIN_HEIGHT, 12, 3)
    np.testing.assert_array_equal(image[0, 0], [255, 255, 255])  # weight 0: white
    np.testing.assert_array_equal(image[0, 8], [214, 39, 40])  # the largest weight: red
    assert matrix_image([[None, 1.0], [0.5, 0.25]], cell=2).shape == (MIN_HEIGHT, 4, 3)


def test_example_images_take_the_first_view_and_head():
    examples = [{"views": [{"heads": [{"weights": [[0.2, 0.8]]}]}]}] * 2
    assert sorted(example_images(examples)) == ["attention/example_1", "attention/example_2"]
