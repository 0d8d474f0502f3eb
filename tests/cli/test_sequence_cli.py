"""`attnflow train sequence -> evaluate -> predict`, end to end on a tiny long-format CSV,
and its bad inputs."""

from __future__ import annotations

import contextlib
import csv
import io
import json

import math
import os

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf
import yaml

from attnflow import cli
from attnflow.data.sequences import sequences_from_frame
from attnflow.tasks import get_task
from attnflow.tasks.classification.splits import ClassificationSplits
from attnflow.training import resolve_config
from tests.cli.conftest import run_cli
from tests.cli.test_bad_input import assert_one_line_error
from tests.shared_runs import shared

TINY = ["--epochs", "8", "--batch-size", "8", "--set", "learning_rate=0.01", "--set", "options.samples=2",
        "--set", "options.cross_validation_below=0",  # one split: these tests are about it
        "--set", "model.conv_filters=[8]", "--set", "model.conv_kernel_sizes=[3]"]
COLUMNS = ["--id-col", "id", "--time-col", "t", "--label-col", "activity"]
NAN_SERIES = "s07"


def series_rows(count=40, seed=0, nan_series=NAN_SERIES, features=("f1", "f2")):
    """Long-format rows: "up" series drift upwards in f1, "down" ones downwards; f2 is noise.
    Series `nan_series` has 3 missing values."""
    rng = np.random.default_rng(seed)
    rows = []
    for number in range(count):
        name, label = f"s{number:02d}", ("up", "down")[number % 2]
        steps = int(rng.integers(6, 11))
        slope = 0.5 if label == "up" else -0.5
        for step in range(steps):
            values = [slope * step + rng.normal(scale=0.3)] + \
                     [rng.normal() for _ in features[1:]]
            if name == nan_series and step in (1, 2):
                values[0] = np.nan
                if step == 1:
                    values[1] = np.nan
            rows.append({"id": name, "t": step, **dict(zip(features, values)), "activity": label})
    return rows


def write_rows(path, rows, drop=()):
    columns = [c for c in rows[0] if c not in drop]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, columns, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if isinstance(v, float) and np.isnan(v) else v)
                             for k, v in row.items() if k in columns})
    return path


@pytest.fixture(scope="session")
def sequence_run(tmp_path_factory, worker_id):
    def build(folder):
        data = write_rows(folder / "motions.csv", series_rows())
        out = folder / "run"
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr):
            code = cli.main(["train", "sequence", "--data", str(data), *COLUMNS, "--out", str(out), *TINY])
        assert code == 0, stderr.getvalue()[-2000:]
        return out, stderr.getvalue()

    return shared(tmp_path_factory, worker_id, "sequence_run", build)


def test_train_writes_a_whole_run_with_the_no_attention_twin(sequence_run):
    run, _ = sequence_run
    for name in ("config.yaml", "model.keras", "saved_model/saved_model.pb", "metrics.json",
                 "confusion_matrix.png"):
        assert (run / name).exists(), name
    assert len(list((run / "attention").glob("series_*.png"))) == 2
    metrics = json.loads((run / "metrics.json").read_text())
    matrix = np.array(metrics["test"]["confusion_matrix"])
    assert matrix.shape == (2, 2) and matrix.sum() == 8  # 20% of 40 series
    assert metrics["test"]["accuracy"] == pytest.approx(np.trace(matrix) / 8)
    assert metrics["test"]["accuracy"] >= 0.75  # the drift of f1 gives the class away
    twin = metrics["baselines"]["no_attention"]
    assert set(twin) == set(metrics["test"]) and np.sum(twin["confusion_matrix"]) == 8
    config = yaml.safe_load((run / "config.yaml").read_text())
    assert config["options"]["classes"] == ["down", "up"]
    assert config["model"]["attention"] == "multihead" and config["model"]["conv_filters"] == [8]
    model = keras.models.load_model(run / "model.keras", compile=False)
    assert len(model.feature_mean) == 2 and model.attention == "multihead" and model.rnn is None


def test_nan_values_are_masked_with_one_warning_line_that_counts_them(sequence_run):
    _, stderr = sequence_run
    warnings = [line for line in stderr.splitlines() if line.startswith("attnflow: warning: ")]
    assert len(warnings) == 1, stderr[-2000:]
    assert f"3 NaN values in 1 series ({NAN_SERIES}); the time steps holding them are masked" \
        in warnings[0]


