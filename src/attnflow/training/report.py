"""metrics.json: the same shape for every task, and its table on the terminal.

    {"task": ..., "test": {metric: value}, <more splits>: {...},
     "baselines": {name: {metric: value}}, "train_seconds": ..., <extras>}

Among the extras, "best" names the best of the run's attention model and its
baselines on the task's headline metric (attnflow.training.best_model),
"distribution" how it was trained (attnflow.training.distribution) and
"faithfulness" how far the attention explains the predictions.

Metric names are lowercase (accuracy, f1_macro, exact_match, mae, ...).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from attnflow._validation import fail


NOT_SCORES = ("baselines", "faithfulness", "best", "distribution", "model")  # dicts of metrics.json that hold no split's scores


def metrics_document(task: str, splits: dict, baselines: dict | None = None,
                     train_seconds: float | None = None, **extra) -> dict:
    """Assembles metrics.json. `splits` must hold "test"."""
    if "test" not in splits:
        fail('scores of a "test" split', splits=sorted(splits))
    for name, scores in {**splits, **(baselines or {})}.items():
        bad = [metric for metric in scores if metric != metric.lower()]
        if bad:
            fail("lowercase metric names", **{name: bad})
    return {"task": task, "test": splits["test"],
            **{name: scores for name, scores in splits.items() if name != "test"},
            "baselines": baselines or {}, "train_seconds": train_seconds, **extra}


def write_metrics(path, document: dict) -> Path:
    """Writes `document` as strict JSON: a score that is not a finite number (a MAPE
    over a test part with a zero, ...) becomes null."""
    path = Path(path)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(_finite(document), indent=2, allow_nan=False) + "\n", encoding="utf-8")
    temporary.replace(path)
    return path


def _finite(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


def read_metrics(path) -> dict:
    """A run's metrics.json as written by `write_metrics`."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def metrics_table(document: dict, title: str | None = None):
    """A rich Table: one row per split, then, below a line, one per baseline; one
    column per numeric metric.

    Values that are not numbers (per-class dicts, a confusion matrix) stay
    in metrics.json and are left out of the table, and so are NOT_SCORES
    (e.g. "faithfulness", "best": no split's scores). Each column shows its
    numbers with the same count of decimals (`column_decimals`); on a narrow
    terminal headers wrap, numbers never do, and a row's name wraps only at
    a space of its own.
    """
    from rich.table import Table

    splits = {name: scores for name, scores in document.items()
              if isinstance(scores, dict) and name not in NOT_SCORES}
    baselines = document.get("baselines") or {}
    rows = {**splits, **{f"\0{name}": scores for name, scores in baselines.items()}}  # no clash
    metrics = list(dict.fromkeys(metric for scores in rows.values() for metric, value in scores.items()
                                 if _is_number(value)))
    decimals = {metric: column_decimals([scores.get(metric) for scores in rows.values()])
                for metric in metrics}
    cells = [[format_number(scores.get(metric), decimals[metric]) for metric in metrics]
             for scores in rows.values()]
    names = list(splits) + list(baselines)
    table = Table(title=title or f"{document.get('task', '')} metrics",
                  caption="below the line: baselines, on the same data" if baselines else None)
    table.add_column("split" if not baselines else "split / baseline",
                     min_width=min(max(len(word) for name in names for word in name.split()), 30))
    for number, metric in enumerate(metrics):
        table.add_column(metric, justify="right", overflow="fold",
                         min_width=max(len(row[number]) for row in cells))
    for number, (name, row) in enumerate(zip(names, cells)):
        table.add_row(name, *row, end_section=number == len(splits) - 1 and bool(baselines))
    return table


def column_decimals(values) -> int:
    """Decimals for one column of numbers: 4 when they are all below 10 in
    magnitude (scores in [0, 1]), 2 otherwise (errors in the data's units)."""
    numbers = [abs(float(v)) for v in values if _is_number(v) and float(v) == float(v)]
    return 4 if all(number < 10 for number in numbers) else 2


def format_number(value, decimals: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{decimals}f}"
    return str(value)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
