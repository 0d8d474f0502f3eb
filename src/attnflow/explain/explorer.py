"""The attention explorer: one self-contained HTML file of a run's attention.

`attnflow explore RUN` asks the run's task for a few test examples
(`Task.attention_examples`) and writes them with `write_explorer` into
RUN/explorer.html: pick an example, a layer and a head, hover a weight to
read it exactly. Scripts, styles and data are inline: the file opens from
the file system in any browser, with no network.

An example is a dict:

    {"name": shown in the picker, "input": str, "prediction": str, "truth": str or None,
     "rows": labels of the matrix rows (output tokens, forecast steps; one row for
             classifiers), "columns": labels of the columns (input tokens, time steps),
     "series": optional {"name": str, "values": [one number or None per column]},
     "image": for kind "image", a data: URL of the picture the grid is drawn over,
     "views": [attention_view(...), ...]}   # the "layer" picker
"""

from __future__ import annotations

import html
import json
import math
from pathlib import Path

import numpy as np

from attnflow._validation import fail
from attnflow.explain.explorer_page import PAGE

KINDS = ("matrix", "tokens", "steps", "forecast", "image")  # how the task's attention is drawn
EXPLORER_FILE = "explorer.html"
HEAD_MEAN = "mean of heads"


def attention_view(name: str, heads: dict, rows=None, columns=None, note: str | None = None,
                   kind: str | None = None) -> dict:
    """One entry of the layer picker.

    Args:
        name: the layer's name ("attention", "block 2", "pooling", ...).
        heads: head name -> weights [rows, columns] (None where a column has
            no weight, e.g. punctuation); the first is shown first.
        rows, columns: labels, when they differ from the example's (e.g. lags).
        note: a line under the view saying how it was computed.
        kind: "lags" for a view that is not over the example's columns (no series drawn).
    """
    if not heads:
        fail("at least one head of weights", heads=heads)
    view = {"name": name, "heads": [{"name": head, "weights": _matrix(weights)}
                                    for head, weights in heads.items()]}
    for key, value in (("rows", rows), ("columns", columns), ("note", note), ("kind", kind)):
        if value is not None:
            view[key] = [str(v) for v in value] if key in ("rows", "columns") else value
    return view


def heads_with_mean(weights) -> dict:
    """{"mean of heads": mean, "head 1": ..., ...} of weights [H, rows, columns]."""
    weights = np.asarray(weights, dtype=np.float64)
    heads = {HEAD_MEAN: weights.mean(axis=0)}
    heads.update({f"head {number + 1}": head for number, head in enumerate(weights)})
    return heads


def _matrix(weights) -> list[list[float | None]]:
    rows = weights.tolist() if isinstance(weights, np.ndarray) else list(weights)
    if rows and not isinstance(rows[0], (list, tuple, np.ndarray)):
        rows = [rows]  # one row
    return [[None if w is None or (isinstance(w, float) and math.isnan(w)) else float(w) for w in row]
            for row in rows]


def explorer_document(title: str, kind: str, examples: list[dict], subtitle: str = "") -> dict:
    """The data the page reads, checked: every view's matrices fit the labels."""
    if kind not in KINDS:
        fail(f"kind among {KINDS}", kind=kind)
    if not examples:
        fail("at least one example with attention", examples=0)
    for example in examples:
        for view in example["views"]:
            rows = view.get("rows", example["rows"])
            columns = view.get("columns", example["columns"])
            for head in view["heads"]:
                shape = (len(head["weights"]), len(head["weights"][0]) if head["weights"] else 0)
                if shape != (len(rows), len(columns)):
                    fail(f"weights of shape {(len(rows), len(columns))} (rows, columns) in view "
                         f"{view['name']!r}", shape=shape)
    return {"title": title, "subtitle": subtitle, "kind": kind, "examples": examples}


def write_explorer(path, title: str, kind: str, examples: list[dict], subtitle: str = "") -> Path:
    """Writes the explorer page to `path` (whole: through a temporary file); returns the path."""
    document = explorer_document(title, kind, examples, subtitle)
    # Every "<" as the escape \u003c, which reads the same in JSON: "</script", and "<!--" then
    # "<script" in a user's text, would otherwise end the data's <script> element or keep it open.
    text = json.dumps(document, ensure_ascii=False, allow_nan=False).replace("<", "\\u003c")
    page = PAGE.replace("__TITLE__", html.escape(title)).replace("__DATA__", text)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.partial")
    temporary.write_text(page, encoding="utf-8")
    temporary.replace(path)
    return path