def test_evaluate_on_its_test_split_and_on_a_file(sequence_run, tmp_path, capsys):
    run, _ = sequence_run
    code, out, _ = run_cli(capsys, "evaluate", run)
    metrics = json.loads((run / "metrics.json").read_text())
    assert code == 0 and "accuracy" in out
    # the baselines as training scored them on the same split, and the best of the run last
    assert set(metrics["baselines"]) <= set(out.split()) and "accuracy" in out.splitlines()[-1]
    other = write_rows(tmp_path / "more.csv", series_rows(count=6, seed=3, nan_series=None))
    code, out, _ = run_cli(capsys, "evaluate", run, "--data", other)
    assert code == 0 and "more.csv" in out


def test_predict_without_labels_with_attention_plots(sequence_run, tmp_path, capsys):
    run, _ = sequence_run
    rows = series_rows(count=5, seed=4, nan_series=None)
    data = write_rows(tmp_path / "new.csv", rows, drop=("activity",))
    plots = tmp_path / "plots"
    code, out, _ = run_cli(capsys, "predict", run, "--data", data, "--show-attention", "--plots", plots)
    assert code == 0
    lines = [line.split("\t") for line in out.splitlines() if line.startswith("s0")]
    assert [line[0] for line in lines] == [f"s{n:02d}" for n in range(5)]
    probabilities = np.array([[float(p.split("=")[1]) for p in line[2].split()] for line in lines])
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=2e-3)
    assert f"attention plots written to {plots} (5 PNG)" in out
    assert sorted(p.name for p in plots.iterdir()) == [f"series_s{n:02d}.png" for n in range(5)]
    # the SavedModel gives the same probabilities for the NaN-padded series
    model = keras.models.load_model(run / "model.keras", compile=False)
    lengths = [sum(1 for r in rows if r["id"] == f"s{n:02d}") for n in range(5)]
    x = np.full((5, max(lengths), 2), np.nan, "float32")
    for row in rows:
        x[int(row["id"][1:]), row["t"]] = [row["f1"], row["f2"]]
    loaded = tf.saved_model.load(str(run / "saved_model"))
    served = loaded.serve(tf.constant(x))
    np.testing.assert_allclose(served["probabilities"].numpy(), model(x).numpy(), atol=1e-5)
    np.testing.assert_allclose(served["probabilities"].numpy(), probabilities, atol=1e-3)
    attention = served["attention"].numpy()
    shortest = int(np.argmin(lengths))
    assert lengths[shortest] < x.shape[1] and attention[shortest, lengths[shortest]:].sum() == 0.0
    np.testing.assert_allclose(attention.sum(axis=1), 1.0, rtol=1e-5)
    output = tmp_path / "predictions.csv"
    code, out, _ = run_cli(capsys, "predict", run, "--data", data, "--output", output)
    assert code == 0 and output.read_text().splitlines()[0] == "input,predicted,p_down,p_up"


def test_predict_reads_the_training_feature_columns_by_name(sequence_run, tmp_path, capsys):
    run, _ = sequence_run
    assert yaml.safe_load((run / "config.yaml").read_text())["options"]["feature_columns"] == ["f1", "f2"]
    rows = series_rows(count=4, nan_series=None, features=("f1", "f2", "f3"))
    outputs = []
    for name, order in (("three", ["id", "t", "f1", "f2", "f3"]), ("reordered", ["id", "t", "f3", "f2", "f1"])):
        path = write_rows(tmp_path / f"{name}.csv", [{key: row[key] for key in order} for row in rows])
        code, out, err = run_cli(capsys, "predict", run, "--data", path)
        assert code == 0, err
        outputs.append(out)
    assert outputs[0] == outputs[1]  # f3 is not read; f1 and f2 are found by name
    renamed = write_rows(tmp_path / "renamed.csv", [{"id": r["id"], "t": r["t"], "temperature": r["f1"],
                                                     "f2": r["f2"]} for r in rows])
    code, _, err = run_cli(capsys, "predict", run, "--data", renamed)
    assert_one_line_error(code, err, "expected a column 'f1' in")


def test_predict_bad_inputs(sequence_run, tmp_path, capsys):
    run, _ = sequence_run
    code, _, err = run_cli(capsys, "predict", run)
    assert_one_line_error(code, err, "expected the series in a long-format file")


def _nan_everywhere(rows):
    return [{**row, "f1": np.nan, "f2": np.nan} if row["id"] == "s03" else row for row in rows]


def _feature_missing(rows):
    return [{**row, "f2": np.nan} if row["id"] == "s05" else row for row in rows]


def _one_class(rows):
    return [{**row, "activity": "up"} for row in rows]


