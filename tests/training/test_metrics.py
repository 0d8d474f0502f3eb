"""Masked accuracy, text metrics, callbacks' saved state, metrics.json shape."""

from __future__ import annotations

import numpy as np
import keras
import pytest

from attnflow.training.callbacks import ResumableEarlyStopping, TrainingClock
from attnflow.training.metrics import MaskedAccuracy, masked_loss
from attnflow.training.report import metrics_document, metrics_table, read_metrics, write_metrics
from attnflow.training.text_metrics import character_error_rate, text_metrics


def test_masked_accuracy_and_loss_ignore_padding():
    y_true = np.array([[3, 2, 0, 0], [1, 0, 0, 0]])
    logits = np.full((2, 4, 4), -5.0, "float32")
    logits[0, 0, 3] = logits[0, 1, 1] = logits[1, 0, 1] = 5.0  # right, wrong, right
    logits[:, 2:, 2] = 5.0  # padding positions, wrong on purpose
    metric = MaskedAccuracy()
    metric.update_state(y_true, logits)
    assert float(metric.result()) == pytest.approx(2 / 3)
    padded_loss = float(masked_loss()(y_true, logits))
    logits[:, 2:] = np.random.default_rng(0).normal(size=(2, 2, 4))
    assert float(masked_loss()(y_true, logits)) == pytest.approx(padded_loss)


# Edit distances the hand-written Levenshtein gave before rapidfuzz replaced it.
@pytest.mark.parametrize("prediction, reference, distance", [
    ("", "", 0), ("ab", "", 2), ("", "ab", 2), ("kitten", "sitting", 3), ("flaw", "lawn", 2),
    ("ab", "ba", 2), ("café", "cafe", 1), ("cafe\u0301", "café", 2), ("日本", "日本語", 1),
    ("\U0001f44d\U0001f3fd", "\U0001f44d", 1), ("Strasse", "Straße", 2),
])
def test_character_error_rate_is_the_old_edit_distance(prediction, reference, distance):
    expected = distance / max(len(reference), 1)  # an empty reference counts as one character
    assert character_error_rate([prediction], [reference]) == pytest.approx(expected)


def test_character_error_rate_sums_over_the_corpus():
    assert character_error_rate(["日本", "cafe\u0301"], ["日本語", "café"]) == pytest.approx(3 / 7)
    assert character_error_rate(["", "x"], ["", ""]) == 1.0


def test_text_metrics():
    assert character_error_rate(["2013-02-14"], ["2013-02-15"]) == pytest.approx(0.1)
    perfect = text_metrics(["2013-02-14", "1998-03-07"], ["2013-02-14", "1998-03-07"], "char")
    assert perfect == {"exact_match": 1.0, "cer": 0.0, "chrf": 100.0, "bleu": 100.0}
    half = text_metrics(["2013-02-14", "1998-03-08"], ["2013-02-14", "1998-03-07"], "char")
    assert half["exact_match"] == 0.5 and 0 < half["chrf"] < 100
    with pytest.raises(ValueError, match="as many predictions as references"):
        text_metrics(["a"], ["a", "b"])


def test_callback_state_survives_a_new_session(tmp_path):
    stopping = ResumableEarlyStopping(tmp_path / "es.json", patience=2)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.stop_training = False
    stopping.set_model(model)
    stopping.on_train_begin()
    for epoch, loss in enumerate([1.0, 1.1, 1.2]):
        stopping.on_epoch_end(epoch, {"val_loss": loss})
    assert ResumableEarlyStopping.has_stopped(tmp_path / "es.json")
    again = ResumableEarlyStopping(tmp_path / "es.json", patience=2)
    again.on_train_begin()
    assert (again.best, again.wait, again.stopped_epoch) == (1.0, 2, 2)
    clock = TrainingClock(tmp_path / "clock.json")
    clock.on_train_begin()
    clock.on_epoch_end(0)
    assert TrainingClock.read(tmp_path / "clock.json")["epochs"] == 1


def test_metrics_document_shape():
    document = metrics_document("dates", {"test": {"exact_match": 1.0}, "held_out": {"cer": 0.0}},
                                {"no_attention": {"exact_match": 0.1}}, 12.5, epochs=3)
    assert list(document) == ["task", "test", "held_out", "baselines", "train_seconds", "epochs"]
    assert metrics_table(document).row_count == 3
    with pytest.raises(ValueError, match='"test" split'):
        metrics_document("dates", {"held_out": {}})
    with pytest.raises(ValueError, match="lowercase metric names"):
        metrics_document("dates", {"test": {"MAE": 1.0}})


def test_metrics_json_is_strict_json_with_null_for_scores_that_are_not_finite(tmp_path):
    document = metrics_document("forecast", {"test": {"mae": 1.5, "mape": float("nan")}},
                                {"theta": {"mape": np.float64("inf"), "per_step": [1.0, float("nan")]}})
    path = write_metrics(tmp_path / "metrics.json", document)
    assert "NaN" not in path.read_text() and "Infinity" not in path.read_text()
    again = read_metrics(path)
    assert again["test"] == {"mae": 1.5, "mape": None}
    assert again["baselines"]["theta"] == {"mape": None, "per_step": [1.0, None]}


def test_metrics_table_leaves_out_values_that_are_not_numbers():
    document = metrics_document("text", {"test": {"accuracy": 0.9, "per_class": {"a": {"f1": 0.8}},
                                                  "confusion_matrix": [[1, 0], [0, 1]]}})
    table = metrics_table(document)
    assert [column.header for column in table.columns] == ["split", "accuracy"]
