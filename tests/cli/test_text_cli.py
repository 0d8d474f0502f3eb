"""`attnflow train text -> evaluate -> predict`, end to end on a tiny CSV, and its bad inputs."""

from __future__ import annotations

import csv
import json
import random
import re

import keras
import numpy as np
import pytest
import tensorflow as tf
import yaml

from attnflow import cli
from attnflow.tasks import get_task
from tests.cli.conftest import run_cli
from tests.cli.test_bad_input import assert_one_line_error
from tests.shared_runs import shared

GOOD = ["great", "tasty", "lovely", "delicious", "fresh"]
BAD = ["awful", "bland", "stale", "soggy", "bitter"]
FILLER = ["the", "coffee", "was", "really", "and", "snack", "box"]
TINY = ["--epochs", "3", "--batch-size", "8", "--set", "model.architecture=rnn",
        "--set", "model.units=8", "--set", "model.embedding_dim=8",
        "--set", "options.vocabulary_size=50", "--set", "options.max_length=16",
        "--set", "options.samples=2", "--set", "options.ngrams=1",
        "--set", "options.cross_validation_below=0",  # one split: these tests are about it
        "--set", "options.min_steps_per_epoch=0"]  # tiny files are not repeated (tested for series)
COLUMNS = ["--text-col", "review", "--label-col", "stars"]
TEXTS = ["the coffee was great and fresh", "stale bitter snack, really awful"]


def write_reviews(path, rows=40, seed=0, labels=("5", "1")):
    """Reviews whose two sentiment words give their label away."""
    rng = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["review", "stars"])
        for number in range(rows):
            label = number % len(labels)
            words = rng.sample(FILLER, 3) + rng.sample(GOOD if label == 0 else BAD, 2)
            rng.shuffle(words)
            writer.writerow([" ".join(words) + "!", labels[label]])
    return path


@pytest.fixture(scope="session")
def text_run(tmp_path_factory, worker_id):
    def build(folder):
        data = write_reviews(folder / "reviews.csv")
        out = folder / "run"
        # TF-IDF + LR is the baseline these tests read; the twin and the character TF-IDF (trained by
        # default) are checked by test_the_default_bag_of_words_and_pairs_with_its_twin
        assert cli.main(["train", "text", "--data", str(data), *COLUMNS, "--out", str(out), *TINY,
                         "--set", "options.baselines=[tfidf_logreg]"]) == 0
        return out

    return shared(tmp_path_factory, worker_id, "text_run", build)


def test_train_writes_a_whole_run_with_scores_and_the_tfidf_baseline(text_run):
    for name in ("config.yaml", "model.keras", "saved_model/saved_model.pb", "metrics.json",
                 "confusion_matrix.png", "attention/samples.html"):
        assert (text_run / name).exists(), name
    assert not text_run.with_name("run.partial").exists()
    metrics = json.loads((text_run / "metrics.json").read_text())
    test = metrics["test"]
    assert set(test) == {"accuracy", "precision_macro", "recall_macro", "f1_macro", "per_class",
                         "confusion_matrix"}
    matrix = np.array(test["confusion_matrix"])
    assert matrix.shape == (2, 2) and matrix.sum() == 8  # 20% of 40 rows
    assert test["accuracy"] == pytest.approx(np.trace(matrix) / 8)
    assert [test["per_class"][c]["support"] for c in ("1", "5")] == matrix.sum(axis=1).tolist()
    # the two sentiment words separate the classes: TF-IDF + logistic regression gets them all
    assert metrics["baselines"]["tfidf_logreg"]["accuracy"] == 1.0
    assert metrics["baselines"]["tfidf_logreg"]["confusion_matrix"] == [[4, 0], [0, 4]]
    config = yaml.safe_load((text_run / "config.yaml").read_text())
    assert config["options"]["classes"] == ["1", "5"] and config["model"]["architecture"] == "rnn"
    samples = (text_run / "attention" / "samples.html").read_text()
    assert samples.count('<div class="text">') == 2 and "true: " in samples and "<span" in samples


