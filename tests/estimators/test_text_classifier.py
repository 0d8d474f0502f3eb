"""TextClassifier: the text task from lists, with scikit-learn's API, and its runs."""

from __future__ import annotations

import contextlib
import io
import json
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import cross_val_score

import attnflow
from tests.cli.conftest import run_cli
from tests.cli.test_text_cli import text_run  # noqa: F401  (a fixture: the CLI's shared text run)
from tests.estimators.conftest import TINY_TEXT, reviews


@pytest.fixture(scope="module")
def fit_record():
    """(the fitted estimator, the warnings its fit issued, what it printed on stderr)."""
    texts, labels = reviews()
    texts[5] = texts[3]  # a repeated text: the file's warning, in the caller's terms
    stderr = io.StringIO()
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stderr(stderr):
        warnings.simplefilter("always")
        estimator = attnflow.TextClassifier(**TINY_TEXT, baselines=["tfidf_logreg"]).fit(texts, labels)
    return estimator, [str(w.message) for w in caught], stderr.getvalue()


@pytest.fixture(scope="module")
def fitted(fit_record):
    return fit_record[0]


def test_fit_warns_in_python_of_the_callers_data_and_prints_no_resume_hint(fit_record):
    _, messages, printed = fit_record
    repeats = [m for m in messages if "repeat" in m]
    assert repeats == ["1 row(s) of the training data repeat the text of an earlier row (first: row 6): a "
                       "copy can be trained on and another tested, which flatters the test scores; drop the "
                       "copies to score on texts the model has not seen"], messages
    assert "attnflow-text-" not in printed + " ".join(messages)  # no scratch folder is named
    assert "training in" not in printed and "--resume" not in printed


def test_fit_runs_the_task_and_predicts_the_labels_as_given(fitted):
    texts, labels = reviews(10, seed=1)
    assert list(fitted.classes_) == ["bad", "good"]
    probabilities = fitted.predict_proba(texts)
    assert probabilities.shape == (10, 2)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    predicted = fitted.predict(texts)
    assert set(predicted) <= {"bad", "good"}
    np.testing.assert_array_equal(predicted, fitted.classes_[probabilities.argmax(axis=1)])
    assert fitted.score(texts, labels) == pytest.approx(np.mean(predicted == np.array(labels)))
    metrics = fitted.evaluate()
    assert metrics["task"] == "text" and "tfidf_logreg" in metrics["baselines"]
    assert 0.0 <= metrics["test"]["accuracy"] <= 1.0


def test_attention_is_one_weight_per_word_token_summing_to_one(fitted):
    weights = fitted.attention(["great coffee and fresh", "stale bitter box"])
    assert [w.shape for w in weights] == [(4,), (3,)]
    for w in weights:
        assert w.sum() == pytest.approx(1.0, abs=1e-5) and (w >= 0).all()
    figure = fitted.plot_attention(["great coffee and fresh"])
    assert type(figure).__name__ == "Figure" and len(figure.axes) == 1


def test_save_writes_a_run_that_load_and_the_cli_open(fitted, tmp_path, capsys):
    path = fitted.save(tmp_path / "run")
    for name in ("config.yaml", "metrics.json", "model.keras", "saved_model", "data.csv"):
        assert (path / name).exists(), name
    loaded = attnflow.load(path)
    assert isinstance(loaded, attnflow.TextClassifier)
    texts, _ = reviews(6, seed=2)
    np.testing.assert_allclose(loaded.predict_proba(texts), fitted.predict_proba(texts), atol=1e-6)
    code, out, err = run_cli(capsys, "predict", path, texts[0])
    assert code == 0, err
    assert out.strip().split("\t")[1] == fitted.predict(texts[:1])[0]
    code, out, err = run_cli(capsys, "evaluate", path)
    assert code == 0, err and "accuracy" in out
    with pytest.raises(ValueError, match="does not exist yet"):
        fitted.save(path)


