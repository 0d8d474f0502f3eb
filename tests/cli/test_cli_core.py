"""What every command does the same way: runs that work from any folder, output
paths checked before a task runs, damaged runs named, help that shows a run's
own options."""

from __future__ import annotations

import shutil
import zipfile

import keras
import pytest
import yaml

from attnflow import cli
from attnflow.tasks import get_task, task_flags
from tests.cli.conftest import run_cli
from tests.cli.test_bad_input import assert_one_line_error
from tests.cli.test_text_cli import COLUMNS, TEXTS, TINY, write_reviews

CHEAP = [*TINY, "--epochs", "1", "--set", "options.baselines=[]", "--set", "options.samples=0"]


@pytest.fixture(scope="module")
def relative_run(tmp_path_factory):
    """A text run trained from its data's folder, with the data named relative to it."""
    folder = tmp_path_factory.mktemp("trained_here")
    write_reviews(folder / "reviews.csv")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        assert cli.main(["train", "text", "--data", "reviews.csv", *COLUMNS, "--out", "run",
                         *CHEAP]) == 0
    return folder / "run"


@pytest.fixture
def elsewhere(tmp_path, monkeypatch):
    """The current folder is an empty one, not the one a run was trained from."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


# -- 1. a run works from any folder ------------------------------------------------


def test_the_saved_config_names_the_data_file_absolutely(relative_run):
    values = yaml.safe_load((relative_run / "config.yaml").read_text())
    assert values["data"] == str(relative_run.parent / "reviews.csv")


def test_evaluate_and_predict_from_another_folder(relative_run, elsewhere, capsys):
    code, out, err = run_cli(capsys, "evaluate", relative_run)
    assert code == 0, err
    assert "accuracy" in out
    code, out, err = run_cli(capsys, "predict", relative_run, TEXTS[0])
    assert code == 0 and len(out.splitlines()) == 1, err


def test_an_interrupted_text_run_resumes_from_another_folder(tmp_path, capsys, monkeypatch,
                                                            interrupt_first_epoch):
    write_reviews(tmp_path / "reviews.csv")
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(capsys, "train", "text", "--data", "reviews.csv", *COLUMNS, "--out", "run",
                           *CHEAP, "--epochs", "2")
    assert code == cli.EXIT_INTERRUPTED and "--resume" in err
    interrupt_first_epoch.undo()
    monkeypatch.chdir(tmp_path.parent)
    code, out, err = run_cli(capsys, "train", "--resume", tmp_path / "run.partial")
    assert code == 0, err
    assert out.splitlines()[-1] == str(tmp_path / "run")
    history = (tmp_path / "run" / "history.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in history[1:]] == ["0", "1"]
    model = keras.models.load_model(tmp_path / "run" / "model.keras", compile=False)
    assert "delicious" in model.vocabulary and model.vocabulary[:2] == ["", "[UNK]"]  # the same vocabulary
    code, out, _ = run_cli(capsys, "predict", tmp_path / "run", TEXTS[0])
    assert code == 0 and len(out.splitlines()) == 1


def test_forecast_predict_rereads_its_series_from_another_folder(tmp_path, capsys, monkeypatch):
    from tests.cli.test_forecast_cli import monthly_frame

    monthly_frame(48).to_csv(tmp_path / "sales.csv", index=False)
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(capsys, "train", "forecast", "--data", "sales.csv", "--time-col", "month",
                           "--target", "sales", "--horizon", "6", "--context", "12", "--epochs", "1",
                           "--set", "model.units=8", "--set", "options.baselines=false",
                           "--set", "options.ensemble=1", "--out", "run")
    assert code == 0, err
    monkeypatch.chdir(tmp_path.parent)
    code, out, err = run_cli(capsys, "predict", tmp_path / "run")
    assert code == 0, err
    assert "2019-06-01" in out  # 48 months from 2015-01: the 6 after the last


# -- 2, 3. output paths -------------------------------------------------------------


@pytest.mark.parametrize("flags, expected", [
    (["--output", "{missing}/p.csv"], "expected --output in an existing folder. "
                                      "Received: --output='{missing}/p.csv'"),
    (["--output", "{folder}"], "expected --output to name a file, not a folder. "
                               "Received: --output='{folder}'"),
    (["--show-attention", "--html", "{folder}"], "expected --html to name a file, not a folder"),
    (["--show-attention", "--html", "{missing}/a.html"], "expected --html in an existing folder"),
])
def test_bad_output_paths_are_one_line_and_write_nothing(relative_run, tmp_path, capsys, flags,
                                                         expected):
    names = {"missing": tmp_path / "no_folder", "folder": tmp_path}
    before = sorted(tmp_path.rglob("*"))
    code, out, err = run_cli(capsys, "predict", relative_run, TEXTS[0],
                             *(flag.format(**names) for flag in flags))
    assert_one_line_error(code, err, expected.format(**names))
    assert out == "" and sorted(tmp_path.rglob("*")) == before


def test_forecast_output_in_a_missing_folder_is_an_error_too(tmp_path, capsys, monkeypatch):
    """Every task alike: no task creates the folder of --output."""
    monkeypatch.setattr(get_task("forecast").__class__, "predict",
                        lambda *args: pytest.fail("the task ran"))
    run = _fake_run(tmp_path, "forecast")
    code, _, err = run_cli(capsys, "predict", run, "--output", tmp_path / "new" / "f.csv")
    assert_one_line_error(code, err, "expected --output in an existing folder")
    assert not (tmp_path / "new").exists()


def test_plots_must_name_a_folder(tmp_path, capsys):
    run = _fake_run(tmp_path, "sequence")
    (tmp_path / "plots.png").write_text("mine")
    code, _, err = run_cli(capsys, "predict", run, "--data", "x.csv", "--plots", tmp_path / "plots.png")
    assert_one_line_error(code, err, "expected --plots to name a folder, not a file")
    assert (tmp_path / "plots.png").read_text() == "mine"


def test_output_replaces_the_named_file(relative_run, tmp_path, capsys):
    target = tmp_path / "p.csv"
    target.write_text("old\n")
    code, out, err = run_cli(capsys, "predict", relative_run, TEXTS[0], "--output", target)
    assert code == 0, err
    assert target.read_text().splitlines()[0].startswith("input,predicted")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.csv"]  # no copy left beside it


def test_a_predict_that_fails_halfway_leaves_the_users_files_as_they_were(
        relative_run, tmp_path, capsys, monkeypatch):
    def write_half_then_fail(self, load_model, inputs, args, config):
        for name in ("output", "html"):
            with open(args[name], "w", encoding="utf-8") as handle:
                handle.write("half")
        raise ValueError("expected something. Received: x=1")

    monkeypatch.setattr(get_task("text").__class__, "predict", write_half_then_fail)
    kept, new = tmp_path / "p.csv", tmp_path / "a.html"
    kept.write_text("the user's file\n")
    code, _, err = run_cli(capsys, "predict", relative_run, TEXTS[0], "--output", kept,
                           "--show-attention", "--html", new)
    assert_one_line_error(code, err, "Received: x=1")
    assert kept.read_text() == "the user's file\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.csv"]


# -- 4. damaged runs ----------------------------------------------------------------


def _copy(run, tmp_path):
    copy = tmp_path / "broken"
    shutil.copytree(run, copy)
    return copy


@pytest.mark.parametrize("content, expected", [
    ("task: [\n", "expected a run whose config.yaml parses. Received: config=\"{run}/config.yaml "
                  "(expected the node content, but found '<stream end>' at line 2, column 1)\""),
    ("- text\n", "expected a run whose config.yaml holds settings. Received: config='{run}/config.yaml'"),
    (b"\xff\xfe task", "expected a run whose config.yaml parses"),
])
@pytest.mark.parametrize("command", ["evaluate", "predict"])
def test_a_damaged_config_is_named(relative_run, tmp_path, capsys, command, content, expected):
    run = _copy(relative_run, tmp_path)
    config = run / "config.yaml"
    config.write_bytes(content) if isinstance(content, bytes) else config.write_text(content)
    code, _, err = run_cli(capsys, command, run, *([TEXTS[0]] if command == "predict" else []))
    assert_one_line_error(code, err, expected.format(run=run))


def test_a_damaged_config_is_named_on_resume(tmp_path, capsys):
    partial = tmp_path / "run.partial"
    partial.mkdir()
    (partial / "config.yaml").write_text("epochs: [1,\n")
    code, _, err = run_cli(capsys, "train", "--resume", partial)
    assert_one_line_error(code, err, f"{partial}/config.yaml (expected the node content")


def test_a_truncated_model_is_named(relative_run, tmp_path, capsys):
    run = _copy(relative_run, tmp_path)
    whole = (run / "model.keras").read_bytes()
    (run / "model.keras").write_bytes(whole[:1000])
    code, _, err = run_cli(capsys, "evaluate", run)
    assert_one_line_error(code, err, f"expected a run whose model.keras is a readable .keras file. "
                                     f"Received: model='{run}/model.keras (not a zip archive")
    assert "File not found" not in err


def test_a_model_archive_without_a_model_is_named(relative_run, tmp_path, capsys):
    run = _copy(relative_run, tmp_path)
    with zipfile.ZipFile(run / "model.keras", "w") as archive:
        archive.writestr("metadata.json", "{}")
    code, _, err = run_cli(capsys, "predict", run, TEXTS[0])
    assert_one_line_error(code, err, f"model='{run}/model.keras (")


# -- 5, 6. help --------------------------------------------------------------------


def test_predict_help_of_a_run_shows_its_tasks_options(relative_run, tmp_path, capsys):
    code, out, _ = run_cli(capsys, "predict", relative_run, "--help")
    assert code == 0 and "--html FILE" in out and "--output FILE" in out
    dates_run = _fake_run(tmp_path, "dates")
    code, out, _ = run_cli(capsys, "predict", "--help", dates_run)
    assert code == 0 and "--beam N" in out and "--saved-model" in out
    code, out, _ = run_cli(capsys, "evaluate", dates_run, "-h")
    assert code == 0 and "RUN" in out


@pytest.mark.parametrize("argv", [["predict", "--help"], ["predict", "not/a/run", "--help"],
                                  ["evaluate", "--help"]])
def test_help_without_a_run_says_where_task_options_are(capsys, argv):
    code, out, _ = run_cli(capsys, *argv)
    assert code == 0 and f"`attnflow {argv[0]} RUN --help` lists them" in " ".join(out.split())


def test_predict_help_of_a_damaged_run_is_the_generic_help(relative_run, tmp_path, capsys):
    run = _copy(relative_run, tmp_path)
    (run / "config.yaml").write_text("task: [\n")
    code, out, err = run_cli(capsys, "predict", run, "--help")
    assert code == 0 and "RUN --help" in out and err == ""


def test_train_help_of_a_task_lists_its_attention_names(capsys, monkeypatch):
    flags_class = task_flags("dates").__class__  # what help reads, without importing the task
    monkeypatch.setattr(flags_class, "attention_names", ("bahdanau", "luong-dot", "none"))
    code, out, _ = run_cli(capsys, "train", "dates", "--help")
    assert code == 0 and "attention of the model: bahdanau, luong-dot, none" in " ".join(out.split())


def test_train_help_names_no_attention_that_most_tasks_reject(capsys):
    code, out, _ = run_cli(capsys, "train", "--help")
    text = " ".join(out.split())
    assert code == 0 and "luong-general" not in text and "depend on the task" in text


def _fake_run(tmp_path, task):
    """A directory that passes as a finished run of `task` (its model is never loaded)."""
    run = tmp_path / f"{task}_run"
    run.mkdir()
    (run / "config.yaml").write_text(f"task: {task}\n")
    (run / "model.keras").write_bytes(b"")
    (run / "metrics.json").write_text("{}")
    return run


def test_predict_help_finds_the_run_after_a_flags_value(relative_run, capsys):
    code, out, _ = run_cli(capsys, "predict", "--output", "p.csv", relative_run, "--help")
    assert code == 0 and "--html FILE" in out


def test_output_into_a_file_or_a_pipe_is_not_folded_at_80_columns(monkeypatch):
    from attnflow._cli_commands import _console

    monkeypatch.delenv("COLUMNS", raising=False)
    console = _console()  # pytest captures stdout: no terminal
    assert not console.is_terminal and console.width == 200
    with console.capture() as captured:
        console.print("x" * 150)
    assert captured.get().strip() == "x" * 150
    monkeypatch.setenv("COLUMNS", "60")  # a width the user set is theirs
    assert _console().width == 60
