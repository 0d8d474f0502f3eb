"""`attnflow train image -> evaluate -> predict`, end to end on tiny generated images,
and its bad inputs."""

from __future__ import annotations

import contextlib
import csv
import io
import json

import keras
import numpy as np
import pytest
import tensorflow as tf
import yaml

from attnflow import cli
from tests.cli.conftest import run_cli
from tests.cli.test_bad_input import assert_one_line_error
from tests.image_files import write_csv, write_folder, write_picture
from tests.shared_runs import shared

TINY = ["--epochs", "6", "--batch-size", "16", "--image-size", "8", "--set", "learning_rate=0.003",
        "--set", "warmup=0", "--set", "model.stem_channels=[4]", "--set", "model.patch_size=4",
        "--set", "model.model_dim=16",
        "--set", "model.num_heads=2", "--set", "model.intermediate_dim=16",
        "--set", "model.num_layers=1", "--set", "options.min_steps_per_epoch=8",
        "--set", "options.cnn_epochs=2", "--set", "options.samples=4"]


@pytest.fixture(scope="session")
def image_run(tmp_path_factory, worker_id):
    def build(folder):
        data = write_folder(folder / "pictures", kinds=("top", "bottom"), per_class=20, sizes=(10, 24))
        (data / "top" / "notes.txt").write_text("not an image")
        out = folder / "run"
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr):
            code = cli.main(["train", "image", "--data", str(data), "--out", str(out), *TINY])
        assert code == 0, stderr.getvalue()[-2000:]
        return out, stderr.getvalue(), data

    return shared(tmp_path_factory, worker_id, "image_run", build)


def test_train_writes_a_whole_run_with_both_baselines(image_run):
    run, stderr, _ = image_run
    for name in ("config.yaml", "model.keras", "saved_model/saved_model.pb", "metrics.json",
                 "confusion_matrix.png", "attention/test_grid.png"):
        assert (run / name).exists(), name
    metrics = json.loads((run / "metrics.json").read_text())
    matrix = np.array(metrics["test"]["confusion_matrix"])
    assert matrix.shape == (2, 2) and matrix.sum() == 8  # 20% of 40 images
    assert metrics["test"]["accuracy"] >= 0.75  # the band's half gives the class away
    assert set(metrics["baselines"]) == {"cnn", "pixel_logreg"}
    for scores in metrics["baselines"].values():
        assert set(scores) == set(metrics["test"]) and np.sum(scores["confusion_matrix"]) == 8
    config = yaml.safe_load((run / "config.yaml").read_text())
    assert config["options"]["classes"] == ["bottom", "top"] and config["options"]["channels"] == 1
    assert config["options"]["flip"] is False and config["options"]["dataset"] is None
    model = keras.models.load_model(run / "model.keras", compile=False)
    assert model.patch_grid == (2, 2) and len(model.pixel_mean) == 1
    warnings = [line for line in stderr.splitlines() if line.startswith("attnflow: warning: ")]
    assert len(warnings) == 1 and "skipped 1 file that is not an image" in warnings[0]
    assert "E0000" not in stderr  # no C++ log lines from TensorFlow


def test_evaluate_on_its_test_split_and_on_a_folder(image_run, tmp_path, capsys):
    run, _, _ = image_run
    code, out, _ = run_cli(capsys, "evaluate", run)
    assert code == 0 and "accuracy" in out
    other = write_folder(tmp_path / "more", kinds=("top", "bottom"), per_class=3, seed=5)
    code, out, _ = run_cli(capsys, "evaluate", run, "--data", other)
    assert code == 0 and "more" in out


def test_predict_files_and_folders_with_csv_output_and_attention_maps(image_run, tmp_path, capsys):
    run, _, _ = image_run
    rng = np.random.default_rng(9)
    first = write_picture(tmp_path / "first.png", "top", 16, rng)
    folder = tmp_path / "folder"
    write_picture(folder / "a.jpg", "bottom", 30, rng)
    write_picture(folder / "deeper" / "b.bmp", "top", 9, rng)
    (folder / "readme.txt").write_text("not an image")
    plots = tmp_path / "plots"
    code, out, err = run_cli(capsys, "predict", run, first, folder, "--show-attention", "--plots", plots)
    assert code == 0
    assert err.strip().splitlines() == ["attnflow: warning: the inputs: skipped 1 file that is not an "
                                        "image (.png, .jpg, .jpeg, .bmp, .gif): readme.txt"]
    lines = [line.split("\t") for line in out.splitlines() if "\t" in line]
    assert [line[0] for line in lines] == [str(first), str(folder / "a.jpg"), str(folder / "deeper" / "b.bmp")]
    assert all(line[1] in ("top", "bottom") and 0.5 <= float(line[2]) <= 1 for line in lines)
    assert f"attention maps written to {plots} (3 PNG)" in out
    assert sorted(p.name for p in plots.iterdir()) == ["a.png", "b.png", "first.png"]
    output = tmp_path / "predictions.csv"
    code, out, _ = run_cli(capsys, "predict", run, first, folder, "--output", output)
    assert code == 0 and f"predictions written to {output}" in out
    rows = list(csv.reader(output.open(encoding="utf-8")))
    assert rows[0] == ["path", "label", "probability", "p_bottom", "p_top"] and len(rows) == 4
    probabilities = np.array([[float(v) for v in row[3:]] for row in rows[1:]])
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert [row[1] for row in rows[1:]] == [line[1] for line in lines]
    np.testing.assert_allclose([float(row[2]) for row in rows[1:]], probabilities.max(axis=1), atol=1e-6)