def test_a_cli_run_loads_as_a_fitted_estimator(text_run):
    loaded = attnflow.load(text_run)  # trained by `attnflow train text ... --epochs 3`
    assert loaded.epochs == 3 and loaded.architecture == "rnn"
    assert list(loaded.classes_) == ["1", "5"]
    metrics = json.loads((text_run / "metrics.json").read_text())
    assert loaded.evaluate() == metrics
    assert loaded.predict(["the coffee was great and fresh"]).shape == (1,)


def test_clone_and_cross_val_score_work():
    texts, labels = reviews(30)
    estimator = attnflow.TextClassifier(**{**TINY_TEXT, "epochs": 1}, baselines=[])
    copy = clone(estimator)
    assert copy.get_params() == estimator.get_params() and copy is not estimator
    scores = cross_val_score(estimator, texts, labels, cv=2)
    assert scores.shape == (2,) and ((0 <= scores) & (scores <= 1)).all()


def test_a_pipeline_feeds_the_classifier_what_its_steps_make():
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    texts, labels = reviews(30)
    pipeline = Pipeline([
        ("upper", FunctionTransformer(lambda xs: [x.upper() for x in xs])),
        ("classify", attnflow.TextClassifier(**{**TINY_TEXT, "epochs": 1}, baselines=[])),
    ]).fit(texts, labels)
    classifier = pipeline.named_steps["classify"]
    written = (classifier.run_path_.parent / "data.csv").read_text()
    assert texts[0].upper() in written and texts[0] not in written
    np.testing.assert_array_equal(pipeline.predict(texts[:5]),
                                  classifier.predict([t.upper() for t in texts[:5]]))


def test_set_params_changes_the_next_fit_and_names_unknown_ones():
    estimator = attnflow.TextClassifier()
    assert estimator.set_params(epochs=4).epochs == 4
    with pytest.raises(ValueError, match="a parameter among .* Received: units=8"):
        estimator.set_params(units=8)


@pytest.mark.parametrize("texts, labels, message", [
    (["a b", "c d", "e f"], ["x", "y"], "labels of the same length as the texts \\(3\\)"),
    ("one text", ["x"], "a list of texts, not one string"),
    ([["a"], ["b"]], ["x", "y"], "a 1-D list of texts"),
    (["a", 3], ["x", "y"], "every text to be a string"),
    (["a", "b", "c", "d"], ["x", float("nan"), None, pd.NA],
     r"expected a label for every one of the texts \(not None or NaN\)\. Received: missing_label_indices=\[1, 2, 3\]"),
])
def test_bad_input_is_one_value_error_and_leaves_no_run(texts, labels, message, scratch_root):
    with pytest.raises(ValueError, match=message):
        attnflow.TextClassifier(**TINY_TEXT).fit(texts, labels)
    assert list(scratch_root.iterdir()) == []


def test_bad_settings_fail_before_a_run_exists(scratch_root):
    texts, labels = reviews(20)
    with pytest.raises(ValueError, match="Received: epochs=0"):
        attnflow.TextClassifier(**{**TINY_TEXT, "epochs": 0}).fit(texts, labels)
    assert list(scratch_root.iterdir()) == []


def test_predict_before_fit_is_a_value_error():
    with pytest.raises(ValueError, match="a fitted TextClassifier: call fit first"):
        attnflow.TextClassifier().predict(["a text"])


def test_fit_with_test_data_scores_model_and_baselines_on_it_and_save_keeps_it(tmp_path):
    texts, labels = reviews()
    test_texts, test_labels = reviews(12, seed=3)
    model = attnflow.TextClassifier(**{**TINY_TEXT, "epochs": 1}, baselines=["tfidf_logreg"])
    model.fit(texts, labels, test_data=(test_texts, test_labels))
    metrics = model.evaluate()
    for scores in (metrics["test"], metrics["baselines"]["tfidf_logreg"]):
        assert sum(row["support"] for row in scores["per_class"].values()) == 12
    saved = model.save(tmp_path / "saved")
    assert (saved / "test.csv").exists()
    again = attnflow.load(saved).evaluate_file()
    assert again["test"]["accuracy"] == pytest.approx(metrics["test"]["accuracy"])
    with pytest.raises(ValueError, match=r"test_data=\(texts, labels\)"):
        attnflow.TextClassifier(**TINY_TEXT).fit(texts, labels, test_data=test_texts)
