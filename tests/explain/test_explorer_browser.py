"""`attnflow explore RUN` on a run of every task family, opened in headless Chromium.

The page is driven by Playwright for Python with Debian's `chromium`
(executable_path, no browser download; `.ci/run` installs it): the tests
switch example, layer and head, and check that the weights the page draws
equal those the model returns for that example, computed here from the
model itself; that hovering shows the exact weight; that nothing is logged
as an error; and they write a screenshot (to $ATTNFLOW_SCREENSHOTS when set,
which is how docs/explorer-text.png, the text run's explorer_text.png, was taken).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from attnflow import cli
from attnflow.estimators import load

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the dev extra")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() and not shutil.which("chromium"),
                                reason="Debian's chromium is missing (.ci/run installs it)")


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM if Path(CHROMIUM).exists()
                                             else shutil.which("chromium"), args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_explorer(browser, task_runs, tmp_path):
    """name -> (page, run, errors) of that run's explorer, freshly written by the CLI."""
    pages = []

    def open_page(name):
        run = task_runs[name]
        assert cli.main(["explore", str(run), "--examples", "3"]) == 0
        html = (run / "explorer.html").read_text(encoding="utf-8")
        assert not re.search(r"<script[^>]+src=|<link[^>]+href=|https?://", html)  # self-contained
        page = browser.new_page(viewport={"width": 1000, "height": 360})
        errors = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto((run / "explorer.html").as_uri())
        pages.append(page)
        return page, run, errors

    yield open_page
    for page in pages:
        page.close()


def drawn(page) -> tuple[np.ndarray, list[str], list[str]]:
    """The drawn weights [rows, columns] (NaN where a column has no weight), row and column labels."""
    cells = page.eval_on_selector_all(
        "#view .weight", "els => els.map(e => [+e.dataset.row, +e.dataset.col, e.dataset.weight])")
    data = json.loads(page.eval_on_selector("#explorer-data", "e => e.textContent"))
    example = data["examples"][int(page.input_value("#example"))]
    view = example["views"][int(page.input_value("#layer"))]
    rows, columns = view.get("rows", example["rows"]), view.get("columns", example["columns"])
    matrix = np.full((len(rows), len(columns)), np.nan)
    for row, col, weight in cells:
        matrix[row, col] = float(weight)
    return matrix, rows, columns


def choose(page, example=None, layer=None, head=None):
    for selector, value in (("#example", example), ("#layer", layer), ("#head", head)):
        if value is not None:
            page.select_option(selector, str(value))


def options(page, selector) -> list[str]:
    return page.eval_on_selector_all(f"{selector} option", "els => els.map(e => e.textContent)")