def test_evaluate_on_its_test_split_and_on_a_file(text_run, tmp_path, capsys):
    code, out, _ = run_cli(capsys, "evaluate", text_run)
    assert code == 0 and "accuracy" in out and "f1_macro" in out
    other = write_reviews(tmp_path / "more.csv", rows=6, seed=5)
    code, out, _ = run_cli(capsys, "evaluate", text_run, "--data", other)
    assert code == 0 and "more.csv" in out
    unknown = write_reviews(tmp_path / "three.csv", rows=6, labels=("5", "1", "3"))
    code, _, err = run_cli(capsys, "evaluate", text_run, "--data", unknown)
    assert_one_line_error(code, err, "labels among the training classes ['1', '5']")


def test_predict_prints_classes_and_probabilities(text_run, capsys):
    code, out, _ = run_cli(capsys, "predict", text_run, *TEXTS)
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2
    for line, text in zip(lines, TEXTS):
        shown, predicted, probabilities = line.split("\t")
        assert shown == text and predicted in ("1", "5")
        values = dict(part.split("=") for part in probabilities.split())
        assert sum(float(v) for v in values.values()) == pytest.approx(1.0, abs=2e-3)
        assert max(values, key=lambda c: float(values[c])) == predicted


def test_predict_shows_attention_per_word_and_writes_html(text_run, tmp_path, capsys):
    page = tmp_path / "attention.html"
    code, out, _ = run_cli(capsys, "predict", text_run, *TEXTS, "--show-attention", "--html", page)
    assert code == 0 and f"attention highlighting written to {page}" in out
    assert out.count("most attended: ") == 2
    top_line = [line for line in out.splitlines() if line.startswith("most attended: ")][1]
    weights = [float(item.split()[1]) for item in top_line[len("most attended: "):].split(" | ")]
    assert weights == sorted(weights, reverse=True) and 0 < weights[0] <= 1
    html = page.read_text(encoding="utf-8")
    # "snack," is one token; every word of both texts is shaded, none is left plain
    assert html.count(' title="') == len(TEXTS[0].split()) + len(TEXTS[1].split())
    assert html.count('class="legend">scale: ') == 2 and html.count('class="top">top words: ') == 2
    assert ">snack,</span>" in html


def test_the_saved_model_takes_raw_strings(text_run):
    model = keras.models.load_model(text_run / "model.keras", compile=False)
    loaded = tf.saved_model.load(str(text_run / "saved_model"))  # kept alive while it serves
    served = loaded.serve(tf.constant(TEXTS))
    np.testing.assert_allclose(served["probabilities"].numpy(), model(tf.constant(TEXTS)).numpy(),
                               atol=1e-5)
    attention = served["attention"].numpy()
    assert attention.shape == (2, 6)  # as long as the longer text: 6 tokens
    assert attention[1, 5] == 0.0  # the 5 tokens of the other are all it attends to
    np.testing.assert_allclose(attention.sum(axis=1), 1.0, rtol=1e-5)


def test_the_default_bag_of_words_and_pairs_with_its_twin(tmp_path, capsys):
    data = write_reviews(tmp_path / "reviews.csv")
    code, _, err = run_cli(capsys, "train", "text", "--data", data, *COLUMNS, "--epochs", "1",
                           "--set", "model.model_dim=8", "--set", "options.vocabulary_size=80",
                           "--set", "options.samples=1", "--out", tmp_path / "run",
                           "--set", "options.cross_validation_below=0",  # one split: k-fold is tested apart
                           "--set", "options.min_steps_per_epoch=0")  # 2 steps for the model and its twin, not 100
    assert code == 0, err
    model = keras.models.load_model(tmp_path / "run" / "model.keras", compile=False)
    assert type(model.classifier).__name__ == "TransformerClassifier"
    assert (model.classifier.model_dim, model.classifier.num_layers, model.ngrams) == (8, 0, 2)
    ids = model.token_ids(tf.constant([TEXTS[0]])).numpy()[0]  # 6 words, then 5 word pairs
    assert np.count_nonzero(ids) == 11 and any(" " in token for token in model.vocabulary)
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert set(metrics["baselines"]) == {"tfidf_logreg", "tfidf_char_logreg", "no_attention"}  # twin: mean pooling
    code, out, _ = run_cli(capsys, "predict", tmp_path / "run", TEXTS[0], "--show-attention",
                           "--html", tmp_path / "t.html")
    assert code == 0 and "most attended: " in out
    page = (tmp_path / "t.html").read_text()
    assert page.count('title="') == 6  # one weight per word: the pairs' weights are folded in


