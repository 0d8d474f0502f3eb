"""The image task's attention laid out for the explorer and TensorBoard, over the patch grid.

Views of one image (the explorer's "layer" picker; kind "image", the image
drawn under the grid):

- "rollout": attention rollout of the pooled token over the patches
  (`attnflow.explain.attention_rollout.patch_attention`), what the run's
  grid and `predict --show-attention` draw, and the SavedModel serves;
- "block l": that block's attention as the pooled token reads it,
  sum_q pool[q] A[h, q, k] over the patch tokens k (the class token's own
  column left out), per head and head-averaged.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
import tensorflow as tf

from attnflow.explain.attention_rollout import patch_attention
from attnflow.explain.explorer import attention_view, heads_with_mean
from attnflow.tasks.classification.attention_views import pick

KIND = "image"


def examples(model, data, split: str = "test", count: int = 8) -> tuple[str, list[dict]]:
    """The explorer's examples of a VisionTransformer run: (KIND, [example, ...])."""
    source = data.validation if split == "validation" and data.validation is not None \
        and len(data.validation) else data.test
    if source is None or not len(source) or not count:
        return KIND, []
    part = pick(source, count)
    images = tf.constant(np.asarray(part.images, np.float32))  # [N, S, S, C]
    probabilities, attention = model(images, return_attention_scores=True, training=False)
    rows, columns = model.patch_grid
    rollout = patch_attention(attention, (rows, columns)).numpy()  # [N, rows, columns]
    pooling, blocks = attention["pooling"].numpy(), attention["blocks"].numpy()  # [N, T], [N, L, H, T, T]
    probabilities = probabilities.numpy()
    result = []
    for row in range(len(part)):
        best = int(np.argmax(probabilities[row]))
        views = [attention_view("rollout", {"rollout": rollout[row]},
                                note="attention rollout of the pooled token over the patches "
                                     "(Abnar & Zuidema 2020), what predict --show-attention draws")]
        for number, block in enumerate(blocks[row]):
            read = np.einsum("q,hqk->hk", pooling[row], block)[:, -rows * columns:]  # [H, patches]
            views.append(attention_view(f"block {number + 1}",
                                        heads_with_mean(read.reshape(-1, rows, columns)),
                                        note="this block's attention as the pooled token reads it: "
                                             "sum_q pool[q] A[q, k], over the patches"))
        result.append({"name": f"{row + 1}: {Path(part.names[row]).name}", "input": part.names[row],
                       "prediction": f"{part.classes[best]} ({probabilities[row][best]:.3f})",
                       "truth": part.classes[int(part.labels[row])],
                       "rows": [f"row {r + 1}" for r in range(rows)],
                       "columns": [f"col {c + 1}" for c in range(columns)],
                       "image": png_data_url(part.images[row]), "views": views})
    return KIND, result


def png_data_url(image) -> str:
    """A uint8 image [S, S, C] (C = 1 or 3) as a data: URL of a PNG, for an inline <img>."""
    from PIL import Image

    pixels = np.asarray(image, np.uint8)
    picture = Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
