"""`attnflow train -> evaluate -> predict -> export -> resume`, end to end on tiny configs."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys

import keras
import pytest

from attnflow import cli
from tests.cli.conftest import TINY_DATES, TINY_MODEL, run_cli

INPUTS = ["14 février 2013", "<en_US> 3/7/98", "Thursday, February 14, 2013"]


def test_train_writes_a_whole_run_and_prints_its_path_last(dates_run):
    assert not dates_run.with_name("dates.partial").exists()
    for name in ("config.yaml", "model.keras", "saved_model/saved_model.pb", "metrics.json",
                 "history.csv", "logs/train", "attention/sample_1.png"):
        assert (dates_run / name).exists(), name
    metrics = json.loads((dates_run / "metrics.json").read_text())
    assert list(metrics) == ["task", "test", "held_out", "test_beam2", "faithfulness", "baselines",
                             "train_seconds", "epochs", "best", "distribution"]
    assert metrics["distribution"] == {"strategy": "default", "workers": 1, "replicas": 1,
                                       "global_batch_size": 128}  # dates' default batch
    assert metrics["best"]["model"] == "attention_model" and metrics["best"]["metric"] == "exact_match"
    assert set(metrics["test"]) == {"exact_match", "cer", "chrf", "bleu"}
    assert metrics["epochs"] == 2


def test_evaluate_on_its_own_splits_and_on_a_file(dates_run, tmp_path, capsys):
    code, out, _ = run_cli(capsys, "evaluate", dates_run)
    assert code == 0 and "held_out" in out and "exact_match" in out
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("14 février 2013\t2013-02-14\n<en_US> 3/7/98\t1998-03-07\n", encoding="utf-8")
    code, out, _ = run_cli(capsys, "evaluate", dates_run, "--data", pairs)
    assert code == 0 and "test" in out and "held_out" not in out


def test_predict_greedy_beam_and_attention(dates_run, capsys):
    code, out, _ = run_cli(capsys, "predict", dates_run, *INPUTS)
    assert code == 0 and len(out.splitlines()) == len(INPUTS)
    code, beam_out, _ = run_cli(capsys, "predict", dates_run, *INPUTS, "--beam", "3")
    assert code == 0 and len(beam_out.splitlines()) == len(INPUTS)
    code, shown, _ = run_cli(capsys, "predict", dates_run, INPUTS[0], "--show-attention")
    assert code == 0 and "1 4 ␣ f é v r i e r" in shown


def test_the_saved_model_translates_like_model_keras(dates_run, capsys):
    model = keras.models.load_model(dates_run / "model.keras", compile=False)
    expected = [t.text for t in model.translate(INPUTS)]
    code, out, _ = run_cli(capsys, "predict", dates_run, *INPUTS, "--saved-model")
    assert code == 0 and out.splitlines() == expected


def test_the_saved_model_needs_only_tensorflow(dates_run):
    script = ("import sys, tensorflow as tf\n"
              f"m = tf.saved_model.load({str(dates_run / 'saved_model')!r})\n"
              f"out = m.signatures['serving_default'](texts=tf.constant({INPUTS!r}))\n"
              "assert not [name for name in sys.modules if name.startswith('attnflow')]\n"
              "print('\\n'.join(t.decode() for t in list(out.values())[0].numpy()))\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            cwd="/", env={**os.environ, "PYTHONPATH": ""}, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    model = keras.models.load_model(dates_run / "model.keras", compile=False)
    assert result.stdout.splitlines() == [t.text for t in model.translate(INPUTS)]


def test_an_interrupted_run_resumes(tmp_path, capsys, interrupt_first_epoch):
    cheap = [*TINY_DATES, "--set", "options.beam_width=1", "--set", "options.samples=0"]
    code, _, err = run_cli(capsys, "train", "dates", "--out", tmp_path / "run", *cheap)
    partial = tmp_path / "run.partial"
    assert code == cli.EXIT_INTERRUPTED and partial.is_dir()
    # the hint is the README's form, `attnflow train dates --resume RUN`, and works as printed
    (hint,) = [line.split("continue with: ", 1)[1] for line in err.splitlines() if "continue with: " in line]
    words = shlex.split(hint)
    assert words[words.index("train"):] == ["train", "dates", "--resume", str(partial)]
    interrupt_first_epoch.undo()
    code, out, _ = run_cli(capsys, *words[words.index("train"):])
    assert code == 0 and out.splitlines()[-1] == str(tmp_path / "run")
    history = (tmp_path / "run" / "history.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in history[1:]] == ["0", "1"]
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["epochs"] == 2


def test_translate_trains_on_a_users_pairs_file(tmp_path, capsys):
    words = ["cat", "dog", "house", "tree", "water", "sun", "moon", "star", "book", "door"]
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("source,target\n" + "".join(f"{w}{i},{w[::-1]}{i}\n" for i in range(6) for w in words),
                     encoding="utf-8")
    code, out, _ = run_cli(capsys, "train", "translate", "--data", pairs, "--epochs", "1",
                           "--out", tmp_path / "run", "--set", "options.beam_width=1",
                           "--set", "options.samples=0", *TINY_MODEL)
    assert code == 0 and out.splitlines()[-1] == str(tmp_path / "run")
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["task"] == "translate" and list(metrics)[:4] == ["task", "test", "faithfulness", "baselines"]
    code, out, _ = run_cli(capsys, "predict", tmp_path / "run", "tree9")
    assert code == 0 and len(out.splitlines()) == 1

    # predict --data reads the source column of a pairs file, as training does: one output per pair.
    sources = [f"num {i}" for i in range(50)]
    table = tmp_path / "new_pairs.tsv"
    table.write_text("source\ttarget\n" + "".join(f"{s}\t{s[4:]}\n" for s in sources), encoding="utf-8")
    code, out, _ = run_cli(capsys, "predict", tmp_path / "run", "--data", table, "--output", tmp_path / "out.txt")
    assert code == 0 and out == f"50 translations written to {tmp_path / 'out.txt'}, one per line\n"
    written = (tmp_path / "out.txt").read_text(encoding="utf-8").splitlines()
    code, printed, _ = run_cli(capsys, "predict", tmp_path / "run", *sources)
    assert len(written) == 50 and written == printed.splitlines()
    lines = tmp_path / "sources.txt"  # a plain file: one source per line, commas and all
    lines.write_text("".join(f"{s}\n" for s in sources), encoding="utf-8")
    code, out, _ = run_cli(capsys, "predict", tmp_path / "run", "--data", lines)
    assert code == 0 and out.splitlines() == written


def test_characters_unseen_in_training_are_named_in_one_warning(dates_run, capsys):
    with pytest.warns(UserWarning) as record:
        code, out, _ = run_cli(capsys, "predict", dates_run, "14 février 2013 #", "3 mai 2001")
    assert code == 0 and len(out.splitlines()) == 2
    assert [str(w.message) for w in record] == [
        "1 character of the inputs never appeared in the training sources and is read as unknown: '#'"]


def test_predict_reads_inputs_from_a_file_and_writes_a_file(dates_run, tmp_path, capsys):
    inputs = tmp_path / "inputs.txt"
    inputs.write_text("\n".join(INPUTS) + "\n\n", encoding="utf-8")
    out_file = tmp_path / "out.txt"
    code, out, _ = run_cli(capsys, "predict", dates_run, "--data", inputs, "--output", out_file)
    assert code == 0 and out.startswith(f"{len(INPUTS)} translations written to {out_file}")
    code, printed, _ = run_cli(capsys, "predict", dates_run, *INPUTS)
    assert out_file.read_text(encoding="utf-8").splitlines() == printed.splitlines()