@pytest.mark.parametrize("content, flags, expected", [
    ("review,stars\ngood,5\nbad,1\n", ["--label-col", "rating"],
     "expected a column 'rating' in"),
    ("review,stars\ngood,5\nfine,5\nnice,5\n", [], "expected at least 2 classes in column 'stars'"),
    ('review,stars\ngood,5\n"  ",1\nbad,1\n', [], "expected a non-empty text in every row of column "
                                                 "'review'"),
    ("review,stars\n", [], "expected at least one data row under the header"),
    ("review,stars\ngood,5\nbad,1\n", [], "expected at least 6 examples to split into "
                                         "train/validation/test (3 of each of the 2 classes"),
    ("review,stars\n" + "good,5\n" * 10 + "bad,1\nworse,1\n", [],
     "Received: rows=12, per_class={'1': 2, '5': 10}"),
])
def test_bad_data_files(tmp_path, capsys, content, flags, expected):
    data = tmp_path / "reviews.csv"
    data.write_text(content, encoding="utf-8")
    code, _, err = run_cli(capsys, "train", "text", "--data", data, *COLUMNS, *flags,
                           "--out", tmp_path / "run", *TINY)
    assert_one_line_error(code, err, expected)
    assert [p.name for p in tmp_path.iterdir()] == ["reviews.csv"]


@pytest.mark.parametrize("argv, expected", [
    (["--attention", "none", "--set", "model.architecture=transformer"],
     'an RNN (model.architecture=rnn) for attention "none"'),
    (["--set", "model.architecture=cnn"], "expected architecture to be one of ('rnn', 'transformer')"),
    (["--set", "options.baselines=[svm]"], "baselines to be a list of names among"),
    (["--set", "model.unit=8"], "Received: unknown=['unit']"),
    # the default network is a transformer (a bag of embeddings pooled by attention)
    (["--attention", "foo"], "expected attention to be one of ('bahdanau', 'luong', 'multihead', "
                             "'none'), with model.architecture=rnn"),
    (["--attention", "luong"], 'an RNN (model.architecture=rnn) for attention "luong"'),
    (["--attention", "foo", "--set", "model.architecture=rnn"],
     "expected attention to be one of ('bahdanau', 'luong', 'multihead', 'none'). "
     "Received: --attention='foo'"),
    (["--set", "options.dataset=amazon_reviews"], "expected --data FILE or "
                                                  "options.dataset='amazon_reviews', not both"),
])
def test_bad_settings(tmp_path, capsys, argv, expected):
    data = write_reviews(tmp_path / "reviews.csv")
    code, _, err = run_cli(capsys, "train", "text", "--data", data, *COLUMNS, *argv,
                           "--out", tmp_path / "run")
    assert_one_line_error(code, err, expected)
    assert [p.name for p in tmp_path.iterdir()] == ["reviews.csv"]


def test_predict_bad_inputs(text_run, capsys):
    code, _, err = run_cli(capsys, "predict", text_run, "fine", "   ")
    assert_one_line_error(code, err, "expected non-empty texts to classify")
    code, _, err = run_cli(capsys, "predict", text_run)
    assert_one_line_error(code, err, "expected at least one text to classify")


