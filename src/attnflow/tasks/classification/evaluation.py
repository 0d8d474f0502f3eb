"""How a classification run is scored: on a test split, on the user's test
file, or by stratified k-fold cross-validation when the user's file is small.

A single split of a small file tests on a handful of examples (a run on 40
series of 4 classes tests on 8), so that one unlucky draw moves the
accuracy by 0.1 or more. Below `ClassificationOptions.cross_validation_below`
examples (300 by default: a 20% test split of 300 holds 60, where one
example is 1.7 accuracy points) and with no `--test-data`, every example
is tested once, out of fold: the data are cut into `folds` stratified
parts, and each part is scored by a model (and each baseline) trained on
the other parts. metrics.json's "test" then holds the mean over the folds
of each score, its standard deviation (`accuracy_std`, ...), the scores of
each fold (`fold_accuracy`, ...) and the number of folds; the per-class
scores and the confusion matrix count every example's out-of-fold
prediction once.
"""

from __future__ import annotations

import filecmp
import sys
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np

from attnflow._validation import fail
from attnflow.data._table_files import check_splittable, stratified_split
from attnflow.tasks.classification.scores import classification_scores

AVERAGED = ("accuracy", "precision_macro", "recall_macro", "f1_macro")


def check_folds(labels, classes: Sequence[str], folds: int, source: str, unit: str = "rows") -> None:
    """Raises ValueError naming each class with fewer examples than `folds`
    (stratified k-fold needs one of each class in every fold)."""
    counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=len(classes))
    short = {str(name): int(count) for name, count in zip(classes, counts) if count < folds}
    if short:
        fail(f"at least {folds} {unit} of every class for {folds}-fold cross-validation of "
             f"{source} (or fewer folds: --set options.folds=N; or a test file: --test-data FILE)",
             classes_with_too_few=short)


def split_or_folds(examples, options, source: str, seed: int, unit: str):
    """(train, test, folds) of a user's file with no test file: class by class into
    train and test, or, with fewer than `options.cross_validation_below` examples,
    all of it as both, with the k-fold (train rows, test rows) of `fold_indices`."""
    if len(examples) < options.cross_validation_below:
        check_folds(examples.labels, examples.classes, options.folds, source, unit=unit)
        return examples, examples, fold_indices(examples.labels, options.folds, seed)
    check_splittable(examples.labels, examples.classes, source, options.test_fraction,
                     options.validation_fraction, unit=unit)
    train, test = stratified_split(examples, options.test_fraction, seed)
    return train, test, None


def fold_indices(labels, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train rows, test rows) of each of `folds` stratified folds, shuffled by `seed`."""
    from sklearn.model_selection import StratifiedKFold

    labels = np.asarray(labels, dtype=np.int64)
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    return [(train, test) for train, test in splitter.split(np.zeros(len(labels)), labels)]


def cross_validated_scores(results: list[tuple[np.ndarray, np.ndarray]], classes) -> dict:
    """The "test" scores of a cross-validation from each fold's (labels, predicted).

    Returns:
        The keys of `classification_scores` (accuracy and the macro scores:
        means over the folds; per_class and confusion_matrix: every
        out-of-fold prediction once), plus `<score>_std` (population
        standard deviation over the folds), `fold_<score>` (each fold's) and
        `folds`.
    """
    per_fold = [classification_scores(labels, predicted, classes) for labels, predicted in results]
    pooled = classification_scores(np.concatenate([labels for labels, _ in results]),
                                   np.concatenate([predicted for _, predicted in results]), classes)
    scores = {name: float(np.mean([fold[name] for fold in per_fold])) for name in AVERAGED}
    scores.update({f"{name}_std": float(np.std([fold[name] for fold in per_fold]))
                   for name in AVERAGED})
    scores.update({"per_class": pooled["per_class"], "confusion_matrix": pooled["confusion_matrix"],
                   "folds": len(results)})
    scores.update({f"fold_{name}": [fold[name] for fold in per_fold] for name in ("accuracy", "f1_macro")})
    return scores


def cross_validate(task, data, config) -> dict:
    """The "test" scores of the run's settings, trained and scored fold by fold
    (`task.fold_splits`) as a run trains (`fit_model`: same seed, early stopping)."""
    from attnflow.training.trainer import fit_model

    results = []
    for number, fold in enumerate(task.fold_splits(data, config), start=1):
        print(f"attnflow: cross-validation: fold {number} of {len(data.folds)}",
              file=sys.stderr, flush=True)
        model = fit_model(task, config, fold)
        results.append((fold.test.labels, task.predicted_classes(model, fold.test, config)))
    return cross_validated_scores(results, data.classes)


def cross_validate_baselines(task, data, config) -> dict:
    """{name: "test" scores} of the task's baselines, trained and scored fold by fold."""
    results: dict[str, list] = {}
    for fold in task.fold_splits(data, config):
        for name, predicted in task.baseline_predictions(fold, config).items():
            results.setdefault(name, []).append((fold.test.labels, predicted))
    return {name: cross_validated_scores(folds, data.classes) for name, folds in results.items()}


def warn_if_same_file(data, test_data) -> None:
    """Warns when the test file (or folder) is the training one (same path, or a file of
    the same bytes): its scores then measure memory, not how the model does on new data."""
    train, test = Path(data), Path(test_data)
    same_path = train.exists() and train.resolve() == test.resolve()
    if same_path or (train.is_file() and test.is_file() and filecmp.cmp(train, test, shallow=False)):
        warnings.warn(f"--test-data {test_data} is the same as --data {data}: the test scores "
                      "are on the training examples and overstate what the model does on new data",
                      UserWarning, stacklevel=2)


def evaluation_lines(test: dict, baselines: dict, source: str) -> list[str]:
    """What the summary says of how the run was scored (the best of the run is
    the CLI's last line: attnflow.training.best_model)."""
    lines = []
    if "folds" in test:
        lines.append(f"scored by stratified {test['folds']}-fold cross-validation of {source} "
                     f"(every example tested once, by a model trained without it): accuracy "
                     f"{test['accuracy']:.3f} ± {test['accuracy_std']:.3f} over the folds; the "
                     "saved model is trained on the whole file")
    return lines
