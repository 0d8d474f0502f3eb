"""The best model of a run, named plainly in the summary and in metrics.json."""

from __future__ import annotations

import pytest

from attnflow.training.best_model import ATTENTION_MODEL, best_line, best_model


def test_a_baseline_that_wins_is_named_with_both_scores():
    best = best_model({"accuracy": 0.917}, {"tfidf_logreg": {"accuracy": 1.0},
                                            "no_attention": {"accuracy": 1.0}}, "accuracy")
    assert best["model"] == "no_attention" or best["model"] == "tfidf_logreg"
    assert best["value"] == 1.0 and best["attention_model"] == 0.917
    line = best_line(best_model({"accuracy": 0.917}, {"tfidf_logreg": {"accuracy": 1.0}}, "accuracy"))
    assert line == "TF-IDF + LR is better on this data: accuracy 1.000 vs 0.917 (the attention model)"


def test_lower_is_better_for_errors_and_backtest_means_are_left_out():
    baselines = {"holt_winters": {"mae": 8.31}, "seasonal_naive": {"mae": 20.0},
                 "holt_winters (backtest)": {"mae": 1.0}}
    best = best_model({"mae": 13.08}, baselines, "mae", "lower")
    assert (best["model"], best["value"], best["best_baseline"]) == ("holt_winters", 8.31, "holt_winters")
    assert best_line(best) == "Holt-Winters is better on this data: MAE 8.31 vs 13.08 (the attention model)"


def test_the_attention_model_wins_ties_and_says_so():
    best = best_model({"exact_match": 0.99}, {"no_attention": {"exact_match": 0.5}}, "exact_match")
    assert best["model"] == ATTENTION_MODEL and best["best_baseline_value"] == 0.5
    assert best_line(best) == ("the attention model is the best on this data: exact match 0.990 vs "
                               "0.500 (the same network without attention)")
    tie = best_model({"accuracy": 1.0}, {"tfidf_logreg": {"accuracy": 1.0}}, "accuracy")
    assert tie["model"] == ATTENTION_MODEL and tie["tied"] == ["tfidf_logreg"]
    assert best_line(tie) == "the attention model ties with TF-IDF + LR: accuracy 1.000"
    alone = best_model({"accuracy": 0.5}, {}, "accuracy")
    assert best_line(alone) == "the attention model: accuracy 0.500 (no baseline in this run)"


def test_nothing_to_say_without_the_metric():
    assert best_model({"accuracy": float("nan")}, {}, "accuracy") is None
    assert best_line(None) is None
    with pytest.raises(ValueError, match="direction"):
        best_model({"mae": 1.0}, {}, "mae", "smaller")