def test_the_saved_model_serves_probabilities_and_attention_maps(image_run):
    run, _, _ = image_run
    model = keras.models.load_model(run / "model.keras", compile=False)
    x = np.random.default_rng(0).uniform(0, 255, size=(3, 8, 8, 1)).astype("float32")
    loaded = tf.saved_model.load(str(run / "saved_model"))  # kept: its variables must outlive the call
    served = loaded.serve(tf.constant(x))
    np.testing.assert_allclose(served["probabilities"].numpy(), model(x).numpy(), atol=1e-5)
    assert served["attention"].shape == (3, 2, 2)
    np.testing.assert_allclose(served["attention"].numpy().sum(axis=(1, 2)), 1.0, rtol=1e-5)


def test_a_csv_of_paths_and_labels_trains_too(tmp_path, capsys):
    rng = np.random.default_rng(0)
    rows = []
    for number in range(12):
        kind = ("left", "right")[number % 2]
        write_picture(tmp_path / "img" / f"{number}.png", kind, 12, rng, colour=True)
        rows.append((f"img/{number}.png", kind))
    table = write_csv(tmp_path / "labels.csv", rows)
    code, out, err = run_cli(capsys, "train", "image", "--data", table, "--out", tmp_path / "run",
                             "--test-data", table,  # the same file as --data: trains, with a warning
                             *TINY, "--epochs", "1", "--set", "options.baselines=[]")
    assert code == 0, err[-2000:]
    assert "is the same as --data" in err
    config = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())
    assert config["options"]["channels"] == 3 and config["options"]["classes"] == ["left", "right"]


