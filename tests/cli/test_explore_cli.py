"""`attnflow explore RUN`: the explorer page of a run, and its bad inputs
(the page itself is tested in a browser in tests/explain/test_explorer_browser.py)."""

from __future__ import annotations

import json
import re

from tests.cli.conftest import run_cli
from tests.cli.test_bad_input import assert_one_line_error


def page_data(path) -> dict:
    html = path.read_text(encoding="utf-8")
    found = re.search(r'<script id="explorer-data" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(found.group(1))


def test_explore_writes_one_self_contained_page_and_prints_its_path(dates_run, tmp_path, capsys):
    code, out, err = run_cli(capsys, "explore", dates_run, "--examples", "2")
    assert code == 0, err
    assert out.strip().splitlines()[-1] == str(dates_run / "explorer.html")
    data = page_data(dates_run / "explorer.html")
    assert data["kind"] == "matrix" and len(data["examples"]) == 2
    example = data["examples"][0]
    assert {"name", "input", "prediction", "truth", "rows", "columns", "views"} <= set(example)
    other = tmp_path / "page.html"
    assert run_cli(capsys, "explore", dates_run, "--output", other)[0] == 0
    assert other.exists()


def test_explore_bad_input_is_one_line(dates_run, tmp_path, capsys):
    code, _, err = run_cli(capsys, "explore", tmp_path / "no_such_run")
    assert_one_line_error(code, err, "no_such_run")
    code, _, err = run_cli(capsys, "explore", dates_run, "--examples", "0")
    assert_one_line_error(code, err, "Received: examples=0")