def test_a_file_that_is_not_utf8_is_named_with_the_bad_byte_and_its_offset(tmp_path, capsys):
    data = tmp_path / "reviews.csv"
    data.write_bytes(b"review,stars\n\xffgood,5\n")  # 0xff at offset 13
    code, _, err = run_cli(capsys, "train", "text", "--data", data, *COLUMNS, "--out", tmp_path / "run")
    assert_one_line_error(code, err, "(byte 0xff at offset 13 is not UTF-8)")
    assert [p.name for p in tmp_path.iterdir()] == ["reviews.csv"]


def test_predict_reads_the_text_column_of_a_table_and_the_lines_of_other_files(text_run, tmp_path,
                                                                               capsys):
    table = write_reviews(tmp_path / "reviews.csv", rows=3, seed=7)
    texts = [row[0] for row in csv.reader(table.open(encoding="utf-8"))][1:]
    code, out, _ = run_cli(capsys, "predict", text_run, "--data", table)
    assert code == 0
    assert [line.split("\t")[0] for line in out.splitlines()] == texts  # no header, no labels
    renamed = tmp_path / "renamed.tsv"
    renamed.write_text("id\tbody\n1\t" + texts[0] + "\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "predict", text_run, "--data", renamed)
    assert_one_line_error(code, err, "expected a column 'review' in")
    code, out, _ = run_cli(capsys, "predict", text_run, "--data", renamed, "--text-col", "body")
    assert code == 0 and out.split("\t")[0] == texts[0]
    lines = tmp_path / "texts.txt"
    lines.write_text(f"{TEXTS[0]}\n\n{TEXTS[1]}\n", encoding="utf-8")
    code, out, _ = run_cli(capsys, "predict", text_run, "--data", lines)
    assert code == 0 and [line.split("\t")[0] for line in out.splitlines()] == TEXTS
    code, out, _ = run_cli(capsys, "predict", text_run, "--help")
    assert "its --text-col column" in " ".join(out.split())


def test_the_config_names_the_built_in_set_only_when_it_is_read(text_run):
    config = yaml.safe_load((text_run / "config.yaml").read_text())
    assert config["options"]["dataset"] is None and config["data"].endswith("reviews.csv")
    task = get_task("text")
    assert task.defaults()["options"]["dataset"] == "amazon_reviews"
    assert task.defaults({"data": "mine.csv"})["options"]["dataset"] is None
    # the same preset either way
    assert task.defaults({"data": "mine.csv"})["model"] == task.defaults()["model"]


SERVE_WITHOUT_ATTNFLOW = """
import json, sys
import tensorflow as tf
loaded = tf.saved_model.load(sys.argv[1])
served = loaded.serve(tf.constant(json.loads(sys.argv[2])))
result = {name: value.numpy().tolist() for name, value in served.items()}
result = {name: [[x.decode() if isinstance(x, bytes) else x for x in row] if isinstance(row, list)
                 else row.decode() if isinstance(row, bytes) else row for row in value]
          for name, value in result.items()}
result["attnflow_imported"] = any(name.split(".")[0] == "attnflow" for name in sys.modules)
print(json.dumps(result))
"""


def test_the_saved_model_returns_label_strings_classes_and_weights_without_attnflow(text_run):
    import subprocess
    import sys

    texts = [TEXTS[0], TEXTS[1], "<p>the coffee was great<br />and fresh</p>"]
    result = subprocess.run([sys.executable, "-c", SERVE_WITHOUT_ATTNFLOW, str(text_run / "saved_model"),
                             json.dumps(texts)], capture_output=True, text=True, cwd=text_run)
    assert result.returncode == 0, result.stderr[-2000:]
    served = json.loads(result.stdout.strip().splitlines()[-1])
    assert not served["attnflow_imported"]
    assert served["classes"] == [["1", "5"]] * 3  # in the order of the probabilities
    for label, probabilities in zip(served["label"], served["probabilities"]):
        assert label == ["1", "5"][int(np.argmax(probabilities))]
    assert len(served["attention"][0]) == len(served["tokens"][0])
    assert served["tokens"][0][:6] == ["the", "coffee", "was", "great", "and", "fresh"]
    # markup stripped inside the SavedModel, as in training: the same text, the same answer
    np.testing.assert_allclose(served["probabilities"][2], served["probabilities"][0], atol=1e-6)
    assert served["tokens"][2][:6] == served["tokens"][0][:6]


def test_markup_is_stripped_from_the_data_unless_kept(tmp_path, capsys):
    from attnflow.training import resolve_config

    data = tmp_path / "html.csv"
    rows = [[f"I liked it.<br />Thank you &amp; {word}", "5" if word in GOOD else "1"]
            for word in GOOD + BAD] * 2
    with open(data, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["text", "label"], *rows])
    task = get_task("text")
    for keep, expected in ((None, "I liked it. Thank you & great"),
                           (False, "I liked it.<br />Thank you &amp; great")):
        chosen = {"data": str(data), "options": {} if keep is None else {"strip_markup": keep}}
        config = resolve_config(task.defaults(chosen), overrides=[chosen])
        splits = task.load_data(config)
        assert re.search(r"^attnflow: warning: \d+ row\(s\) of .*html\.csv repeat the text of an earlier row",
                         capsys.readouterr().err, re.M)  # every row is there twice
        texts = splits.train.texts + splits.validation.texts + splits.test.texts
        assert expected in texts

    # A text of markup only would leave nothing to read: its rows (it is there twice) are named,
    # unless markup is kept.
    rows[3][0] = "<p><br /></p>"
    with open(data, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["text", "label"], *rows])
    config = resolve_config(task.defaults({"data": str(data)}), overrides=[{"data": str(data)}])
    with pytest.raises(ValueError, match=r"expected texts with words besides HTML markup, which is stripped "
                                         r"before reading \(train with --keep-markup to keep it\)\. "
                                         r"Received: markup_only_rows='4, 14'$"):
        task.load_data(config)
    kept = {"data": str(data), "options": {"strip_markup": False}}
    splits = task.load_data(resolve_config(task.defaults(kept), overrides=[kept]))
    assert "<p><br /></p>" in splits.train.texts + splits.validation.texts + splits.test.texts


