"""How a classification run is scored: k-fold folds and their scores, the
identical-file warning, the best of a run."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from attnflow.tasks.classification.evaluation import (
    check_folds, cross_validated_scores, evaluation_lines, fold_indices, warn_if_same_file)
from attnflow.training.best_model import best_line, best_model
from attnflow.training.report import metrics_document, metrics_table

CLASSES = ["a", "b", "c"]


def test_a_class_with_fewer_examples_than_folds_is_named_with_its_count():
    labels = np.array([0] * 7 + [1] * 3 + [2] * 6)
    with pytest.raises(ValueError, match=r"at least 5 series of every class for 5-fold") as error:
        check_folds(labels, CLASSES, 5, "mine.csv", unit="series")
    assert "classes_with_too_few={'b': 3}" in str(error.value)
    check_folds(labels, CLASSES, 3, "mine.csv")  # 3 folds: enough


def test_folds_are_stratified_disjoint_and_cover_every_example_once():
    labels = np.array([0] * 10 + [1] * 5 + [2] * 15)
    folds = fold_indices(labels, 5, seed=0)
    tested = np.concatenate([test for _, test in folds])
    assert sorted(tested.tolist()) == list(range(30))
    for train, test in folds:
        assert not set(train) & set(test)
        assert np.bincount(labels[test], minlength=3).tolist() == [2, 1, 3]
    assert [t.tolist() for _, t in folds] == [t.tolist() for _, t in fold_indices(labels, 5, 0)]


def test_cross_validated_scores_are_fold_means_with_spread_and_pooled_counts():
    results = [(np.array([0, 1, 2, 0]), np.array([0, 1, 2, 0])),   # accuracy 1.0
               (np.array([0, 1, 2, 1]), np.array([0, 2, 2, 0]))]   # accuracy 0.5
    scores = cross_validated_scores(results, CLASSES)
    assert scores["accuracy"] == pytest.approx(0.75)
    assert scores["accuracy_std"] == pytest.approx(0.25)
    assert scores["fold_accuracy"] == [1.0, 0.5] and scores["folds"] == 2
    assert np.array(scores["confusion_matrix"]).sum() == 8
    assert scores["per_class"]["b"]["support"] == 3
    assert "±" in evaluation_lines(scores, {}, "mine.csv")[0]


def test_a_test_file_identical_to_the_training_file_warns(tmp_path):
    train = tmp_path / "train.csv"
    train.write_text("text,label\ngood,1\nbad,0\n", encoding="utf-8")
    copy = tmp_path / "copy.csv"
    copy.write_bytes(train.read_bytes())
    other = tmp_path / "other.csv"
    other.write_text("text,label\nfine,1\nawful,0\n", encoding="utf-8")
    for same in (train, copy):
        with pytest.warns(UserWarning, match="is the same as --data"):
            warn_if_same_file(train, same)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_if_same_file(train, other)


def test_the_best_of_a_run_is_named_in_metrics_json_and_kept_out_of_the_table():
    test = {"accuracy": 0.8}
    baselines = {"no_attention": {"accuracy": 0.7}, "minirocket": {"accuracy": 0.9}}
    best = best_model(test, baselines, "accuracy", "higher")
    assert (best["model"], best["value"], best["attention_model"]) == ("minirocket", 0.9, 0.8)
    assert best_model({"accuracy": 0.9}, baselines, "accuracy")["model"] == "attention_model"  # ties
    document = metrics_document("text", {"test": test}, baselines, best=best)
    assert document["best"]["model"] == "minirocket"
    table = metrics_table(document)
    assert list(table.columns[0].cells) == ["test", "no_attention", "minirocket"]
    assert best_line(best) == "MiniRocket is better on this data: accuracy 0.900 vs 0.800 (the attention model)"
    assert evaluation_lines(test, baselines, "f.csv") == []  # one split: nothing to add