def make_bad_data(tmp_path, kind):
    rng = np.random.default_rng(0)
    root = tmp_path / "data"
    if kind == "empty":
        root.mkdir()
    elif kind == "one_class":
        write_folder(root, kinds=("top",), per_class=4)
    elif kind == "empty_class":
        write_folder(root, kinds=("top",), per_class=4)
        (root / "bottom").mkdir()
    elif kind == "no_images":
        for name in ("top", "bottom"):
            (root / name).mkdir(parents=True)
            (root / name / "a.txt").write_text("text")
    elif kind == "corrupt":
        write_folder(root, per_class=4)
        (root / "top" / "top_2.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    elif kind == "missing_path":
        write_picture(tmp_path / "a.png", "top", 8, rng)
        root = write_csv(tmp_path / "labels.csv", [("a.png", "x"), ("a.png", "y"), ("b.png", "y")])
    elif kind == "too_few":
        write_folder(root, per_class=2)
    return root


@pytest.mark.parametrize("kind,expected", [
    ("empty", "expected a folder with one sub-folder of images per class"),
    ("one_class", "expected at least 2 class folders"),
    ("empty_class", "expected images in every class folder"),
    ("no_images", "expected images in every class folder"),
    ("corrupt", "expected image files that decode. Received: image="),
    ("missing_path", "(row 3 of"),
    ("too_few", "expected at least 6 examples to split into train/validation/test"),
])
def test_bad_data(tmp_path, capsys, kind, expected):
    data = make_bad_data(tmp_path, kind)
    before = sorted(p.name for p in tmp_path.iterdir())
    code, out, err = run_cli(capsys, "train", "image", "--data", data, "--out", tmp_path / "run", *TINY)
    assert_one_line_error(code, _errors_only(err), expected)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing left behind


def _errors_only(err: str) -> str:
    """stderr without the warning lines (the files skipped), which come before the error."""
    return "\n".join(line for line in err.splitlines() if not line.startswith("attnflow: warning: "))


def test_no_image_left_after_skipping_is_an_error_after_one_warning(tmp_path, capsys):
    (tmp_path / "x.txt").write_text("text")
    table = write_csv(tmp_path / "labels.csv", [("x.txt", "a"), ("x.txt", "b")])
    code, _, err = run_cli(capsys, "train", "image", "--data", table, "--out", tmp_path / "run", *TINY)
    warning, error = err.strip().splitlines()
    assert "skipped 2 files that are not an image" in warning
    assert_one_line_error(code, error, "expected image files (.png, .jpg, .jpeg, .bmp, .gif) in column 'path'")


@pytest.mark.parametrize("flags,expected", [
    (["--image-size", "0"], "expected image_size to be a positive integer. Received: --image-size=0"),
    (["--image-size", "-3"], "Received: --image-size=-3"),
    (["--image-size", "big"], "argument --image-size: invalid int value: 'big'"),
    (["--image-size", "2"], "expected image_size of at least one patch (model.patch_size=4). Received: --image-size=2"),
    (["--image-size", "10"], "expected image_size a multiple of 4 (model.patch_size=4). Received: --image-size=10"),
    (["--set", "model.stem_channels=[4, 4]", "--image-size", "12"],
     "expected image_size a multiple of 8 (model.patch_size=4 times 2 for the stem's pooling)"),
    (["--set", "model.units=3"], "expected model settings of VisionTransformer among"),
    (["--set", "options.baselines=[tfidf_logreg]"], "expected baselines to be a list of names among ('cnn', 'pixel_logreg')"),
    (["--dataset", "fashion_mnist"], "expected --data DIR_OR_CSV or --dataset fashion_mnist, not both"),
])
def test_bad_settings(tmp_path, capsys, flags, expected):
    data = write_folder(tmp_path / "data", per_class=3)
    code, _, err = run_cli(capsys, "train", "image", "--data", data, "--out", tmp_path / "run",
                           *TINY, *flags)
    assert_one_line_error(code, err, expected)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_predict_bad_inputs(image_run, tmp_path, capsys):
    run, _, _ = image_run
    code, _, err = run_cli(capsys, "predict", run, tmp_path / "nope.png")
    assert_one_line_error(code, err, "expected image files or folders that exist")
    code, _, err = run_cli(capsys, "predict", run)
    assert_one_line_error(code, err, "expected at least one image file")
    broken = tmp_path / "broken.gif"
    broken.write_bytes(b"GIF89a")
    output = tmp_path / "out.csv"
    output.write_text("kept\n")
    code, _, err = run_cli(capsys, "predict", run, broken, "--output", output)
    assert_one_line_error(code, err, f"Received: image='{broken} (")
    assert output.read_text() == "kept\n"  # the user's file is as it was


def test_a_test_folder_of_its_own_scores_the_model_and_the_baselines(tmp_path, capsys):
    train = write_folder(tmp_path / "train", kinds=("top", "bottom"), per_class=10, sizes=(10, 14))
    test = write_folder(tmp_path / "test", kinds=("top", "bottom"), per_class=3, sizes=(9, 30), seed=1,
                        colour=True)  # colour test images of a grey training set: read in grey
    code, out, err = run_cli(capsys, "train", "image", "--data", train, "--test-data", test,
                             "--out", tmp_path / "run", *TINY, "--epochs", "1",
                             "--set", "options.baselines=[pixel_logreg]")
    assert code == 0, err[-2000:]
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["test"]["per_class"]["top"]["support"] == 3 == metrics["test"]["per_class"]["bottom"]["support"]
    assert sum(map(sum, metrics["baselines"]["pixel_logreg"]["confusion_matrix"])) == 6
    config = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())
    assert config["options"]["channels"] == 1 and config["options"]["test_data"] == str(test)


def test_a_test_folder_with_an_unseen_class_or_that_is_missing(tmp_path, capsys):
    train = write_folder(tmp_path / "train", kinds=("top", "bottom"), per_class=6)
    unseen = write_folder(tmp_path / "unseen", kinds=("top", "left"), per_class=2)
    code, _, err = run_cli(capsys, "train", "image", "--data", train, "--test-data", unseen,
                           "--out", tmp_path / "run", *TINY)
    assert_one_line_error(code, err, "left")
    assert not (tmp_path / "run").exists()
    code, _, err = run_cli(capsys, "train", "image", "--data", train, "--test-data", tmp_path / "nothere",
                           "--out", tmp_path / "run", *TINY)  # named by the flag that names it
    assert_one_line_error(code, err, f"Received: --test-data='{tmp_path / 'nothere'}'")