@pytest.mark.parametrize("change, flags, expected", [
    (None, ["--label-col", "label"], "expected a column 'label' in"),
    (_one_class, [], "expected at least 2 classes in column 'activity'"),
    (_nan_everywhere, [], "Received: series_id='s03 (all NaN)'"),
    (_feature_missing, [], "to have values for all 2 features. Received: series_id=\"s05 (no values "
                           "for ['f2'])\""),
    ("header", [], "expected at least one data row under the header"),
])
def test_bad_data_files(tmp_path, capsys, change, flags, expected):
    data = tmp_path / "motions.csv"
    rows = series_rows(count=12, nan_series=None)
    if change == "header":
        data.write_text("id,t,f1,f2,activity\n", encoding="utf-8")
    else:
        write_rows(data, change(rows) if change else rows)
    code, _, err = run_cli(capsys, "train", "sequence", "--data", data, *COLUMNS, *flags,
                           "--out", tmp_path / "run", *TINY)
    assert_one_line_error(code, err, expected)
    assert [p.name for p in tmp_path.iterdir()] == ["motions.csv"]


def test_the_chosen_dataset_picks_its_preset_under_the_users_settings():
    task = get_task("sequence")
    assert task.defaults()["model"]["bidirectional"] is True  # JapaneseVowels: BiGRU
    for chosen in ({"options": {"dataset": "BasicMotions"}},  # from --dataset or a config file
                   {"options": {"dataset": "BasicMotions"}, "batch_size": 4}):
        config = resolve_config(task.defaults(chosen), chosen)
        assert config.model["bidirectional"] is False
        assert config.batch_size == chosen.get("batch_size", 8)


def test_bad_dataset_name(tmp_path, capsys):
    code, _, err = run_cli(capsys, "train", "sequence", "--dataset", "Gestures", "--out", tmp_path / "r")
    assert_one_line_error(code, err, "argument --dataset: invalid choice: 'Gestures'")
    assert list(tmp_path.iterdir()) == []


def test_dataset_flag_sets_the_option():
    task = get_task("sequence")
    args = cli.build_parser(task, "train").parse_args(["train", "sequence", "--dataset", "BasicMotions"])
    assert getattr(args, "options.dataset") == "BasicMotions"


def test_evaluate_on_labels_never_seen_in_training_is_an_error(sequence_run, tmp_path, capsys):
    run, _ = sequence_run
    rows = [{**row, "activity": "sideways"} for row in series_rows(count=4, nan_series=None)]
    code, _, err = run_cli(capsys, "evaluate", run, "--data", write_rows(tmp_path / "side.csv", rows))
    assert_one_line_error(code, err, "expected labels among the training classes ['down', 'up'] in "
                                     f"{tmp_path / 'side.csv'}. Received: unknown_labels=['sideways']")