def check_hover_and_errors(page, errors, tmp_path, name):
    first = page.locator("#view .weight").first
    first.hover()
    weight = first.get_attribute("data-weight")
    assert page.locator("#tip").is_visible()
    assert page.text_content("#tip").endswith(f": {weight}")
    folder = Path(os.environ.get("ATTNFLOW_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"explorer_{name}.png"), full_page=True)
    assert (folder / f"explorer_{name}.png").stat().st_size > 1000
    assert errors == []


def test_markup_in_a_users_text_neither_ends_nor_hides_the_pages_data(browser, tmp_path):
    from attnflow.explain.explorer import attention_view, write_explorer

    words = ["comments", "start", "<!--", "then", "<script", "src=a.js", "</script>", "end"]
    example = {"name": " ".join(words), "input": " ".join(words), "prediction": "good", "truth": "good",
               "rows": ["good"], "columns": words,
               "views": [attention_view("attention", {"weights": [np.full(len(words), 1 / len(words))]})]}
    path = write_explorer(tmp_path / "explorer.html", "text <!-- run", "tokens", [example, example])
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.as_uri())
    assert page.eval_on_selector_all("script", "els => els.length") == 2  # the data and the code
    data = json.loads(page.eval_on_selector("#explorer-data", "e => e.textContent"))
    assert data["examples"][0]["columns"] == words
    assert options(page, "#example") == [" ".join(words)] * 2
    assert page.locator("#view .weight").count() == len(words) and errors == []
    page.close()


def test_dates_alignment_matrix_equals_the_translators_attention(open_explorer, tmp_path):
    page, run, errors = open_explorer("dates")
    translator = load(run)
    for example in range(len(options(page, "#example"))):
        choose(page, example=example)
        source = page.text_content("#fact-input")
        expected = translator.attention([source])[0]  # [output characters + 1, source characters]
        matrix, rows, columns = drawn(page)
        assert columns == list(translator.model_.standardize([source])[0])
        np.testing.assert_allclose(matrix, expected[:len(rows)], rtol=1e-6, atol=1e-7)
        assert page.text_content("#fact-prediction") == translator.translate([source], beam=1)[0]
    check_hover_and_errors(page, errors, tmp_path, "dates")


def _raw_text_attention(model, text):
    ids = model.token_ids(tf.constant([text]))
    _, raw = model.classifier(ids, return_attention_scores=True, training=False)
    return raw


@pytest.mark.parametrize("name", ["text_rnn", "text_transformer"])
def test_text_words_carry_the_models_weights_per_layer_and_head(open_explorer, tmp_path, name):
    page, run, errors = open_explorer(name)
    classifier = load(run)
    model = classifier.model_
    for example in (0, len(options(page, "#example")) - 1):
        choose(page, example=example)
        text = page.text_content("#fact-input")
        raw = _raw_text_attention(model, text)
        expected = {}
        if isinstance(raw, dict):
            pooling, blocks = raw["pooling"].numpy()[0], raw["blocks"].numpy()[0]  # [T], [layers, H, T, T]
            expected["model"] = {"weights": classifier.attention([text])[0]}
            for number, block in enumerate(blocks):
                per_head = np.stack([pooling @ head for head in block])  # [H, T]
                expected[f"block {number + 1}"] = {"mean of heads": per_head.mean(axis=0),
                                                   **{f"head {h + 1}": w for h, w in enumerate(per_head)}}
            expected["pooling"] = {"weights": pooling}
        else:
            expected["attention"] = {"weights": raw.numpy()[0]}
        assert options(page, "#layer") == list(expected)
        for layer, heads in enumerate(expected.values()):
            choose(page, layer=layer)
            assert options(page, "#head") == list(heads)
            for head, weights in enumerate(heads.values()):
                choose(page, head=head)
                matrix, _, _ = drawn(page)
                shown = matrix[0][~np.isnan(matrix[0])]  # the words that became tokens, in order
                np.testing.assert_allclose(shown, np.asarray(weights)[:len(shown)], rtol=1e-5, atol=1e-7)
    check_hover_and_errors(page, errors, tmp_path, name)


def test_sequence_steps_carry_the_models_weights(open_explorer, tmp_path):
    page, run, errors = open_explorer("sequence")
    classifier = load(run)
    data = classifier._task().load_data(classifier.config_)
    for example in range(len(options(page, "#example"))):
        choose(page, example=example)
        series_id = page.text_content("#fact-input")
        row = data.test.series_ids.index(series_id)
        _, weights = classifier.model_(tf.constant(data.test.x[row:row + 1]), return_attention_scores=True)
        weights = weights.numpy()[0]  # [T], or [H, T] for multi-head attention
        heads = [weights] if weights.ndim == 1 else [weights.mean(axis=0), *weights]
        assert len(options(page, "#head")) == len(heads)
        for head, expected in enumerate(heads):
            choose(page, head=head)
            matrix, _, columns = drawn(page)
            np.testing.assert_allclose(matrix[0], expected[:len(columns)], rtol=1e-5, atol=1e-7)
    check_hover_and_errors(page, errors, tmp_path, "sequence")


def test_forecast_steps_over_the_context_per_head_and_by_lag(open_explorer, tmp_path):
    from attnflow.tasks.forecast.data import raw_inputs
    from attnflow.tasks.forecast.model import scaled_inputs

    page, run, errors = open_explorer("forecast")
    forecaster = load(run)
    data = forecaster._task().load_data(forecaster.config_)
    for example in range(len(options(page, "#example"))):
        choose(page, example=example, layer=0)
        _, rows, _ = drawn(page)
        first_time = rows[0].split(" ", 1)[1]
        origin = [str(t.date()) for t in data.series.times].index(first_time)
        raw = raw_inputs(data.series, [origin], data.context, data.horizon)
        weights = forecaster.model_.attention_weights(scaled_inputs(data.scaler, raw)).numpy()[0]  # [heads, H, L]
        assert options(page, "#head") == ["mean of heads"] + [f"head {h + 1}" for h in range(len(weights))]
        for head, expected in enumerate([weights.mean(axis=0), *weights]):
            choose(page, head=head)
            np.testing.assert_allclose(drawn(page)[0], expected, rtol=1e-5, atol=1e-7)
        choose(page, layer=1, head=0)
        lags, _, columns = drawn(page)
        context, horizon = data.context, data.horizon
        assert columns == [f"lag {lag}" for lag in range(1, context + horizon)]
        mean = weights.mean(axis=0)  # [H, L]
        for lag in (1, context, context + horizon - 1):  # forecast step h reads step l at lag L - l + h
            reads = [mean[h, context - lag + h] for h in range(horizon) if 0 <= context - lag + h < context]
            np.testing.assert_allclose(lags[0, lag - 1], np.mean(reads), rtol=1e-5)
    check_hover_and_errors(page, errors, tmp_path, "forecast")


def test_image_patches_carry_the_rollout_and_each_blocks_heads_over_the_picture(open_explorer, tmp_path):
    from attnflow.explain.attention_rollout import patch_attention

    page, run, errors = open_explorer("image")
    classifier = load(run)
    model = classifier.model_
    data = classifier._task().load_data(classifier.config_)
    rows, columns = model.patch_grid
    for example in range(len(options(page, "#example"))):
        choose(page, example=example, layer=0, head=0)
        name = page.text_content("#fact-input")
        image = data.test.images[data.test.names.index(name)][None].astype(np.float32)
        _, attention = model(tf.constant(image), return_attention_scores=True, training=False)
        assert page.get_attribute("#view img", "src").startswith("data:image/png;base64,")
        matrix, drawn_rows, drawn_columns = drawn(page)
        assert (len(drawn_rows), len(drawn_columns)) == (rows, columns)
        np.testing.assert_allclose(matrix, patch_attention(attention, (rows, columns)).numpy()[0],
                                   rtol=1e-5, atol=1e-7)
        pooling, blocks = attention["pooling"].numpy()[0], attention["blocks"].numpy()[0]
        assert options(page, "#layer") == ["rollout"] + [f"block {b + 1}" for b in range(len(blocks))]
        for block, weights in enumerate(blocks):
            read = np.stack([pooling @ head for head in weights])[:, -rows * columns:]  # [H, patches]
            choose(page, layer=block + 1)
            for head, expected in enumerate([read.mean(axis=0), *read]):
                choose(page, head=head)
                np.testing.assert_allclose(drawn(page)[0].ravel(), expected, rtol=1e-5, atol=1e-7)
    check_hover_and_errors(page, errors, tmp_path, "image")
