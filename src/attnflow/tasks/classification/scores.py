"""Scores of a classifier: accuracy, precision, recall, F1, the confusion matrix.

`classification_scores` gives the "test" entry of metrics.json for the
"text" and "sequence" tasks (and their baselines), computed by
scikit-learn; `score_tables` prints the matrix with the per-class scores
(`attnflow.explain.confusion_matrix` draws it).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from attnflow._validation import fail


def classification_scores(labels, predicted, classes: Sequence[str]) -> dict:
    """Scores of predicted class indices against the true ones.

    Macro averages are taken over the classes found in `labels` or
    `predicted` (as scikit-learn's `average="macro"` does); a class never
    predicted has precision 0.

    Args:
        labels: true class indices [N].
        predicted: predicted class indices [N].
        classes: the C class names (index i names class i).

    Returns:
        {"accuracy", "precision_macro", "recall_macro", "f1_macro": floats,
         "per_class": {name: {"precision", "recall", "f1", "support"}},
         "confusion_matrix": C lists of C counts, rows true, columns predicted}.
    """
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    labels = np.asarray(labels, dtype=np.int64)
    predicted = np.asarray(predicted, dtype=np.int64)
    count = len(classes)
    if labels.shape != predicted.shape or labels.ndim != 1 or len(labels) == 0:
        fail("labels and predictions of the same length N >= 1",
             labels=labels.shape, predicted=predicted.shape)
    for name, values in (("labels", labels), ("predicted", predicted)):
        if values.min() < 0 or values.max() >= count:
            fail(f"class indices in [0, {count})", **{name: sorted(set(values.tolist()))[:10]})
    every = np.arange(count)
    matrix = confusion_matrix(labels, predicted, labels=every)  # [C true, C predicted]
    precision, recall, f1, support = precision_recall_fscore_support(
        labels, predicted, labels=every, average=None, zero_division=0)
    present = (matrix.sum(axis=1) > 0) | (matrix.sum(axis=0) > 0)  # sklearn's macro classes
    return {
        "accuracy": float(np.trace(matrix) / len(labels)),
        "precision_macro": float(precision[present].mean()),
        "recall_macro": float(recall[present].mean()),
        "f1_macro": float(f1[present].mean()),
        "per_class": {str(name): {"precision": float(precision[i]), "recall": float(recall[i]),
                                  "f1": float(f1[i]), "support": int(support[i])}
                      for i, name in enumerate(classes)},
        "confusion_matrix": matrix.tolist(),
    }


def score_tables(scores: dict, title: str = "test"):
    """Two rich Tables: per-class precision, recall, F1 and support; the confusion matrix."""
    from rich.table import Table

    per_class = Table(title=f"{title}: per class")
    for column in ("class", "precision", "recall", "f1", "support"):
        per_class.add_column(column, justify="left" if column == "class" else "right")
    for name, row in scores["per_class"].items():
        per_class.add_row(name, f"{row['precision']:.3f}", f"{row['recall']:.3f}",
                          f"{row['f1']:.3f}", str(row["support"]))
    per_class.add_row("macro", f"{scores['precision_macro']:.3f}", f"{scores['recall_macro']:.3f}",
                      f"{scores['f1_macro']:.3f}", str(sum(r["support"] for r in scores["per_class"].values())),
                      style="bold")
    names = list(scores["per_class"])
    confusion = Table(title=f"{title}: confusion matrix", caption="rows true, columns predicted")
    confusion.add_column("")
    for name in names:
        confusion.add_column(name[:12], justify="right")
    for name, row in zip(names, scores["confusion_matrix"]):
        confusion.add_row(name[:12], *(str(count) for count in row))
    return per_class, confusion
