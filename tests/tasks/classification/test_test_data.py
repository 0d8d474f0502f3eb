"""`--test-data FILE` and the k-fold scoring of small files, through the CLI:
the runs' metrics.json and the bad inputs (one line, exit 2, no run)."""

from __future__ import annotations

import json

import pytest

from attnflow.training.best_model import best_line
from tests.cli.conftest import run_cli
from tests.cli.test_bad_input import assert_one_line_error
from tests.cli.test_sequence_cli import COLUMNS, TINY, series_rows, write_rows
from tests.cli.test_text_cli import COLUMNS as TEXT_COLUMNS
from tests.cli.test_text_cli import write_reviews


def test_sequence_trains_on_data_and_scores_model_and_baselines_on_the_test_file(tmp_path, capsys):
    train = write_rows(tmp_path / "train.csv", series_rows(40, seed=0))
    test = write_rows(tmp_path / "test.csv", series_rows(30, seed=1, nan_series=None))
    code, out, err = run_cli(capsys, "train", "sequence", "--data", train, "--test-data", test,
                             *COLUMNS, *TINY, "--set", "options.baselines=[1nn_euclidean,minirocket]",
                             "--out", tmp_path / "run")
    assert code == 0, err[-2000:]
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert sum(row["support"] for row in metrics["test"]["per_class"].values()) == 30
    assert "folds" not in metrics["test"]  # a test file: no cross-validation
    assert set(metrics["baselines"]) == {"1nn_euclidean", "minirocket"}
    for scores in metrics["baselines"].values():
        assert sum(row["support"] for row in scores["per_class"].values()) == 30
    assert metrics["best"]["model"] in {"attention_model", "1nn_euclidean", "minirocket"}
    assert metrics["best"]["metric"] == "accuracy"
    assert best_line(metrics["best"]) in out  # the summary's last line names the best of the run


def test_a_small_text_file_is_scored_by_stratified_k_fold(tmp_path, capsys):
    data = write_reviews(tmp_path / "reviews.csv", rows=40)
    code, out, err = run_cli(capsys, "train", "text", "--data", data, *TEXT_COLUMNS, "--epochs", "2",
                             "--set", "model.model_dim=8", "--set", "options.folds=3",
                             "--set", "options.baselines=[tfidf_logreg,tfidf_char_logreg]",
                             "--set", "options.samples=0", "--out", tmp_path / "run",
                             "--set", "options.min_steps_per_epoch=0")  # 4 trainings of 2 steps, not 200
    assert code == 0, err[-2000:]
    test = json.loads((tmp_path / "run" / "metrics.json").read_text())["test"]
    assert test["folds"] == 3 and len(test["fold_accuracy"]) == 3
    assert 0 <= test["accuracy_std"] <= 0.5
    assert sum(row["support"] for row in test["per_class"].values()) == 40  # each text once
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert all(scores["folds"] == 3 for scores in metrics["baselines"].values())
    assert "3-fold cross-validation" in out and "fold 3 of 3" in err


@pytest.mark.parametrize("task", ["text", "sequence"])
def test_bad_test_files(tmp_path, capsys, task):
    if task == "text":
        train = write_reviews(tmp_path / "train.csv", rows=40)
        unseen = write_reviews(tmp_path / "unseen.csv", rows=10, labels=("5", "3"))
        other = tmp_path / "other.csv"
        other.write_text("body,stars\ngood,5\nbad,1\n", encoding="utf-8")
        flags = TEXT_COLUMNS
    else:
        train = write_rows(tmp_path / "train.csv", series_rows(40, nan_series=None))
        rows = series_rows(10, seed=1, nan_series=None)
        unseen = write_rows(tmp_path / "unseen.csv", [{**r, "activity": "sideways"} if r["id"] == "s03"
                                                      else r for r in rows])
        other = write_rows(tmp_path / "other.csv", series_rows(10, seed=1, nan_series=None,
                                                               features=("f1", "g2")))
        flags = COLUMNS
    cases = [(unseen, "unknown_labels=['3']" if task == "text" else "unknown_labels=['sideways']"),
             (other, "a column 'review'" if task == "text" else "test_feature_columns=['f1', 'g2']")]
    for test, expected in cases:
        code, out, err = run_cli(capsys, "train", task, "--data", train, "--test-data", test,
                                 *flags, "--out", tmp_path / "run")
        assert_one_line_error(code, err, expected)
        assert not (tmp_path / "run").exists()


def test_k_fold_on_a_class_with_fewer_examples_than_folds_names_it(tmp_path, capsys):
    rows = [row for row in series_rows(40, nan_series=None)
            if row["activity"] == "up" or row["id"] < "s08"]
    data = write_rows(tmp_path / "few.csv", rows)  # 4 "down" series
    code, out, err = run_cli(capsys, "train", "sequence", "--data", data, *COLUMNS,
                             "--out", tmp_path / "run")
    assert_one_line_error(code, err, "classes_with_too_few={'down': 4}")


def test_test_data_without_data_is_an_error(tmp_path, capsys):
    test = write_reviews(tmp_path / "test.csv", rows=10)
    code, out, err = run_cli(capsys, "train", "text", "--test-data", test, *TEXT_COLUMNS,
                             "--out", tmp_path / "run")
    assert_one_line_error(code, err, "--test-data FILE with --data FILE")


def test_a_test_file_identical_to_the_training_file_warns(tmp_path, capsys):
    train = write_reviews(tmp_path / "train.csv", rows=40)
    code, out, err = run_cli(capsys, "train", "text", "--data", train, "--test-data", train,
                             *TEXT_COLUMNS, "--epochs", "1", "--set", "model.model_dim=8",
                             "--set", "options.baselines=[]", "--set", "options.samples=0",
                             "--set", "options.min_steps_per_epoch=0", "--out", tmp_path / "run")
    assert code == 0, err[-2000:]
    assert "attnflow: warning: --test-data" in err and "is the same as --data" in err
