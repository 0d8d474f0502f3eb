"""The parts of a classification run's data (train, validation, test, k-fold folds)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ClassificationSplits:
    """train, validation and test parts (TextData or SequenceData; train and
    validation are None when evaluating on a file).

    With `folds` (k-fold cross-validation of a small file), `test` holds
    every example of the file, `folds` the (train rows, test rows) of each
    fold into it, and train/validation the split the saved model trains on.
    """

    train: Any
    validation: Any
    test: Any
    folds: list | None = None
    scored: tuple | None = field(default=None, repr=False)  # (model, test scores) once evaluated
    baseline_scores: dict | None = field(default=None, repr=False)  # once the baselines have run

    @property
    def classes(self) -> list[str]:
        return self.test.classes
