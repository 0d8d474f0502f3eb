"""Default settings of `attnflow train image` (issue #15).

`preset(chosen)` is merged into the image task's defaults; a config file,
flags and `--set` still override every value. Keys: RunConfig fields at the
top level; "options", the image task's settings (`ImageOptions`); "model",
keyword arguments of `attnflow.models.VisionTransformer` (num_classes and
the pixel statistics come from the data).

Provisional: the experiments on Fashion-MNIST that choose these are in
progress.
"""

from __future__ import annotations

import copy

from attnflow.data.fashion_mnist import DATASET

PRESET: dict = {
    "epochs": 14, "batch_size": 128, "learning_rate": 1e-3, "optimizer": "adamw",
    "weight_decay": 0.05, "warmup": 1.0, "schedule": "cosine", "clipnorm": 1.0,
    "early_stopping": 0,
    "model": {"stem_channels": [32, 64], "patch_size": 2, "model_dim": 64, "num_heads": 4,
              "intermediate_dim": 128, "num_layers": 4, "dropout": 0.0, "pooling": "class_token"},
    "options": {"translate": 0.1, "flip": True, "label_smoothing": 0.1},
}
# A user's folder or CSV: images of any size are resized to 32 x 32, and not
# flipped (letters, digits and signs change meaning in a mirror).
USER_DATA: dict = {"options": {"image_size": 32, "flip": False}}


def preset(chosen: dict) -> dict:
    """The settings for what the user chose: Fashion-MNIST (recorded as
    options.dataset) without --data, else a user's images."""
    values = copy.deepcopy(PRESET)
    options = chosen.get("options") or {}
    if chosen.get("data") is None:
        values["options"]["dataset"] = options.get("dataset") or DATASET
        return values
    values["options"].update(USER_DATA["options"])
    return values
