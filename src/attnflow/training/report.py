"""metrics.json: the same shape for every task, and its table on the terminal.

    {"task": ..., "test": {metric: value}, <more splits>: {...},
     "baselines": {name: {metric: value}}, "best": {"name": ..., "accuracy": ...},
     "train_seconds": ..., <extras>}

"best" names the highest accuracy among the run's model ("model") and its
baselines; it is there when the test scores have an accuracy and the run
trained baselines.

Metric names are lowercase (accuracy, f1_macro, exact_match, mae, ...).
"""

from __future__ import annotations

import json
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
    best = best_of_run(splits["test"], baselines or {})
    return {"task": task, "test": splits["test"],
            **{name: scores for name, scores in splits.items() if name != "test"},
            "baselines": baselines or {}, **({"best": best} if best else {}),
            "train_seconds": train_seconds, **extra}


def best_of_run(test: dict, baselines: dict, metric: str = "accuracy") -> dict | None:
    """{"name": "model" or a baseline's name, metric: its value} of the highest
    `metric` among the run's model and its baselines (ties: the model, then the
    baseline listed first); None when the model or every baseline lacks it."""
    candidates = [("model", test.get(metric))] + [(name, scores.get(metric))
                                                   for name, scores in baselines.items()]
    candidates = [(name, value) for name, value in candidates
                  if isinstance(value, (int, float)) and not isinstance(value, bool)]
    if len(candidates) < 2 or candidates[0][0] != "model":
        return None
    name, value = max(candidates, key=lambda item: item[1])  # max keeps the first of equals
    return {"name": name, metric: float(value)}


def write_metrics(path, document: dict) -> Path:
    path = Path(path)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    temporary.replace(path)
    return path


# dicts of metrics.json that are not one split's scores: the table leaves them out


def metrics_table(document: dict, title: str | None = None):
    """A rich Table: one row per split and baseline, one column per numeric metric.

    Values that are not numbers (per-class dicts, a confusion matrix) stay
    in metrics.json and are left out of the table, and so does "faithfulness"
    (how far the attention explains the predictions, not a split's scores).
    """
    from rich.table import Table

    rows = {name: scores for name, scores in document.items()
            if isinstance(scores, dict) and name not in NOT_SCORES}
    rows.update({f"baseline: {name}": scores
                 for name, scores in document.get("baselines", {}).items()})
    metrics = list(dict.fromkeys(metric for scores in rows.values() for metric, value in scores.items()
                                 if isinstance(value, (int, float)) and not isinstance(value, bool)))
    table = Table(title=title or f"{document.get('task', '')} metrics")
    table.add_column("split")
    for metric in metrics:
        table.add_column(metric, justify="right")
    for name, scores in rows.items():
        table.add_row(name, *(_format(scores.get(metric)) for metric in metrics))
    return table


def _format(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 10 else f"{value:.2f}"
    return str(value)
