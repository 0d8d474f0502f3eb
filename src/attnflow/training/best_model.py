"""The best model of a run: the attention model or one of its baselines, said plainly.

Every run scores its attention model and its baselines on the same test
split; `best_model` picks the best on the task's headline metric (accuracy,
exact match, MAE, ...), metrics.json keeps it under "best", and `best_line`
is what `attnflow train` and `attnflow evaluate` print, e.g.

    TF-IDF + LR is better on this data: accuracy 1.000 vs 0.917 (the attention model)
"""

from __future__ import annotations

import math

from attnflow._validation import check_choice

ATTENTION_MODEL = "attention_model"  # the name "best" gives the run's own model
DIRECTIONS = ("higher", "lower")
# How the summary names the baselines of the tasks (others: their name, spaced)
BASELINE_LABELS = {
    "tfidf_logreg": "TF-IDF + LR",
    "tfidf_char_logreg": "TF-IDF + LR on characters",
    "1nn_euclidean": "1-NN (Euclidean)",
    "minirocket": "MiniRocket",
    "cnn": "the small CNN",
    "pixel_logreg": "logistic regression on pixels",
    "ets": "AutoETS",
    "theta": "AutoTheta",
    "no_attention": "the same network without attention",
    "seasonal_naive": "seasonal naive",
    "holt_winters": "Holt-Winters",
    "holt_winters_multiplicative": "Holt-Winters (multiplicative)",
    "arima": "SARIMA",
    "sarima": "SARIMA",
    "sarima_log": "SARIMA (log)",
    "ar9": "AR(9)",
}
METRIC_LABELS = {"mae": "MAE", "rmse": "RMSE", "mape": "MAPE %", "mase": "MASE",
                 "exact_match": "exact match", "f1_macro": "F1 (macro)"}


def best_model(test: dict, baselines: dict | None, metric: str, direction: str = "higher") -> dict | None:
    """The best of the attention model (`test`'s scores) and `baselines` on `metric`.

    Args:
        test: the attention model's test scores, {metric: value}.
        baselines: {name: {metric: value}} on the same split; names ending
            in " (backtest)" (means over other splits) are left out.
        metric: the headline metric, e.g. "accuracy".
        direction: "higher" or "lower" is better.

    Returns:
        {"model": ATTENTION_MODEL or a baseline's name, "metric": metric,
        "value": its score, "attention_model": the attention model's score,
        "best_baseline": the best baseline's name (None without baselines),
        "best_baseline_value": its score, "tied": the names that score as
        the best does}; None when the attention model has no finite
        `metric`. A tie goes to the attention model.
    """
    check_choice("direction", direction, DIRECTIONS)
    own = _score(test, metric)
    if own is None:
        return None
    sign = 1.0 if direction == "higher" else -1.0
    scored = {name: _score(scores, metric) for name, scores in (baselines or {}).items()
              if not name.endswith("(backtest)")}
    scored = {name: value for name, value in scored.items() if value is not None}
    ranked = sorted(scored.items(), key=lambda item: -sign * item[1])  # best first, stable
    best_baseline, baseline_value = ranked[0] if ranked else (None, None)
    best_name, best_value = ATTENTION_MODEL, own
    if best_baseline is not None and sign * baseline_value > sign * own:
        best_name, best_value = best_baseline, baseline_value
    tied = sorted(name for name, value in {ATTENTION_MODEL: own, **scored}.items()
                  if name != best_name and value == best_value)
    return {"model": best_name, "metric": metric, "value": best_value, "attention_model": own,
            "best_baseline": best_baseline, "best_baseline_value": baseline_value, "tied": tied}


def best_line(best: dict | None) -> str | None:
    """The summary sentence of `best_model`'s result (None: nothing to say)."""
    if not best:
        return None
    metric = METRIC_LABELS.get(best["metric"], best["metric"])
    value, own, baseline = best["value"], best["attention_model"], best["best_baseline_value"]
    decimals = 3 if max(abs(v) for v in (value, own, baseline or 0.0)) < 10 else 2
    number = lambda v: f"{v:.{decimals}f}"  # noqa: E731  one format for the figures compared
    if best["model"] != ATTENTION_MODEL:
        return (f"{label(best['model'])} is better on this data: {metric} {number(value)} vs "
                f"{number(own)} (the attention model)")
    if best["tied"]:
        return (f"the attention model ties with {', '.join(label(name) for name in best['tied'])}: "
                f"{metric} {number(own)}")
    if best["best_baseline"] is None:
        return f"the attention model: {metric} {number(own)} (no baseline in this run)"
    return (f"the attention model is the best on this data: {metric} {number(own)} vs "
            f"{number(baseline)} ({label(best['best_baseline'])})")


def label(name: str) -> str:
    """How the summary names a model of the run."""
    if name == ATTENTION_MODEL:
        return "the attention model"
    return BASELINE_LABELS.get(name, name.replace("_", " "))


def _score(scores, metric: str) -> float | None:
    value = (scores or {}).get(metric)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)