def test_predict_writes_a_new_page_per_call_by_default(text_run, capsys):
    pages = set()
    for _ in range(2):
        code, out, _ = run_cli(capsys, "predict", text_run, TEXTS[0], "--show-attention")
        assert code == 0
        (line,) = [line for line in out.splitlines() if line.startswith("attention highlighting written to ")]
        pages.add(line.split(" to ", 1)[1])
    assert len(pages) == 2 and all("predicted-" in page and page.endswith(".html") for page in pages)


def test_a_missing_column_names_the_flag_the_user_types(tmp_path, capsys):
    data = write_reviews(tmp_path / "reviews.csv")  # columns review, stars
    code, _, err = run_cli(capsys, "train", "text", "--data", data, "--label-col", "stars",
                           "--out", tmp_path / "run", *TINY)
    assert_one_line_error(code, err, "Received: --text-col='text'")
    code, _, err = run_cli(capsys, "train", "text", "--data", data, "--text-col", "words",
                           "--label-col", "stars", "--out", tmp_path / "run", *TINY)
    assert_one_line_error(code, err, "Received: --text-col='words'")
    assert not (tmp_path / "run").exists()


def test_the_summary_and_metrics_json_name_the_best_model(text_run, capsys):
    metrics = json.loads((text_run / "metrics.json").read_text())
    best = metrics["best"]
    scores = {"attention_model": metrics["test"]["accuracy"],
              **{name: values["accuracy"] for name, values in metrics["baselines"].items()}}
    assert best["metric"] == "accuracy" and best["value"] == max(scores.values())
    assert scores[best["model"]] == best["value"]
    code, out, _ = run_cli(capsys, "evaluate", text_run)
    text = " ".join(out.split())
    assert code == 0
    if best["model"] == "attention_model":
        assert "the attention model is the best on this data" in text or "ties with" in text
    else:
        assert "is better on this data: accuracy" in text
