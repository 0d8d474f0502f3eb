"""What the "image" task writes: predictions (printed or CSV) and attention maps over images."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from attnflow.training.output_paths import write_atomically


def print_image_predictions(names: list[str], probabilities, classes: list[str], output=None) -> None:
    """One line per image, `path<TAB>label<TAB>probability`; or with `output` a CSV of
    path,label,probability and then one column per class, p_<class>."""
    best = np.asarray(probabilities).argmax(axis=1)
    if output:
        with write_atomically(output) as temporary, \
                open(temporary, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["path", "label", "probability", *[f"p_{c}" for c in classes]])
            for name, row, index in zip(names, probabilities, best):
                writer.writerow([name, classes[index], f"{row[index]:.6f}", *[f"{p:.6f}" for p in row]])
        print(f"predictions written to {output}")
        return
    for name, row, index in zip(names, probabilities, best):
        print(f"{name}\t{classes[index]}\t{row[index]:.3f}")


def write_attention_maps(part, probabilities, maps, directory: Path) -> list[Path]:
    """One PNG per image (ImageData `part`): the image beside its attention map,
    named after the image file (made file-safe; names that collide get a number)."""
    from attnflow.explain.image_attention import plot_image_attention

    paths, taken = [], set()
    for name, image, row, patch_map in zip(part.names, part.images, probabilities, maps):
        best = int(np.argmax(row))
        stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in Path(name).stem)
        file, number = f"{stem}.png", 1
        while file.lower() in taken:
            file, number = f"{stem}_{number}.png", number + 1
        taken.add(file.lower())
        paths.append(plot_image_attention(image, patch_map, directory / file,
                                          f"{Path(name).name}: {part.classes[best]} ({row[best]:.3f})"))
    return paths


def write_test_grid(test, probabilities, maps, count: int, path: Path) -> Path | None:
    """The run's grid of `count` test images with their attention maps,
    misclassified ones first (see `grid_examples`); None when count is 0."""
    from attnflow.explain.image_attention import plot_attention_grid

    predicted = np.asarray(probabilities).argmax(axis=1)
    chosen = grid_examples(test.labels, predicted, count)
    if not len(chosen):
        return None
    titles = [f"true {test.classes[test.labels[i]]}\npredicted {test.classes[predicted[i]]} "
              f"({probabilities[i, predicted[i]]:.2f})" for i in chosen]
    wrong = [bool(predicted[i] != test.labels[i]) for i in chosen]
    return plot_attention_grid(test.images[chosen], maps[chosen], titles, path, wrong,
                               title="attention rollout on test images (misclassified in red)")


def grid_examples(labels, predicted, count: int) -> np.ndarray:
    """Up to `count` test indices: up to half misclassified (more when too few are
    right), the rest right, drawn the same way every time; misclassified first."""
    labels, predicted = np.asarray(labels), np.asarray(predicted)
    rng = np.random.default_rng(len(labels))
    wrong = np.flatnonzero(labels != predicted)
    right = np.flatnonzero(labels == predicted)
    chosen_wrong = rng.permutation(wrong)[:max(count // 2, count - len(right))]
    chosen_right = rng.permutation(right)[:count - len(chosen_wrong)]
    return np.concatenate([np.sort(chosen_wrong), np.sort(chosen_right)]).astype(np.int64)
