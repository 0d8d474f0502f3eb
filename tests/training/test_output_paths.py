"""Output paths: checked before writing, and left whole when a writer fails."""

from __future__ import annotations

import pytest

from attnflow.training.output_paths import (
    check_output_file, check_output_folder, kept_whole, write_atomically)


def test_an_output_file_needs_an_existing_folder_and_is_no_folder(tmp_path):
    check_output_file("output", tmp_path / "p.csv")
    (tmp_path / "p.csv").write_text("x")
    check_output_file("output", tmp_path / "p.csv")  # an existing file is replaced
    with pytest.raises(ValueError, match="expected --output in an existing folder. Received: output="):
        check_output_file("output", tmp_path / "missing" / "p.csv")
    with pytest.raises(ValueError, match="expected --html to name a file, not a folder"):
        check_output_file("html", tmp_path)
    with pytest.raises(ValueError, match="in an existing folder"):
        check_output_file("output", tmp_path / "p.csv" / "q.csv")  # a file as the folder


def test_a_relative_output_file_is_in_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    check_output_file("output", "p.csv")


def test_an_output_folder_may_be_missing_but_not_a_file(tmp_path):
    check_output_folder("plots", tmp_path / "new")
    check_output_folder("plots", tmp_path)
    (tmp_path / "f.png").write_text("x")
    with pytest.raises(ValueError, match="expected --plots to name a folder, not a file"):
        check_output_folder("plots", tmp_path / "f.png")


def test_kept_whole_restores_old_files_and_removes_new_ones_on_failure(tmp_path):
    old, new = tmp_path / "old.csv", tmp_path / "new.csv"
    old.write_text("mine")
    with pytest.raises(KeyboardInterrupt):
        with kept_whole([old, new, old]):
            old.write_text("ha")
            new.write_text("lf")
            raise KeyboardInterrupt
    assert old.read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.csv"]


def test_kept_whole_keeps_what_was_written_on_success(tmp_path):
    old, new = tmp_path / "old.csv", tmp_path / "new.csv"
    old.write_text("mine")
    with kept_whole([old, new]):
        old.write_text("replaced")
        new.write_text("written")
    assert old.read_text() == "replaced" and new.read_text() == "written"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.csv", "old.csv"]


def test_write_atomically_replaces_in_one_step_or_not_at_all(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("mine")
    with pytest.raises(RuntimeError):
        with write_atomically(path) as temporary:
            temporary.write_text("half")
            raise RuntimeError
    assert path.read_text() == "mine" and list(tmp_path.iterdir()) == [path]
    with write_atomically(path) as temporary:
        temporary.write_text("whole")
    assert path.read_text() == "whole" and list(tmp_path.iterdir()) == [path]