def test_predict_ignores_labels_and_names_the_files_own_columns(sequence_run, tmp_path, capsys):
    run, _ = sequence_run
    rows = [{**row, "activity": "sideways"} for row in series_rows(count=3, nan_series=None)]
    code, out, _ = run_cli(capsys, "predict", run, "--data", write_rows(tmp_path / "side.csv", rows))
    assert code == 0 and [line.split("\t")[0] for line in out.splitlines()] == ["s00", "s01", "s02"]
    other = tmp_path / "fc.csv"
    other.write_text("date,sales,price\n2020-01-01,3,1.0\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "predict", run, "--data", other)
    assert_one_line_error(code, err, "(columns: ['date', 'sales', 'price']). Received: id_col='id'")


def test_a_time_value_that_is_not_a_number_stops_training_before_it_starts(tmp_path, capsys):
    rows = series_rows(count=12, nan_series=None)
    rows[-1] = {**rows[-1], "t": "later"}
    data = write_rows(tmp_path / "motions.csv", rows)
    code, _, err = run_cli(capsys, "train", "sequence", "--data", data, *COLUMNS,
                           "--out", tmp_path / "run", *TINY)
    assert_one_line_error(code, err, "expected numbers or ISO 8601 dates (e.g. 2024-01-31) in time "
                                     f"column 't' of {data}. Received: value='later', row={len(rows)}")
    assert [p.name for p in tmp_path.iterdir()] == ["motions.csv"]


def test_too_few_series_to_split_stops_training_before_it_starts(tmp_path, capsys):
    data = write_rows(tmp_path / "motions.csv", series_rows(count=2, nan_series=None))
    code, _, err = run_cli(capsys, "train", "sequence", "--data", data, *COLUMNS,
                           "--out", tmp_path / "run", *TINY)
    assert_one_line_error(code, err, "expected at least 6 examples to split into train/validation/"
                                     "test (3 of each of the 2 classes")
    assert err.strip().endswith("Received: series=2, per_class={'down': 1, 'up': 1}")
    assert [p.name for p in tmp_path.iterdir()] == ["motions.csv"]


def test_a_run_on_a_file_records_no_built_in_set_but_the_preset_it_started_from(sequence_run):
    run, _ = sequence_run
    options = yaml.safe_load((run / "config.yaml").read_text())["options"]
    assert options["dataset"] is None and options["preset"] == "default"
    assert options["min_steps_per_epoch"] == 16
    task = get_task("sequence")
    assert task.defaults()["options"]["dataset"] == "JapaneseVowels"
    on_file = task.defaults({"data": "mine.csv"})
    assert on_file["options"]["dataset"] is None and on_file["options"]["preset"] == "default"
    assert on_file["model"]["conv_filters"] == [64, 64, 64] and on_file["model"]["rnn_type"] == "none"
    chosen = {"data": "mine.csv", "options": {"preset": "BasicMotions"}}
    assert task.defaults(chosen)["model"]["bidirectional"] is False
    chosen = {"data": "mine.csv", "options": {"preset": "JapaneseVowels"}}
    assert task.defaults(chosen)["model"] == task.defaults()["model"]


def test_a_small_training_part_is_repeated_to_the_minimum_steps_per_epoch():
    task = get_task("sequence")
    data = sequences_from_frame(pd.DataFrame(series_rows(count=10, nan_series=None)), "f.csv",
                                "id", "t", "activity")
    for minimum, passes in ((0, 1), (3, 1), (7, 3), (16, 7)):  # 10 series, batches of 4
        config = resolve_config(task.defaults({"data": "f.csv"}), {
            "data": "f.csv", "batch_size": 4, "options": {"min_steps_per_epoch": minimum}})
        training = task.training_data(None, ClassificationSplits(data, None, data), config)
        assert training.steps_per_epoch == math.ceil(10 * passes / 4) >= minimum
        epochs = [np.concatenate([y.numpy() for _, y in training.train]) for _ in range(2)]
        assert np.bincount(epochs[0]).tolist() == (passes * np.bincount(data.labels)).tolist()
        if passes > 1:  # each epoch reshuffled
            assert not np.array_equal(epochs[0], epochs[1])


@pytest.mark.parametrize("argv, expected", [
    (["--dataset", "BasicMotions"], "expected --data FILE or --dataset NAME, not both"),
    (["--attention", "foo"], "expected attention to be one of ('bahdanau', 'luong', 'multihead', "
                             "'none'). Received: --attention='foo'"),
    (["--attention", "luong", "--set", "model.architecture=transformer"],
     'an RNN (model.architecture=rnn) for attention "luong"'),
])
def test_bad_settings(tmp_path, capsys, argv, expected):
    data = write_rows(tmp_path / "motions.csv", series_rows(count=12, nan_series=None))
    code, _, err = run_cli(capsys, "train", "sequence", "--data", data, *COLUMNS, *argv,
                           "--out", tmp_path / "run")
    assert_one_line_error(code, err, expected)
    assert [p.name for p in tmp_path.iterdir()] == ["motions.csv"]


def test_switching_to_the_transformer_trains_without_the_presets_rnn_settings(tmp_path, capsys):
    data = write_rows(tmp_path / "motions.csv", series_rows(count=12, nan_series=None))
    code, _, err = run_cli(capsys, "train", "sequence", "--data", data, *COLUMNS, "--epochs", "1",
                           "--set", "model.architecture=transformer", "--set", "model.model_dim=4",
                           "--set", "model.num_layers=1", "--set", "options.baselines=[]",
                           "--set", "options.samples=0", "--set", "options.cross_validation_below=0",
                           "--out", tmp_path / "run")
    assert code == 0, err
    model = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())["model"]
    assert model["architecture"] == "transformer" and "attention" not in model and "units" not in model


def test_a_label_written_na_is_a_class_while_na_in_a_feature_is_missing(tmp_path):
    from attnflow.tasks.classification.sequence import SequenceOptions, read_series

    rows = [{**row, "activity": {"up": "NA", "down": "None"}[row["activity"]]}
            for row in series_rows(count=6, nan_series=None)]
    rows[0]["f2"] = "NA"
    data = read_series(write_rows(tmp_path / "na.csv", rows),
                       SequenceOptions(id_column="id", time_column="t", label_column="activity"))
    assert sorted(data.classes) == ["NA", "None"] and len(data.labels) == 6
    assert np.isnan(data.x[0, 0, 1]) and not np.isnan(data.x[0, 0, 0])


def test_help_of_predict_on_a_run_prints_no_tensorflow_log_lines(sequence_run):
    import subprocess
    import sys
    from pathlib import Path

    run, _ = sequence_run
    result = subprocess.run([sys.executable, "-m", "attnflow", "predict", str(run), "--help"],
                            capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(Path(cli.__file__).parents[1])})
    assert result.returncode == 0 and "usage: attnflow predict" in result.stdout
    assert result.stderr == ""  # TensorFlow's C++ start-up lines (CUDA probing, CPU features) hidden
